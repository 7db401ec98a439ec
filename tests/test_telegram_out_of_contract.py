"""Updates Telegram should never send but a forger (or a bug) can: a message without a chat
is logged as out of contract and skipped (issue 16 item 8: it raised AttributeError)."""

from __future__ import annotations

import logging

import pytest
from telegram import Update

from bot.transports.telegram import to_incoming

PERSON = {"id": 5, "is_bot": False, "first_name": "Aino"}


def test_a_message_without_a_chat_is_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    update = Update.de_json(
        {"update_id": 7, "message": {"message_id": 1, "date": 0, "from": PERSON, "text": "x"}},
        None,
    )
    with caplog.at_level(logging.WARNING, logger="bot.transports.telegram"):
        assert to_incoming(update) is None
    [record] = caplog.records
    assert "out of contract" in record.getMessage() and "7" in record.getMessage()
    assert "x" not in record.getMessage().replace("out of contract", "")  # no message text
