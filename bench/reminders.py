"""Reminder scheduling at scale, side by side with a naive baseline.

Run from the repository root: ``.venv/bin/python -m bench.reminders``. Prints figures and
ratios (baseline ÷ ours), not pass/fail:

1. **Rebuild at start** with 100 000 stored future reminders (2 500 meetings × 20
   participants × 24 h and 2 h): the time from opening the database to a scheduler that is
   ready, and the resident memory of the process then. *Ours*: ``ReminderScheduler.start()``
   (extend the occurrence horizon, catch up, arm one APScheduler job at the next due time).
   *Baseline*: load every pending reminder and add one APScheduler job per reminder.
   Goals: ≤ 3 s, ≤ 300 MB.
2. **Lateness** of 1 000 reminders all due at the same second (e.g. 2 h before 1 000
   meetings at 13.00), delivered by a transport paced like Telegram (29 messages/s,
   different chats): for each message, how late it was written to the outbox and how late
   it was delivered beyond its place in the rate-limited queue (the i-th may take
   i / 29 s). Goal: every one within 1 s of its time plus the rate limit. *Ours*: the one
   job wakes and sends in batches; *baseline*: 1 000 APScheduler jobs, one transaction each.

Each measurement runs in a fresh process so that memory figures are not mixed up.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import math
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bench.figures import Figure

if TYPE_CHECKING:
    import aiosqlite

    from bot.delivery import DeliveryWorker
    from bot.dispatcher import Dispatcher
    from bot.transports.base import Delivery
    from storage.db import Database
    from storage.outbox import OutboxItem

TZ = ZoneInfo("Europe/Helsinki")
MEETINGS = 2_500
PER_MEETING = 20
GROUPS = 200
OFFSETS = (86_400, 7_200)
BURST = 1_000
BURST_LEAD = 3.0  # seconds between the bot's start and the burst (see _move_burst)
RATE = 29.0
PROJECT = "bench"


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current, peak) resident memory of process ``pid`` (this one by default) in MB, from
    /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, amount, _ = line.split()
            values[key] = int(amount) / 1024
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


# --- the database --------------------------------------------------------------------------


def build_database(path: Path, *, burst_at: dt.datetime | None) -> None:
    """100 000 future reminders (and, for the lateness run, 1 000 due at ``burst_at``)."""
    from storage.db import Database

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(migrate())
    now = dt.datetime.now(dt.UTC)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    people = GROUPS * PER_MEETING
    conn.executemany(
        "INSERT INTO users (user_id, home_chat_id, locale, created_at, last_seen_at)"
        " VALUES (?, ?, 'fi', ?, ?)",
        [(f"bench:{n}", f"bench:{n}", _text(now), _text(now)) for n in range(people)],
    )
    conn.executemany(
        "INSERT INTO memberships (user_id, project, role, grp, joined_at)"
        " VALUES (?, ?, 'participant', ?, ?)",
        [(f"bench:{n}", PROJECT, f"g{n // PER_MEETING}", _text(now)) for n in range(people)],
    )
    reminder_rows = []
    first = now + dt.timedelta(days=2)
    for m in range(MEETINGS):
        start = (first + dt.timedelta(minutes=17 * m)).replace(microsecond=0)
        group = m % GROUPS
        _meeting(conn, m + 1, group, start, now)
        for p in range(PER_MEETING):
            user = f"bench:{group * PER_MEETING + p}"
            for offset in OFFSETS:
                due = start - dt.timedelta(seconds=offset)
                reminder_rows.append((m + 1, user, offset, str(offset), _text(start), _text(due)))
    if burst_at is not None:
        start = burst_at + dt.timedelta(hours=2)
        for b in range(BURST):
            meeting_id = MEETINGS + 1 + b
            group = b % GROUPS
            _meeting(conn, meeting_id, group, start, now)
            user = f"bench:{(b // GROUPS) + group * PER_MEETING}"
            reminder_rows.append((meeting_id, user, 7_200, "7200", _text(start), _text(burst_at)))
    conn.executemany(
        "INSERT INTO reminders (occurrence_id, user_id, kind, offset_s, covers, start_utc,"
        " due_at) VALUES (?, ?, 'reminder', ?, ?, ?, ?)",
        reminder_rows,
    )
    conn.commit()
    conn.close()


def _meeting(
    conn: sqlite3.Connection, meeting_id: int, group: int, start: dt.datetime, now: dt.datetime
) -> None:
    end = start + dt.timedelta(hours=1)
    conn.execute(
        "INSERT INTO meetings (id, uid, project, grp, title, dtstart_local, duration_min,"
        " place, first_start, last_start, materialized_until, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'Ryhmä', ?, 60, 'Kirjasto', ?, ?, ?, ?, ?)",
        (
            meeting_id,
            f"bench-{meeting_id}@hankebot",
            PROJECT,
            f"g{group}",
            start.astimezone(TZ).replace(tzinfo=None).isoformat(),
            _text(start),
            _text(start),
            _text(now + dt.timedelta(days=400)),
            _text(now),
            _text(now),
        ),
    )
    conn.execute(
        "INSERT INTO occurrences (id, meeting_id, recurrence_id, start_utc, end_utc)"
        " VALUES (?, ?, ?, ?, ?)",
        (meeting_id, meeting_id, _text(start), _text(start), _text(end)),
    )


# --- one measurement per process -------------------------------------------------------------


def _core(path: Path) -> Callable[[], Awaitable[tuple[Database, Dispatcher]]]:
    from bot.dispatcher import Dispatcher
    from bot.i18n import Renderer
    from bot.transports.base import DeclaredTransports
    from handlers.core.context import Services
    from handlers.registry import build_registry
    from storage.db import Database

    async def make() -> tuple[Database, Dispatcher]:
        db = await Database.open(path)
        renderer = Renderer(TZ)
        services = Services(
            registry=build_registry(),
            timezone=TZ,
            admins=frozenset(),
            rendering=renderer,
            transports=DeclaredTransports({}),  # numbers no buttons
        )
        return db, Dispatcher(db, services, renderer)

    return make


async def rebuild_ours(path: Path) -> dict[str, float]:
    from bot.scheduler import ReminderScheduler

    make = _core(path)
    base = rss_mb()[0]
    began = time.perf_counter()
    db, dispatcher = await make()
    scheduler = ReminderScheduler(db, dispatcher)
    await scheduler.start()
    seconds = time.perf_counter() - began
    current, peak = rss_mb()
    await scheduler.stop()
    await db.close()
    return {"seconds": seconds, "rss": current, "peak": peak, "base": base, "jobs": 1}


async def rebuild_naive(path: Path) -> dict[str, float]:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

    from storage.clock import from_text

    make = _core(path)
    base = rss_mb()[0]
    began = time.perf_counter()
    db, _ = await make()
    scheduler = AsyncIOScheduler(timezone=TZ)
    scheduler.start()

    async def send(reminder_id: int) -> None:  # never fires here: all are in the future
        return None

    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT id, due_at FROM reminders WHERE state = 'pending' ORDER BY due_at"
        )
        rows = await cursor.fetchall()
    for row in rows:
        scheduler.add_job(
            send,
            "date",
            run_date=from_text(row["due_at"]),
            args=[row["id"]],
            id=f"reminder-{row['id']}",
            misfire_grace_time=None,
        )
    seconds = time.perf_counter() - began
    current, peak = rss_mb()
    jobs = len(scheduler.get_jobs())
    scheduler.shutdown(wait=False)
    await db.close()
    return {"seconds": seconds, "rss": current, "peak": peak, "base": base, "jobs": jobs}


class PacedTransport:
    """Delivers instantly but is paced like Telegram by the real delivery worker."""

    name = "bench"

    def __init__(self) -> None:
        from bot.transports.base import Pacing

        self.pacing = Pacing(per_second=RATE, per_chat_interval=1.05, concurrency=8)
        self.delivered: dict[int, float] = {}
        self.all_delivered = asyncio.Event()

    async def start(self, inbox: object) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        from bot.transports.base import Delivery

        self.delivered[item.id] = time.time()
        if len(self.delivered) >= BURST:
            self.all_delivered.set()
        return Delivery.sent(item.id)


def _trace_commits() -> list[tuple[float, int]]:
    """Record when each transaction commits and the highest outbox id it leaves: a row is
    visible to the delivery worker from the first commit whose id reaches it."""
    from contextlib import asynccontextmanager

    from storage.db import Database

    commits: list[tuple[float, int]] = []
    plain = Database.transaction

    @asynccontextmanager
    async def traced(self: Database) -> AsyncIterator[aiosqlite.Connection]:
        async with plain(self) as conn:
            yield conn
            cursor = await conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox")
            row = await cursor.fetchone()
            top = int(row[0]) if row else 0
        commits.append((time.time(), top))

    Database.transaction = traced  # type: ignore[method-assign]
    return commits


def _visible_at(commits: list[tuple[float, int]], item_id: int) -> float:
    return next((at for at, top in commits if top >= item_id), float("inf"))


async def _move_burst(db: Database, built_for: dt.datetime) -> dt.datetime:
    """Move the burst (built for ``built_for``) to :data:`BURST_LEAD` seconds from now.

    The parent cannot know when this process will be ready: building the database and
    starting Python take longer on a busy machine, and a burst already past when the
    scheduler starts measures the start-up, not the bot (an earlier version lost up to 4 s
    of a 12 s head start that way, all of it counted as lateness). So the due moment is set
    here, with everything imported and the database open, just before the bot starts.
    """
    burst_at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=BURST_LEAD + 1)).replace(
        microsecond=0
    )
    start = burst_at + dt.timedelta(hours=2)
    old = (_text(built_for), _text(built_for + dt.timedelta(hours=2)))
    local = start.astimezone(TZ).replace(tzinfo=None).isoformat()
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE reminders SET due_at = ?, start_utc = ? WHERE due_at = ? AND start_utc = ?",
            (_text(burst_at), _text(start), *old),
        )
        await conn.execute(
            "UPDATE occurrences SET recurrence_id = ?, start_utc = ?, end_utc = ?"
            " WHERE start_utc = ?",
            (_text(start), _text(start), _text(start + dt.timedelta(hours=1)), old[1]),
        )
        await conn.execute(
            "UPDATE meetings SET dtstart_local = ?, first_start = ?, last_start = ?"
            " WHERE first_start = ?",
            (local, _text(start), _text(start), old[1]),
        )
    return burst_at


async def lateness(path: Path, built_for: dt.datetime, variant: str) -> dict[str, float]:
    from bot.delivery import DeliveryWorker

    commits = _trace_commits()
    make = _core(path)
    db, dispatcher = await make()
    burst_at = await _move_burst(db, built_for)
    transport = PacedTransport()
    worker = DeliveryWorker(db, transport, clock=lambda: dt.datetime.now(dt.UTC))
    starts: list[float] = []
    worker.on_send_start = lambda _chat, at: starts.append(at)
    worker.start()
    stop: Callable[[], Awaitable[None]]
    if variant == "ours":
        from bot import scheduler as scheduling

        scheduler = scheduling.ReminderScheduler(
            db, dispatcher, on_enqueued=lambda _: worker.wake(), batch=scheduling.BATCH
        )
        await scheduler.start()
        stop = scheduler.stop
    else:
        stop = await _naive_burst(db, dispatcher, worker, burst_at)
    head_start = burst_at.timestamp() - time.time()  # > 0: ready before the burst was due
    await asyncio.wait_for(transport.all_delivered.wait(), timeout=120)
    await worker.drain(timeout=10)  # the last outcomes recorded
    await stop()
    await worker.stop()
    # Stopping the worker may cancel it between BEGIN and its body; a fresh connection reads.
    await db.close()
    with sqlite3.connect(path) as reader:
        rows = [
            {"id": row[0]}
            for row in reader.execute("SELECT id FROM outbox WHERE transport = 'bench' ORDER BY id")
        ]
    due = burst_at.timestamp()
    enqueue = [_visible_at(commits, row["id"]) - due for row in rows]
    delivered = sorted(transport.delivered.get(row["id"], float("inf")) - due for row in rows)
    beyond_rate = [late - i / RATE for i, late in enumerate(delivered)]
    return {
        "count": len(rows),
        "enqueue_p50": statistics.median(enqueue) if enqueue else float("inf"),
        "enqueue_max": max(enqueue, default=float("inf")),
        "delivery_max": max(delivered, default=float("inf")),
        "beyond_rate_max": max(beyond_rate, default=float("inf")),
        "within_goal": sum(1 for x in beyond_rate if x <= 1.0),
        "head_start": head_start,
        **_gaps(starts),
    }


def _gaps(starts: list[float]) -> dict[str, float]:
    """How the worker itself spaced its sends (monotonic, from its own hook)."""
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    if not gaps:
        return dict.fromkeys(("gap_median_ms", "gap_mean_ms", "gap_max_ms"), math.inf) | {
            "slow_gaps": 0
        }
    interval = 1.0 / RATE
    return {
        "gap_median_ms": statistics.median(gaps) * 1000,
        "gap_mean_ms": statistics.fmean(gaps) * 1000,
        "gap_max_ms": max(gaps) * 1000,
        "slow_gaps": sum(1 for g in gaps if g > interval * 1.5),
    }


async def _naive_burst(
    db: Database, dispatcher: Dispatcher, worker: DeliveryWorker, burst_at: dt.datetime
) -> Callable[[], Awaitable[None]]:
    """One APScheduler job per due reminder, each its own transaction."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from handlers.participant.answers import reminder_reply
    from storage import meetings as meeting_store
    from storage import reminders, users

    scheduler = AsyncIOScheduler(timezone=TZ)
    scheduler.start()

    async def send(reminder_id: int, occurrence_id: int, user_id: str) -> None:
        now = dt.datetime.now(dt.UTC)
        async with db.transaction() as conn:
            found = await meeting_store.occurrence(conn, occurrence_id)
            person = await users.get(conn, user_id)
            assert found is not None and person is not None and person.home_chat_id
            await dispatcher.enqueue_reply(
                conn,
                chat_id=person.home_chat_id,
                user_id=user_id,
                locale=person.locale,
                replies=[reminder_reply(found[0], found[1], None)],
                now=now,
                position=None,
                dedupe_key=f"naive:{reminder_id}",
            )
            await reminders.finish(conn, reminder_id, "sent", now)
        worker.wake()

    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT id, occurrence_id, user_id FROM reminders WHERE due_at = ?",
            (_text(burst_at),),
        )
        rows = await cursor.fetchall()
    for row in rows:
        scheduler.add_job(
            send,
            "date",
            run_date=burst_at,
            args=[row["id"], row["occurrence_id"], row["user_id"]],
            misfire_grace_time=None,
            max_instances=1,
        )

    async def stop() -> None:
        scheduler.shutdown(wait=False)

    return stop


# --- the driver -------------------------------------------------------------------------------


def _child(args: list[str]) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.reminders", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def _row(label: str, ours: float, naive: float, unit: str, goal: str = "") -> str:
    ratio = f"{naive / ours:>9.1f}×" if ours > 0 else f"{'—':>10}"
    return f"  {label:<44}{ours:>10.3f} {unit:<3}{naive:>12.3f} {unit:<3}{ratio}  {goal}"


def _count_row(label: str, ours: float, naive: float) -> str:
    return f"  {label:<44}{ours:>10.0f}    {naive:>12.0f}    {'—':>10}"


def measure() -> tuple[dict[str, float], dict[str, float], dict[str, dict[str, float]]]:
    """(rebuild ours, rebuild baseline, lateness by variant), each phase in its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"building {MEETINGS * PER_MEETING * len(OFFSETS):,} stored reminders …")
        store = folder / "store.sqlite3"
        build_database(store, burst_at=None)
        ours = _child(["--phase", "rebuild-ours", "--db", str(store)])
        naive = _child(["--phase", "rebuild-naive", "--db", str(store)])
        late = {variant: _burst(folder, variant) for variant in ("ours", "naive")}
    return ours, naive, late


def _burst(folder: Path, variant: str) -> dict[str, float]:
    """The lateness measurement of one variant, in its own process."""
    path = folder / f"late-{variant}.sqlite3"
    # Built a day ahead; the child moves the burst to just after its own start (_move_burst).
    built_for = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)
    build_database(path, burst_at=built_for)
    return _child(
        ["--phase", f"late-{variant}", "--db", str(path), "--burst-at", built_for.isoformat()]
    )


def run() -> list[Figure]:
    ours, naive, late = measure()
    lo, ln = late["ours"], late["naive"]
    stored = f"{MEETINGS * PER_MEETING * len(OFFSETS):,} stored reminders"
    burst = f"{BURST} due at the same second, paced at {RATE:g}/s"
    return [
        Figure(
            "rebuild: time to a ready scheduler",
            ours["seconds"],
            "s",
            naive["seconds"],
            at_most=3,
            note=stored,
        ),
        Figure(
            "rebuild: resident memory then",
            ours["rss"],
            "MB",
            naive["rss"],
            at_most=300,
            note=stored,
        ),
        Figure(
            "burst: written to the outbox, worst lateness",
            lo["enqueue_max"],
            "s",
            ln["enqueue_max"],
            at_most=1,
            note=burst,
        ),
        Figure(
            "burst: worst lateness beyond its place in the queue",
            lo["beyond_rate_max"],
            "s",
            ln["beyond_rate_max"],
            at_most=1,
            note=burst,
        ),
        Figure(
            "burst: delivered within the goal",
            lo["within_goal"],
            f"of {BURST}",
            ln["within_goal"],
            at_least=BURST,
            note=burst,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--phase", choices=["rebuild-ours", "rebuild-naive", "late-ours", "late-naive"]
    )
    parser.add_argument("--db", type=Path)
    parser.add_argument("--burst-at")
    parser.add_argument(
        "--burst", choices=["ours", "naive"], help="only the burst lateness of one variant"
    )
    args = parser.parse_args()
    if args.burst is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(_burst(Path(tmp), args.burst)))
        return
    if args.phase is not None:
        if args.phase == "rebuild-ours":
            result = asyncio.run(rebuild_ours(args.db))
        elif args.phase == "rebuild-naive":
            result = asyncio.run(rebuild_naive(args.db))
        else:
            burst = dt.datetime.fromisoformat(args.burst_at)
            result = asyncio.run(lateness(args.db, burst, args.phase.removeprefix("late-")))
        print(json.dumps(result))
        return

    ours, naive, late = measure()
    print()
    print(f"  {'':<44}{'ours':>14}{'baseline':>16}{'ratio':>11}")
    print("  rebuild at start, 100 000 stored reminders")
    print(_row("time to a ready scheduler", ours["seconds"], naive["seconds"], "s", "goal ≤ 3 s"))
    print(_row("resident memory then", ours["rss"], naive["rss"], "MB", "goal ≤ 300 MB"))
    print(_row("  of which after imports, before the work", ours["base"], naive["base"], "MB"))
    print(_count_row("APScheduler jobs", ours["jobs"], naive["jobs"]))
    print(f"  {BURST} reminders due at the same second, paced at {RATE:g}/s")
    lo, ln = late["ours"], late["naive"]
    print(_row("written to the outbox, median lateness", lo["enqueue_p50"], ln["enqueue_p50"], "s"))
    print(
        _row(
            "written to the outbox, worst lateness",
            lo["enqueue_max"],
            ln["enqueue_max"],
            "s",
            "goal ≤ 1 s",
        )
    )
    print(
        _row(
            "last delivered after its time",
            lo["delivery_max"],
            ln["delivery_max"],
            "s",
            f"rate limit alone: {(BURST - 1) / RATE:.1f} s",
        )
    )
    print(
        _row(
            "worst lateness beyond its place in the queue",
            lo["beyond_rate_max"],
            ln["beyond_rate_max"],
            "s",
            "goal ≤ 1 s",
        )
    )
    print(_count_row("delivered within the goal (of 1 000)", lo["within_goal"], ln["within_goal"]))
    print(f"  messages written: ours {lo['count']:.0f}, baseline {ln['count']:.0f}")
    print(
        f"  ready before the burst: ours {lo['head_start']:.2f} s,"
        f" baseline {ln['head_start']:.2f} s (must be > 0)"
    )


if __name__ == "__main__":
    main()
