"""Files that hold personal data are the owner's only (issue 11, item 8).

The database and its -wal/-shm files, every export written to disk (``hankebot report
--csv``, files the console chat writes) are 0600; the Matrix crypto store directory is
0700. A looser mode found at start is logged (path and mode) and tightened.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli_report import report_from_cli
from bot.config import Settings
from bot.transports.console import ConsoleTransport
from handlers.core.types import Document
from storage.db import Database
from storage.outbox import OutboxItem

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def mode(path: Path) -> int | None:
    """The permission bits of ``path``; None when it does not exist."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start a service with: files 0644, directories 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def test_a_new_database_and_its_wal_and_shm_files_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "hankebot.sqlite3"
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO kv (key, value) VALUES ('x', 'y')")
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert [mode(p) for p in (path, wal, shm)] == [0o600, 0o600, 0o600]
    finally:
        await db.close()


async def test_an_existing_readable_database_is_warned_about_and_tightened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hankebot.sqlite3"
    db = await Database.open(path)
    await db.close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        db = await Database.open(path)
    await db.close()
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert str(path) in record.getMessage() and "0644" in record.getMessage()
    assert mode(path) == 0o600


async def test_the_report_csv_is_written_0600_even_over_an_existing_file(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database=tmp_path / "bot.sqlite3")
    target = tmp_path / "raportti.csv"
    target.write_text("old")
    target.chmod(0o644)
    fresh = tmp_path / "uusi.csv"
    for csv in (target, fresh):
        args = argparse.Namespace(project="osmari", csv=csv, lang="fi")
        code = await report_from_cli(settings, args, io.StringIO(), io.StringIO(), now=NOW)
        assert code == 0
        assert mode(csv) == 0o600
        assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # the report, not the old text


async def test_a_file_the_console_chat_writes_is_0600(tmp_path: Path) -> None:
    console = ConsoleTransport(stdout=io.StringIO(), files_dir=str(tmp_path))
    item = OutboxItem(
        id=1,
        transport="console",
        chat_id="console:local",
        user_id="console:local",
        html="Tietosi",
        buttons=(),
        document=Document("hankebot-omat-tiedot.json", b"{}", "application/json"),
        edit_of=None,
        edit_target_message_id=None,
        attempts=0,
        not_before=NOW,
    )
    await console.deliver(item)
    assert mode(tmp_path / "hankebot-omat-tiedot.json") == 0o600


async def _open_matrix_store(tmp_path: Path) -> Path:
    """Open the Matrix client the way the transport does at start (no network needed)."""
    from bot.transports.matrix import Identity, MatrixTransport

    settings = Settings(
        _env_file=None,
        database=tmp_path / "bot.sqlite3",
        matrix_homeserver="http://127.0.0.1:9",
        matrix_user="@bot:localhost",
        matrix_password="x",
    )
    db = await Database.open(settings.database)
    try:
        transport = MatrixTransport(settings, db)
        client = await transport._open_client(Identity("@bot:localhost", "DEVICE", "token"))
        await client.close()
        return transport.store_dir
    finally:
        await db.close()


async def test_the_matrix_crypto_store_directory_is_created_0700(tmp_path: Path) -> None:
    store = await _open_matrix_store(tmp_path)
    assert store.is_dir() and mode(store) == 0o700
    assert any(store.iterdir())  # matrix-nio put its store in it


async def test_a_readable_matrix_store_directory_is_warned_about_and_tightened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Path(f"{tmp_path / 'bot.sqlite3'}.matrix-store")
    os.mkdir(store, mode=0o755)
    with caplog.at_level(logging.WARNING, logger="storage"):
        assert await _open_matrix_store(tmp_path) == store
    assert any(str(store) in r.getMessage() and "0755" in r.getMessage() for r in caplog.records)
    assert mode(store) == 0o700
