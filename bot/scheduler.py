"""The reminder scheduler: sends due reminders, follow-ups and check-ins through the outbox.

The database is the source of truth. Due work lives in the ``reminders`` table, indexed by
``due_at`` (:mod:`storage.reminders`); APScheduler 3 only wakes the process, with a single
job armed at the next due moment (or after :data:`POLL_SECONDS` at most, so that meetings
added by ``hankebot meetings`` in another process are noticed). Handlers call ``wake`` after
a change (it waits for their transaction to commit) and the job is re-armed.

Each pass, in one transaction per batch: the row is checked against the meeting as it is now
(cancelled, moved, person left, already answered "can't come"), the message is rendered in
the person's language and written to the outbox with a dedupe key per (occurrence,
participant, kind, offset, start), and the row is marked ``sent`` — so a crash at any point
sends it once: either the whole transaction happened or none of it.

On start, the horizon of occurrences is extended and everything overdue is handled at once:
a reminder still before its meeting is sent (re-planned with the quiet-hours rules if it is
more than :data:`LATE_GRACE` late, so nobody is woken at night), otherwise recorded as
``missed``; when several reminders of one meeting are overdue only the latest goes.

```mermaid
sequenceDiagram
    participant A as APScheduler (one job)
    participant S as ReminderScheduler
    participant D as SQLite (reminders, outbox)
    participant W as delivery worker
    A->>S: wake at next due time
    S->>D: BEGIN; due rows (index on due_at)
    S->>D: outbox row (dedupe key) + row sent
    S->>D: COMMIT
    S->>W: wake
    S->>D: next due time
    S->>A: re-arm (≤ 60 s)
```
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Mapping

import aiosqlite
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from bot.dispatcher import Dispatcher, render_buttons, utc_now
from bot.private_chats import MATRIX_USER_ID
from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import COMMAND
from handlers.core.context import Notice
from handlers.core.types import Reply
from handlers.domain.reminder_times import (
    DEFAULT_POLICY,
    ReminderPolicy,
    ReminderStatus,
    plan_check_in,
    plan_follow_up,
    plan_reminders,
)
from handlers.participant import answers as participant
from storage import (
    conversations,
    held_notices,
    memberships,
    open_items,
    participants,
    reminders,
    users,
)
from storage import meetings as meeting_store
from storage.conversations import ConversationState
from storage.db import Database
from storage.meetings import HORIZON
from storage.reminders import DueWork, Outgoing

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0
LATE_GRACE = dt.timedelta(seconds=60)
EXTEND_EVERY = dt.timedelta(hours=1)
EXTEND_SLACK = dt.timedelta(days=1)
BATCH = 100
JOB_ID = "hankebot-reminders"
STOP_GRACE_SECONDS = 10.0
SILENCE_AFTER = 3  # reminders in a row without an answer
# How long a follow-up or check-in waits for someone who has no private chat yet (a
# reminder waits until its meeting begins).
HELD_FOR = dt.timedelta(days=7)

# Local hours in which the weekly reminder of open items may go (not at night).
OPEN_REMINDER_HOURS = range(9, 20)

_FINAL = {ReminderStatus.MISSED: "missed", ReminderStatus.SKIPPED: "skipped"}


class ReminderScheduler:
    def __init__(
        self,
        db: Database,
        dispatcher: Dispatcher,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        on_enqueued: Callable[[set[str]], None] | None = None,
        policy: ReminderPolicy = DEFAULT_POLICY,
        wake_on_change: bool = True,
        batch: int = BATCH,
    ) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.services = dispatcher.services
        self.tz = self.services.timezone
        self.clock = clock
        self.on_enqueued = on_enqueued
        self.policy = policy
        self.batch = batch
        self._lock = asyncio.Lock()
        self._aps: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._extended_at: dt.datetime | None = None
        self._outgoing: list[Outgoing] = []
        self._stopped = False
        self.armed_for: dt.datetime | None = None
        self.sent = 0
        if wake_on_change:
            self.services.extras[common.WAKE_SCHEDULER] = self.wake

    # --- life cycle ------------------------------------------------------------------------
    async def start(self, transports: Mapping[str, object] | None = None) -> None:
        """Rebuild from the database: extend occurrences, catch up, arm the one job.

        ``transports`` are the running ones: the Telegram bot's user name (known only once
        it started) goes to ``services.extras`` so invites can show a deep link.
        """
        telegram = getattr((transports or {}).get("telegram"), "bot", None)
        username = getattr(telegram, "username", None)
        if username:
            self.services.extras[common.TELEGRAM_USERNAME] = username
        matrix_id = getattr((transports or {}).get("matrix"), "user_id", None)
        if matrix_id:  # for the hint to open a private chat (bot.private_chats)
            self.services.extras[MATRIX_USER_ID] = matrix_id
        self._aps = AsyncIOScheduler(timezone=self.tz)
        self._aps.start()
        await self.tick()

    async def stop(self) -> None:
        """Stop waking; let a pass in progress finish (cancelling one in the middle of a
        transaction would leave the connection inside it), then cancel what is left."""
        self._stopped = True
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=STOP_GRACE_SECONDS)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        """Look at the queue again soon (after the caller's transaction commits)."""
        if self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to wake
            task: asyncio.Task[object] = asyncio.get_running_loop().create_task(self.tick())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _fired(self) -> None:
        """The APScheduler job; tracked so that ``stop`` can wait for it."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not self._stopped:
            await self.tick()

    # --- one pass ------------------------------------------------------------------------------
    async def tick(self) -> dt.datetime | None:
        """Handle everything due now; returns the next due moment (and arms the job for it)."""
        async with self._lock:
            next_due: dt.datetime | None = None
            try:
                now = self.clock()
                if self._extended_at is None or now - self._extended_at >= EXTEND_EVERY:
                    await self.extend(now)
                    self._extended_at = now
                while await self.run_due(self.clock()) >= self.batch:
                    pass
                await self.remind_open_items(self.clock())
                async with self.db.transaction() as conn:
                    next_due = await reminders.next_due(conn)
                    open_due = await open_items.next_reminder_at(conn)
                if open_due is not None:
                    next_due = open_due if next_due is None else min(next_due, open_due)
            except Exception as error:
                log.error("reminder pass failed: %s", type(error).__name__)
            self._arm(next_due)
            return next_due

    def _arm(self, next_due: dt.datetime | None) -> None:
        now = self.clock()
        wake_at = now + dt.timedelta(seconds=POLL_SECONDS)
        if next_due is not None:
            wake_at = min(wake_at, next_due)
        self.armed_for = wake_at
        if self._aps is None or self._stopped:
            return
        delay = max(0.0, (wake_at - now).total_seconds())
        self._aps.add_job(
            self._fired,
            "date",
            run_date=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay),
            id=JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            max_instances=10,
        )

    async def extend(self, now: dt.datetime) -> int:
        """Create occurrences up to the horizon and plan them; returns how many were made."""
        made = 0
        async with self.db.transaction() as conn:
            lagging = await meeting_store.to_extend(conn, now + HORIZON - EXTEND_SLACK)
        for meeting in lagging:
            async with self.db.transaction() as conn:
                created = await planning.materialize_and_plan(
                    conn, meeting, now + HORIZON, now=now, tz=self.tz, policy=self.policy
                )
            made += len(created)
        return made

    async def run_due(self, now: dt.datetime) -> int:
        """One batch of due rows in one transaction; returns how many rows were looked at."""
        touched: set[str] = set()
        async with self.db.transaction() as conn:
            rows = await reminders.due(conn, now, limit=self.batch)
            superseded = _superseded(rows)
            self._outgoing = []
            for item in rows:
                if item.work.id in superseded and item.occurrence.start > now:
                    await reminders.finish(conn, item.work.id, "skipped", now)
                    continue
                transport = await self._handle(conn, item, now)
                if transport:
                    touched.add(transport)
            if self._outgoing:
                await reminders.send_batch(conn, self._outgoing, now)
                self.sent += len(self._outgoing)
        if touched and self.on_enqueued is not None:
            self.on_enqueued(touched)
        return len(rows)

    async def remind_open_items(self, now: dt.datetime) -> int:
        """Once a week, tell the coordinators (else the administrators) how many things
        people asked of them are still open, per project, with a button to /avoimet. In one
        transaction with ``reminded_at``, so a restart neither loses nor repeats one; never
        at night (outside :data:`OPEN_REMINDER_HOURS` local time it waits)."""
        if now.astimezone(self.tz).hour not in OPEN_REMINDER_HOURS:
            return 0
        touched: set[str] = set()
        sent = 0
        async with self.db.transaction() as conn:
            due = await open_items.due_for_reminder(conn, now)
            for project in dict.fromkeys(item.project for item in due):
                still_open = await open_items.open_for(
                    conn, {project} if project else set(), general=project is None
                )
                if project is None:
                    readers = sorted(self.services.admins)
                else:
                    rows = await memberships.members(conn, project, "coordinator")
                    readers = [row.user_id for row in rows] or sorted(self.services.admins)
                for reader_id in readers:
                    reader = await users.get(conn, reader_id)
                    locale = reader.locale if reader is not None else "fi"
                    name = common.project_name(self.services, project, locale) if project else ""
                    reply = Reply(
                        "open.weekly_reminder" if project else "open.weekly_reminder_general",
                        {"count": len(still_open), "project": name},
                        ((COMMAND.button("open.show_button", "avoimet"),),),
                    )
                    notice = Notice(
                        reader_id,
                        reply,
                        dedupe_key=f"openrem:{project}:{reader_id}:{now:%Y%m%d}",
                    )
                    transport = await self.dispatcher.enqueue_notice(conn, notice, now)
                    if transport:
                        touched.add(transport)
                    sent += 1
                await open_items.mark_reminded(conn, [item.id for item in still_open], now)
        if touched and self.on_enqueued is not None:
            self.on_enqueued(touched)
        return sent

    # --- deciding about one row ------------------------------------------------------------
    async def _handle(
        self, conn: aiosqlite.Connection, item: DueWork, now: dt.datetime
    ) -> str | None:
        work, occurrence, meeting = item.work, item.occurrence, item.meeting
        if occurrence.cancelled or meeting.cancelled or work.start != occurrence.start:
            await reminders.finish(conn, work.id, "cancelled", now)
            return None
        if not item.for_them:  # left the project, or moved to another group
            await reminders.finish(conn, work.id, "cancelled", now)
            return None
        person = item.person
        if person is None or person.unreachable:
            await reminders.finish(conn, work.id, "skipped", now)
            return None
        if work.kind == "reminder" and occurrence.start <= now:
            await reminders.finish(conn, work.id, "missed", now)
            return None
        if now - work.due_at > LATE_GRACE:  # the bot was down: where does the row belong now?
            status, at = self._replan(item, now)
            if not await self._still_due(conn, work.id, status, at, now):
                return None
        if work.kind == "reminder":
            return await self._reminder(conn, item, person, now)
        if work.kind == "follow_up":
            return await self._follow_up(conn, item, person, now)
        return await self._check_in(conn, item, person, now)

    def _replan(self, item: DueWork, now: dt.datetime) -> tuple[ReminderStatus, dt.datetime]:
        """A late row planned again by the same planner that first placed it."""
        work, occurrence = item.work, item.occurrence
        if work.kind == "reminder":
            plans = plan_reminders(
                occurrence.start,
                work.covers or (work.offset,),
                now=now,
                tz=self.tz,
                policy=self.policy,
            )
            active = [p for p in plans if p.status not in _FINAL] or plans
            first = min(active, key=lambda p: p.at)
            return first.status, first.at
        if work.kind == "follow_up":
            planned = plan_follow_up(occurrence.end, now=now, tz=self.tz, policy=self.policy)
        else:
            planned = plan_check_in(occurrence.start, now=now, tz=self.tz, policy=self.policy)
        return planned.status, planned.at

    async def _still_due(
        self,
        conn: aiosqlite.Connection,
        work_id: int,
        status: ReminderStatus,
        at: dt.datetime,
        now: dt.datetime,
    ) -> bool:
        """After re-planning a late row: True to send now; else it is rescheduled or ended."""
        if status is ReminderStatus.SEND_NOW:
            return True
        if status is ReminderStatus.SCHEDULED:
            await reminders.reschedule(conn, work_id, at)
        else:
            await reminders.finish(conn, work_id, _FINAL[status], now)
        return False

    async def _reminder(
        self,
        conn: aiosqlite.Connection,
        item: DueWork,
        person: users.User,
        now: dt.datetime,
    ) -> str | None:
        work, occurrence, meeting = item.work, item.occurrence, item.meeting
        if item.answer in ("no", "other"):
            await reminders.finish(conn, work.id, "skipped", now)
            return None
        reply = participant.reminder_reply(occurrence, meeting, item.answer)
        return await self._send(conn, item, person, reply, now)

    async def _follow_up(
        self,
        conn: aiosqlite.Connection,
        item: DueWork,
        person: users.User,
        now: dt.datetime,
    ) -> str | None:
        work, occurrence, meeting = item.work, item.occurrence, item.meeting
        attended = await participants.attendance_of(conn, occurrence.id, work.user_id)
        if item.answer in ("no", "other") or attended == "missed":
            await reminders.finish(conn, work.id, "skipped", now)
            return None
        if await self._silent(conn, work.user_id, meeting.project, now):
            await participants.note_silence(conn, work.user_id, meeting.project, now)
            await self._tell_coordinators(conn, meeting.project, work.user_id, person, now)
            return await self._send(conn, item, person, participant.silence_reply(), now)
        transport = await self._send(
            conn, item, person, participant.follow_up_reply(occurrence, meeting), now
        )
        chat = person.home_chat_id
        # A typed "1"–"5" answers it, unless the person is in the middle of something.
        if (
            transport is not None
            and chat is not None
            and await conversations.load(conn, person.user_id, chat) is None
        ):
            state = ConversationState(
                participant.RATING_FLOW, participant.RATING_STEP, {"occ": occurrence.id}
            )
            await conversations.save(conn, person.user_id, chat, state, now)
        return transport

    async def _check_in(
        self,
        conn: aiosqlite.Connection,
        item: DueWork,
        person: users.User,
        now: dt.datetime,
    ) -> str | None:
        work, occurrence, meeting = item.work, item.occurrence, item.meeting
        upcoming = await meeting_store.upcoming_for_user(
            conn, work.user_id, now, project=meeting.project, limit=1
        )
        reply = participant.check_in_reply(occurrence, upcoming[0] if upcoming else None)
        return await self._send(conn, item, person, reply, now)

    async def _silent(
        self, conn: aiosqlite.Connection, user_id: str, project: str, now: dt.datetime
    ) -> bool:
        """Three reminders in a row, all for meetings that have begun, and no answer since."""
        last = await reminders.last_sent_reminders(conn, user_id, project, SILENCE_AFTER)
        if len(last) < SILENCE_AFTER or any(start > now for _, start in last):
            return False
        if await participants.silence_noted(conn, user_id, project):
            return False
        return not await participants.answered_since(conn, user_id, min(s for s, _ in last))

    async def _tell_coordinators(
        self,
        conn: aiosqlite.Connection,
        project: str,
        user_id: str,
        person: users.User,
        now: dt.datetime,
    ) -> None:
        rows = await memberships.members(conn, project, "coordinator")
        for coordinator in [row.user_id for row in rows] or sorted(self.services.admins):
            reader = await users.get(conn, coordinator)
            locale = reader.locale if reader is not None else "fi"
            reply = Reply(
                "notify.silent",
                {
                    "name": common.person_label(person, user_id),
                    "project": common.project_name(self.services, project, locale),
                },
            )
            # The key is stored as a keyed hash (Dispatcher.enqueue_notice) and the notice is
            # about the participant: their /forget deletes it, sent or waiting.
            notice = Notice(
                coordinator,
                reply,
                dedupe_key=f"silent:{user_id}:{project}:{now:%Y%m%d}",
                about=user_id,
            )
            await self.dispatcher.enqueue_notice(conn, notice, now)

    async def _send(
        self,
        conn: aiosqlite.Connection,
        item: DueWork,
        person: users.User,
        reply: Reply,
        now: dt.datetime,
    ) -> str | None:
        """Render the message; it is written to the outbox with the batch (same transaction)
        under a dedupe key per (occurrence, participant, kind, offset, start). For someone
        with no private chat yet it is held instead (``storage.held_notices``), a reminder
        until its meeting begins, other messages for :data:`HELD_FOR`; returns the
        transport only when the outbox got a row."""
        work = item.work
        key = (
            f"rem:{work.occurrence_id}:{work.user_id}:{work.kind}:"
            f"{int(work.offset.total_seconds())}:{int(work.start.timestamp())}"
        )
        renderer = self.dispatcher.renderer
        html = renderer.text(person.locale, reply.key, reply.params)
        buttons = render_buttons(renderer, person.locale, reply.buttons)
        if person.home_chat_id is None:
            expires = item.occurrence.start if work.kind == "reminder" else now + HELD_FOR
            await held_notices.to_person(
                conn,
                person,
                numbered_buttons=self.dispatcher.transports.numbers_buttons(person.transport),
                html=html,
                now=now,
                buttons=buttons,
                dedupe_key=key,
                expires_at=expires,
            )
            await reminders.finish(conn, work.id, "sent", now)
            return None
        self._outgoing.append(
            Outgoing(
                work_id=work.id,
                chat_id=person.home_chat_id,
                user_id=person.user_id,
                html=html,
                buttons=buttons,
                dedupe_key=key,
                numbered=self.dispatcher.transports.numbers_buttons(person.transport),
            )
        )
        return person.transport


def _superseded(rows: list[DueWork]) -> set[int]:
    """Reminder rows made pointless by a later reminder of the same meeting, also due now."""
    latest: dict[tuple[int, str], DueWork] = {}
    for item in rows:
        if item.work.kind != "reminder":
            continue
        key = (item.work.occurrence_id, item.work.user_id)
        kept = latest.get(key)
        if kept is None or item.work.offset < kept.work.offset:
            latest[key] = item
    return {
        item.work.id
        for item in rows
        if item.work.kind == "reminder"
        and latest[(item.work.occurrence_id, item.work.user_id)].work.id != item.work.id
    }
