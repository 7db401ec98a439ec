"""Drive the real dispatcher, outbox and delivery worker through an in-memory transport."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.delivery import DeliveryWorker
from bot.dispatcher import Dispatcher, utc_now
from bot.i18n import Renderer
from bot.markup import html_to_plain
from bot.rate_limit import PerPersonLimit
from bot.transports.base import (
    Capabilities,
    DeclaredTransports,
    Delivery,
    Inbound,
    Inbox,
    Pacing,
)
from content.schema import Content
from handlers.core.context import Services
from handlers.core.flow import Registry
from handlers.core.types import Incoming
from handlers.registry import build_registry
from storage.db import Database
from storage.outbox import OutboxItem


@dataclass
class Delivered:
    """One message as the person would see it."""

    chat_id: str
    html: str
    buttons: list[list[tuple[str, str]]]  # (label, token)
    document: tuple[str, bytes] | None

    @property
    def text(self) -> str:
        return html_to_plain(self.html)

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]


@dataclass
class MemoryTransport:
    name: str = "test"
    capabilities: Capabilities = field(default_factory=Capabilities)
    pacing: Pacing = field(default_factory=Pacing)
    delivered: list[Delivered] = field(default_factory=list)
    forgotten_chats: list[tuple[str, str | None]] = field(default_factory=list)

    async def start(self, inbox: Inbox) -> None:
        return None

    async def forget_chat(self, chat_id: str, user_id: str | None) -> None:
        self.forgotten_chats.append((chat_id, user_id))

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        self.delivered.append(
            Delivered(
                chat_id=item.chat_id,
                html=item.html,
                buttons=[[(b.label, b.token) for b in row] for row in item.buttons],
                document=(item.document.filename, item.document.content) if item.document else None,
            )
        )
        return Delivery.sent(len(self.delivered))


class Clock:
    """A settable clock for time travel in tests."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or utc_now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Bot:
    """The core wired to a :class:`MemoryTransport`; one per test."""

    def __init__(
        self,
        db: Database,
        *,
        admins: frozenset[str] = frozenset(),
        registry: Registry | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        content: Content | None = None,
        inbound: Mapping[str, Inbound] | None = None,
        rate_limit: PerPersonLimit | None = None,
        capabilities: Capabilities | None = None,
    ) -> None:
        self.db = db
        self.transport = MemoryTransport(capabilities=capabilities or Capabilities())
        self.registry = registry or build_registry()
        self.renderer = Renderer(ZoneInfo("Europe/Helsinki"))
        # As the application wires it: the running transport's declaration is the one source.
        facts = DeclaredTransports({self.transport.name: self.transport.capabilities})
        self.services = Services(
            registry=self.registry,
            timezone=self.renderer.timezone,
            admins=admins,
            rendering=self.renderer,
            content=content,
            transports=facts,
        )
        self.worker = DeliveryWorker(db, self.transport, clock=clock, transports=facts)
        self.dispatcher = Dispatcher(
            db,
            self.services,
            self.renderer,
            clock=clock,
            on_enqueued=lambda _: self.worker.wake(),
            inbound=inbound,
            rate_limit=rate_limit,
        )

    async def __aenter__(self) -> Bot:
        self.worker.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.worker.stop()

    def person(self, number: int = 1, locale: str = "fi") -> Person:
        return Person(self, f"test:{number}", locale)


class Person:
    """Someone chatting with the bot in a private chat."""

    def __init__(self, bot: Bot, user_id: str, locale: str) -> None:
        self.bot = bot
        self.user_id = user_id
        self.locale = locale
        self._update = 0
        self._seen = 0

    async def _send(self, **fields: str | None) -> list[Delivered]:
        self._update += 1
        await self.bot.dispatcher.handle(
            Incoming(
                user_id=self.user_id,
                chat_id=self.user_id,
                locale_hint=self.locale,
                update_key=f"{self.user_id}:{self._update}",
                **fields,  # type: ignore[arg-type]
            )
        )
        await self.bot.worker.drain(timeout=10)
        return self.new_messages()

    async def says(self, text: str | None) -> list[Delivered]:
        return await self._send(text=text)

    async def presses(self, label: str) -> list[Delivered]:
        """Press the button labelled ``label`` in the latest message that has it."""
        for message in reversed(self.messages()):
            for row in message.buttons:
                for button_label, token in row:
                    if button_label == label:
                        return await self._send(button_token=token)
        raise AssertionError(f"no button {label!r}; saw {[m.labels for m in self.messages()]}")

    async def presses_token(self, token: str) -> list[Delivered]:
        return await self._send(button_token=token)

    def messages(self) -> list[Delivered]:
        return [m for m in self.bot.transport.delivered if m.chat_id == self.user_id]

    def new_messages(self) -> list[Delivered]:
        mine = self.messages()
        fresh = mine[self._seen :]
        self._seen = len(mine)
        return fresh

    @property
    def last(self) -> Delivered:
        return self.messages()[-1]


async def open_db(path: Path) -> Database:
    return await Database.open(path / "test.sqlite3")
