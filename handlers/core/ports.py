"""Interfaces the running application (``bot/``) fills in for the flows.

Handlers never import ``bot``; what they need of it is described here and handed to them
in :class:`handlers.core.context.Services`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from handlers.core.types import Param


class Rendering(Protocol):
    """Catalog texts in a person's language (``bot.i18n.Renderer`` is the one in use)."""

    def text(self, locale: str, key: str, params: Mapping[str, Param] | None = None) -> str:
        """The entry as HTML (the Telegram subset), parameters escaped and formatted."""
        ...

    def plain(self, locale: str, key: str, params: Mapping[str, Param] | None = None) -> str:
        """The entry as plain text (button labels, file contents, chart labels)."""
        ...

    def to_plain(self, markup: str) -> str:
        """HTML the renderer made, as plain text."""
        ...

    def in_timezone(self, timezone: str) -> Rendering:
        """The same texts with times shown in ``timezone`` (an IANA name)."""
        ...


class TransportFacts(Protocol):
    """What each transport can do, by its name (``"telegram"``, ``"matrix"``, ``"console"``;
    the part of an id before the first ``:``).

    The transports declare it (``bot.transports.base.Capabilities``); the wiring hands it
    to the flows in :class:`handlers.core.context.Services`. A name no transport declares
    can do neither.
    """

    def takes_files(self, transport: str) -> bool:
        """People can send files and pictures there, and the bot fetches them."""
        ...

    def numbers_buttons(self, transport: str) -> bool:
        """Buttons are shown as numbered options there; a typed number presses one."""
        ...
