"""Drive the real dispatcher, outbox and delivery worker through an in-memory transport.

What the person sees arrives as :class:`Delivered`: the text and the buttons' labels, as on a
platform. For tests that must survive rewording the harness also keeps, beside each message
and never in what goes to the transport, the catalog keys it was rendered from
(:attr:`Delivered.keys`) and for each button its label's key and its payload
(:class:`SeenButton`), so a test finds a button by key (:meth:`Person.presses_key`), payload
(:meth:`Person.presses_payload`) or payload family (:meth:`Person.presses_family`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.delivery import DeliveryObserver, DeliveryWorker, default_observers
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
from handlers.common.broadcast_progress import Progress
from handlers.core.context import Services
from handlers.core.flow import Registry
from handlers.core.ports import TransportFacts
from handlers.core.types import Incoming, Param
from handlers.registry import build_registry
from storage.db import Database
from storage.outbox import OutboxItem


class KeyLog:
    """Which catalog key each text was last rendered from (for :class:`RecordingRenderer`).

    A message is the texts of its replies joined by blank lines, a button's label the plain
    text of its key: the keys are found again by looking the texts up here. When two keys
    render to the same text, the one rendered last wins (the message being delivered was
    rendered just before).
    """

    def __init__(self) -> None:
        self.html: dict[str, str] = {}
        self.plain: dict[str, str] = {}
        self.outputs: dict[str, set[str]] = {}  # key -> every text it was rendered to
        self._segments: dict[str, tuple[str, ...]] = {}

    def record(self, key: str, html: str) -> None:
        self.html[html] = key
        self.plain[html_to_plain(html)] = key
        self.outputs.setdefault(key, set()).add(html)
        self._segments.clear()

    def shows(self, html: str, key: str) -> bool:
        """Whether ``html`` contains a text rendered from ``key`` (also one nested in another
        text, such as a ``Text`` parameter)."""
        return any(text and text in html for text in self.outputs.get(key, ()))

    def label_key(self, label: str) -> str | None:
        return self.plain.get(label)

    def keys_of(self, html: str) -> tuple[str, ...]:
        """The keys of the texts ``html`` is made of (joined by blank lines), in order.

        Parts that are no rendered text (none, normally) are left out."""
        if html not in self._segments:
            self._segments[html] = self._split(html)
        return self._segments[html]

    def _split(self, html: str) -> tuple[str, ...]:
        known = sorted(self.html.items(), key=lambda item: -len(item[0]))
        end = len(html)

        @cache
        def best(start: int) -> tuple[int, tuple[str, ...]]:
            """(unknown parts, keys) of the best reading of ``html[start:]``."""
            if start >= end:
                return 0, ()
            cut = html.find("\n\n", start)
            after = end if cut < 0 else cut + 2
            unknown, keys = best(after)
            choice = (unknown + 1, keys)
            for text, key in known:
                stop = start + len(text)
                if (
                    text
                    and html.startswith(text, start)
                    and (stop == end or html.startswith("\n\n", stop))
                ):
                    unknown, keys = best(stop + 2 if stop < end else end)
                    if unknown < choice[0]:
                        choice = (unknown, (key, *keys))
            return choice

        return best(0)[1]


class RecordingRenderer(Renderer):
    """The bot's renderer, remembering which key each text came from (tests only)."""

    def __init__(self, timezone: ZoneInfo, log: KeyLog | None = None) -> None:
        super().__init__(timezone)
        self.log = log or KeyLog()

    def text(self, locale: str, key: str, params: Mapping[str, Param] | None = None) -> str:
        rendered = super().text(locale, key, params)
        self.log.record(key, rendered)
        return rendered

    def in_timezone(self, timezone: str) -> Renderer:
        return RecordingRenderer(ZoneInfo(timezone), self.log)


@dataclass(frozen=True)
class SeenButton:
    """A button of a delivered message: what the person sees (``label``), the token the
    platform got, and what the test harness keeps beside it: the payload the token stands for
    and the catalog key of the label (None when unknown: the button is gone, or its label was
    rendered by no catalog key)."""

    label: str
    token: str
    payload: str | None
    key: str | None

    def is_of(self, family: str) -> bool:
        """Whether the payload is ``family`` or starts with ``family:`` (e.g. ``mt:mark``)."""
        return self.payload is not None and (
            self.payload == family or self.payload.startswith(family + ":")
        )


@dataclass
class Delivered:
    """One message as the person would see it (and, beside it, the keys it came from)."""

    chat_id: str
    html: str
    buttons: list[list[tuple[str, str]]]  # (label, token)
    document: tuple[str, bytes] | None
    #: the catalog keys of the texts the message is made of, in order
    keys: tuple[str, ...] = ()
    #: the buttons, row by row, with their payloads and label keys
    seen_buttons: list[list[SeenButton]] = field(default_factory=list)
    key_log: KeyLog | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        return html_to_plain(self.html)

    @property
    def labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def shows(self, key: str) -> bool:
        """Whether the message contains the text of ``key``: one of :attr:`keys`, or a text
        nested in one of them (a ``Text`` parameter such as an outcome's verdict)."""
        return key in self.keys or (self.key_log is not None and self.key_log.shows(self.html, key))

    def all_buttons(self) -> Iterator[SeenButton]:
        for row in self.seen_buttons:
            yield from row

    @property
    def label_keys(self) -> list[str | None]:
        """The label key of every button, row by row."""
        return [button.key for button in self.all_buttons()]

    @property
    def payloads(self) -> list[str | None]:
        return [button.payload for button in self.all_buttons()]

    def button(
        self,
        key: str | None = None,
        *,
        payload: str | None = None,
        family: str | None = None,
        label: str | None = None,
    ) -> SeenButton | None:
        """The first button with this label key, payload, payload family and/or label."""
        for button in self.all_buttons():
            if (
                (key is None or button.key == key)
                and (payload is None or button.payload == payload)
                and (family is None or button.is_of(family))
                and (label is None or button.label == label)
            ):
                return button
        return None

    def has_button(
        self, key: str | None = None, *, payload: str | None = None, family: str | None = None
    ) -> bool:
        return self.button(key, payload=payload, family=family) is not None

    def buttons_of(self, family: str) -> list[SeenButton]:
        """Every button whose payload is of ``family``, in order."""
        return [button for button in self.all_buttons() if button.is_of(family)]


@dataclass
class MemoryTransport:
    name: str = "test"
    capabilities: Capabilities = field(default_factory=Capabilities)
    pacing: Pacing = field(default_factory=Pacing)
    delivered: list[Delivered] = field(default_factory=list)
    forgotten_chats: list[tuple[str, str | None]] = field(default_factory=list)
    #: where the payloads behind tokens are looked up and whose keys the texts came from
    #: (the harness's own view; nothing of it is part of what is delivered)
    db: Database | None = None
    key_log: KeyLog | None = None

    async def start(self, inbox: Inbox) -> None:
        return None

    async def forget_chat(self, chat_id: str, user_id: str | None) -> None:
        self.forgotten_chats.append((chat_id, user_id))

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        payloads = await self._payloads(item)
        log = self.key_log
        self.delivered.append(
            Delivered(
                chat_id=item.chat_id,
                html=item.html,
                buttons=[[(b.label, b.token) for b in row] for row in item.buttons],
                document=(item.document.filename, item.document.content) if item.document else None,
                keys=log.keys_of(item.html) if log else (),
                key_log=log,
                seen_buttons=[
                    [
                        SeenButton(
                            label=b.label,
                            token=b.token,
                            payload=payloads.get(b.token),
                            key=log.label_key(b.label) if log else None,
                        )
                        for b in row
                    ]
                    for row in item.buttons
                ],
            )
        )
        return Delivery.sent(len(self.delivered))

    async def _payloads(self, item: OutboxItem) -> dict[str, str]:
        tokens = [b.token for row in item.buttons for b in row]
        if self.db is None or not tokens:
            return {}
        marks = ", ".join("?" * len(tokens))
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT token, payload FROM buttons WHERE token IN ({marks})", tokens
            )
            return {row["token"]: row["payload"] for row in await cursor.fetchall()}


class Clock:
    """A settable clock for time travel in tests."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or utc_now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def recording_observers(
    rendering: RecordingRenderer, transports: TransportFacts
) -> list[DeliveryObserver]:
    """The delivery worker's own observers, the announcement progress rendered by
    ``rendering`` (so that the keys of progress messages are known too)."""
    observers = default_observers(transports)
    return [
        Progress(rendering, transports).observe_delivery
        if isinstance(getattr(observer, "__self__", None), Progress)
        else observer
        for observer in observers
    ]


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
        self.registry = registry or build_registry()
        self.renderer = RecordingRenderer(ZoneInfo("Europe/Helsinki"))
        self.transport = MemoryTransport(
            capabilities=capabilities or Capabilities(), db=db, key_log=self.renderer.log
        )
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
        self.worker = DeliveryWorker(
            db,
            self.transport,
            clock=clock,
            observers=recording_observers(self.renderer, facts),
            transports=facts,
        )
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
        """Press the button labelled ``label`` in the latest message that has it.

        For labels that are no catalog text (a project's or a person's name, a meeting's
        title); a catalog label is found by its key (:meth:`presses_key`)."""
        return await self._press_where(lambda b: b.label == label, repr(label))

    async def presses_key(self, key: str, **params: Param) -> list[Delivered]:
        """Press the newest button whose label has the catalog key ``key`` (with ``params``
        given: whose label is that key rendered with them, in the person's language)."""
        if params:
            wanted = self.bot.renderer.plain(self.locale, key, params)
            return await self._press_where(
                lambda b: b.key == key and b.label == wanted, f"{key} {params}"
            )
        return await self._press_where(lambda b: b.key == key, key)

    async def presses_payload(self, payload: str) -> list[Delivered]:
        """Press the newest button whose payload is ``payload``."""
        return await self._press_where(lambda b: b.payload == payload, f"payload {payload!r}")

    async def presses_family(self, family: str, number: int = 0) -> list[Delivered]:
        """Press a button of the payload family ``family`` (``"mt:mark"`` for ``mt:mark:…``)
        in the latest message that has one: the first, or the ``number``-th (from 0)."""
        for message in reversed(self.messages()):
            found = message.buttons_of(family)
            if len(found) > number:
                return await self._send(button_token=found[number].token)
        raise AssertionError(f"no button of {family!r}; saw {self._offered()}")

    async def _press_where(
        self, wanted: Callable[[SeenButton], bool], what: str
    ) -> list[Delivered]:
        for message in reversed(self.messages()):
            for button in message.all_buttons():
                if wanted(button):
                    return await self._send(button_token=button.token)
        raise AssertionError(f"no button {what}; saw {self._offered()}")

    def _offered(self) -> list[list[tuple[str, str | None, str | None]]]:
        return [
            [(b.label, b.key, b.payload) for b in m.all_buttons()]
            for m in self.messages()
            if m.seen_buttons
        ]

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
