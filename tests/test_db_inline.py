"""The database's statements run on the event loop's own thread (issue 17).

aiosqlite hands every call to a worker thread and back; on this machine that hop cost about
100 µs of CPU for a statement that takes 10 µs, and an update made about 35 of them. These
tests hold what the inline connection must keep: a write lock held by another process waits
without stopping the loop, a lock held too long still fails as it did, and a loop of units of
work lets other tasks run between them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from storage import users
from storage.db import Database


class Runs:
    """A task that counts how often the loop let it run (after each ``pause``)."""

    def __init__(self, pause: float) -> None:
        self.count = 0
        self._pause = pause
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._pause)
            self.count += 1


async def test_statements_run_on_the_event_loops_thread(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    threads: set[int] = set()
    try:
        await db._conn.set_trace_callback(lambda _sql: threads.add(threading.get_ident()))
        async with db.transaction() as conn:
            await users.get(conn, "telegram:1")
            await conn.execute("CREATE TEMP TABLE t (a)")
            await conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
            cursor = await conn.execute("SELECT a FROM t")
            assert [row[0] for row in await cursor.fetchall()] == [1, 2]
        async with db.committed() as conn:
            await conn.execute("SELECT 1")
    finally:
        await db._conn.set_trace_callback(None)  # type: ignore[arg-type]
        await db.close()
    assert threads == {threading.get_ident()}


async def test_a_write_lock_held_elsewhere_is_waited_for_without_stopping_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writing

        async def write() -> None:
            async with db.transaction() as conn:
                await conn.execute("CREATE TEMP TABLE t (a)")

        ticks = Runs(0.01)
        writing = asyncio.create_task(write())
        await asyncio.sleep(0)
        before = ticks.count
        async with asyncio.timeout(10):
            while ticks.count < before + 5:  # the loop runs while the writer waits
                await asyncio.sleep(0.01)
        assert not writing.done()
        other.execute("COMMIT")
        async with asyncio.timeout(10):
            await writing
        ticks.task.cancel()
    finally:
        other.close()
        await db.close()


async def test_a_write_lock_held_too_long_fails_as_before(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path, lock_wait=0.3)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with db.transaction():
                pass
        other.execute("COMMIT")
        async with db.transaction() as conn:  # the connection is usable again
            assert not await users.get(conn, "telegram:1")
    finally:
        other.close()
        await db.close()


async def test_a_loop_of_units_of_work_lets_other_tasks_run(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    others = Runs(0)

    async def many() -> int:
        for _ in range(50):
            async with db.transaction() as conn:
                await users.get(conn, "telegram:1")
            async with db.committed() as conn:
                await users.get(conn, "telegram:1")
        return others.count

    try:
        seen_by_the_end = await asyncio.create_task(many())
    finally:
        others.task.cancel()
        await db.close()
    assert seen_by_the_end >= 50
