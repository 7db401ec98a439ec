"""Daily housekeeping that keeps the promises of /privacy.

- message texts are blanked when delivered; any left (e.g. cancelled rows) after 30 days;
- processed update ids are kept 14 days (enough for any platform re-delivery);
- button tokens expire after 90 days;
- a person who has not used the bot for 12 months and belongs to no project is deleted;
- contact requests ("ask the coordinator to contact me", "ask a person") go after 90 days;
- half-answered "Can I join?" questions and pending FAQ questions go after a day;
- a file attached to an announcement that was never sent goes after a day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from storage import broadcasts, buttons, contact_requests, outbox, personal_data, updates
from storage.clock import to_text
from storage.db import Database

log = logging.getLogger(__name__)

MESSAGE_TEXT_DAYS = 30
UPDATE_KEY_DAYS = 14
BUTTON_DAYS = 90
INACTIVE_DAYS = 365


async def run_once(db: Database, now: dt.datetime) -> int:
    """One housekeeping pass; returns how many inactive people were deleted."""
    days = dt.timedelta(days=1)
    async with db.transaction() as conn:
        await outbox.purge_delivered(conn, now - MESSAGE_TEXT_DAYS * days)
        await updates.forget_older_than(conn, now - UPDATE_KEY_DAYS * days)
        await buttons.forget_older_than(conn, now - BUTTON_DAYS * days)
        await contact_requests.purge_older_than(conn, now - contact_requests.RETENTION_DAYS * days)
        await broadcasts.forget_unsent_files(conn, now - days)
        await contact_requests.purge_abandoned_conversations(
            conn, now - dt.timedelta(hours=contact_requests.ABANDONED_HOURS)
        )
        cursor = await conn.execute(
            "SELECT user_id, home_chat_id FROM users WHERE last_seen_at < ? AND NOT EXISTS"
            " (SELECT 1 FROM memberships m WHERE m.user_id = users.user_id"
            " AND m.left_at IS NULL)",
            (to_text(now - INACTIVE_DAYS * days),),
        )
        stale = list(await cursor.fetchall())
        for row in stale:
            # with no private chat known, the person's id (a Telegram private chat's id)
            chat = row["home_chat_id"] or row["user_id"]
            await personal_data.delete(conn, row["user_id"], chat)
    if stale:
        log.info("retention: deleted %d inactive people", len(stale))
    return len(stale)


class Maintenance:
    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.clock = clock
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
                await run_once(self.db, self.clock())
            except Exception as error:
                log.error("maintenance failed: %s", type(error).__name__)
            await asyncio.sleep(24 * 3600)
