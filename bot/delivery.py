"""The delivery worker: drains one transport's outbox rows under its rate limits.

Rows are taken by priority (conversation replies before bulk broadcast rows), then oldest
first, a second's worth at a time, so a person talking to the bot during a long broadcast is
answered at once. A chat never has two messages in flight, so each chat sees its messages in
order; different chats are served concurrently up to the transport's ``concurrency``. Sends
are spaced evenly (``1 / per_second`` apart) rather than in bursts, which keeps a margin
under the platform's sliding-window flood limit even when requests arrive with some jitter.

The outcome of every attempt is committed right after the platform answers. A crash after
the platform accepted a message and before that commit cannot be told from one before the
send (Telegram has no idempotency key and cannot be asked what it delivered), so rows are
treated by what a repeat or a loss would cost:

* a row the bot sends on its own initiative — one with a producer's dedupe key: reminders,
  announcements, notices (:attr:`OutboxItem.at_most_once`) — is *claimed* in a commit of its
  own before the send, and after a restart a claimed row without an outcome is not sent
  again but ended as sent, "unconfirmed" (at most once). Only one such row is in flight at
  a time, so a crash leaves at most one of them uncertain (sent once, or lost);
* a reply to the person's own message is sent at least once: it has no claim, a crash in
  the window sends it again, and up to the transport's ``concurrency`` of them are in flight.

Flood
control (429) pauses the whole worker for ``retry_after``; a blocked person ends every
pending row to them; other failures back off exponentially and give up after
:data:`MAX_ATTEMPTS`. When a send uploaded a file shared by many rows (an announcement's
attachment), the platform's id for it is stored with the outcome, and the following rows
carry it (``OutboxItem.remote_file_id``) so the transport can send the id instead of the bytes.

Observers (by default the broadcast progress tracker) run after each recorded outcome, in
the same transaction, inside a savepoint: an observer's failure never loses the outcome.

The farewell of /unohda (``OutboxItem.farewell``) is the one row that is not kept: when it
ends in any state the transport is first asked to forget the chat (:class:`ForgetsChats`),
then the row is deleted with the outcome. A crash before that commit sends it again after the
restart (Matrix deduplicates it; the transport forgets again), so neither step is lost.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence

import aiosqlite

from bot.i18n import Renderer, normalise_locale
from bot.transports import every_transport
from bot.transports.base import Delivery, ForgetsChats, Status, Transport
from bot.waiting import wait_event
from handlers.core.ports import TransportFacts
from storage import broadcasts, outbox, users
from storage.db import Database, savepoint
from storage.outbox import Due, OutboxItem

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300.0
IDLE_POLL_SECONDS = 5.0  # rows written by another process (`hankebot broadcast`) start soon
MAX_BATCH = 200
# Lateness of one send that does not push the schedule back (absorbs timer overshoot).
SPACING_TOLERANCE = 0.005
# How long a pass waits for the at-most-once row in flight before it reads the outbox again.
ONCE_WAIT_SECONDS = 1.0

# (connection, row, its new final state or None when it will be retried, now)
DeliveryObserver = Callable[
    [aiosqlite.Connection, OutboxItem, str | None, dt.datetime], Awaitable[None]
]


def default_observers(transports: TransportFacts) -> list[DeliveryObserver]:
    from bot.i18n import renderer
    from handlers.common.broadcast_progress import Progress

    return [Progress(renderer(), transports).observe_delivery]


class RateWindow:
    """At most ``limit`` events in any ``period`` seconds (sliding window)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.events: collections.deque[float] = collections.deque()

    def wait_time(self, now: float) -> float:
        while self.events and now - self.events[0] >= self.period:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.period - (now - self.events[0])

    def record(self, now: float) -> None:
        self.events.append(now)


class Spacing:
    """Sends at least ``1 / per_second`` apart, on a fixed schedule.

    A send that is late by up to ``tolerance`` does not move the schedule, so timer
    overshoot does not lower the rate; any 31 consecutive sends still span at least
    ``30 / per_second - tolerance`` seconds.
    """

    def __init__(self, per_second: float, tolerance: float = SPACING_TOLERANCE) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.tolerance = min(tolerance, self.interval)
        self.next_at = 0.0

    def wait_time(self, now: float) -> float:
        return max(0.0, self.next_at - now)

    def record(self, now: float) -> None:
        self.next_at = max(self.next_at, now - self.tolerance) + self.interval


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        clock: Callable[[], dt.datetime],
        observers: Sequence[DeliveryObserver] | None = None,
        transports: TransportFacts | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.clock = clock
        self.facts = transports or every_transport()
        if renderer is None:
            from bot.i18n import renderer as default_renderer

            renderer = default_renderer()
        self.renderer = renderer
        if observers is None:
            observers = default_observers(self.facts)
        self.observers = list(observers)
        pacing = transport.pacing
        self._overall = RateWindow(int(pacing.per_second), 1.0)
        self._spacing = Spacing(pacing.per_second)
        # About a second's worth of sends per pass, so new urgent rows are seen soon.
        self._batch = max(20, min(MAX_BATCH, math.ceil(pacing.per_second)))
        self._groups: dict[str, RateWindow] = {}
        self._last_to_chat: dict[str, float] = {}
        self._in_flight: set[str] = set()
        self._once_in_flight = False  # an at-most-once row is being sent (one at a time)
        self._once_free = asyncio.Event()  # set when none is
        self._once_free.set()
        self._settled = False  # claims of an earlier run are settled in the first pass
        # outbox id → (its attempts when started, when its outcome was committed): a row read
        # before that commit still looks pending and must not be sent again.
        self._attempted: dict[int, tuple[int, float | None]] = {}
        self._slots = asyncio.Semaphore(max(1, pacing.concurrency))
        self._wake = asyncio.Event()
        self._fresh = asyncio.Event()  # rows were enqueued since this pass began
        self._paused_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self.sent_count = 0
        # Called with (chat id, monotonic time) as each send starts: what the worker itself
        # did, for tests and benchmarks that check its pacing whatever the machine's load.
        self.on_send_start: Callable[[str, float], None] | None = None

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name=f"delivery-{self.transport.name}")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking rows; give sends in flight ``grace`` seconds to finish and be recorded.

        A send cut off after that may be sent again after the next start (the same window
        as a crash); a row that was never sent stays pending and goes out then.
        """
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def alive(self) -> bool:
        """The worker's loop runs (started, not stopped, not ended by an error)."""
        return self._runner is not None and not self._runner.done()

    def wake(self) -> None:
        """New rows may be due (producers call this after their commit)."""
        self._fresh.set()
        self._wake.set()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is due and nothing is in flight (console exit, tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._idle.clear()
            self.wake()
            if await self._nothing_due() and not self._in_flight:
                return
            await wait_event(self._idle, 0.5)
        raise TimeoutError("outbox did not drain")

    async def _nothing_due(self) -> bool:
        async with self.db.committed() as conn:
            return not await outbox.due_rows(conn, self.transport.name, self.clock(), limit=1)

    # --- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                delay = await self._pass()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.error("delivery pass failed: %s", type(error).__name__)
                delay = 1.0
            if delay > 0:
                self._idle.set()
                await wait_event(self._wake, delay)

    async def _pass(self) -> float:
        """Start deliveries for due rows; returns how long to sleep before the next pass."""
        # A wake-up from now on (new rows, a chat free again) cuts the coming sleep short.
        self._wake.clear()
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            return pause
        self._fresh.clear()
        now = self.clock()
        read_at = time.monotonic()
        # Only the first pass writes (it settles an earlier run's claims, in the same
        # transaction); the others read what is committed without the write lock.
        access = self.db.committed() if self._settled else self.db.transaction()
        async with access as conn:
            if not self._settled:
                await self._settle_claims(conn, now)
                self._settled = True
            items = await outbox.due_rows(conn, self.transport.name, now, limit=self._batch)
            next_due = await outbox.next_due_time(conn, self.transport.name)
        self._forget_attempts(read_at)
        started = False
        earliest_retry = IDLE_POLL_SECONDS
        blocked_chats: set[str] = set()
        for item in items:
            if (
                item.chat_id in self._in_flight
                or item.chat_id in blocked_chats
                or self._already_attempted(item)
            ):
                blocked_chats.add(item.chat_id)
                continue
            wait = self._chat_wait(item.chat_id, time.monotonic())
            if wait > 0:
                blocked_chats.add(item.chat_id)
                earliest_retry = min(earliest_retry, wait)
                continue
            if started and self._fresh.is_set():
                break  # something new was enqueued: look again (it may come first)
            if item.at_most_once and self._once_in_flight and not await self._once_done():
                break  # new rows, or the one in flight is slow: read again
            moment = time.monotonic()
            overall = max(self._overall.wait_time(moment), self._spacing.wait_time(moment))
            if overall > 0:
                await asyncio.sleep(overall)
            if time.monotonic() < self._paused_until:
                break
            await self._slots.acquire()
            self._attempted[item.id] = (item.attempts, None)
            self._in_flight.add(item.chat_id)
            if item.at_most_once:
                self._once_in_flight = True
                self._once_free.clear()
            blocked_chats.add(item.chat_id)
            self._record_send(item.chat_id)
            task = asyncio.create_task(self._deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started = True
        if started or len(items) == self._batch:
            return 0.0
        if items:  # everything due is waiting for per-chat pacing or in flight
            return min(earliest_retry, 0.2) if self._in_flight else earliest_retry
        if next_due is not None:
            return max(0.0, min(IDLE_POLL_SECONDS, (next_due - self.clock()).total_seconds()))
        return IDLE_POLL_SECONDS

    async def _once_done(self) -> bool:
        """Wait, within the pass, for the at-most-once row in flight to be recorded, so the
        next one follows at once from the rows already read (a fresh read per row cost more
        than a 1/29 s slot on a busy machine). False when rows were enqueued meanwhile (they
        may come first) or it takes longer than :data:`ONCE_WAIT_SECONDS`."""
        free = asyncio.ensure_future(self._once_free.wait())
        fresh = asyncio.ensure_future(self._fresh.wait())
        try:
            await asyncio.wait(
                {free, fresh}, timeout=ONCE_WAIT_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            free.cancel()
            fresh.cancel()
        return not self._once_in_flight and not self._fresh.is_set()

    def _already_attempted(self, item: Due) -> bool:
        """This attempt was started already (the row was read before its outcome was saved)."""
        seen = self._attempted.get(item.id)
        return seen is not None and seen[0] >= item.attempts

    def _forget_attempts(self, read_at: float) -> None:
        """Outcomes committed before ``read_at`` are visible in what was read then."""
        done = [key for key, (_, at) in self._attempted.items() if at is not None and at < read_at]
        for key in done:
            del self._attempted[key]

    def _chat_wait(self, chat_id: str, now: float) -> float:
        pacing = self.transport.pacing
        if self._is_group(chat_id) and pacing.group_per_minute:
            window = self._groups.setdefault(chat_id, RateWindow(pacing.group_per_minute, 60.0))
            return window.wait_time(now)
        last = self._last_to_chat.get(chat_id)
        if last is None or pacing.per_chat_interval <= 0:
            return 0.0
        return max(0.0, last + pacing.per_chat_interval - now)

    def _record_send(self, chat_id: str) -> None:
        now = time.monotonic()
        if self.on_send_start is not None:
            self.on_send_start(chat_id, now)
        self._overall.record(now)
        self._spacing.record(now)
        self._last_to_chat[chat_id] = now
        if chat_id in self._groups:
            self._groups[chat_id].record(now)

    @staticmethod
    def _is_group(chat_id: str) -> bool:
        return chat_id.startswith("telegram:-")

    async def _settle_claims(self, conn: aiosqlite.Connection, now: dt.datetime) -> None:
        """End the rows a previous run claimed and never heard back about: each may have
        reached its person, so it is recorded as sent ("unconfirmed") and not sent again.
        Runs in the first pass; the instance lock keeps any other process from sending."""
        claimed = await outbox.unconfirmed_claims(conn, self.transport.name)
        for item in claimed:
            await outbox.mark_unconfirmed(conn, item.id, now)
            for observer in self.observers:
                try:
                    async with savepoint(conn, "observer"):
                        await observer(conn, item, "sent", now)
                except Exception as error:
                    log.error(
                        "delivery observer failed: outbox=%s %s", item.id, type(error).__name__
                    )
        for item in claimed:
            log.warning("send cut off by a stop: outbox=%s not sent again", item.id)

    async def _claim(self, item: OutboxItem) -> None:
        """Commit "about to send" for an at-most-once row (before the platform is asked)."""
        async with self.db.transaction() as conn:
            await outbox.claim(conn, item.id, item.attempts)

    async def _finished(self, item: OutboxItem) -> OutboxItem:
        """The row with every text the transport shows: on a transport that numbers its
        buttons, the "reply with a number" line in the recipient's language."""
        if not item.buttons or not self.facts.numbers_buttons(self.transport.name):
            return item
        person = None
        if item.user_id is not None:
            async with self.db.committed() as conn:
                person = await users.get(conn, item.user_id)
        locale = person.locale if person is not None else normalise_locale(None)
        hint = self.renderer.text(locale, "matrix.reply_with_number")
        return dataclasses.replace(item, options_hint=hint)

    async def _deliver(self, due: Due) -> None:
        try:
            async with self.db.committed() as conn:
                item = await outbox.pending(conn, due)
            if item is None:  # ended meanwhile (a /unohda, a cancelled announcement)
                return
            if item.at_most_once:
                await self._claim(item)  # a failure here sends nothing; the row stays pending
            try:
                item = await self._finished(item)
                result = await self.transport.deliver(item)
            except Exception as error:
                result = Delivery(Status.RETRY, error=type(error).__name__)
            self._last_to_chat[item.chat_id] = time.monotonic()
            if item.farewell and self._ends(item, result):
                await self._forget_chat(item)
            await self._record(item, result)
        except Exception as error:
            log.error("recording delivery %s failed: %s", due.id, type(error).__name__)
        finally:
            self._attempted[due.id] = (due.attempts, time.monotonic())
            self._in_flight.discard(due.chat_id)
            if due.at_most_once:
                self._once_in_flight = False
                self._once_free.set()
            self._slots.release()
            self._wake.set()  # the chat is free again

    @staticmethod
    def _ends(item: OutboxItem, result: Delivery) -> bool:
        """Whether this outcome is the row's last (as :meth:`_record_outcome` decides)."""
        return result.status is not Status.RETRY or item.attempts + 1 >= MAX_ATTEMPTS

    async def _forget_chat(self, item: OutboxItem) -> None:
        if not isinstance(self.transport, ForgetsChats):
            return
        try:
            await self.transport.forget_chat(item.chat_id, item.user_id)
        except Exception as error:
            log.error("forgetting the chat of outbox %s failed: %s", item.id, type(error).__name__)

    async def _record(self, item: OutboxItem, result: Delivery) -> None:
        now = self.clock()
        async with self.db.transaction() as conn:
            final = await self._record_outcome(conn, item, result, now)
            for observer in self.observers:
                try:
                    async with savepoint(conn, "observer"):
                        await observer(conn, item, final, now)
                except Exception as error:  # its writes are undone; the outcome stays
                    log.error(
                        "delivery observer failed: outbox=%s %s", item.id, type(error).__name__
                    )
        if item.farewell and final is not None:
            await self.db.checkpoint()  # the deleted farewell leaves no copy in the log

    async def _store_outcome(
        self, conn: aiosqlite.Connection, item: OutboxItem, result: Delivery, now: dt.datetime
    ) -> str | None:
        if result.status is Status.SENT:
            await outbox.mark_sent(conn, item.id, result.platform_message_id, now)
            if result.uploaded_file_id is not None and item.shared_file is not None:
                await broadcasts.remember_upload(
                    conn, item.shared_file, self.transport.name, result.uploaded_file_id
                )
            self.sent_count += 1
            return "sent"
        if result.status is Status.UNREACHABLE:
            await outbox.mark_final(conn, item.id, "unreachable", result.error, now)
            await outbox.unreachable_chat(conn, item.chat_id, result.error, now)
            await users.mark_chat_unreachable(conn, item.chat_id)
            log.info("chat unreachable: outbox=%s error=%s", item.id, result.error)
            return "unreachable"
        if result.status is Status.FAILED or item.attempts + 1 >= MAX_ATTEMPTS:
            await outbox.mark_final(conn, item.id, "failed", result.error, now)
            log.warning("delivery failed: outbox=%s error=%s", item.id, result.error)
            return "failed"
        if result.retry_after is not None:
            delay = result.retry_after
            self._paused_until = max(self._paused_until, time.monotonic() + delay)
            log.warning("flood control: pausing %.1f s", delay)
        else:
            delay = min(MAX_BACKOFF_SECONDS, 2.0 ** (item.attempts + 1))
            log.warning("delivery retry: outbox=%s error=%s", item.id, result.error)
        not_before = now + dt.timedelta(seconds=delay)
        await outbox.mark_retry(conn, item.id, not_before, result.error)
        await outbox.delay_chat(conn, item.chat_id, not_before)
        return None

    async def _record_outcome(
        self, conn: aiosqlite.Connection, item: OutboxItem, result: Delivery, now: dt.datetime
    ) -> str | None:
        """Store one attempt's outcome; returns the row's final state, or None (retried).
        A farewell that has ended is deleted instead of kept."""
        final = await self._store_outcome(conn, item, result, now)
        if final is not None and item.farewell:
            await outbox.delete(conn, item.id)
        return final
