"""Personal notices only in private chats, on Telegram through PTB and the fake Bot API.

Someone writes to the bot in a group before ever opening a private chat with it; the
administrator makes them a coordinator of the prison project. The notice ("you were made a
coordinator of …", with the project's name) is not sent to the group: the group gets only
a neutral hint with a link to the bot when that person writes there again, once; the bot is
restarted; the person opens the private chat and gets the notice there, once. Reports are
refused in the group. Texts are compared with the catalogs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Application
from bot.i18n import Renderer
from bot.markup import html_to_plain
from handlers.core.types import Param
from tests.e2e.telegram_driver import bot_settings, running_bot
from tests.fakes.telegram_api import FakeTelegramServer

pytestmark = pytest.mark.e2e

ADMIN = 811
PERSON = 812
GROUP = -812
PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
PRISON = "Tukea vankilasta vapautuville ja päihdekuntoutuksesta kotiutuville"
SETTLE_SECONDS = 20.0


def text(key: str, **params: Param) -> str:
    return html_to_plain(Renderer(ZoneInfo("Europe/Helsinki")).text("fi", key, params))


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(flood_control=False) as fake:
        fake.add_user(ADMIN, first_name="Admin")
        fake.add_user(PERSON, first_name="Pia")
        fake.add_group(GROUP)
        yield fake


async def settle(app: Application, update_id: int) -> None:
    """Until the bot has answered the update and nothing due is left in its outbox."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        async with app.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM processed_updates WHERE update_key = ?",
                (f"telegram:{update_id}",),
            )
            answered = await cursor.fetchone() is not None
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND not_before <= ?",
                ((dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)).isoformat(),),
            )
            row = await cursor.fetchone()
        if answered and row is not None and row[0] == 0:
            return
        assert time.monotonic() < deadline, "the bot did not settle"
        await asyncio.sleep(0.05)


def texts(server: FakeTelegramServer, chat: int, after: int = 0) -> list[str]:
    return [m.text or m.caption or "" for m in server.messages(chat) if m.message_id > after]


def newest(server: FakeTelegramServer, chat: int) -> int:
    messages = server.messages(chat)
    return messages[-1].message_id if messages else 0


async def test_a_notice_to_someone_seen_only_in_a_group_waits_for_their_private_chat(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    settings = bot_settings(
        server,
        tmp_path / "bot.sqlite3",
        admins=frozenset({f"telegram:{ADMIN}"}),
        telegram_per_chat_interval=0,
        telegram_group_per_minute=1000,
    )
    added = text("coord.added_notice", project=PRISON)
    async with running_bot(settings) as app:
        await server.async_wait_until(lambda: server.waiting_long_polls, 30, what="polling")
        await settle(app, server.group_message(GROUP, PERSON, "/apua"))
        await settle(app, server.user_sends(ADMIN, f"/lisaa_ohjaaja {PROJECT} telegram:{PERSON}"))
        assert any(f"telegram:{PERSON}" in t for t in texts(server, ADMIN))
        assert not any(PRISON in t or "ohjaaja" in t for t in texts(server, GROUP))
        assert texts(server, PERSON) == []  # no private chat yet: nothing can go there

        # Seen in the group again: the neutral hint with a link to the bot, once.
        before = newest(server, GROUP)
        await settle(app, server.group_message(GROUP, PERSON, "/apua"))
        link = f"https://t.me/{server.bot_username}"
        hint = text("private.held_hint_telegram", link=link)
        assert texts(server, GROUP, before).count(hint) == 1, texts(server, GROUP, before)
        await settle(app, server.group_message(GROUP, PERSON, "/apua"))
        assert texts(server, GROUP).count(hint) == 1  # not again the same day

    async with running_bot(settings) as app:  # the bot starts again; the notice still waits
        await server.async_wait_until(lambda: server.waiting_long_polls, 30, what="polling")
        await settle(app, server.user_sends(PERSON, "/start"))
        arrived = texts(server, PERSON)
        assert arrived[0] == added and arrived.count(added) == 1, arrived
        await settle(app, server.user_sends(PERSON, "/apua"))
        # Reports are refused in the group, and nothing is sent there in their place.
        before = newest(server, GROUP)
        await settle(app, server.group_message(GROUP, PERSON, f"/raportti {PROJECT}"))
        assert texts(server, GROUP, before) == [text("coord.private_only")]
        assert all(m.document is None for m in server.messages(GROUP))
        assert not any(PRISON in t for t in texts(server, GROUP))
        assert texts(server, PERSON).count(added) == 1
