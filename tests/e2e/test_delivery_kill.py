"""The duplicate window: the real ``hankebot run`` killed the moment Telegram has accepted a
reminder or an announcement, before the bot could record it (issue 16, item 1).

The fake Bot API server kills the process from inside the request that delivers the Nth
bot message: Telegram has the message, the bot never hears back. That is the worst moment
the outside soak measured (the first copy reached Telegram 36-244 ms before the kill), made
exact. After each restart no reminder and no announcement reaches anyone twice, and none is
lost either: only the one row whose send was cut off was in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.common import planning
from storage import broadcasts, memberships, users
from storage.db import Database
from storage.meetings import HORIZON
from tests.e2e.seeding import add_due_reminder
from tests.e2e.telegram_driver import bot_process_env, start_bot_process
from tests.fakes.telegram_api import BotMessage, FakeTelegramServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TZ = ZoneInfo("Europe/Helsinki")
PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
GROUP = "womens-group"
PEOPLE = list(range(801, 821))
DUE_AFTER = 6.0  # seconds after set-up: the process has started by then
ANNOUNCEMENT = "Tiedote: kirjasto on kiinni perjantaina"
KILL_AT = (4, 17, 29)  # the bot messages (counted over the whole run) a kill cuts off


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


async def prepare(database: Path) -> None:
    """Twenty participants, each with a reminder due in a few seconds, and an announcement
    to all of them due at the same moment."""
    db = await Database.open(database)
    now = dt.datetime.now(dt.UTC)
    due = now + dt.timedelta(seconds=DUE_AFTER)
    try:
        async with db.transaction() as conn:
            for user in PEOPLE:
                user_id = f"telegram:{user}"
                await users.touch(conn, user_id, user_id, locale="fi", now=now, private_chat=True)
                await memberships.add(conn, user_id, PROJECT, "participant", now, GROUP)
            meeting = await planning.create(
                conn,
                project=PROJECT,
                group=GROUP,
                user_id=None,
                title="Naisten ryhmä",
                start_local=(now + dt.timedelta(minutes=10)).astimezone(TZ).replace(microsecond=0),
                rule=None,
                duration=dt.timedelta(minutes=60),
                place="Kirjasto",
                tz=TZ,
                now=now,
            )
            [occurrence] = await planning.materialize(conn, meeting, now + HORIZON, now=now, tz=TZ)
            for user in PEOPLE:
                await add_due_reminder(conn, occurrence, f"telegram:{user}", PROJECT, due, now)
            broadcast = await broadcasts.create(
                conn,
                project=PROJECT,
                audience="project",
                group=None,
                created_by=None,
                report_chat=None,
                text=ANNOUNCEMENT,
                locale="fi",
                timezone="Europe/Helsinki",
                send_at=due,
                now=now,
            )
            recipients = await broadcasts.participants(conn, [PROJECT])
            assert len(recipients) == len(PEOPLE)
            await broadcasts.enqueue_recipients(
                conn, broadcast, recipients, {"fi": ANNOUNCEMENT}, send_at=due, now=now
            )
    finally:
        await db.close()


def is_reminder(message: BotMessage) -> bool:
    return (message.text or "").startswith("⏰ Muistutus")


def is_announcement(message: BotMessage) -> bool:
    return ANNOUNCEMENT in (message.text or "")


def copies(server: FakeTelegramServer, which: str) -> Counter[int]:
    test = is_reminder if which == "reminder" else is_announcement
    return Counter(user for user in PEOPLE for m in server.messages(user) if test(m))


async def test_a_kill_after_telegram_accepted_a_message_sends_nothing_twice(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    for user in PEOPLE:
        server.add_user(user, first_name=f"Osallistuja{user}")
    database = tmp_path / "bot.sqlite3"
    await prepare(database)
    env = bot_process_env(server, database)
    log_path = tmp_path / "bot.log"

    current: list[subprocess.Popen[bytes]] = []
    killed = threading.Event()
    seen = 0

    def kill_at_some(message: BotMessage) -> None:
        nonlocal seen
        seen += 1
        if seen in KILL_AT and current:
            current[-1].send_signal(signal.SIGKILL)  # before the bot hears Telegram's answer
            killed.set()

    server.on_message = kill_at_some
    kills = 0
    try:
        for _ in range(len(KILL_AT) + 1):
            killed.clear()
            current.append(start_bot_process(env, log_path))
            if kills < len(KILL_AT):
                await server.async_wait_until(killed.is_set, 90, what=f"kill {kills + 1}")
                current[-1].wait(timeout=10)
                assert current[-1].returncode == -signal.SIGKILL
                kills += 1
        await server.async_wait_until(
            lambda: (
                len(copies(server, "reminder")) == len(PEOPLE)
                and len(copies(server, "announcement")) == len(PEOPLE)
            ),
            120,
            what="every reminder and announcement",
        )
        # A repeat would come within a few seconds of the restart.
        await asyncio.sleep(4)
    finally:
        current[-1].kill()
        current[-1].wait(timeout=10)

    reminded, announced = copies(server, "reminder"), copies(server, "announcement")
    twice = {
        "reminder": sorted(u for u, n in reminded.items() if n > 1),
        "announcement": sorted(u for u, n in announced.items() if n > 1),
    }
    duplicates = sum(n - 1 for n in reminded.values()) + sum(n - 1 for n in announced.values())
    print(f"\nduplicate window: {kills} kills, {duplicates} duplicates")
    assert kills == len(KILL_AT)
    assert twice == {"reminder": [], "announcement": []}
    assert set(reminded) == set(PEOPLE) and set(announced) == set(PEOPLE)
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            row = await cursor.fetchone()
            cursor = await conn.execute("PRAGMA integrity_check")
            check = await cursor.fetchone()
    finally:
        await db.close()
    assert row is not None and row[0] == 0
    assert check is not None and check[0] == "ok"
