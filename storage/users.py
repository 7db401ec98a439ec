"""People the bot has talked to: ``users`` table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage.clock import from_text, to_text

# A person who has not used the bot this long and is in no project is deleted.
INACTIVE_DAYS = 365


@dataclass(frozen=True)
class User:
    user_id: str
    home_chat_id: str
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
        return self.home_chat_id.split(":", 1)[0]


async def get(conn: aiosqlite.Connection, user_id: str) -> User | None:
    cursor = await conn.execute("SELECT * FROM users WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    return User.from_row(row) if row else None


async def touch(
    conn: aiosqlite.Connection,
    user_id: str,
    chat_id: str,
    *,
    locale: str,
    now: dt.datetime,
    private_chat: bool,
) -> User:
    """Create the person on first contact, or note that they were seen (and reachable) now."""
    existing = await get(conn, user_id)
    if existing is None:
        await conn.execute(
            "INSERT INTO users (user_id, home_chat_id, locale, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, chat_id, locale, to_text(now), to_text(now)),
        )
    else:
        await conn.execute(
            "UPDATE users SET last_seen_at = ?, unreachable = 0,"
            " home_chat_id = CASE WHEN ? THEN ? ELSE home_chat_id END WHERE user_id = ?",
            (to_text(now), private_chat, chat_id, user_id),
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


async def inactive(conn: aiosqlite.Connection, cutoff: dt.datetime) -> list[tuple[str, str]]:
    """(user id, home chat) of people last seen before ``cutoff`` who are in no project."""
    cursor = await conn.execute(
        "SELECT user_id, home_chat_id FROM users WHERE last_seen_at < ? AND NOT EXISTS"
        " (SELECT 1 FROM memberships m WHERE m.user_id = users.user_id"
        " AND m.left_at IS NULL)",
        (to_text(cutoff),),
    )
    return [(row["user_id"], row["home_chat_id"]) for row in await cursor.fetchall()]
