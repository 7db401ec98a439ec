"""Fakes of external services for tests (see :mod:`tests.fakes.telegram_api`)."""

from .telegram_api import (
    BotMessage,
    CallbackAnswer,
    FakeTelegramServer,
    FakeTelegramTimeout,
    RequestRecord,
    SentFile,
    fake_telegram,
    fake_telegram_factory,
)

__all__ = [
    "BotMessage",
    "CallbackAnswer",
    "FakeTelegramServer",
    "FakeTelegramTimeout",
    "RequestRecord",
    "SentFile",
    "fake_telegram",
    "fake_telegram_factory",
]
