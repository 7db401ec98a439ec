"""A keyboard's buttons are written in one call to the database thread (issue 17)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import aiosqlite

from storage import buttons, outbox
from storage.db import Database

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


class Counting:
    """The connection, counting the calls that cross to aiosqlite's thread."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.calls = 0

    async def execute(self, *args: Any) -> aiosqlite.Cursor:
        self.calls += 1
        return await self.conn.execute(*args)

    async def executemany(self, *args: Any) -> aiosqlite.Cursor:
        self.calls += 1
        return await self.conn.executemany(*args)


async def calls_for(db: Database, chat: str, count: int) -> int:
    keyboard = [[(f"{n}", f"menu:{n}")] for n in range(count)]
    async with db.transaction() as conn:
        counting = Counting(conn)
        await outbox.enqueue(
            cast(aiosqlite.Connection, counting),
            chat_id=chat,
            user_id=chat,
            html="x",
            now=NOW,
            buttons=keyboard,
        )
    return counting.calls


async def test_the_calls_of_a_message_do_not_grow_with_its_buttons(db: Database) -> None:
    assert await calls_for(db, "test:1", 7) == await calls_for(db, "test:2", 1)
    async with db.read() as conn:
        offered = await buttons.recent(conn, "test:1")
    assert sorted(o.payload for o in offered) == [f"menu:{n}" for n in range(7)]
