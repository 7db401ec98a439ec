"""Telegram end to end: the real bot (PTB's HTTP stack) against the fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.app import Application
from bot.config import Settings
from tests.e2e.driver import SeenMessage
from tests.fakes.telegram_api import BotMessage, FakeTelegramServer
from tests.processes import clean_environment

ROOT = Path(__file__).resolve().parents[2]


def seen(message: BotMessage) -> SeenMessage:
    file = None
    if message.document is not None:
        file = (message.document.filename, message.document.data)
    text = message.text if message.text is not None else (message.caption or "")
    return SeenMessage(text=text, labels=message.button_texts, file=file)


class TelegramDriver:
    """One person in a private chat with the bot on the fake server."""

    command_prefix = "/"

    def __init__(self, server: FakeTelegramServer, user_id: int, language: str = "fi") -> None:
        self.server = server
        self.user_id = user_id
        server.add_user(user_id, first_name="Testi", language_code=language)
        self._seen = 0  # highest message id already returned

    async def send(self, text: str) -> None:
        self.server.user_sends(self.user_id, text)

    async def press(self, label: str) -> None:
        self.server.press_button(self.user_id, label)

    async def replies(self, count: int = 1, timeout: float = 20.0) -> list[SeenMessage]:
        messages = await self.server.async_wait_for_messages(
            self.user_id, count, timeout, after_message_id=self._seen
        )
        fresh = messages[:count]
        self._seen = fresh[-1].message_id
        return [seen(m) for m in fresh]

    async def no_more_replies(self, wait: float = 1.5) -> None:
        await asyncio.sleep(wait)
        extra = [m for m in self.server.messages(self.user_id) if m.message_id > self._seen]
        assert not extra, f"unexpected messages: {[m.text for m in extra]}"


def bot_settings(server: FakeTelegramServer, database: Path, **extra: object) -> Settings:
    return Settings(
        database=database,
        telegram_token=server.token,
        telegram_api_url=server.url,
        telegram_poll_timeout=1,
        _env_file=None,
        **extra,  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:
    """The whole application in this event loop, stopped cleanly afterwards."""
    app = Application(settings)
    task = asyncio.create_task(app.run())
    try:
        yield app
    finally:
        app.request_stop()
        await asyncio.wait_for(task, timeout=30)


def bot_process_env(server: FakeTelegramServer, database: Path) -> dict[str, str]:
    env = clean_environment()
    env.update(
        HANKEBOT_DATABASE=str(database),
        HANKEBOT_TELEGRAM_TOKEN=server.token,
        HANKEBOT_TELEGRAM_API_URL=server.url,
        HANKEBOT_TELEGRAM_POLL_TIMEOUT="1",
        HANKEBOT_LOG_LEVEL="DEBUG",
    )
    return env


def start_bot_process(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``hankebot run`` as a real process (what an operator starts)."""
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
