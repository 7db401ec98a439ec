"""``/healthz`` and ``hankebot status`` (issue 16, Operations): real HTTP on loopback, the
real command line in a subprocess."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bot.app import Application
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.health import HealthServer, Limits
from bot.transports.base import Delivery, Inbox, Pacing
from storage import outbox
from storage.db import Database
from storage.instance_lock import InstanceLock
from storage.outbox import OutboxItem
from tests.harness import Clock
from tests.processes import clean_environment

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class HangingTransport:
    """Sends nothing until ``release`` is set: a row stays in flight, the worker alive."""

    name: str = "test"
    pacing: Pacing = field(default_factory=Pacing)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        self.started.set()
        await self.release.wait()
        return Delivery.sent(item.id)


@dataclass
class Served:
    server: HealthServer
    worker: DeliveryWorker
    transport: HangingTransport
    clock: Clock

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/healthz"


@pytest.fixture
async def served(db: Database) -> AsyncIterator[Served]:
    clock = Clock()
    transport = HangingTransport()
    worker = DeliveryWorker(db, transport, clock=clock, observers=[])
    worker.start()
    server = HealthServer(
        db,
        {"test": worker},
        clock=clock,
        limits=Limits(reply_delay=60, bulk_delay=600),
        listen="127.0.0.1",
        port=0,
    )
    await server.start()
    try:
        yield Served(server, worker, transport, clock)
    finally:
        transport.release.set()
        await server.stop()
        await worker.stop()


async def get(url: str) -> tuple[int, dict[str, object], str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
        return response.status, json.loads(text), response.content_type


async def test_a_well_bot_answers_200_with_json(served: Served) -> None:
    status, body, content_type = await get(served.url)
    assert status == 200 and content_type == "application/json"
    assert body["status"] == "ok"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"]["ok"] is True
    assert checks["delivery:test"]["ok"] is True
    assert checks["backlog:test"] == {
        "ok": True,
        "due": 0,
        "oldest_reply_seconds": 0.0,
        "oldest_bulk_seconds": 0.0,
    }


async def test_a_stopped_delivery_worker_is_503(served: Served) -> None:
    await served.worker.stop()
    status, body, _ = await get(served.url)
    assert status == 503 and body["status"] == "unhealthy"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["delivery:test"]["ok"] is False
    assert checks["database"]["ok"] is True


async def test_a_reply_waiting_too_long_is_503_and_says_how_long(
    served: Served, db: Database
) -> None:
    async with db.transaction() as conn:
        await outbox.enqueue(
            conn, chat_id="test:1", user_id="test:1", html="secret text", now=served.clock()
        )
    served.worker.wake()
    await asyncio.wait_for(served.transport.started.wait(), 5)
    status, body, _ = await get(served.url)
    assert status == 200  # due just now: within the limit
    served.clock.advance(seconds=61)
    status, body, _ = await get(served.url)
    assert status == 503
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["backlog:test"]["ok"] is False
    assert checks["backlog:test"]["due"] == 1
    assert checks["backlog:test"]["oldest_reply_seconds"] == 61.0
    assert checks["delivery:test"]["ok"] is True  # alive, but stuck: the backlog tells
    assert "secret text" not in json.dumps(body)


async def test_bulk_rows_have_their_own_longer_limit(served: Served, db: Database) -> None:
    async with db.transaction() as conn:
        item = await outbox.enqueue(
            conn, chat_id="test:2", user_id="test:2", html="announcement", now=served.clock()
        )
        await conn.execute("UPDATE outbox SET priority = 1 WHERE id = ?", (item,))
    served.worker.wake()
    await asyncio.wait_for(served.transport.started.wait(), 5)
    served.clock.advance(seconds=300)
    status, body, _ = await get(served.url)
    assert status == 200, body
    served.clock.advance(seconds=301)
    status, body, _ = await get(served.url)
    assert status == 503
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["backlog:test"]["oldest_bulk_seconds"] == 601.0


async def test_a_closed_database_is_503(served: Served, db: Database) -> None:
    await db.close()
    status, body, _ = await get(served.url)
    assert status == 503
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"]["ok"] is False
    assert "backlog:test" not in checks


async def test_the_running_bot_serves_healthz_on_loopback_when_a_port_is_set(
    tmp_path: Path,
) -> None:
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r")
    settings = Settings(_env_file=None, database=tmp_path / "bot.sqlite3", health_port=0)
    assert settings.health_listen == "127.0.0.1"
    app = Application(settings, console_stdin=stdin, console_stdout=io.StringIO())
    running = asyncio.create_task(app.run())
    try:
        for _ in range(200):
            if app.health is not None and app.health.port:
                break
            await asyncio.sleep(0.05)
        assert app.health is not None
        status, body, _ = await get(f"http://127.0.0.1:{app.health.port}/healthz")
        assert status == 200 and body["status"] == "ok"
        checks = body["checks"]
        assert isinstance(checks, dict)
        assert set(checks) == {"database", "delivery:console", "backlog:console"}
    finally:
        os.close(write_end)  # end of the console's input: the bot stops
        assert await asyncio.wait_for(running, 30) == 0
        stdin.close()
    assert app.health is None or app.health._runner is None


def test_no_port_no_endpoint() -> None:
    assert Settings(_env_file=None).health_port is None


# --- hankebot status ---------------------------------------------------------------------


async def status(database: Path, **env: str) -> tuple[int, str]:
    clean = clean_environment()
    clean.update(HANKEBOT_DATABASE=str(database), **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "status",
        cwd=tmp_cwd(database),
        env=clean,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


def tmp_cwd(database: Path) -> Path:
    return database.parent  # no .env of the developer's is read


def failing(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAIL")]


async def test_status_without_a_database_fails(tmp_path: Path) -> None:
    code, output = await status(tmp_path / "none.sqlite3")
    assert code == 1
    assert failing(output) == [f"FAIL there is no database at {tmp_path / 'none.sqlite3'}"]
    assert not (tmp_path / "none.sqlite3").exists()  # status never creates one


async def test_status_with_no_bot_running_fails(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)  # a schema, no bot
    await db.close()
    code, output = await status(path)
    assert code == 1
    assert failing(output) == ["FAIL no bot is running on this database"]
    assert "ok   the database answers" in output


async def test_status_of_a_well_running_bot_asks_its_healthz(served: Served, db: Database) -> None:
    path = Path(str(db.path))
    lock = InstanceLock(path)
    lock.acquire()  # as `hankebot run` holds it
    try:
        code, output = await status(path, HANKEBOT_HEALTH_PORT=str(served.server.port))
        assert code == 0, output
        assert "ok   the test delivery worker runs" in output
        assert output.rstrip().endswith("all is well")
        code, output = await status(path)  # no port: the workers are not checked, said so
        assert code == 0, output
        assert "note the delivery workers were not checked" in output
        await served.worker.stop()
        code, output = await status(path, HANKEBOT_HEALTH_PORT=str(served.server.port))
        assert code == 1
        assert failing(output) == ["FAIL the test delivery worker has stopped"]
    finally:
        lock.release()


async def test_status_fails_on_an_old_backlog_and_names_no_text(
    served: Served, db: Database
) -> None:
    path = Path(str(db.path))
    async with db.transaction() as conn:
        await outbox.enqueue(
            conn,
            chat_id="test:1",
            user_id="test:1",
            html="private words",
            now=served.clock() - dt.timedelta(minutes=10),
        )
    lock = InstanceLock(path)
    lock.acquire()
    try:
        code, output = await status(path, HANKEBOT_HEALTH_REPLY_DELAY_SECONDS="60")
        assert code == 1
        [line] = failing(output)
        assert line.startswith("FAIL 1 message waits to be sent on test")
        assert "private words" not in output
    finally:
        lock.release()
