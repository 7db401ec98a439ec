"""One SQLite database in WAL mode, opened with aiosqlite, with numbered migrations.

All access goes through :meth:`Database.transaction`, which serialises work on the single
connection with an asyncio lock and wraps it in ``BEGIN IMMEDIATE`` … ``COMMIT``. A step's
state change, its outgoing messages and the platform update id it answers are written in
one such transaction, so a crash leaves either all of them or none.

The file holds everyone's personal data and the Matrix access token: it is created 0600
before SQLite opens it, and SQLite gives the -wal and -shm files it makes the database
file's mode (:mod:`storage.private_files`). A looser mode found at start is logged and
tightened.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from storage import private_files
from storage.migrations import data_step

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migration_scripts() -> list[tuple[int, str, str]]:
    """The packaged migrations as (version, file name, SQL), in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


class Database:
    """The application's single connection; use :meth:`open` to get one."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | str) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            private_files.create_file(Path(path))
            for suffix in ("-wal", "-shm"):
                private_files.check(Path(f"{path}{suffix}"), private_files.FILE_MODE)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free space (/unohda).
        await conn.execute("PRAGMA secure_delete=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        db = cls(conn, path)
        await db.migrate()
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def schema_version(self) -> int:
        async with self._lock:
            cursor = await self._conn.execute("PRAGMA user_version")
            row = await cursor.fetchone()
            return int(row[0]) if row else 0

    async def migrate(self) -> None:
        current = await self.schema_version()
        for version, name, sql in migration_scripts():
            if version <= current:
                continue
            log.info("applying migration %s", name)
            step = data_step(name.removesuffix(".sql").split("_", 1)[1])
            async with self._lock:
                # executescript commits first; each migration runs in its own transaction,
                # its data step (if any) included.
                if step is None:
                    await self._conn.executescript(
                        f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                    )
                    continue
                try:
                    await self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n")
                    await step(self._conn)
                    await self._conn.execute(f"PRAGMA user_version = {version}")
                    await self._conn.execute("COMMIT")
                except BaseException:
                    await asyncio.shield(self._conn.rollback())
                    raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive access for one unit of work; commits on success, rolls back on error."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled while BEGIN was queued: it still runs on aiosqlite's thread, so
                # end that transaction (rollback is queued after it; a no-op otherwise).
                await asyncio.shield(self._conn.rollback())
                raise
            try:
                yield self._conn
            except BaseException:
                await asyncio.shield(self._conn.rollback())
                raise
            else:
                await self._conn.execute("COMMIT")

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it.

        After /unohda: the log would otherwise keep the pages as they were before the
        deletion until SQLite happens to overwrite them. Busy readers (another process)
        only postpone it to a later checkpoint."""
        async with self._lock:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
