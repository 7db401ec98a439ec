"""Reminders survive SIGKILL: the real ``hankebot run`` process on Telegram (the fake Bot API
server) is killed after some reminders went out and just before the next are due; after the
restart every reminder is delivered exactly once.

The meeting is made directly in the database a few minutes ahead, with reminder rows due
seconds apart (what per-participant reminder offsets of seconds would give), so the test
needs no clock tricks and does not depend on the time of day (quiet hours are decided when
reminders are planned; rows that are on time are sent as planned).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.common import planning
from storage import memberships, users
from storage.db import Database
from storage.meetings import HORIZON
from tests.catalog_labels import label
from tests.e2e.seeding import add_due_reminder
from tests.e2e.telegram_driver import bot_process_env, start_bot_process
from tests.fakes.telegram_api import FakeTelegramServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TZ = ZoneInfo("Europe/Helsinki")
PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
PEOPLE = list(range(701, 707))
FIRST_DUE = 15.0  # seconds after set-up
SPACING = 8.0
MEETING_AFTER = 240.0


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


async def prepare(database: Path) -> dt.datetime:
    """Participants, a meeting four minutes ahead and one reminder each, seconds apart."""
    db = await Database.open(database)
    now = dt.datetime.now(dt.UTC)
    start = now + dt.timedelta(seconds=MEETING_AFTER)
    try:
        async with db.transaction() as conn:
            for user in PEOPLE:
                user_id = f"telegram:{user}"
                await users.touch(conn, user_id, user_id, locale="fi", now=now, private_chat=True)
                await memberships.add(conn, user_id, PROJECT, "participant", now, "womens-group")
            meeting = await planning.create(
                conn,
                project=PROJECT,
                group="womens-group",
                user_id=None,
                title="Naisten ryhmä",
                start_local=start.astimezone(TZ).replace(microsecond=0),
                rule=None,
                duration=dt.timedelta(minutes=60),
                place="Kirjasto",
                tz=TZ,
                now=now,
            )
            [occurrence] = await planning.materialize(conn, meeting, now + HORIZON, now=now, tz=TZ)
            for index, user in enumerate(PEOPLE):
                due = now + dt.timedelta(seconds=FIRST_DUE + index * SPACING)
                await add_due_reminder(conn, occurrence, f"telegram:{user}", PROJECT, due, now)
    finally:
        await db.close()
    return now


async def sent_rows(database: Path) -> int:
    """Outbox rows the running bot has recorded as delivered (read beside it, WAL mode)."""
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'sent'")
            row = await cursor.fetchone()
    finally:
        await db.close()
    return int(row[0]) if row else 0


def reminded(server: FakeTelegramServer) -> list[int]:
    return [
        user
        for user in PEOPLE
        for message in server.messages(user)
        if (message.text or "").startswith("⏰ Muistutus")
    ]


async def test_each_reminder_is_delivered_exactly_once_across_sigkill(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    for user in PEOPLE:
        server.add_user(user, first_name=f"Osallistuja{user}")
    database = tmp_path / "bot.sqlite3"
    await prepare(database)
    env = bot_process_env(server, database)
    log_path = tmp_path / "bot.log"
    process = start_bot_process(env, log_path)
    try:
        # Wait for the first three reminders and for the bot to record them as sent (a kill
        # between Telegram's answer and that commit is the one window no bot can close, see
        # README), then kill it before the fourth is due.
        await server.async_wait_until(lambda: len(reminded(server)) >= 3, 90, what="3 reminders")
        deadline = time.monotonic() + 5
        while await sent_rows(database) < len(reminded(server)):
            assert time.monotonic() < deadline, "sent reminders were not recorded"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        before_restart = reminded(server)
        assert 3 <= len(before_restart) < len(PEOPLE), before_restart

        process = start_bot_process(env, log_path)
        await server.async_wait_until(
            lambda: set(reminded(server)) == set(PEOPLE), 120, what="all reminders"
        )
        # One answers from the reminder's button: the restarted process handles it.
        server.press_button(PEOPLE[0], label("participant.coming"))
        await server.async_wait_until(
            lambda: any(
                (m.text or "").startswith("Kiitos! Nähdään") for m in server.messages(PEOPLE[0])
            ),
            30,
            what="the answer to the button",
        )
        await asyncio.sleep(3 * 1.5)  # anything repeated would have come by now
    finally:
        process.kill()
        process.wait(timeout=10)

    assert sorted(reminded(server)) == PEOPLE  # every reminder exactly once
    for user in PEOPLE:
        texts = [m.text or "" for m in server.messages(user)]
        assert len(texts) == len(set(texts)), (user, texts)
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT state, COUNT(*) FROM reminders WHERE kind = 'reminder' GROUP BY state"
            )
            states = {row[0]: row[1] for row in await cursor.fetchall()}
            cursor = await conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            row = await cursor.fetchone()
    finally:
        await db.close()
    assert states == {"sent": len(PEOPLE)}
    assert row is not None and row[0] == 0
