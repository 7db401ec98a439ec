"""Operating the database: ``hankebot db backup / restore / migrate``, the guard against a
database newer than the code, and one bot per database (issue 16, Operations)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import storage.db as storage_db
from bot import cli
from bot.cli_db import db_from_cli
from bot.config import Settings
from storage import users
from storage.backup import BackupError, check_copy, copy_database, store_dir_for
from storage.db import Database, NewerDatabase, latest_version, migration_scripts
from storage.instance_lock import AlreadyRunning, InstanceLock, is_held

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def settings_for(database: Path) -> Settings:
    return Settings(database=database, _env_file=None)


def run(database: Path, *argv: str) -> tuple[int, str, str]:
    parser = cli.build_parser()
    args = parser.parse_args(["db", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = db_from_cli(settings_for(database), args, out, err)
    return code, out.getvalue(), err.getvalue()


async def database_with_people(path: Path, count: int) -> Database:
    db = await Database.open(path)
    async with db.transaction() as conn:
        for n in range(count):
            await users.touch(
                conn, f"test:{n}", f"test:{n}", locale="fi", now=NOW, private_chat=True
            )
    return db


def people_in(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT COUNT(*) FROM users").fetchone()
    conn.close()
    return int(row[0])


def schema_of(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        ).fetchall()
    conn.close()
    return [(name, " ".join(sql.split())) for name, sql in rows]


async def test_backup_while_a_write_is_in_progress_copies_the_committed_state(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    db = await database_with_people(database, 3)
    try:
        async with db.transaction() as conn:  # the running bot, in the middle of a step
            await users.touch(
                conn,
                "test:uncommitted",
                "test:uncommitted",
                locale="fi",
                now=NOW,
                private_chat=True,
            )
            code, out, err = await asyncio.to_thread(run, database, "backup", str(tmp_path / "c"))
        assert (code, err) == (0, ""), err
        assert "3 people; integrity ok" in out
    finally:
        await db.close()
    copy = tmp_path / "c"
    assert people_in(copy) == 3  # a consistent moment: without the step still running
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert check_copy(copy).schema_version == latest_version()


async def test_backup_never_overwrites_and_names_a_missing_database(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    code, _, err = run(database, "backup", str(tmp_path / "copy"))
    assert code == 1 and err.count("\n") == 1 and "does not exist" in err
    db = await database_with_people(database, 1)
    await db.close()
    (tmp_path / "copy").write_bytes(b"earlier")
    code, _, err = run(database, "backup", str(tmp_path / "copy"))
    assert code == 1 and "exists already" in err
    assert (tmp_path / "copy").read_bytes() == b"earlier"


async def test_restore_puts_the_copy_back(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    db = await database_with_people(database, 4)
    await db.close()
    assert run(database, "backup", str(tmp_path / "copy"))[0] == 0
    db = await database_with_people(database, 9)  # later changes, to be undone
    await db.close()
    assert people_in(database) == 9
    code, out, err = run(database, "restore", str(tmp_path / "copy"))
    assert (code, err) == (0, ""), err
    assert "4 people" in out
    assert people_in(database) == 4
    reopened = await Database.open(database)  # and the bot can run on it
    await reopened.close()


async def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    db = await database_with_people(database, 2)
    await db.close()
    garbage = tmp_path / "garbage"
    garbage.write_bytes(os.urandom(8192))
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    for bad in (garbage, foreign, tmp_path / "missing"):
        code, _, err = run(database, "restore", str(bad))
        assert code == 1 and err.count("\n") == 1, err
    assert people_in(database) == 2


async def test_restore_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    db = await database_with_people(database, 2)
    await db.close()
    assert run(database, "backup", str(tmp_path / "copy"))[0] == 0
    lock = InstanceLock(database)
    lock.acquire()
    try:
        code, _, err = run(database, "restore", str(tmp_path / "copy"))
        assert code == 1 and "stop it first" in err
    finally:
        lock.release()
    assert run(database, "restore", str(tmp_path / "copy"))[0] == 0


async def test_the_matrix_device_store_is_backed_up_beside_the_copy(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    db = await database_with_people(database, 1)
    await db.close()
    store = store_dir_for(database)
    store.mkdir(mode=0o700)
    with sqlite3.connect(store / "@bot:example_DEVICE.db") as conn:
        conn.execute("CREATE TABLE keys (k)")
        conn.execute("INSERT INTO keys VALUES ('secret')")
    conn.close()
    code, out, _ = run(database, "backup", str(tmp_path / "copy"))
    assert code == 0 and "1 files" in out
    saved = store_dir_for(tmp_path / "copy")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o700
    with sqlite3.connect(saved / "@bot:example_DEVICE.db") as conn:
        assert conn.execute("SELECT k FROM keys").fetchall() == [("secret",)]
    conn.close()


def older_database(path: Path, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as an older hankebot left it: its migrations up to ``version``, data
    steps included, run by the code that runs them."""
    older = [m for m in migration_scripts() if m[0] <= version]

    async def create() -> None:
        db = await Database.open(path)
        await db.close()

    with monkeypatch.context() as patched:
        patched.setattr(storage_db, "migration_scripts", lambda: older)
        asyncio.run(create())


def test_migrate_check_names_what_is_pending_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "bot.sqlite3"
    # two migrations behind (their numbers may have gaps)
    older_database(database, migration_scripts()[-3][0], monkeypatch)
    before = database.read_bytes()
    code, out, _ = run(database, "migrate", "--check")
    assert code == 1 and out.startswith("2 migrations pending: ")
    assert database.read_bytes() == before
    assert run(database, "migrate")[0] == 0
    code, out, _ = run(database, "migrate", "--check")
    assert code == 0 and f"schema {latest_version()}" in out


def test_migrate_check_without_a_database_says_so(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path / "none.sqlite3", "migrate", "--check")
    assert code == 1 and "no database" in out
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize("start", range(1, latest_version()))
def test_an_upgraded_schema_equals_a_fresh_one(
    tmp_path: Path, start: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    older_database(fresh, latest_version(), monkeypatch)
    upgraded = tmp_path / "upgraded.sqlite3"
    older_database(upgraded, start, monkeypatch)
    older_database(upgraded, latest_version(), monkeypatch)
    assert schema_of(upgraded) == schema_of(fresh)


def test_a_database_newer_than_the_code_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "bot.sqlite3"
    older_database(database, latest_version(), monkeypatch)
    with sqlite3.connect(database) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(NewerDatabase):
        asyncio.run(Database.open(database))
    code, _, err = run(database, "migrate", "--check")
    assert code == 1 and "newer hankebot" in err
    with pytest.raises(BackupError):
        check_copy(database)


def test_the_bot_does_not_start_on_a_newer_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "bot.sqlite3"
    older_database(database, latest_version(), monkeypatch)
    with sqlite3.connect(database) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    env = {**os.environ, "HANKEBOT_DATABASE": str(database)}
    for name in ("HANKEBOT_TELEGRAM_TOKEN", "HANKEBOT_MATRIX_HOMESERVER"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 1, result.stderr
    assert "newer hankebot" in result.stderr and "Traceback" not in result.stderr


def test_one_bot_per_database_and_a_killed_bot_leaves_no_lock(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    first = InstanceLock(database)
    first.acquire()
    assert is_held(database)
    with pytest.raises(AlreadyRunning):
        InstanceLock(database).acquire()
    first.release()
    assert not is_held(database)
    holder = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from storage.instance_lock import InstanceLock
        InstanceLock(Path({str(database)!r})).acquire()
        print("held", flush=True)
        time.sleep(60)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        assert is_held(database)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert not is_held(database)


def test_backup_refuses_a_copy_of_something_that_is_not_a_database(tmp_path: Path) -> None:
    source = tmp_path / "not-a-db"
    source.write_bytes(b"hello" * 1000)
    with pytest.raises(BackupError):
        copy_database(source, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
