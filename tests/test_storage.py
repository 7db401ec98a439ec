from __future__ import annotations

import datetime as dt

from storage import outbox
from storage.db import Database, migration_scripts
from storage.personal_data import PERSONAL_TABLES


async def test_wal_and_schema_version(db: Database) -> None:
    async with db.transaction() as conn:
        cursor = await conn.execute("PRAGMA journal_mode")
        row = await cursor.fetchone()
        assert row is not None and row[0] == "wal"
    assert await db.schema_version() == migration_scripts()[-1][0]


async def test_migrations_are_not_applied_twice(db: Database) -> None:
    before = await db.schema_version()
    await db.migrate()
    assert await db.schema_version() == before


async def test_every_table_with_people_is_exported_and_deleted(db: Database) -> None:
    listed = {spec.table for spec in PERSONAL_TABLES}
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [row[0] for row in await cursor.fetchall()]
        for table in tables:
            cursor = await conn.execute(f"PRAGMA table_info({table})")
            columns = {row[1] for row in await cursor.fetchall()}
            if columns & {"user_id", "participant_id", "recipient_id"}:
                assert table in listed, f"{table} holds people's data but is not in PERSONAL_TABLES"


async def test_dedupe_key_stores_once(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as conn:
        first = await outbox.enqueue(
            conn, chat_id="test:1", user_id="test:1", html="x", now=now, dedupe_key="r:1"
        )
        second = await outbox.enqueue(
            conn, chat_id="test:1", user_id="test:1", html="x", now=now, dedupe_key="r:1"
        )
    assert first is not None and second is None


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    try:
        async with db.transaction() as conn:
            await outbox.enqueue(conn, chat_id="test:1", user_id=None, html="x", now=now)
            raise RuntimeError("crash")
    except RuntimeError:
        pass
    async with db.transaction() as conn:
        assert await outbox.due(conn, "test", now + dt.timedelta(seconds=1)) == []


async def test_cancelling_a_waiting_transaction_leaves_the_connection_usable(
    db: Database,
) -> None:
    import asyncio

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO kv (key, value) VALUES ('a', '1')")

    for _ in range(50):  # cancel at many different points of BEGIN / INSERT / COMMIT
        task = asyncio.create_task(writer())
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM kv WHERE key = 'a'")
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT COUNT(*) FROM kv")
        row = await cursor.fetchone()
    assert row is not None and row[0] == 0
