"""Transports report, the core decides (issue 12): platform events through
:mod:`bot.platform_events`, driven the way a transport drives them, with the decisions seen
in the database and the outbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from telegram import Update

from bot.config import Settings
from bot.platform_events import PlatformEvents
from bot.transports.base import (
    BlockedByUser,
    ChatGone,
    Joined,
    MemberLeft,
    PlatformEvent,
    Undecryptable,
)
from bot.transports.telegram import TelegramTransport
from handlers.core.types import Incoming
from storage import outbox, users
from storage.db import Database
from tests.harness import Bot

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


async def _person(db: Database, user_id: str, chat_id: str | None = None) -> None:
    async with db.transaction() as conn:
        await users.touch(
            conn, user_id, chat_id or user_id, locale="fi", now=NOW, private_chat=True
        )


async def _unreachable(db: Database, user_id: str) -> bool:
    async with db.transaction() as conn:
        person = await users.get(conn, user_id)
    assert person is not None
    return person.unreachable


async def _rows(db: Database, chat_id: str) -> list[outbox.OutboxItem]:
    async with db.transaction() as conn:
        due = await outbox.due(conn, outbox.transport_of(chat_id), NOW + dt.timedelta(days=1))
    return [item for item in due if item.chat_id == chat_id]


async def test_a_blocked_bot_marks_the_person_unreachable_in_the_core(db: Database) -> None:
    """A transport that only reports the event: the core marks the person, once."""
    async with Bot(db) as bot:
        await _person(db, "test:1")
        core = PlatformEvents(bot.dispatcher)
        await core.handle(BlockedByUser("test:1", update_key="test:block-1"))
        assert await _unreachable(db, "test:1")
        async with db.transaction() as conn:
            await users.touch(conn, "test:1", "test:1", locale="fi", now=NOW, private_chat=True)
        await core.handle(BlockedByUser("test:1", update_key="test:block-1"))  # re-delivered
        assert not await _unreachable(db, "test:1")  # the same update is not acted on again


async def test_a_chat_the_bot_is_not_in_any_more_gets_nothing_more(db: Database) -> None:
    async with Bot(db) as bot:
        await _person(db, "test:2", "test:room")
        async with db.transaction() as conn:
            row = await outbox.enqueue(
                conn, chat_id="test:room", user_id="test:2", html="x", now=NOW
            )
        await PlatformEvents(bot.dispatcher).handle(ChatGone("test:room", "left the room"))
        async with db.transaction() as conn:
            assert await outbox.state_of(conn, row or 0) == "unreachable"
        assert await _unreachable(db, "test:2")


async def test_someone_leaving_a_chat_others_are_in_changes_nothing(db: Database) -> None:
    async with Bot(db) as bot:
        await _person(db, "test:3", "test:group")
        await PlatformEvents(bot.dispatcher).handle(MemberLeft("test:group", "test:4", 1))
        assert await _rows(db, "test:group") == []
        assert not await _unreachable(db, "test:3")


async def test_an_invite_is_answered_with_the_greeting_of_start(db: Database) -> None:
    """Being invited is an event of its own (no made-up /start); the core answers it as it
    answers /start, once per event."""
    async with Bot(db) as bot:
        core = PlatformEvents(bot.dispatcher)
        joined = Joined("test:5", "test:5", update_key="test:join-1")
        await core.handle(joined)
        await core.handle(joined)  # replayed after a restart: not answered twice
        await bot.worker.drain(timeout=10)
        greeted = [m for m in bot.transport.delivered if m.chat_id == "test:5"]
        await bot.dispatcher.handle(Incoming(user_id="test:6", chat_id="test:6", text="/start"))
        await bot.worker.drain(timeout=10)
        started = [m for m in bot.transport.delivered if m.chat_id == "test:6"]
    assert len(greeted) == 1 and [m.html for m in greeted] == [m.html for m in started]
    assert [m.labels for m in greeted] == [m.labels for m in started]


async def test_an_undecryptable_message_gets_one_outbox_notice_per_session_and_window(
    db: Database,
) -> None:
    async with Bot(db) as bot:
        core = PlatformEvents(bot.dispatcher)
        for session, minute in (("s1", 0), ("s1", 1), ("s2", 1), ("s1", 20)):
            sent = NOW + dt.timedelta(minutes=minute)
            await core.handle(Undecryptable("test:7", "test:7", session, sent))
        await bot.worker.drain(timeout=10)
        delivered = [m.html for m in bot.transport.delivered if m.chat_id == "test:7"]
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT kind FROM outbox WHERE chat_id = 'test:7'")
            kinds = [row[0] for row in await cursor.fetchall()]
    # s1 once in its ten minutes, s2, and s1 again in a later window
    assert kinds == [outbox.UNENCRYPTED] * 3
    assert delivered == [bot.renderer.text("fi", "matrix.undecryptable")] * 3


def _telegram(tmp_path: Path, reported: list[PlatformEvent], db: Database) -> TelegramTransport:
    settings = Settings(
        _env_file=None,
        database=tmp_path / "bot.sqlite3",
        telegram_token="123456:" + "A" * 35,
        telegram_api_url="http://127.0.0.1:9",
    )

    async def report(event: PlatformEvent) -> None:
        reported.append(event)

    return TelegramTransport(settings, db, {}, report=report)


def _member_update(transport: TelegramTransport, chat: dict[str, Any], status: str) -> Update:
    person = {"id": 8, "is_bot": False, "first_name": "Anna"}
    bot_user = {"id": 1, "is_bot": True, "first_name": "hankebot"}
    data = {
        "update_id": 77,
        "my_chat_member": {
            "chat": chat,
            "from": person,
            "date": 0,
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": {"status": status, "user": bot_user, "until_date": 0},
        },
    }
    update = Update.de_json(data, transport.bot)
    assert update is not None
    return update


async def test_telegram_reports_a_block_and_writes_nothing_itself(
    db: Database, tmp_path: Path
) -> None:
    reported: list[PlatformEvent] = []
    transport = _telegram(tmp_path, reported, db)
    await _person(db, "telegram:8")
    private = {"id": 8, "type": "private", "first_name": "Anna"}
    await transport._membership_changed(_member_update(transport, private, "kicked"))
    assert reported == [BlockedByUser("telegram:8", "telegram:77")]
    assert not await _unreachable(db, "telegram:8")  # the core decides, not the transport
    group = {"id": -100, "type": "supergroup", "title": "Hanke"}
    await transport._membership_changed(_member_update(transport, group, "kicked"))
    assert reported[1:] == [ChatGone("telegram:-100", "removed from the chat", "telegram:77")]
    await transport._membership_changed(_member_update(transport, private, "member"))
    assert len(reported) == 2  # unblocked: nothing to decide


async def test_removing_the_bot_from_a_group_does_not_make_the_remover_unreachable(
    db: Database,
) -> None:
    """Old behaviour: the person who removed the bot from a group was marked unreachable
    (as if they had blocked it). Now the group's waiting rows end, and only those."""
    async with Bot(db) as bot:
        await _person(db, "test:9")
        async with db.transaction() as conn:
            row = await outbox.enqueue(conn, chat_id="test:-100", user_id=None, html="x", now=NOW)
        await PlatformEvents(bot.dispatcher).handle(
            ChatGone("test:-100", "removed from the chat", update_key="test:kick-1")
        )
        async with db.transaction() as conn:
            assert await outbox.state_of(conn, row or 0) == "unreachable"
        assert not await _unreachable(db, "test:9")
