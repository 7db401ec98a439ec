"""One SQLite database in WAL mode, with numbered migrations.

The connection has aiosqlite's interface, but its statements run on the event loop's thread
(:mod:`storage.inline_sqlite`: the hand-off to aiosqlite's thread cost ten times the
statement). All access goes through :meth:`Database.transaction` and its siblings, which
serialise work on the single connection with an asyncio lock, yield to the loop once before
each unit of work, and wrap writes in ``BEGIN IMMEDIATE`` … ``COMMIT``. A step's
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
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from storage import inline_sqlite, private_files
from storage.migrations import data_step

log = logging.getLogger(__name__)

#: How long a statement may wait for a lock another process holds (SQLite's busy timeout).
BUSY_TIMEOUT_MS = 5000
#: How long :meth:`Database.transaction` waits for the write lock, asynchronously.
LOCK_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000
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


class NewerDatabase(RuntimeError):
    """The database was written by a newer hankebot than this one: running on it could
    corrupt what the newer code keeps. Upgrade the code, or restore a backup."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"the database is at schema version {found}, but this hankebot knows only up to"
            f" {known}: install the newer hankebot that wrote it (or restore a backup)"
        )
        self.found = found
        self.known = known


def latest_version() -> int:
    """The schema version this code's migrations lead to."""
    return max((version for version, _, _ in migration_scripts()), default=0)


# What would change the database file (not its TEMP tables), for :meth:`Database.scratch`.
_CHANGES = frozenset(
    {
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_UPDATE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_DROP_INDEX,
        sqlite3.SQLITE_DROP_TRIGGER,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_ALTER_TABLE,
    }
)


def _temp_only(
    action: int, _first: str | None, _second: str | None, database: str | None, _via: str | None
) -> int:
    if action in _CHANGES and database != "temp":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class Database:
    """The application's single connection; use :meth:`open` to get one."""

    def __init__(
        self, conn: aiosqlite.Connection, path: Path | str, lock_wait: float = LOCK_WAIT_SECONDS
    ) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._lock_wait = lock_wait

    @classmethod
    async def open(
        cls, path: Path | str, *, migrate: bool = True, lock_wait: float = LOCK_WAIT_SECONDS
    ) -> Database:
        """Open (creating it 0600 if needed) and bring the schema up to date; with
        ``migrate=False`` only look (``hankebot db migrate --check``). A database newer than
        the code raises :class:`NewerDatabase` either way."""
        if str(path) != ":memory:":
            private_files.create_file(Path(path))
            for suffix in ("-wal", "-shm"):
                private_files.check(Path(f"{path}{suffix}"), private_files.FILE_MODE)
        conn = await inline_sqlite.connect(str(path))
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL: a commit is not fsynced, the log is at checkpoints; a killed
        # process loses nothing committed, only a power cut may lose the last commits
        # (README "What survives a crash"; issue 17).
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free space (/unohda).
        await conn.execute("PRAGMA secure_delete=ON")
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db = cls(conn, path, lock_wait)
        try:
            if migrate:
                await db.migrate()
            else:
                await db.pending()
        except BaseException:
            await conn.close()
            raise
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
        """Apply the migrations not applied yet, each in its own transaction.

        Foreign keys are off while a migration runs (SQLite's procedure for rebuilding a
        table that others reference: dropping it would otherwise cascade to their rows) and
        checked before it commits: a migration that leaves a dangling reference is rolled
        back and raises.
        """
        pending = await self.pending()
        if not pending:
            return
        async with self._lock:
            await self._conn.execute("PRAGMA foreign_keys=OFF")  # no effect inside a transaction
            try:
                for version, name, sql in pending:
                    log.info("applying migration %s", name)
                    await self._apply(version, name, sql)
            finally:
                await self._conn.execute("PRAGMA foreign_keys=ON")

    async def pending(self) -> list[tuple[int, str, str]]:
        """The migrations not applied yet; :class:`NewerDatabase` if the schema is ahead."""
        current = await self.schema_version()
        known = latest_version()
        if current > known:
            raise NewerDatabase(current, known)
        return [m for m in migration_scripts() if m[0] > current]

    async def _apply(self, version: int, name: str, sql: str) -> None:
        """One migration in one transaction: its SQL, then its data step (if any)."""
        step = data_step(name.removesuffix(".sql").split("_", 1)[1])
        try:
            # executescript commits a transaction in progress first: BEGIN is in the script.
            await self._conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};"
            )
            if step is not None:
                await step(self._conn)
            cursor = await self._conn.execute("PRAGMA foreign_key_check")
            broken = list(await cursor.fetchall())
            if broken:
                raise RuntimeError(
                    f"migration {version} leaves {len(broken)} broken references"
                    f" (first in table {broken[0][0]})"
                )
        except BaseException:
            if self._conn.in_transaction:
                await asyncio.shield(self._conn.rollback())
            raise
        await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive access for one unit of work; commits on success, rolls back on error."""
        await asyncio.sleep(0)
        async with self._lock:
            try:
                await self._begin_immediate()
            except BaseException:
                # Whatever began is ended (a rollback is a no-op when nothing did).
                await asyncio.shield(self._conn.rollback())
                raise
            try:
                yield self._conn
            except BaseException:
                await asyncio.shield(self._conn.rollback())
                raise
            else:
                await self._conn.execute("COMMIT")

    async def _begin_immediate(self) -> None:
        """``BEGIN IMMEDIATE``; while another process holds the write lock, try again after
        a pause instead of SQLite's busy wait, which would stop the loop (the statements run
        on its thread). Gives up with SQLite's own "database is locked" after
        ``lock_wait`` seconds, as the busy timeout did."""
        deadline = time.monotonic() + self._lock_wait
        pause = 0.002
        async with self._no_busy_wait():
            while True:
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    left = deadline - time.monotonic()
                    busy = (error.sqlite_errorcode & 0xFF) == sqlite3.SQLITE_BUSY  # or BUSY_*
                    if not busy or left <= 0:
                        raise
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 2, 0.05)

    @asynccontextmanager
    async def _no_busy_wait(self) -> AsyncIterator[None]:
        """SQLite's busy timeout off for the block: a statement finding a lock held fails at
        once instead of waiting, which would stop the loop (the statements run on its
        thread). The usual timeout is back afterwards."""
        await self._conn.execute("PRAGMA busy_timeout=0")
        try:
            yield
        finally:
            await self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    @asynccontextmanager
    async def committed(self) -> AsyncIterator[aiosqlite.Connection]:
        """The latest commit, for reads that need no snapshot in common: no transaction is
        begun, so each statement sees what is committed when it runs and none takes the
        write lock (the delivery worker looking for due rows, issue 17). Only SELECTs here:
        a write would be committed on its own at once."""
        await asyncio.sleep(0)
        async with self._lock:
            yield self._conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent snapshot for reading only: a deferred transaction with
        ``query_only`` on, so it never takes the write lock (in WAL mode the running bot
        writes on meanwhile) and cannot write by mistake."""
        await asyncio.sleep(0)
        async with self._lock:
            await self._conn.execute("PRAGMA query_only = ON")
            try:
                await self._conn.execute("BEGIN DEFERRED")
                try:
                    yield self._conn
                finally:
                    await asyncio.shield(self._conn.rollback())
            finally:
                await asyncio.shield(self._conn.execute("PRAGMA query_only = OFF"))

    @asynccontextmanager
    async def scratch(self) -> AsyncIterator[aiosqlite.Connection]:
        """For TEMP tables only (work prepared ahead of a short write transaction): a
        deferred transaction in which anything that would change the database file itself
        is refused, so it never takes the write lock. TEMP tables stay for the connection."""
        await asyncio.sleep(0)
        async with self._lock:
            await self._conn.set_authorizer(_temp_only)
            try:
                await self._conn.execute("BEGIN DEFERRED")
                try:
                    yield self._conn
                except BaseException:
                    await asyncio.shield(self._conn.rollback())
                    raise
                else:
                    await self._conn.execute("COMMIT")
            finally:
                await asyncio.shield(self._conn.set_authorizer(None))

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it.

        After /unohda: the log would otherwise keep the pages as they were before the
        deletion until SQLite happens to overwrite them. Busy readers (another process)
        only postpone it to a later checkpoint: it does not wait for them, which would stop
        the loop."""
        async with self._lock, self._no_busy_wait():
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Savepoint:
    """An open savepoint inside a transaction (see :func:`savepoint`)."""

    def __init__(self, conn: aiosqlite.Connection, name: str) -> None:
        self._conn = conn
        self.name = name

    async def rollback(self) -> None:
        """Undo everything written since the savepoint began; it stays open."""
        await self._conn.execute(f"ROLLBACK TO {self.name}")


@asynccontextmanager
async def savepoint(conn: aiosqlite.Connection, name: str) -> AsyncIterator[Savepoint]:
    """A nested unit of work inside the current transaction.

    Released when the block ends. When the block raises, everything it wrote is undone
    (``ROLLBACK TO``), the savepoint is released and the exception goes on; the enclosing
    transaction keeps what was written before the block. :meth:`Savepoint.rollback` undoes
    the block's writes so far without leaving it (a step that rejects its input).
    Cancellation is left to the enclosing transaction, which rolls back as a whole.
    """
    if not name.isidentifier():
        raise ValueError(f"not a savepoint name: {name!r}")
    await conn.execute(f"SAVEPOINT {name}")
    point = Savepoint(conn, name)
    try:
        yield point
    except Exception:
        await point.rollback()
        await conn.execute(f"RELEASE {name}")
        raise
    await conn.execute(f"RELEASE {name}")


async def ping(conn: aiosqlite.Connection) -> None:
    """One trivial query: raises when the database cannot be read (health checks)."""
    await conn.execute("SELECT 1")
