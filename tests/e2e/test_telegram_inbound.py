"""What the bot lets in on Telegram (issue 11, items 1, 10, 11, 12), end to end.

Through PTB's real HTTP stack and the fake Bot API server: webhook updates without the
secret are refused; an update whose private chat is not its sender is dropped; one person
flooding the bot is slowed down while others are served; files are fetched only when the
conversation takes one, and never read past the limit; a rejected token ends ``hankebot
run`` with one clear line and no token anywhere in its output.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.i18n import Renderer
from bot.markup import html_to_plain
from handlers.core.types import FILE_LIMIT, Param
from storage import memberships, users
from tests.e2e.telegram_driver import (
    ROOT,
    TelegramDriver,
    bot_process_env,
    bot_settings,
    running_bot,
)
from tests.fakes.telegram_api import FakeTelegramServer

pytestmark = pytest.mark.e2e

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RENDERER = Renderer(ZoneInfo("Europe/Helsinki"))


def said(key: str, **params: Param) -> str:
    """The plain text a Finnish reader sees for a catalog key."""
    return html_to_plain(RENDERER.text("fi", key, params))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rows(database: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read the bot's database beside it (WAL lets a second reader in)."""
    with sqlite3.connect(database) as conn:
        return list(conn.execute(sql, params).fetchall())


def traces_of(database: Path, *user_ids: int) -> list[tuple[Any, ...]]:
    """Rows that show the bot handled something from or for these Telegram ids."""
    found: list[tuple[Any, ...]] = []
    for number in user_ids:
        key = f"telegram:{number}"
        found += rows(database, "SELECT 'user', user_id FROM users WHERE user_id = ?", key)
        found += rows(database, "SELECT 'outbox', chat_id FROM outbox WHERE chat_id = ?", key)
        found += rows(
            database, "SELECT 'conversation', chat_id FROM conversations WHERE chat_id = ?", key
        )
    return found


def press_payload(server: FakeTelegramServer, database: Path, user_id: int, payload: str) -> None:
    """Press, in the person's chat, the newest button that stands for ``payload``."""
    [(token,)] = rows(
        database,
        "SELECT token FROM buttons WHERE chat_id = ? AND payload = ?"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        f"telegram:{user_id}",
        payload,
    )
    for message in reversed(server.messages(user_id)):
        if token in [data for _, data in message.buttons]:
            server.user_presses(user_id, message.message_id, token)
            return
    raise AssertionError(f"no message in chat {user_id} carries the button {payload!r}")


def forged_message(sender: int, chat: int, text: str) -> dict[str, Any]:
    """A message that claims to come from ``sender`` in the private chat ``chat``."""
    return {
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "from": {"id": sender, "is_bot": False, "first_name": "Anna", "language_code": "fi"},
            "chat": {"id": chat, "type": "private", "first_name": "Eve"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        }
    }


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


# --- item 1: forged webhook updates ---------------------------------------------------------
async def test_webhook_posts_without_the_right_secret_are_refused(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """No secret configured: the bot makes one, registers it and refuses posts without it."""
    database = tmp_path / "bot.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = bot_settings(
        server,
        database,
        telegram_webhook_url=url,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        admins="telegram:7001",
    )
    server.add_user(7001)
    server.add_user(7002)
    async with running_bot(settings):
        await server.async_wait_until(lambda: server.webhook_url, 20, what="setWebhook")
        forged = {"update_id": 424242, **forged_message(7001, 7001, "/start")}
        [registered] = [r for r in server.requests_for("setWebhook") if r.status == 200]
        secret = str(registered.params.get("secret_token") or "")
        async with aiohttp.ClientSession() as session:
            for headers, status in (
                ({}, 401),
                ({SECRET_HEADER: "wrong"}, 403),
                ({SECRET_HEADER: secret[:-1]}, 403),
                ({SECRET_HEADER: ""}, 403),
            ):
                async with session.post(url, json=forged, headers=headers) as response:
                    assert response.status == status, headers
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret), "no strong secret registered"
        genuine = TelegramDriver(server, 7002)
        await genuine.send("/start")
        [greeting] = await genuine.replies()
        assert greeting.text.startswith(said("start.greeting").split("\n", 1)[0])
    assert server.messages(7001) == []
    assert traces_of(database, 7001) == []
    assert rows(database, "SELECT * FROM processed_updates WHERE update_key LIKE '%424242'") == []


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_an_update_whose_private_chat_is_not_its_sender_is_dropped(
    server: FakeTelegramServer, tmp_path: Path, webhook: bool
) -> None:
    """``from`` = an administrator, ``chat`` = someone else's private chat: not handled."""
    database = tmp_path / "bot.sqlite3"
    extra: dict[str, object] = {"admins": "telegram:7101"}
    if webhook:
        port = free_port()
        extra.update(
            telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
            telegram_webhook_listen="127.0.0.1",
            telegram_webhook_port=port,
        )
    admin, attacker, bystander = 7101, 7102, 7103
    server.add_user(admin)
    server.add_user(attacker)
    async with running_bot(bot_settings(server, database, **extra)):
        server.push_update(forged_message(admin, attacker, "/start"))
        server.push_update(
            {
                "callback_query": {
                    "id": "999",
                    "from": {"id": admin, "is_bot": False, "first_name": "Anna"},
                    "message": {
                        "message_id": 5,
                        "date": 0,
                        "chat": {"id": attacker, "type": "private"},
                    },
                    "chat_instance": "1",
                    "data": "whatever",
                }
            }
        )
        genuine = TelegramDriver(server, bystander)
        await genuine.send("/start")  # handled after the forged ones: they are done by then
        await genuine.replies()
        await server.async_wait_for_updates_consumed()
    assert server.messages(attacker) == [] and server.messages(admin) == []
    assert traces_of(database, admin, attacker) == []


# --- item 11: one person flooding the bot ----------------------------------------------------
async def test_one_person_flooding_is_slowed_down_while_others_are_served(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    flooder, other = 7201, 7202
    with FakeTelegramServer(flood_control=False) as server:
        settings = bot_settings(
            server, database, telegram_per_chat_interval=0.0, rate_limit_per_minute=20
        )
        server.add_user(flooder)
        server.add_user(other)
        async with running_bot(settings):
            flood = []
            for number in range(100):
                flood.append(server.user_sends(flooder, "/start"))
                if number % 30 == 29:
                    server.user_sends(other, "/start")
            await server.async_wait_for_updates_consumed(timeout=120)

            def all_sent() -> bool:
                return not rows(database, "SELECT 1 FROM outbox WHERE state = 'pending'")

            await server.async_wait_until(all_sent, 60, what="outbox drained")
        texts = [m.text or "" for m in server.messages(flooder)]
        assert len(texts) <= 21, f"{len(texts)} answers to 100 messages"
        slow_down = said("error.slow_down")
        answered = [t for t in texts if t != slow_down]
        assert texts.count(slow_down) == 1
        assert 1 <= len(answered) <= 20
        assert len(server.messages(other)) == 3  # the other person was served every time
        # Every message of the flood is recorded as handled: none comes back after a restart.
        keys = {f"telegram:{u}" for u in flood}
        recorded = {key for (key,) in rows(database, "SELECT update_key FROM processed_updates")}
        assert keys <= recorded
        assert server.confirmed_offset > max(flood)


# --- item 12: files only when wanted, never past the limit ----------------------------------
async def test_a_file_nobody_asked_for_is_not_downloaded(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_settings(server, tmp_path / "bot.sqlite3")):
        chat = TelegramDriver(server, 7301)
        await chat.send("/start")
        await chat.replies()
        server.user_sends_document(
            7301, "cv.pdf", b"%PDF-1.4 minun cv", mime_type="application/pdf"
        )
        [answer] = await chat.replies()
        assert answer.text == said("error.no_file_here")
    assert server.requests_for("getFile") == []
    assert server.downloads() == []


async def test_a_file_longer_than_it_says_is_cut_off_at_the_limit(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """The announcement step takes files: a small declared size with a 64 MB body is read
    only up to the limit, refused as too large, and a real small file still works."""
    database = tmp_path / "bot.sqlite3"
    coordinator = 7401
    served = 64 * 1024 * 1024
    async with running_bot(bot_settings(server, database)) as app:
        chat = TelegramDriver(server, coordinator)
        await chat.send("/start")
        await chat.replies()
        async with app.db.transaction() as conn:
            now = dt.datetime.now(dt.UTC)
            await memberships.add(conn, f"telegram:{coordinator}", "osmari", "coordinator", now)
            # somebody to send to: an audience of nobody is refused before the text
            await users.touch(
                conn, "telegram:7402", "telegram:7402", locale="fi", now=now, private_chat=True
            )
            await memberships.add(conn, "telegram:7402", "osmari", "participant", now)
        await chat.send("/tiedote")
        await chat.replies()
        press_payload(server, database, coordinator, "bca:project")
        await chat.replies()  # the text step, which takes a file
        server.user_sends_document(
            coordinator, "ohjelma.pdf", b"%PDF-1.4 pieni", served_size=served
        )
        [refused] = await chat.replies()
        assert refused.text == said("error.file_too_large", limit=FILE_LIMIT // (1024 * 1024))
        [download] = server.downloads()
        assert not download.complete
        assert download.bytes_sent < served // 2, download  # cut off near the limit
        server.user_sends_document(coordinator, "oikea.pdf", b"%PDF-1.4 oikea")
        [saved] = await chat.replies()
        assert saved.text == said("broadcast.file_received", name="oikea.pdf")
    assert len(server.requests_for("getFile")) == 2


# --- item 10: a rejected token ---------------------------------------------------------------
def test_a_rejected_token_ends_the_process_with_one_line_and_no_token(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    token = "987654:WRONGtokenSecretPart_xyz"
    env = bot_process_env(server, tmp_path / "bot.sqlite3")
    env["HANKEBOT_TELEGRAM_TOKEN"] = token
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode != 0
    assert any(r.status == 401 for r in server.requests), "the fake server never saw the token"
    assert token not in output
    assert token.split(":", 1)[1] not in output
    assert "Traceback" not in output
    last = output.strip().splitlines()[-1]
    assert "HANKEBOT_TELEGRAM_TOKEN" in last, output[-2000:]
