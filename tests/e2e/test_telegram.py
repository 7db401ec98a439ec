"""The bot on Telegram, end to end through PTB's real HTTP stack and the fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import Application
from storage import outbox, users
from storage.db import Database
from tests.catalog_labels import label, shown
from tests.e2e.scenarios import (
    LOOP,
    SCENARIOS,
    TWO_PEOPLE,
    Loop,
    LoopScenario,
    Scenario,
    TwoPeople,
)
from tests.e2e.telegram_driver import (
    TelegramDriver,
    bot_process_env,
    bot_settings,
    running_bot,
    start_bot_process,
)
from tests.e2e.typed_world import seed_after_meeting, seed_reminder
from tests.fakes.telegram_api import FakeTelegramServer

pytestmark = pytest.mark.e2e


async def wait_until_nothing_pending(database: Path, timeout: float = 10.0) -> None:
    """Read the bot's database (WAL allows a second reader) until its outbox is drained."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(database) as conn:
            pending = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
            ).fetchone()[0]
        if pending == 0:
            return
        assert time.monotonic() < deadline, f"{pending} messages still pending"
        await asyncio.sleep(0.02)


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
async def app(server: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[Application]:
    async with running_bot(bot_settings(server, tmp_path / "bot.sqlite3")) as running:
        yield running


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
async def test_scenarios(scenario: Scenario, server: FakeTelegramServer, app: Application) -> None:
    await scenario(TelegramDriver(server, 501))
    assert server.count_429 == 0
    assert all(r.status == 200 for r in server.requests if r.method.startswith("send")), [
        (r.method, r.status, r.description) for r in server.requests if r.status != 200
    ]


@pytest.mark.parametrize("scenario", TWO_PEOPLE, ids=lambda s: s.__name__)
async def test_two_people_scenarios(
    scenario: TwoPeople, server: FakeTelegramServer, app: Application
) -> None:
    participant, coordinator = TelegramDriver(server, 601), TelegramDriver(server, 602)

    async def remind() -> None:
        await seed_reminder(app.db, participant="telegram:601", coordinator="telegram:602")
        app.scheduler.wake()

    await scenario(participant, coordinator, remind)
    assert all(r.status == 200 for r in server.requests if r.method.startswith("send"))


@pytest.mark.parametrize("scenario", LOOP, ids=lambda s: s.__name__)
async def test_coordinators_close_the_loop(
    scenario: LoopScenario, server: FakeTelegramServer, app: Application
) -> None:
    """Issue 15's "done when" on Telegram: feedback reaches the coordinator, "haluaa
    jutella" gets a signed reply; each audited (the waiting contact request is in
    test_coordinators_telegram.py)."""
    participant, coordinator = TelegramDriver(server, 601), TelegramDriver(server, 602)

    async def after_meeting(kind: str) -> None:
        await seed_after_meeting(
            app.db, participant="telegram:601", coordinator="telegram:602", kind=kind
        )
        app.scheduler.wake()

    async def audit(action: str) -> list[tuple[object, ...]]:
        async with app.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT actor, project, subject FROM audit_log WHERE action = ? ORDER BY id",
                (action,),
            )
            return [tuple(row) for row in await cursor.fetchall()]

    await scenario(
        participant, coordinator, Loop("telegram:601", "telegram:602", after_meeting, audit)
    )
    assert all(r.status == 200 for r in server.requests if r.method.startswith("send"))


async def test_commands_are_published_per_language(
    server: FakeTelegramServer, app: Application
) -> None:
    await server.async_wait_until(lambda: len(server.commands) >= 4, 10, what="setMyCommands")
    finnish = dict(server.commands_for(language_code="fi") or [])
    swedish = dict(server.commands_for(language_code="sv") or [])
    english = dict(server.commands_for(language_code="en") or [])
    assert finnish["apua"] == shown("cmd.help") and "peru" in finnish
    assert swedish["hjalp"] == "hjälp" and "avbryt" in swedish
    assert english["help"] == "help" and "forget" in english


async def test_buttons_are_tokens_within_64_bytes_and_forgeries_are_refused(
    server: FakeTelegramServer, app: Application
) -> None:
    chat = TelegramDriver(server, 502)
    await chat.send("/unohda")
    await chat.replies()
    confirm = server.last_message(502)
    for _, data in confirm.buttons:
        assert data is not None and len(data.encode()) <= 64
        assert "forget" not in data  # the meaning stays on the server
    server.user_presses(502, confirm.message_id, "forget:yes", forge=True)
    [answer] = await chat.replies()
    assert answer.text.startswith(shown("error.old_button"))
    other = TelegramDriver(server, 503)
    server.user_presses(
        503, confirm.message_id, confirm.callback_data_for(label("forget.yes")), forge=True
    )
    [refused] = await other.replies()
    assert refused.text.startswith(shown("error.old_button"))
    await chat.press(label("forget.yes"))  # the real owner still can
    [done] = await chat.replies()
    assert done.text.startswith(shown("forget.done"))
    await server.async_wait_until(lambda: len(server.callback_answers) >= 3, 10)


async def test_a_sticker_gets_a_text_only_answer(
    server: FakeTelegramServer, app: Application
) -> None:
    chat = TelegramDriver(server, 504)
    server.user_sends_sticker(504)
    [answer] = await chat.replies()
    assert answer.text.startswith(shown("error.text_only"))


async def test_a_person_who_blocked_the_bot_is_marked_unreachable(
    server: FakeTelegramServer, app: Application
) -> None:
    chat = TelegramDriver(server, 505)
    await chat.send("/start")
    await chat.replies()
    server.block(505)
    await server.async_wait_for_updates_consumed()

    async def unreachable() -> bool:
        async with app.db.transaction() as conn:
            person = await users.get(conn, "telegram:505")
        return person is not None and person.unreachable

    deadline = time.monotonic() + 60
    while not await unreachable():
        assert time.monotonic() < deadline, "never marked unreachable"
        await asyncio.sleep(0.05)


async def test_a_403_on_send_ends_delivery_to_that_person(
    server: FakeTelegramServer, app: Application
) -> None:
    chat = TelegramDriver(server, 506)
    await chat.send("/start")
    await chat.replies()
    server.block(506)
    async with app.db.transaction() as conn:
        await outbox.enqueue(
            conn, chat_id="telegram:506", user_id="telegram:506", html="hei", now=app.clock()
        )
    app.workers["telegram"].wake()

    async def state() -> str:
        async with app.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT state FROM outbox WHERE chat_id = 'telegram:506' ORDER BY id DESC"
            )
            row = await cursor.fetchone()
        return str(row[0]) if row else ""

    deadline = time.monotonic() + 60
    while await state() != "unreachable":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert any(r.status == 403 for r in server.requests)


async def test_logs_carry_no_message_text_and_no_token(
    server: FakeTelegramServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_text = "minun-salaisuuteni-42"
    async with running_bot(bot_settings(server, tmp_path / "bot.sqlite3")):
        chat = TelegramDriver(server, 507)
        await chat.send("/start")
        await chat.replies()
        await chat.send(secret_text)
        await chat.replies()
        await chat.send("/unohda")
        await chat.replies()
        await chat.press(label("forget.no"))
        await chat.replies()
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    assert secret_text not in logged
    assert server.token not in logged
    assert server.token.split(":", 1)[1] not in logged
    assert shown("menu.prompt") not in logged  # nor the bot's own texts


async def test_sigkill_mid_conversation_loses_nothing_and_repeats_nothing(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    env = bot_process_env(server, database)
    log_path = tmp_path / "bot.log"
    chat = TelegramDriver(server, 601)
    process = start_bot_process(env, log_path)
    try:
        await chat.send("/start")
        await chat.replies(timeout=30)
        await chat.send("/unohda")  # a two-step conversation: confirmation pending
        [confirm] = await chat.replies()
        assert label("forget.yes") in confirm.labels
        await server.async_wait_for_updates_consumed()
        # Kill once the bot has recorded the send. Killing in the few milliseconds between
        # Telegram accepting a message and that commit resends it: the one window the Bot
        # API leaves open (README, "What survives a crash").
        await wait_until_nothing_pending(database)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

        await chat.send("<b>ehkä</b>")  # arrives while the bot is down
        process = start_bot_process(env, log_path)
        [hint] = await chat.replies(timeout=30)
        assert hint.text.startswith(shown("forget.use_buttons"))  # still on the confirmation step
        await chat.press(label("forget.yes"))
        [done] = await chat.replies()
        assert done.text.startswith(shown("forget.done"))
        await chat.no_more_replies(1.5)
    finally:
        process.kill()
        process.wait(timeout=10)
    texts = [m.text or m.caption for m in server.messages(601)]
    assert len(texts) == len(set(texts)) == 4, texts  # every reply exactly once
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            row = await cursor.fetchone()
    finally:
        await db.close()
    assert row is not None and row[0] == 0


async def test_webhook_mode_answers_and_acknowledges_after_commit(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = bot_settings(
        server,
        tmp_path / "bot.sqlite3",
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret="s3cret-value",
    )
    async with running_bot(settings):
        chat = TelegramDriver(server, 508)
        await chat.send("/start")
        [greeting] = await chat.replies()
        assert greeting.text.startswith(shown("start.greeting"))
        await chat.press(label("menu.help"))
        [help_text] = await chat.replies()
        assert "/peru" in help_text.text
    assert not any(r.method == "getUpdates" and r.status == 200 for r in server.requests[-5:])
    assert server.webhook_deliveries
