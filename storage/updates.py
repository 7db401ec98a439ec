"""Platform bookkeeping: which updates were handled, and transport cursors (``kv``)."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage.clock import to_text

# Long enough for any platform to re-deliver an update (Telegram keeps them 24 hours).
RETENTION_DAYS = 14


async def seen(conn: aiosqlite.Connection, update_key: str) -> bool:
    cursor = await conn.execute(
        "SELECT 1 FROM processed_updates WHERE update_key = ?", (update_key,)
    )
    return await cursor.fetchone() is not None


async def record(conn: aiosqlite.Connection, update_key: str, now: dt.datetime) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO processed_updates (update_key, processed_at) VALUES (?, ?)",
        (update_key, to_text(now)),
    )


async def forget_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    cursor = await conn.execute(
        "DELETE FROM processed_updates WHERE processed_at < ?", (to_text(cutoff),)
    )
    return cursor.rowcount


async def get_value(conn: aiosqlite.Connection, key: str) -> str | None:
    cursor = await conn.execute("SELECT value FROM kv WHERE key = ?", (key,))
    row = await cursor.fetchone()
    return str(row["value"]) if row else None


async def set_value(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO kv (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def delete_value(conn: aiosqlite.Connection, key: str) -> None:
    await conn.execute("DELETE FROM kv WHERE key = ?", (key,))
