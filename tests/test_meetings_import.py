"""``hankebot meetings import`` plans in memory and writes in one short transaction (issue 11
item 6): the file is read, checked and expanded and the reminders planned before the write
lock is taken, and the write is a few batched statements however big the import is — so the
running bot, on its own connection, can write all the while.

The tests measure what happens inside the write transaction by instrumenting it (which
statements run while it is open, whether expansion or planning ever runs inside it), never
by timing it against the machine's speed.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot import cli_meetings
from bot.cli import main
from handlers.domain import recurrence, reminder_plan
from storage import memberships, participants, reminders, users
from storage.db import Database
from tests.meeting_helpers import GROUP, PROJECT, TZ

HOUR = dt.timedelta(hours=1)


@dataclass
class Probe:
    """What ran while the import held the write lock."""

    transactions: int = 0
    open: bool = False
    statements: list[tuple[str, str]] = field(default_factory=list)  # (method, SQL) inside
    expansions: list[bool] = field(default_factory=list)  # another connection could write?
    planned_inside: list[bool] = field(default_factory=list)  # rows_for ran in a transaction?
    staging: list[bool] = field(default_factory=list)  # another connection could write?

    def reset(self) -> None:
        self.transactions = 0
        self.statements.clear()
        self.expansions.clear()
        self.planned_inside.clear()
        self.staging.clear()


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Probe]:
    found = Probe()
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HANKEBOT_DATABASE", str(database))
    real_transaction = Database.transaction

    @asynccontextmanager
    async def transaction(self: Database) -> AsyncIterator[aiosqlite.Connection]:
        async with real_transaction(self) as conn:
            found.transactions += 1
            found.open = True
            try:
                yield conn
            finally:
                found.open = False

    def counted(name: str) -> Callable[..., Any]:
        real = getattr(aiosqlite.Connection, name)

        def call(self: aiosqlite.Connection, sql: str, *args: Any, **kwargs: Any) -> Any:
            if found.open:
                found.statements.append((name, sql))
            return real(self, sql, *args, **kwargs)

        return call

    def bot_can_write() -> bool:
        """The running bot's connection, as it would try to write now: no waiting."""
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute(
                "INSERT INTO audit_log (at, actor, action, detail)"
                " VALUES ('2026-01-01T00:00:00+00:00', 'test:bot', 'bot.write', '{}')"
            )
            other.execute("COMMIT")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    def expand(*args: Any, **kwargs: Any) -> Any:
        found.expansions.append(bot_can_write())
        return recurrence.expand(*args, **kwargs)

    def rows_for(*args: Any, **kwargs: Any) -> Any:
        found.planned_inside.append(found.open)
        return reminder_plan.rows_for(*args, **kwargs)

    real_stage = reminders.stage

    async def stage(*args: Any, **kwargs: Any) -> None:
        await real_stage(*args, **kwargs)
        found.staging.append(bot_can_write())  # still in the staging transaction

    monkeypatch.setattr(Database, "transaction", transaction)
    monkeypatch.setattr(aiosqlite.Connection, "execute", counted("execute"))
    monkeypatch.setattr(aiosqlite.Connection, "executemany", counted("executemany"))
    monkeypatch.setattr("handlers.domain.meeting_plan.expand", expand)
    monkeypatch.setattr("bot.cli_meetings.rows_for", rows_for)
    monkeypatch.setattr(reminders, "stage", stage)
    yield found


def people_in_the_group(database: Path, count: int, *, own_every: int = 10) -> list[str]:
    """``count`` participants of the women's group with a private chat; every
    ``own_every``-th has chosen one reminder an hour before."""

    async def create() -> list[str]:
        db = await Database.open(database)
        now = dt.datetime.now(dt.UTC)
        ids = [f"test:{1000 + n}" for n in range(count)]
        try:
            async with db.transaction() as conn:
                for number, user_id in enumerate(ids):
                    locale = "sv" if number % 7 == 0 else "fi"
                    await users.touch(
                        conn, user_id, user_id, locale=locale, now=now, private_chat=True
                    )
                    await memberships.add(conn, user_id, PROJECT, "participant", now, GROUP)
                    if number % own_every == 0:
                        await participants.set_own_offsets(conn, user_id, PROJECT, [HOUR])
        finally:
            await db.close()
        return ids

    return asyncio.run(create())


def weekly_for_a_year(path: Path, count: int) -> Path:
    """``count`` weekly series of 52 meetings, starting next week at different times."""
    first = dt.date.today() + dt.timedelta(days=7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "start_date", "start_time", "duration_min", "repeat", "count"])
    for number in range(count):
        day = first + dt.timedelta(days=number % 5)
        clock = f"{8 + number // 5 % 12}.{(number % 2) * 30:02d}"
        writer.writerow([f"Ryhmä {number + 1}", f"{day:%d.%m.%Y}", clock, 60, "weekly", 52])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def table_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("meetings", "occurrences", "reminders", "outbox", "audit_log")
        }


def write_statements(probe: Probe) -> list[tuple[str, str]]:
    return [item for item in probe.statements if item[1] not in ("BEGIN IMMEDIATE", "COMMIT")]


def test_a_big_import_is_planned_first_and_written_in_one_short_transaction(
    probe: Probe, tmp_path: Path
) -> None:
    database = tmp_path / "cli.sqlite3"
    people = people_in_the_group(database, 60)
    small = weekly_for_a_year(tmp_path / "small.csv", 1)
    big = weekly_for_a_year(tmp_path / "big.csv", 60)
    args = ["meetings", "import", "--project", PROJECT, "--group", GROUP]
    probe.reset()
    assert main([*args, str(small)]) == 0
    small_statements = write_statements(probe)
    probe.reset()
    assert main([*args, str(big)]) == 0

    # One write transaction; every expansion and every plan happened outside it, and the
    # bot's connection could write during each expansion and while the rows were staged.
    assert probe.transactions == 1
    assert len(probe.expansions) == 60 and all(probe.expansions)
    assert probe.planned_inside and not any(probe.planned_inside)
    assert probe.staging == [True]
    # Batched: the transaction runs as many statements for 60 series as for one.
    big_statements = write_statements(probe)
    assert big_statements == small_statements
    assert len(big_statements) <= 20
    inserts = [(method, sql) for method, sql in big_statements if sql.startswith("INSERT")]
    assert all(method == "executemany" or " SELECT " in sql for method, sql in inserts)

    counts = table_counts(database)
    assert counts["meetings"] == 61
    with sqlite3.connect(database) as conn:
        per_meeting = dict(
            conn.execute("SELECT meeting_id, COUNT(*) FROM occurrences GROUP BY meeting_id")
        )
        assert len(per_meeting) == 61 and min(per_meeting.values()) >= 4
        covered = conn.execute(
            "SELECT COUNT(DISTINCT r.occurrence_id || ' ' || r.user_id) FROM reminders r"
            " WHERE r.kind = 'follow_up'"
        ).fetchone()[0]
        assert covered == counts["occurrences"] * len(people)
        own = conn.execute(
            "SELECT DISTINCT offset_s FROM reminders WHERE kind = 'reminder' AND user_id = ?",
            (people[0],),
        ).fetchall()
        assert own == [(3600,)]
        notices = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM outbox WHERE user_id IS NOT NULL"
        ).fetchone()
        assert notices == (61 * 60, 60)
        bot_writes = conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'bot.write'"
        ).fetchone()[0]
        assert bot_writes == 61 + 2  # during each expansion and each staging
        created = conn.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'meeting.create'"
        ).fetchone()[0]
        assert created == 61


def test_a_change_while_planning_is_planned_again(
    probe: Probe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone joins the group between the read and the write: the import sees it inside
    the write transaction and plans again, so the newcomer gets the reminders too."""
    database = tmp_path / "cli.sqlite3"
    people_in_the_group(database, 3)
    calls: list[int] = []
    real_prepare = cli_meetings._prepare

    def prepare(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            with sqlite3.connect(database, timeout=0) as other:
                other.execute(
                    "INSERT INTO users (user_id, home_chat_id, locale, created_at, last_seen_at)"
                    " VALUES ('test:late', 'test:late', 'fi', '2026-01-01', '2026-01-01')"
                )
                other.execute(
                    "INSERT INTO memberships (user_id, project, role, grp, joined_at)"
                    " VALUES ('test:late', ?, 'participant', ?, '2026-01-01')",
                    (PROJECT, GROUP),
                )
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(cli_meetings, "_prepare", prepare)
    probe.reset()
    path = weekly_for_a_year(tmp_path / "one.csv", 1)
    assert main(["meetings", "import", str(path), "--project", PROJECT, "--group", GROUP]) == 0
    assert len(calls) == 2
    assert probe.transactions == 2  # the first one wrote nothing
    with sqlite3.connect(database) as conn:
        late = conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE user_id = 'test:late'"
        ).fetchone()[0]
        assert late > 0
        assert conn.execute("SELECT COUNT(*) FROM meetings").fetchone() == (1,)


def test_an_ics_series_keeps_its_cancelled_and_moved_meetings(probe: Probe, tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    [person] = people_in_the_group(database, 1)
    first = dt.datetime.combine(dt.date.today() + dt.timedelta(days=7), dt.time(13, 0), TZ)
    second, third = first + dt.timedelta(weeks=1), first + dt.timedelta(weeks=2)
    moved_to = third + dt.timedelta(days=1, hours=2)

    def stamp(moment: dt.datetime) -> str:
        return f"{moment:%Y%m%dT%H%M%S}"

    calendar = tmp_path / "k.ics"
    calendar.write_bytes(
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
            "BEGIN:VEVENT\r\nUID:series@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID=Europe/Helsinki:{stamp(first)}\r\n"
            f"DTEND;TZID=Europe/Helsinki:{stamp(first + HOUR)}\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=4\r\n"
            f"EXDATE;TZID=Europe/Helsinki:{stamp(second)}\r\nSUMMARY:Ohjaus\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:series@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
            f"RECURRENCE-ID;TZID=Europe/Helsinki:{stamp(third)}\r\n"
            f"DTSTART;TZID=Europe/Helsinki:{stamp(moved_to)}\r\n"
            f"DTEND;TZID=Europe/Helsinki:{stamp(moved_to + HOUR)}\r\n"
            "SUMMARY:Ohjaus\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode()
    )
    args = ["meetings", "import", str(calendar), "--project", PROJECT, "--group", GROUP]
    assert main(args) == 0
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT o.recurrence_id, o.start_utc, o.cancelled,"
            " (SELECT COUNT(*) FROM reminders r WHERE r.occurrence_id = o.id AND r.user_id = ?)"
            " FROM occurrences o ORDER BY o.recurrence_id",
            (person,),
        ).fetchall()
    found = [
        (dt.datetime.fromisoformat(rid), dt.datetime.fromisoformat(start), bool(gone), planned)
        for rid, start, gone, planned in rows
    ]
    assert [(rid, start, gone) for rid, start, gone, _ in found] == [
        (first, first, False),
        (second, second, True),
        (third, moved_to, False),
        (third + dt.timedelta(weeks=1), third + dt.timedelta(weeks=1), False),
    ]
    assert [planned > 0 for *_, planned in found] == [True, False, True, True]


@pytest.mark.parametrize(
    "command",
    [["meetings", "list", "--project", PROJECT], ["report", "--project", PROJECT]],
    ids=["meetings-list", "report"],
)
def test_reading_commands_take_no_write_lock(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the running bot is in the middle of a write, a command that only reads works
    (before, it waited for the lock and could hold up the bot in turn)."""
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HANKEBOT_DATABASE", str(database))
    people_in_the_group(database, 2)
    bot = sqlite3.connect(database, isolation_level=None)
    try:
        bot.execute("BEGIN IMMEDIATE")
        bot.execute("UPDATE users SET locale = 'fi'")
        assert main(command) == 0
        bot.execute("COMMIT")
    finally:
        bot.close()


def test_a_personal_import_is_for_an_active_participant_only(
    probe: Probe, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    [person, _other] = people_in_the_group(database, 2)
    path = weekly_for_a_year(tmp_path / "one.csv", 1)
    base = ["meetings", "import", str(path), "--project", PROJECT, "--participant"]
    assert main([*base, "test:nobody"]) == 1
    assert "test:nobody is not a participant of" in capsys.readouterr().err
    assert table_counts(database)["meetings"] == 0
    assert main([*base, person]) == 0
    assert "1 participant(s)" in capsys.readouterr().out
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT user_id, grp FROM meetings").fetchall() == [(person, None)]
        assert conn.execute("SELECT DISTINCT user_id FROM reminders").fetchall() == [(person,)]
        assert conn.execute("SELECT DISTINCT user_id FROM outbox").fetchall() == [(person,)]
