"""Wiring: database, content, registry, dispatcher, transports and their delivery workers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from bot.admission import Admission
from bot.command_menu import command_menus
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.dispatcher import Dispatcher, utc_now
from bot.health import HealthServer, limits_of
from bot.i18n import Renderer
from bot.maintenance import Maintenance
from bot.memory import give_back_free_memory
from bot.platform_events import PlatformEvents
from bot.rate_limit import PerPersonLimit
from bot.scheduler import ReminderScheduler
from bot.transports.base import (
    Capabilities,
    DeclaredTransports,
    Inbound,
    PlatformEvent,
    StartupError,
    Transport,
)
from bot.transports.console import ConsoleTransport
from content import content_warnings, load_content
from handlers.core.context import Services
from handlers.core.types import Incoming
from handlers.domain import extras
from handlers.registry import build_registry
from storage.db import Database
from storage.instance_lock import InstanceLock

log = logging.getLogger(__name__)

# Libraries that log request URLs (which contain the Telegram token), API answers or SQL
# parameters (which contain message texts) below WARNING. They stay at WARNING whatever
# level the operator chooses, so no log ever carries a message text or a token.
CHATTY_LIBRARIES = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "nio", "peewee")


def quiet_libraries() -> None:
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


class Declared(Transport, Protocol):
    """A transport as the wiring sees it: it also declares what it can do and what its
    events may be trusted for."""

    capabilities: Capabilities
    inbound: Inbound


class Application:
    """One running bot. ``run()`` serves until stopped (or, on the console, end of input)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        console_stdin: TextIO | None = None,
        console_stdout: TextIO | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.console_stdin = console_stdin
        self.console_stdout = console_stdout
        self.transports: dict[str, Declared] = {}
        self.workers: dict[str, DeliveryWorker] = {}
        self._stopping = asyncio.Event()
        self.health: HealthServer | None = None

    async def setup(self) -> None:
        settings = self.settings
        quiet_libraries()
        # one bot per database (AlreadyRunning otherwise); `hankebot db restore` checks it
        self.instance_lock = InstanceLock(settings.database)
        self.instance_lock.acquire()
        self.db = await Database.open(settings.database)
        timezone = ZoneInfo(settings.timezone)
        self.renderer = Renderer(timezone)
        self.registry = build_registry()
        content = load_content(settings.content_dir)
        for warning in content_warnings(content, settings.content_dir):
            log.warning("content: %s", warning)
        if not extras.charts_available():
            log.warning(extras.CHARTS_MISSING)
        self._make_transports()
        # What each running transport declares it can do and what its events may be trusted
        # for: the core's one source for both.
        inbound = {name: transport.inbound for name, transport in self.transports.items()}
        self.transport_facts = DeclaredTransports(
            {name: transport.capabilities for name, transport in self.transports.items()}
        )
        self.services = Services(
            registry=self.registry,
            timezone=timezone,
            admins=settings.admins,
            rendering=self.renderer,
            content=content,
            audit_retention_days=settings.audit_retention_days,
            transports=self.transport_facts,
        )
        per_minute = settings.rate_limit_per_minute
        self.dispatcher = Dispatcher(
            self.db,
            self.services,
            self.renderer,
            clock=self.clock,
            on_enqueued=self._wake_workers,
            inbound=inbound,
            rate_limit=PerPersonLimit(per_minute) if per_minute else None,
            admission=Admission({"matrix": settings.matrix_allowed_servers}),
        )
        self.platform_events = PlatformEvents(self.dispatcher)
        for name, transport in self.transports.items():
            self.workers[name] = DeliveryWorker(
                self.db,
                transport,
                clock=self.clock,
                transports=self.transport_facts,
                renderer=self.renderer,
            )
        self.maintenance = Maintenance(
            self.db,
            clock=self.clock,
            audit_retention_days=settings.audit_retention_days,
            transports=self.transport_facts,
        )
        self.scheduler = ReminderScheduler(
            self.db, self.dispatcher, clock=self.clock, on_enqueued=self._wake_workers
        )

    def _make_transports(self) -> None:
        """The configured transports (the console when none is)."""
        settings = self.settings
        if settings.telegram_enabled:
            from bot.transports.telegram import TelegramTransport

            telegram = TelegramTransport(
                settings,
                self.db,
                command_menus(self.registry, self.renderer),
                wants_file=self.wants_file,
                report=self.report,
                inbox_together=self.inbox_together,
            )
            self.transports["telegram"] = telegram
        if settings.matrix_enabled:
            from bot.transports.matrix import MatrixTransport

            matrix = MatrixTransport(
                settings,
                self.db,
                commands=frozenset(
                    name for command in self.registry.commands for name in command.all_names()
                ),
                wants_file=self.wants_file,
                report=self.report,
            )
            self.transports["matrix"] = matrix
        if not self.transports:
            console = ConsoleTransport(stdin=self.console_stdin, stdout=self.console_stdout)
            self.transports["console"] = console

    async def wants_file(self, user_id: str, chat_id: str) -> bool:
        """The transports' port to :meth:`Dispatcher.wants_file` (made after them)."""
        return await self.dispatcher.wants_file(user_id, chat_id)

    async def report(self, event: PlatformEvent) -> None:
        """The transports' port to :class:`PlatformEvents` (made after them)."""
        await self.platform_events.handle(event)

    def _wake_workers(self, transports: set[str]) -> None:
        for name in transports:
            worker = self.workers.get(name)
            if worker is not None:
                worker.wake()

    async def inbox(self, incoming: Incoming) -> None:
        await self.dispatcher.handle(incoming)

    async def inbox_together(self, batch: Sequence[Incoming], keep: Mapping[str, str]) -> None:
        await self.dispatcher.handle_together(batch, keep=keep)

    async def run(self) -> int:
        await self.setup()
        try:
            for worker in self.workers.values():
                worker.start()
            for transport in self.transports.values():
                await transport.start(self.inbox)
            self.maintenance.start()
            await self.scheduler.start(self.transports)
            await self._start_health()
            give_back_free_memory()  # what start-up used and freed (idle memory, issue 17)
            console = self.transports.get("console")
            if isinstance(console, ConsoleTransport):
                worker = self.workers["console"]
                await console.read_loop(after_each=worker.drain)
                await worker.drain()
            else:
                self._install_signal_handlers()
                await self._stopping.wait()
            return 0
        finally:
            await self.shutdown()

    async def _start_health(self) -> None:
        """``/healthz`` when a port is configured (after the workers, which it reports on)."""
        settings = self.settings
        if settings.health_port is None:
            return
        self.health = HealthServer(
            self.db,
            self.workers,
            clock=self.clock,
            limits=limits_of(settings),
            listen=settings.health_listen,
            port=settings.health_port,
        )
        try:
            await self.health.start()
        except OSError as error:
            self.health = None
            raise StartupError(
                f"the health endpoint cannot listen on {settings.health_listen}:"
                f"{settings.health_port} ({type(error).__name__}); set HANKEBOT_HEALTH_PORT"
                " to a free port"
            ) from None

    def request_stop(self) -> None:
        self._stopping.set()

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.request_stop)

    async def shutdown(self) -> None:
        """Stop producers first, then finish in-flight sends, then close the platforms."""
        if self.health is not None:
            await self.health.stop()
        await self.scheduler.stop()
        await self.maintenance.stop()
        for worker in self.workers.values():
            await worker.stop()
        for transport in self.transports.values():
            await transport.stop()
        await self.db.close()
        self.instance_lock.release()
