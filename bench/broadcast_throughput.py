"""Broadcast throughput against the fake Telegram Bot API server with flood control on.

Run from the repository root::

    .venv/bin/python -m bench.broadcast_throughput [--recipients N] [--file-kb K]

Two runs, each against a fresh fake server whose ceiling is 30 messages/s overall (and
1/s per private chat):

* **hankebot** — the real application (``bot.app.Application``: dispatcher, outbox, the
  delivery worker with its pacing, PTB's HTTP stack) sends a broadcast written with the same
  code as a coordinator's confirmation, including the coordinator's progress edits;
* **baseline** — a bare python-telegram-bot loop: ``await bot.send_message(...)`` for each
  recipient through ``AIORateLimiter`` (its defaults: 30/s overall; it retries on 429).

For each: achieved recipient messages per second (first to last accepted send, as the
server saw them) as a share of the 30/s ceiling, the number of 429 answers, and the wall
time; then the ratio hankebot / baseline. Goals for hankebot: ≥ 95 % and 0 × 429.

``--file-kb K`` makes it an announcement with a K kB file (default 10 000 recipients, no
file). The baseline then uploads the file with every ``send_document`` — what hankebot did
before it kept Telegram's file_id — and both rows also show the uploads and the bytes
uploaded to the recipients, with the ratio of those bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot

from bench.figures import Figure
from bot.app import Application
from bot.config import Settings
from bot.i18n import Renderer
from handlers.core.types import Document
from handlers.staff.broadcast import NewBroadcast, enqueue_broadcast, message_html
from storage import broadcasts, memberships, users
from storage.db import Database
from tests.fakes.telegram_api import FakeTelegramServer

CEILING = 30.0
SUITE_RECIPIENTS = 3_000
FIRST_ID = 100_000
COORDINATOR = 99
TEXT = "Huomenna ryhmä alkaa jo klo 9. Ota eväät mukaan!"
ZONE = ZoneInfo("Europe/Helsinki")


@dataclass(frozen=True)
class Result:
    name: str
    recipients: int
    delivered: int
    rate: float
    count_429: int
    wall: float
    uploads: int = 0
    uploaded_bytes: int = 0

    @property
    def share(self) -> float:
        return self.rate / CEILING * 100


def _measure(
    name: str, server: FakeTelegramServer, ids: set[int], wall: float, method: str
) -> Result:
    accepted = sorted(
        r.time for r in server.requests_for(method) if r.status == 200 and r.chat_id in ids
    )
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    rate = (len(accepted) - 1) / span if span > 0 else 0.0
    uploads = [u for u in server.uploads() if u.chat_id in ids]
    return Result(
        name,
        len(ids),
        len(accepted),
        rate,
        server.count_429,
        wall,
        uploads=len(uploads),
        uploaded_bytes=sum(u.size for u in uploads),
    )


def _attachment(kilobytes: int) -> Document | None:
    if kilobytes <= 0:
        return None
    return Document("ohjelma.pdf", b"%PDF-1.4 " + bytes(kilobytes * 1024 - 9), "application/pdf")


def _server(count: int) -> tuple[FakeTelegramServer, list[int]]:
    server = FakeTelegramServer(flood_control=True, overall_per_second=int(CEILING))
    server.start()
    ids = list(range(FIRST_ID, FIRST_ID + count))
    for number in [COORDINATOR, *ids]:
        server.add_user(number)
    return server, ids


async def run_hankebot(count: int, workdir: Path, attachment: Document | None = None) -> Result:
    server, ids = _server(count)
    try:
        database = workdir / "bench.sqlite3"
        now = dt.datetime.now(dt.UTC)
        db = await Database.open(database)
        try:
            async with db.transaction() as conn:
                for number in [COORDINATOR, *ids]:
                    user_id = f"telegram:{number}"
                    await users.touch(
                        conn, user_id, user_id, locale="fi", now=now, private_chat=True
                    )
                    role = "coordinator" if number == COORDINATOR else "participant"
                    await memberships.add(conn, user_id, "osmari", role, now)
            async with db.transaction() as conn:
                recipients = await broadcasts.participants(conn, ["osmari"])
                file_id = None
                if attachment is not None:
                    file_id = await broadcasts.store_file(
                        conn,
                        created_by=f"telegram:{COORDINATOR}",
                        document=attachment,
                        now=now,
                    )
                renderer = Renderer(ZONE)
                new = NewBroadcast(
                    project="osmari",
                    audience="project",
                    group=None,
                    text=TEXT,
                    html={"fi": message_html(renderer, "fi", "Osmari", TEXT)},
                    recipients=recipients,
                    actor=f"telegram:{COORDINATOR}",
                    created_by=f"telegram:{COORDINATOR}",
                    report_chat=f"telegram:{COORDINATOR}",
                    locale="fi",
                    timezone="Europe/Helsinki",
                    file_id=file_id,
                )
                number, _ = await enqueue_broadcast(
                    conn, new, send_at=None, now=now, rendering=renderer
                )
        finally:
            await db.close()
        settings = Settings(
            database=database,
            telegram_token=server.token,
            telegram_api_url=server.url,
            telegram_poll_timeout=1,
            _env_file=None,
        )
        app = Application(settings)
        started = time.monotonic()
        task = asyncio.create_task(app.run())
        try:
            while True:
                await asyncio.sleep(0.5)
                if task.done():
                    raise RuntimeError("the bot stopped") from task.exception()
                if not hasattr(app, "db"):
                    continue
                async with app.db.transaction() as conn:
                    stored = await broadcasts.get(conn, number)
                if stored is not None and stored.state == "done":
                    break
            wall = time.monotonic() - started
        finally:
            app.request_stop()
            await asyncio.wait_for(task, timeout=30)
        method = "sendMessage" if attachment is None else "sendDocument"
        return _measure("hankebot outbox worker", server, set(ids), wall, method)
    finally:
        server.stop()


async def run_baseline(count: int, attachment: Document | None = None) -> Result:
    server, ids = _server(count)
    try:
        bot = ExtBot(
            server.token,
            base_url=server.base_url,
            base_file_url=server.base_file_url,
            rate_limiter=AIORateLimiter(max_retries=5),
        )
        html = message_html(Renderer(ZONE), "fi", "Osmari", TEXT)
        async with bot:
            started = time.monotonic()
            for chat in ids:
                # RetryAfter: it gave up after its retries; counted as not delivered
                with contextlib.suppress(RetryAfter):
                    if attachment is None:
                        await bot.send_message(chat, html, parse_mode=ParseMode.HTML)
                    else:  # the bytes every time
                        await bot.send_document(
                            chat,
                            attachment.content,
                            filename=attachment.filename,
                            caption=html,
                            parse_mode=ParseMode.HTML,
                        )
            wall = time.monotonic() - started
        method = "sendMessage" if attachment is None else "sendDocument"
        return _measure("PTB + AIORateLimiter loop", server, set(ids), wall, method)
    finally:
        server.stop()


def _row(result: Result, with_file: bool) -> str:
    row = (
        f"{result.name:<26}{result.delivered:>9}{result.rate:>9.2f}{result.share:>10.1f} %"
        f"{result.count_429:>7}{result.wall:>9.1f}"
    )
    if with_file:
        row += f"{result.uploads:>9}{result.uploaded_bytes / 1e6:>10.2f}"
    return row


async def both(count: int, attachment: Document | None) -> tuple[Result, Result]:
    with tempfile.TemporaryDirectory() as workdir:
        ours = await run_hankebot(count, Path(workdir), attachment)
    baseline = await run_baseline(count, attachment)
    return ours, baseline


def run() -> list[Figure]:
    """For ``python -m bench``: :data:`SUITE_RECIPIENTS` recipients (each run takes
    recipients / 30 s; the 10 000 of the issue: ``python -m bench.broadcast_throughput``)."""
    ours, baseline = asyncio.run(both(SUITE_RECIPIENTS, None))
    note = f"{SUITE_RECIPIENTS} recipients, ceiling {CEILING:.0f}/s"
    return [
        Figure(
            "share of the flood ceiling", ours.share, "%", baseline.share, at_least=95, note=note
        ),
        Figure("429 answers", ours.count_429, "", baseline.count_429, at_most=0, note=note),
        Figure("recipients delivered", ours.delivered, "", baseline.delivered, note=note),
    ]


async def main_async(count: int, file_kb: int = 0) -> None:
    attachment = _attachment(file_kb)
    ours, baseline = await both(count, attachment)
    with_file = attachment is not None
    what = f"with a {file_kb} kB file " if with_file else ""
    print(f"broadcast {what}to {count} recipients; fake Bot API ceiling {CEILING:.0f} msg/s")
    header = f"{'':<26}{'sent':>9}{'msg/s':>9}{'of ceiling':>12}{'429s':>7}{'wall s':>9}"
    print(header + (f"{'uploads':>9}{'MB up':>10}" if with_file else ""))
    print(_row(ours, with_file))
    print(_row(baseline, with_file))
    ratio = ours.rate / baseline.rate if baseline.rate else float("inf")
    print(
        f"ratio hankebot / baseline: {ratio:.3f} (msg/s); 429s {ours.count_429} vs "
        f"{baseline.count_429}"
    )
    if with_file:
        share = ours.uploaded_bytes / baseline.uploaded_bytes if baseline.uploaded_bytes else 0
        print(
            f"bytes uploaded hankebot / upload-every-time baseline: {share:.4f} "
            f"({ours.uploaded_bytes} vs {baseline.uploaded_bytes})"
        )
    goal = ours.share >= 95 and ours.count_429 == 0
    print(f"goal (>= 95 % of the ceiling, no 429): {'met' if goal else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--file-kb", type=int, default=0, help="announce with a file this big")
    args = parser.parse_args()
    asyncio.run(main_async(args.recipients, args.file_kb))


if __name__ == "__main__":
    main()
