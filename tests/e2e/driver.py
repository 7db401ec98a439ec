"""A person in a real chat app, as the end-to-end scenarios see it.

Each transport's end-to-end tests implement :class:`ChatDriver` (Telegram against the fake
Bot API server, Matrix against a real Synapse) and run the same scenarios from
``tests/e2e/scenarios.py``, so every flow is shown to work on every platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class SeenMessage:
    """A message as the person sees it: plain text, button labels, an attached file."""

    text: str
    labels: list[str] = field(default_factory=list)
    file: tuple[str, bytes] | None = None


class ChatDriver(Protocol):
    command_prefix: str  # how the bot's texts show its commands on this platform

    async def send(self, text: str) -> None:
        """Type and send a text message."""

    async def press(self, label: str) -> None:
        """Press the button with this label in the latest message that has it.

        Telegram presses the inline button; Matrix and the console type its number.
        """

    async def replies(self, count: int = 1, timeout: float = 20.0) -> list[SeenMessage]:
        """Wait for ``count`` new messages from the bot and return them (oldest first)."""

    async def no_more_replies(self, wait: float = 1.5) -> None:
        """Assert that the bot sends nothing more within ``wait`` seconds."""
