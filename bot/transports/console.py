"""The console chat: one local person typing in a terminal; buttons shown as numbers.

Lines are read from standard input one at a time and each is fully handled (and its
replies printed) before the next is read, so a piped script behaves like a person. End
of input (Ctrl-D) stops the bot cleanly.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.markup import html_to_plain
from bot.transports.base import Capabilities, Delivery, Inbound, Inbox, Pacing
from handlers.core.types import Incoming
from storage import private_files
from storage.outbox import LEAVE, OutboxItem

CONSOLE_USER = "console:local"


class ConsoleTransport:
    name = "console"
    capabilities = Capabilities(numbers_buttons=True, takes_files=False)
    pacing = Pacing()
    # One local person, the operator: the chat is theirs, and a piped script is not a flood.
    inbound = Inbound(private_chat_is_user=True, rate_limited=False)

    def __init__(
        self,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files_dir: str = ".",
        locale: str | None = None,
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.files_dir = files_dir
        self.locale = locale or os.environ.get("LANG", "fi")[:2]
        self._line_number = 0

    async def start(self, inbox: Inbox) -> None:
        """Nothing runs in the background: :meth:`read_loop` drives the console."""
        self._inbox = inbox

    async def read_loop(self, after_each: Callable[[], Awaitable[None]] | None = None) -> None:
        """Read lines until end of input, handing each to the inbox."""
        while True:
            line = await asyncio.to_thread(self.stdin.readline)
            if line == "":
                return
            self._line_number += 1
            await self._inbox(
                Incoming(
                    user_id=CONSOLE_USER,
                    chat_id=CONSOLE_USER,
                    text=line.rstrip("\n"),
                    locale_hint=self.locale,
                )
            )
            if after_each is not None:
                await after_each()

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        if item.kind == LEAVE:
            return Delivery.sent(None)  # the console is one chat: nothing to leave
        lines = [html_to_plain(item.html)]
        number = 0
        for row in item.buttons:
            for button in row:
                number += 1
                lines.append(f"  {number}. {button.label}")
        if item.document is not None:
            path = os.path.join(self.files_dir, os.path.basename(item.document.filename))
            await asyncio.to_thread(_write_file, path, item.document.content)
            lines.append(f"  [{path}]")
        self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()
        return Delivery.sent(item.id)


def _write_file(path: str, content: bytes) -> None:
    private_files.write_file(path, content)  # exports hold personal data: 0600
