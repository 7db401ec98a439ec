"""What every part of the Matrix transport shares: its state, where the crypto store lives,
and how a homeserver's error answer becomes a delivery outcome.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.dispatcher import utc_now
from bot.transports.base import (
    Delivery,
    Inbox,
    Report,
    Status,
    WantsFile,
    never_wants_files,
    no_core,
)
from storage.db import Database

log = logging.getLogger(__name__)


def store_dir_for(database: Path) -> Path:
    return Path(f"{database}.matrix-store")


PERMANENT_ERRORS = frozenset(
    {"M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_INVALID_PARAM", "M_MISSING_PARAM"}
)
UNREACHABLE_ERRORS = frozenset({"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_ROOM"})


def error_delivery(response: Any, what: str = "send") -> Delivery:
    """Map a nio error response to a delivery outcome (never the server's message text)."""
    code = getattr(response, "status_code", None)
    status = getattr(getattr(response, "transport_response", None), "status", None)
    label = f"{what}: {code or status or type(response).__name__}"
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        retry_ms = getattr(response, "retry_after_ms", None) or 5000
        return Delivery(Status.RETRY, retry_after=retry_ms / 1000.0, error=label)
    if code in UNREACHABLE_ERRORS:
        return Delivery(Status.UNREACHABLE, error=label)
    if code in PERMANENT_ERRORS or status == 413:
        return Delivery(Status.FAILED, error=label)
    return Delivery(Status.RETRY, error=label)


@dataclass
class _Undecrypted:
    room_id: str
    event: Any  # MegolmEvent
    deadline: float


class MatrixState:
    """The state every part of the transport shares (set up here, used by all)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        commands: frozenset[str] = frozenset(),
        wants_file: WantsFile = never_wants_files,
        report: Report = no_core,
    ) -> None:
        assert settings.matrix_homeserver and settings.matrix_user
        self.settings = settings
        self.wants_file = wants_file
        self.commands = commands  # the bot's command names, shown as !name
        self.db = db
        self.report = report  # the core's port for what is not a person's message
        self.clock = clock
        self.homeserver = settings.matrix_homeserver.rstrip("/")
        self.store_dir = store_dir_for(settings.database)
        self.client: Any = None
        self.user_id = ""
        self.txn_prefix = "hankebot"
        self._inbox: Inbox | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._sync_tick = asyncio.Event()
        self._since: str | None = None
        self._inviters: dict[str, str] = {}
        self._left: set[str] = set()
        self._undecrypted: list[_Undecrypted] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        # Sends the few notices that must not be end-to-end encrypted: nio's room_send
        # encrypts in an encrypted room whenever the client has an olm machine, so this
        # client has none (same account, device and token).
        self.plain: Any = None
