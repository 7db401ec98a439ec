"""People the bot has talked to: ``users`` table.

``home_chat_id`` is the person's private chat with the bot: a Telegram private chat (whose
id is the person's own id) or a Matrix room with only the bot and them. It is set only from
an event in such a chat and is None while none is known (someone seen only in groups);
messages to the person then wait in :mod:`storage.held_notices`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass

import aiosqlite

from storage.clock import from_text, to_text

# A person who has not used the bot this long and is in no project is deleted.
INACTIVE_DAYS = 365


@dataclass(frozen=True)
class User:
    user_id: str
    home_chat_id: str | None  # the private chat; None while none is known
    locale: str
    locale_chosen: bool
    display_name: str | None
    unreachable: bool
    news_opt_in: bool
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> User:
        return cls(
            user_id=row["user_id"],
            home_chat_id=row["home_chat_id"],
            locale=row["locale"],
            locale_chosen=bool(row["locale_chosen"]),
            display_name=row["display_name"],
            unreachable=bool(row["unreachable"]),
            news_opt_in=bool(row["news_opt_in"]),
            created_at=from_text(row["created_at"]),
        )

    @property
    def transport(self) -> str:
        return self.user_id.split(":", 1)[0]


async def get(conn: aiosqlite.Connection, user_id: str) -> User | None:
    cursor = await conn.execute("SELECT * FROM users WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    return User.from_row(row) if row else None


async def get_many(conn: aiosqlite.Connection, user_ids: Collection[str]) -> dict[str, User]:
    """The stored ones of ``user_ids``, in one query."""
    if not user_ids:
        return {}
    cursor = await conn.execute(
        "SELECT * FROM users WHERE user_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(user_ids)),),
    )
    return {row["user_id"]: User.from_row(row) for row in await cursor.fetchall()}


async def touch(
    conn: aiosqlite.Connection,
    user_id: str,
    chat_id: str,
    *,
    locale: str,
    now: dt.datetime,
    private_chat: bool,
) -> User:
    """Create the person on first contact, or note that they were seen (and reachable) now.

    ``private_chat``: the event came from the person's private chat with the bot (the core
    judges that by what the transport tells), which becomes their home chat. A group never
    does (and one that was someone's private chat is given up with
    :func:`storage.held_notices.chat_not_private`).
    """
    home = chat_id if private_chat else None
    existing = await get(conn, user_id)
    if existing is None:
        await conn.execute(
            "INSERT INTO users (user_id, home_chat_id, locale, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, home, locale, to_text(now), to_text(now)),
        )
    elif private_chat:
        await conn.execute(
            "UPDATE users SET last_seen_at = ?, unreachable = 0, home_chat_id = ?"
            " WHERE user_id = ?",
            (to_text(now), chat_id, user_id),
        )
    else:
        await conn.execute(
            "UPDATE users SET last_seen_at = ?, unreachable = 0 WHERE user_id = ?",
            (to_text(now), user_id),
        )
    user = await get(conn, user_id)
    assert user is not None
    return user


async def set_locale(conn: aiosqlite.Connection, user_id: str, locale: str) -> None:
    await conn.execute(
        "UPDATE users SET locale = ?, locale_chosen = 1 WHERE user_id = ?", (locale, user_id)
    )


async def set_display_name(conn: aiosqlite.Connection, user_id: str, name: str | None) -> None:
    await conn.execute("UPDATE users SET display_name = ? WHERE user_id = ?", (name, user_id))


async def set_news_opt_in(conn: aiosqlite.Connection, user_id: str, opt_in: bool) -> None:
    await conn.execute("UPDATE users SET news_opt_in = ? WHERE user_id = ?", (opt_in, user_id))


async def mark_unreachable(conn: aiosqlite.Connection, user_id: str) -> None:
    await conn.execute("UPDATE users SET unreachable = 1 WHERE user_id = ?", (user_id,))


async def mark_chat_unreachable(conn: aiosqlite.Connection, chat_id: str) -> None:
    await conn.execute("UPDATE users SET unreachable = 1 WHERE home_chat_id = ?", (chat_id,))


async def inactive(conn: aiosqlite.Connection, cutoff: dt.datetime) -> list[tuple[str, str | None]]:
    """(user id, home chat) of people last seen before ``cutoff`` who are in no project."""
    cursor = await conn.execute(
        "SELECT user_id, home_chat_id FROM users WHERE last_seen_at < ? AND NOT EXISTS"
        " (SELECT 1 FROM memberships m WHERE m.user_id = users.user_id"
        " AND m.left_at IS NULL)",
        (to_text(cutoff),),
    )
    return [(row["user_id"], row["home_chat_id"]) for row in await cursor.fetchall()]


async def owners_of_chat(conn: aiosqlite.Connection, chat_id: str) -> list[str]:
    """Who has ``chat_id`` as their private chat (at most one person, but not assumed)."""
    cursor = await conn.execute(
        "SELECT user_id FROM users WHERE home_chat_id = ? ORDER BY user_id", (chat_id,)
    )
    return [row[0] for row in await cursor.fetchall()]


async def forget_private_chat(conn: aiosqlite.Connection, chat_id: str) -> list[str]:
    """``chat_id`` is nobody's private chat any more (a third person joined the room);
    returns whose it was."""
    owners = await owners_of_chat(conn, chat_id)
    await conn.execute("UPDATE users SET home_chat_id = NULL WHERE home_chat_id = ?", (chat_id,))
    return owners


async def set_private_chat(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> bool:
    """A private chat found without an event from the person (the Matrix transport sees a
    direct room at start); only fills in a missing one. True if it was set."""
    cursor = await conn.execute(
        "UPDATE users SET home_chat_id = ? WHERE user_id = ? AND home_chat_id IS NULL",
        (chat_id, user_id),
    )
    return cursor.rowcount == 1


async def private_chats(conn: aiosqlite.Connection, transport: str) -> dict[str, str | None]:
    """Every person of ``transport``: user id → private chat (None when none is known)."""
    low, high = f"{transport}:", f"{transport};"  # ids that start with "matrix:"
    cursor = await conn.execute(
        "SELECT user_id, home_chat_id FROM users WHERE user_id >= ? AND user_id < ?",
        (low, high),
    )
    return {row[0]: row[1] for row in await cursor.fetchall()}


async def hint_due(
    conn: aiosqlite.Connection, user_id: str, now: dt.datetime, every: dt.timedelta
) -> bool:
    """Whether the person may be told again to open a private chat, and if so note it now."""
    cursor = await conn.execute(
        "UPDATE users SET private_hint_at = ? WHERE user_id = ?"
        " AND (private_hint_at IS NULL OR private_hint_at <= ?)",
        (to_text(now), user_id, to_text(now - every)),
    )
    return cursor.rowcount == 1
