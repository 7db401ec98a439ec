"""Which Matrix room is a person's private chat (issue 11, item 2), without a homeserver.

A room is a person's private chat only while exactly the bot and that person are in it
(joined) and nobody else is invited. When a third person joins (or is invited), the room
stops being the person's private chat: messages to them wait again, and what was queued for
them there is taken back. At start the transport finds direct rooms for people who have
none (a migration cleared the old home chats) and gives up rooms that are direct no more.
Rooms are nio's own ``MatrixRoom`` objects, filled the way a sync fills them.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nio import MatrixRoom, RoomMemberEvent, RoomMessageText
from nio.responses import RoomSummary

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.i18n import Renderer
from bot.platform_events import PlatformEvents
from bot.transports.matrix import MatrixTransport
from handlers.core.context import Notice, Services
from handlers.core.types import Incoming, Reply
from handlers.registry import build_registry
from storage import held_notices, outbox, users
from storage.db import Database

BOT = "@hankebot:example.org"
ANNA = "@anna:kunta.fi"
BEN = "@ben:kunta.fi"
ROOM = "!direct:kunta.fi"
CHAT = f"matrix:{ROOM}"
TZ = ZoneInfo("Europe/Helsinki")


def room_of(*members: str, invited: tuple[str, ...] = ()) -> MatrixRoom:
    room = MatrixRoom(ROOM, BOT)
    for member in members:
        room.add_member(member, None, None)
    for member in invited:
        room.add_member(member, None, None, invited=True)
    return room


def test_a_direct_room_is_exactly_the_bot_and_the_person() -> None:
    from bot.transports.matrix import is_direct_room

    assert is_direct_room(room_of(BOT, ANNA), BOT, ANNA)
    assert not is_direct_room(room_of(BOT, ANNA), BOT, BEN)  # not Ben's: he is not in it
    assert not is_direct_room(room_of(BOT, ANNA, BEN), BOT, ANNA)  # three members
    assert not is_direct_room(room_of(BOT, ANNA, invited=(BEN,)), BOT, ANNA)  # Ben invited
    assert not is_direct_room(room_of(ANNA, BEN), BOT, ANNA)  # the bot is not in it
    assert not is_direct_room(room_of(BOT), BOT, ANNA)
    # The server's count wins over a member list that is not complete.
    partial = room_of(BOT, ANNA)
    partial.update_summary(RoomSummary(invited_member_count=0, joined_member_count=3))
    assert not is_direct_room(partial, BOT, ANNA)
    counted = room_of(BOT, ANNA)
    counted.update_summary(RoomSummary(invited_member_count=0, joined_member_count=2))
    assert is_direct_room(counted, BOT, ANNA)


class _Client:
    def __init__(self, *rooms: MatrixRoom) -> None:
        self.rooms = {room.room_id: room for room in rooms}


def _transport(db: Database, tmp_path: Path, dispatcher: Dispatcher) -> MatrixTransport:
    settings = Settings(
        _env_file=None,
        database=tmp_path / "bot.sqlite3",
        matrix_homeserver="http://127.0.0.1:9",
        matrix_user=BOT,
        matrix_password="x",
    )
    transport = MatrixTransport(settings, db)
    transport.user_id = BOT

    async def inbox(incoming: Incoming) -> None:
        await dispatcher.handle(incoming)

    transport._inbox = inbox
    transport.report = PlatformEvents(dispatcher).handle  # what is not a message
    return transport


def _dispatcher(db: Database) -> Dispatcher:
    renderer = Renderer(TZ)
    services = Services(
        registry=build_registry(), timezone=TZ, admins=frozenset(), rendering=renderer
    )
    return Dispatcher(db, services, renderer)


def _text_event(sender: str, body: str) -> Any:
    return RoomMessageText.parse_event(
        {
            "type": "m.room.message",
            "event_id": f"$m{time.monotonic_ns()}",
            "sender": sender,
            "origin_server_ts": int(time.time() * 1000),
            "content": {"msgtype": "m.text", "body": body},
        }
    )


def _joins(room: MatrixRoom, who: str) -> Any:
    event = RoomMemberEvent.from_dict(
        {
            "type": "m.room.member",
            "event_id": f"$j{time.monotonic_ns()}",
            "sender": who,
            "state_key": who,
            "origin_server_ts": int(time.time() * 1000),
            "content": {"membership": "join"},
        }
    )
    room.handle_membership(event)  # what nio does with the sync before the bot sees it
    return event


async def _home(db: Database, user_id: str) -> str | None:
    async with db.transaction() as conn:
        person = await users.get(conn, user_id)
    assert person is not None
    return person.home_chat_id


async def _notice(dispatcher: Dispatcher, db: Database, key: str) -> None:
    async with db.transaction() as conn:
        reply = Reply("coord.added_notice", {"project": "Tukea vankilasta vapautuville"})
        await dispatcher.enqueue_notice(
            conn, Notice(f"matrix:{ANNA}", reply, dedupe_key=key), dt.datetime.now(dt.UTC)
        )


async def _pending_to_room(db: Database) -> list[str | None]:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT dedupe_key FROM outbox WHERE chat_id = ? AND state = 'pending'"
            " AND dedupe_key IS NOT NULL ORDER BY id",
            (CHAT,),
        )
        return [_kind(row[0]) for row in await cursor.fetchall()]


def _kind(key: str | None) -> str | None:
    """A notice's dedupe key is stored as "<kind>:<keyed hash>"; the kind is what we set."""
    return None if key is None else key.split(":", 1)[0]


async def test_a_room_someone_joins_stops_being_the_private_chat(
    db: Database, tmp_path: Path
) -> None:
    dispatcher = _dispatcher(db)
    transport = _transport(db, tmp_path, dispatcher)
    room = room_of(BOT, ANNA)
    await transport._on_event(room, _text_event(ANNA, "!apua"), ())
    assert await _home(db, f"matrix:{ANNA}") == CHAT
    await _notice(dispatcher, db, "first")
    assert await _pending_to_room(db) == ["first"]  # not sent yet when Ben comes in

    await transport._on_event(room, _joins(room, BEN), ())
    assert await _home(db, f"matrix:{ANNA}") is None
    assert await _pending_to_room(db) == []  # taken back: it waits for a private chat
    await _notice(dispatcher, db, "second")
    assert await _pending_to_room(db) == []
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT dedupe_key FROM held_notices WHERE user_id = ? ORDER BY id", (f"matrix:{ANNA}",)
        )
        held = [_kind(row[0]) for row in await cursor.fetchall()]
    # the answer to "!apua" had not left yet either: everything for her waits, in order
    assert held == [None, "first", "second"]
    # Anna writing there again does not make it private again.
    await transport._on_event(room, _text_event(ANNA, f"{BOT} apua"), ())
    assert await _home(db, f"matrix:{ANNA}") is None


async def test_at_start_direct_rooms_are_found_and_lost_ones_given_up(
    db: Database, tmp_path: Path
) -> None:
    dispatcher = _dispatcher(db)
    transport = _transport(db, tmp_path, dispatcher)
    now = dt.datetime.now(dt.UTC)
    carl, carls_room = "@carl:kunta.fi", "!group:kunta.fi"
    async with db.transaction() as conn:
        # Anna's home chat was cleared by the migration; Carl's room is a group now.
        await users.touch(conn, f"matrix:{ANNA}", CHAT, locale="fi", now=now, private_chat=False)
        await users.touch(
            conn, f"matrix:{carl}", f"matrix:{carls_room}", locale="fi", now=now, private_chat=True
        )
        await held_notices.hold(conn, user_id=f"matrix:{ANNA}", html="odottaa", now=now)
    group = MatrixRoom(carls_room, BOT)
    for member in (BOT, carl, BEN):
        group.add_member(member, None, None)
    transport.client = _Client(room_of(BOT, ANNA), group)
    await transport._find_private_chats()
    assert await _home(db, f"matrix:{ANNA}") == CHAT
    assert await _home(db, f"matrix:{carl}") is None
    async with db.transaction() as conn:
        assert await held_notices.waiting(conn, f"matrix:{ANNA}", now) == 0
        due = await outbox.due(conn, "matrix", now + dt.timedelta(seconds=1))
    assert [(item.chat_id, item.html) for item in due] == [(CHAT, "odottaa")]
