"""A role-table world on a running :class:`bot.app.Application` (Telegram or Matrix).

One application serves all cases of a test module: starting a bot per case costs more than
the case (on Matrix a new login and a first sync). Instead :meth:`AppWorld.reset` puts the
database back to the state :meth:`World.populate` left, so every case starts from the same
world as a fresh bot would:

* every table is restored row for row (and its AUTOINCREMENT counter), except the
  transport's own bookkeeping: ``kv`` (sync position, offset, device), ``processed_updates``
  (platform events already answered) and the outbox's counter — outbox ids never repeat,
  because Matrix derives transaction ids from them and the homeserver would drop a repeat;
* the restore is checked in its own transaction: the tables must read back exactly as
  snapshotted.

Between steps the world waits until the bot has answered the event (its update key is in
``processed_updates``) and everything due in the outbox is delivered; each transport then
waits until the person's app has the bot's messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.app import Application
from storage.clock import to_text
from storage.db import Database
from tests.roles_table import World

#: The transport's own state survives a reset (see the module docstring).
KEPT_TABLES = frozenset({"kv", "processed_updates"})
#: Outbox rows due within this are waited for; later ones are scheduled work.
DUE_SOON = dt.timedelta(seconds=60)
SETTLE_TIMEOUT = 30.0


async def _tables(conn: aiosqlite.Connection) -> list[str]:
    cursor = await conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    return [str(row[0]) for row in await cursor.fetchall() if row[0] not in KEPT_TABLES]


async def _rows(conn: aiosqlite.Connection, table: str) -> list[tuple[object, ...]]:
    cursor = await conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
    return [tuple(row) for row in await cursor.fetchall()]


@dataclass
class Snapshot:
    rows: dict[str, list[tuple[object, ...]]]
    sequences: dict[str, int]

    @classmethod
    async def take(cls, db: Database) -> Snapshot:
        async with db.transaction() as conn:
            rows = {table: await _rows(conn, table) for table in await _tables(conn)}
            cursor = await conn.execute("SELECT name, seq FROM sqlite_sequence")
            sequences = {
                str(name): int(seq) for name, seq in await cursor.fetchall() if name != "outbox"
            }
        return cls(rows, sequences)

    async def restore(self, db: Database) -> None:
        async with db.transaction() as conn:
            await conn.execute("PRAGMA defer_foreign_keys = ON")
            tables = await _tables(conn)
            assert set(tables) == set(self.rows), "the schema changed under the test"
            for table in tables:
                await conn.execute(f'DELETE FROM "{table}"')
            for table in tables:
                rows = self.rows[table]
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    await conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
            await conn.execute("DELETE FROM sqlite_sequence WHERE name != 'outbox'")
            await conn.executemany(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", self.sequences.items()
            )
            # Checked inside the same transaction: the bot keeps running beside the test, and
            # a write it makes after the restore (a late Matrix sync event, a scheduler pass)
            # is the next case's business, not a failed restore.
            for table in tables:
                restored = await _rows(conn, table)
                assert restored == self.rows[table], (
                    f"{table} not restored: {len(restored)} rows, snapshot {len(self.rows[table])}"
                )


class AppWorld(World):
    """A world on a running application; see the module docstring."""

    def __init__(self, app: Application) -> None:
        super().__init__(app.db)
        self.app = app
        self.snapshot: Snapshot | None = None
        self.outbox_mark = 0  # outbox rows up to this id belong to earlier steps

    async def populate(self) -> None:
        await super().populate()
        await self.settle(None)
        self.snapshot = await Snapshot.take(self.db)

    async def reset(self) -> None:
        """Back to the populated world (the previous case's messages all delivered)."""
        assert self.snapshot is not None
        await self.settle(None)
        await self.snapshot.restore(self.db)
        self.outbox_mark = await self.last_outbox_id()
        self.mark_chats()

    def mark_chats(self) -> None:
        """From now on, only newer messages count as seen in this case."""

    async def last_outbox_id(self) -> int:
        return await self.scalar("SELECT COALESCE(MAX(id), 0) FROM outbox")

    async def settle(self, update_key: str | None) -> None:
        """Wait until the bot has answered ``update_key`` and delivered what is due."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            async with self.db.transaction() as conn:
                answered = True
                if update_key is not None:
                    cursor = await conn.execute(
                        "SELECT 1 FROM processed_updates WHERE update_key = ?", (update_key,)
                    )
                    answered = await cursor.fetchone() is not None
                cursor = await conn.execute(
                    "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND not_before <= ?",
                    (to_text(dt.datetime.now(dt.UTC) + DUE_SOON),),
                )
                row = await cursor.fetchone()
                pending = int(row[0]) if row else 0
            if answered and not pending:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the bot did not settle: answered={answered}, {pending} messages pending"
                )
            await asyncio.sleep(0.01)

    async def delivered_since(self, chats: Sequence[str]) -> list[str]:
        """Platform message ids of what was sent to ``chats`` since the last mark."""
        async with self.db.transaction() as conn:
            marks = ", ".join("?" * len(chats))
            cursor = await conn.execute(
                "SELECT platform_message_id FROM outbox WHERE id > ? AND state = 'sent'"
                f" AND chat_id IN ({marks}) AND platform_message_id IS NOT NULL",
                (self.outbox_mark, *chats),
            )
            return [str(row[0]) for row in await cursor.fetchall()]
