"""Daily housekeeping that keeps the promises of /privacy (``handlers.common.privacy_notice``).

Each rule is one storage function in the module of its table; this module only runs them
once a day, in one transaction, with the time the caller's clock gives:

============================  ===============================================================
outbox                        text, buttons and file dropped when a row ends (any end state;
                              here only as a safety net), the row deleted 30 days after it
                              ended (``storage.outbox``)
broadcasts, broadcast_files   text and file bytes dropped when the broadcast ends; rows
                              deleted 30 days after it ended; a file of an announcement never
                              sent after a day; an open broadcast with nothing left to send
                              is finished (``storage.broadcasts``,
                              ``handlers.common.broadcast_progress``)
invites                       deleted 30 days after they expired, were revoked or used up
invite_failures               wrong codes kept a day (``storage.invites``)
coordinator_invites           deleted 30 days after use or expiry
audit_log                     deleted after ``HANKEBOT_AUDIT_RETENTION_DAYS`` (six years)
processed_updates             14 days (``storage.updates``)
buttons                       90 days (``storage.buttons``)
contact_requests              90 days (waiting for a first coordinator: 30 days);
open_items                    90 days (what coordinators were asked to answer);
                              half-answered "Can I join?" and FAQ questions
                              (conversations) after a day (``storage.contact_requests``)
users and everything of them  deleted after 12 months without use when in no project
                              (``storage.users.inactive``, ``storage.personal_data.delete``)
============================  ===============================================================
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields

from bot.i18n import renderer
from bot.transports import every_transport
from handlers.common.broadcast_progress import Progress
from handlers.core.ports import TransportFacts
from storage import (
    audit,
    broadcasts,
    budget_drafts,
    buttons,
    code_limits,
    contact_requests,
    coordinator_invites,
    held_notices,
    invites,
    open_items,
    outbox,
    personal_data,
    updates,
    users,
)
from storage.db import Database

log = logging.getLogger(__name__)

DAY = dt.timedelta(days=1)


@dataclass
class Pass:
    """How many rows each rule removed (or emptied) in one pass; logged as counts only."""

    outbox_emptied: int = 0
    outbox_deleted: int = 0
    broadcasts_deleted: int = 0
    unsent_files_deleted: int = 0
    invites_deleted: int = 0
    invite_failures_deleted: int = 0
    coordinator_invites_deleted: int = 0
    audit_deleted: int = 0
    updates_deleted: int = 0
    buttons_deleted: int = 0
    contact_requests_deleted: int = 0
    waiting_requests_deleted: int = 0
    open_items_deleted: int = 0
    conversations_deleted: int = 0
    held_deleted: int = 0
    budget_drafts_deleted: int = 0
    people_deleted: int = 0

    def nonzero(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


async def run_once(
    db: Database,
    now: dt.datetime,
    *,
    audit_retention_days: int = audit.DEFAULT_RETENTION_DAYS,
    transports: TransportFacts | None = None,
) -> Pass:
    """One housekeeping pass at ``now``."""
    done = Pass()
    async with db.transaction() as conn:
        await Progress(renderer(), transports or every_transport()).advance_open(conn, now)
        done.outbox_emptied = await outbox.clear_ended(conn, now)
        done.outbox_deleted = await outbox.delete_ended(
            conn, now - outbox.ENDED_RETENTION_DAYS * DAY
        )
        done.broadcasts_deleted = await broadcasts.delete_ended(
            conn, now - broadcasts.ENDED_RETENTION_DAYS * DAY
        )
        done.unsent_files_deleted = await broadcasts.forget_unsent_files(conn, now - DAY)
        done.invites_deleted = await invites.delete_ended(
            conn, now - invites.ENDED_RETENTION_DAYS * DAY
        )
        done.invite_failures_deleted = await code_limits.forget_failures(
            conn, now - code_limits.FAILURE_MEMORY
        )
        done.coordinator_invites_deleted = await coordinator_invites.delete_ended(
            conn, now - coordinator_invites.ENDED_RETENTION_DAYS * DAY
        )
        done.audit_deleted = await audit.delete_older_than(conn, now - audit_retention_days * DAY)
        done.updates_deleted = await updates.forget_older_than(
            conn, now - updates.RETENTION_DAYS * DAY
        )
        done.buttons_deleted = await buttons.forget_older_than(
            conn, now - buttons.RETENTION_DAYS * DAY
        )
        done.contact_requests_deleted = await contact_requests.purge_older_than(
            conn, now - contact_requests.RETENTION_DAYS * DAY
        )
        done.waiting_requests_deleted = await contact_requests.purge_waiting_older_than(
            conn, now - contact_requests.WAITING_DAYS * DAY
        )
        done.open_items_deleted = await open_items.purge_older_than(
            conn, now - open_items.RETENTION_DAYS * DAY
        )
        done.conversations_deleted = await contact_requests.purge_abandoned_conversations(
            conn, now - dt.timedelta(hours=contact_requests.ABANDONED_HOURS)
        )
        done.held_deleted = await held_notices.delete_expired(conn, now)
        done.budget_drafts_deleted = await budget_drafts.delete_older_than(
            conn, now - budget_drafts.KEEP_DAYS * DAY
        )
        stale = await users.inactive(conn, now - users.INACTIVE_DAYS * DAY)
        for user_id, home_chat_id in stale:
            # with no private chat known, the person's id (a Telegram private chat's id)
            await personal_data.delete(conn, user_id, home_chat_id or user_id)
        done.people_deleted = len(stale)
    if stale:
        await db.checkpoint()  # as after /unohda: no copy left in the write-ahead log
    if done.nonzero():
        log.info("retention: %s", " ".join(f"{k}={v}" for k, v in done.nonzero().items()))
    return done


class Maintenance:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], dt.datetime],
        audit_retention_days: int = audit.DEFAULT_RETENTION_DAYS,
        transports: TransportFacts | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.audit_retention_days = audit_retention_days
        self.transports = transports
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="maintenance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await run_once(
                    self.db,
                    self.clock(),
                    audit_retention_days=self.audit_retention_days,
                    transports=self.transports,
                )
            except Exception as error:
                log.error("maintenance failed: %s", type(error).__name__)
            await asyncio.sleep(24 * 3600)
