"""Private chats at the application level: what happens when one is found or lost, and the
neutral hint for someone with messages waiting who is seen only in a group.

The rule itself (outbox for the private chat, else held) is :func:`storage.held_notices.to_person`.
Here: releasing held messages when a private chat is first seen, giving up a chat that
stopped being private (and moving on the broadcasts whose rows that ended), and the hint,
which names neither a project nor a reason: "I have a message for you; open a private chat
with me" with a Telegram link or, on Matrix, the bot's address — at most once a day.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.i18n import renderer
from handlers.common import participation as common
from handlers.common.broadcast_progress import Progress
from handlers.core.context import Services
from handlers.core.ports import TransportFacts
from handlers.core.types import Reply
from storage import held_notices, outbox, users
from storage.users import User

HINT_EVERY = dt.timedelta(days=1)
MATRIX_USER_ID = "matrix.user_id"  # services.extras: the bot's own Matrix id


async def seen_in_chat(
    conn: aiosqlite.Connection,
    user: User,
    chat_id: str,
    group: bool,
    now: dt.datetime,
    transports: TransportFacts,
) -> int:
    """After ``users.touch``: a private chat releases the person's held messages (returns
    how many went to the outbox); a group that was someone's private chat stops being it."""
    if group:
        if await users.owners_of_chat(conn, chat_id):
            await chat_not_private(conn, chat_id, now, transports)
        return 0
    if user.home_chat_id != chat_id:
        return 0
    return await release(conn, user.user_id, chat_id, now, transports)


async def release(
    conn: aiosqlite.Connection,
    user_id: str,
    chat_id: str,
    now: dt.datetime,
    transports: TransportFacts,
) -> int:
    """The person's private chat is known now: what waited for them goes there."""
    numbered = transports.numbers_buttons(outbox.transport_of(chat_id))
    return await held_notices.release(conn, user_id, chat_id, now, numbered_buttons=numbered)


async def chat_not_private(
    conn: aiosqlite.Connection, chat_id: str, now: dt.datetime, transports: TransportFacts
) -> None:
    """Nobody's private chat any more: held again what waited for it (see storage)."""
    for broadcast_id in await held_notices.chat_not_private(conn, chat_id, now):
        await Progress(renderer(), transports).advance(conn, broadcast_id, now)


async def hint_for(
    conn: aiosqlite.Connection, services: Services, user: User, now: dt.datetime
) -> Reply | None:
    """The hint to open a private chat, if the person (seen in a group) has messages waiting,
    has no private chat and was not told in the last :data:`HINT_EVERY`."""
    if user.home_chat_id is not None:
        return None
    if not await held_notices.waiting(conn, user.user_id, now):
        return None
    if not await users.hint_due(conn, user.user_id, now, HINT_EVERY):
        return None
    return hint_reply(services, user.transport)


def hint_reply(services: Services, platform: str) -> Reply:
    username = services.extras.get(common.TELEGRAM_USERNAME)
    if platform == "telegram" and username:
        return Reply("private.held_hint_telegram", {"link": f"https://t.me/{username}"})
    bot_id = services.extras.get(MATRIX_USER_ID)
    if platform == "matrix" and bot_id:
        return Reply("private.held_hint_matrix", {"bot": str(bot_id)})
    return Reply("private.held_hint")
