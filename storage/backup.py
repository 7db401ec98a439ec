"""Copies of the database that are safe to take while the bot runs, and their check.

SQLite's online backup API copies a consistent snapshot page by page even while another
process writes (WAL mode: the bot's writers are not blocked; the copy sees the state of one
moment). A copy is created 0600 like the database itself (it holds the same personal data)
and checked before it is called good: ``PRAGMA integrity_check``, foreign keys, and a schema
version this code knows.

The Matrix transport keeps its device keys beside the database (``<database>.matrix-store/``,
SQLite files of matrix-nio); :func:`copy_store` copies those the same way, so that a restored
bot is the same Matrix device and can still read its encrypted rooms.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage import private_files
from storage.db import latest_version


class BackupError(RuntimeError):
    """A copy could not be made or is not a good hankebot database."""


@dataclass(frozen=True)
class CopyCheck:
    schema_version: int
    tables: int
    people: int


def store_dir_for(database: Path) -> Path:
    """Where the Matrix transport keeps its device keys for ``database``."""
    return Path(f"{database}.matrix-store")


def copy_database(source: Path, target: Path) -> None:
    """Copy ``source`` into a new file ``target`` (0600) with the online backup API."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new name")
    private_files.create_file(target)
    try:
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader,
            sqlite3.connect(target) as writer,
        ):
            reader.backup(writer)
            writer.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        reader.close()
        writer.close()
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"copying {source} failed: {type(error).__name__}: {error}") from error


def check_copy(path: Path) -> CopyCheck:
    """What a copy holds, or :class:`BackupError` saying why it is not usable."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path} is damaged: {problems[0]}")
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise BackupError(f"{path} has broken references between tables")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
            names = {row[0] for row in conn.execute(tables)}
            has_users = "users" in names
            people = _count(conn, "users") if has_users else 0
        conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database: {error}") from error
    if version == 0 or not has_users:
        raise BackupError(f"{path} is not a hankebot database")
    if version > latest_version():
        raise BackupError(
            f"{path} is at schema version {version}; this hankebot knows up to {latest_version()}"
        )
    return CopyCheck(schema_version=version, tables=len(names), people=people)


def _count(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def copy_store(source: Path, target: Path) -> int:
    """Copy the SQLite files of a Matrix store directory into a new directory (0700);
    returns how many."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new name")
    private_files.make_dir(target)
    copied = 0
    for item in sorted(source.iterdir()):
        if item.is_file() and item.suffix == ".db":
            copy_database(item, target / item.name)
            copied += 1
    return copied


def restore_database(copy: Path, database: Path) -> CopyCheck:
    """Replace ``database`` with a checked ``copy``; the bot must not be running.

    The copy is written with the backup API into the database file (not moved over it), so
    a stale ``-wal`` of the old database cannot be replayed onto the restored pages."""
    checked = check_copy(copy)
    private_files.create_file(database)
    try:
        with (
            sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as reader,
            sqlite3.connect(database, timeout=1) as writer,
        ):
            writer.execute("PRAGMA journal_mode=WAL")
            reader.backup(writer)
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        reader.close()
        writer.close()
    except sqlite3.OperationalError as error:
        raise BackupError(
            f"{database} is in use ({error}): stop the bot before restoring"
        ) from error
    return checked
