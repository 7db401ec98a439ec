"""A broadcast's progress message, final report and completion, driven by deliveries.

The coordinator who confirmed a broadcast gets one progress message when sending starts;
the delivery worker calls :func:`observe_delivery` after recording each outcome (in the same
transaction), and this module edits that message at most every
:data:`PROGRESS_INTERVAL` — a newer edit cancels an older one that has not left yet, so
edits never pile up and the chat's own pacing (1 message/s) is kept. When no
recipient row is pending any more the broadcast is closed, the message shows the final
figures and a report follows, with a button for the list of people it did not reach.

Nothing here knows a platform: messages are rendered from the catalogs and written to the
outbox like every other message. Progress goes only to ``report_chat`` while that is still
its coordinator's private chat; the report goes to the coordinator like any personal
message (:func:`storage.held_notices.to_person`), so it waits for a coordinator who started
the announcement in a group and has no private chat with the bot yet.
"""

from __future__ import annotations

import datetime as dt
import logging

import aiosqlite

from handlers.core.context import Services
from handlers.core.ports import Rendering, TransportFacts
from handlers.core.types import Param, Text
from storage import broadcasts, held_notices, outbox, users
from storage.broadcasts import Broadcast, Counts
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = dt.timedelta(seconds=10)
EXCERPT_LENGTH = 60


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first line of the announcement, shortened (for lists and reports)."""
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


async def _report_chat(conn: aiosqlite.Connection, broadcast: Broadcast) -> str | None:
    """``report_chat`` if it is still the private chat of the coordinator who sent it."""
    if broadcast.report_chat is None or broadcast.created_by is None:
        return None
    person = await users.get(conn, broadcast.created_by)
    if person is None or person.home_chat_id != broadcast.report_chat:
        return None
    return broadcast.report_chat


class Progress:
    """Renders and stores a broadcast's progress, report and completion in the senders'
    languages (``rendering`` is the application's catalog renderer; ``transports`` says
    where the report's button is a numbered option; None: nowhere, as in tests)."""

    def __init__(self, rendering: Rendering, transports: TransportFacts | None = None) -> None:
        self.rendering = rendering
        self.transports = transports

    @classmethod
    def of(cls, services: Services) -> Progress:
        """As the flows use it: the application's renderer and transports."""
        return cls(services.rendering, services.transport_facts)

    def _in(self, broadcast: Broadcast) -> Rendering:
        """Times as the announcement was written (its own time zone)."""
        return self.rendering.in_timezone(broadcast.timezone)

    def progress_html(self, broadcast: Broadcast, counts: Counts, status: str) -> str:
        params: dict[str, Param] = {
            "id": broadcast.id,
            "status": Text(f"broadcast.status_{status}"),
            "done": counts.finished,
            "total": counts.total,
            "sent": counts.sent,
            "unreachable": counts.unreachable,
            "failed": counts.failed,
            "cancelled": counts.cancelled,
        }
        return self._in(broadcast).text(broadcast.locale, "broadcast.progress", params)

    async def start(self, conn: aiosqlite.Connection, broadcast_id: int, now: dt.datetime) -> None:
        """After the recipients are enqueued: the progress message (at the send time)."""
        broadcast = await broadcasts.get(conn, broadcast_id)
        assert broadcast is not None
        counts = await broadcasts.counts(conn, broadcast_id)
        report_chat = await _report_chat(conn, broadcast)
        if report_chat is not None:
            item = await outbox.enqueue(
                conn,
                chat_id=report_chat,
                user_id=broadcast.created_by,
                html=self.progress_html(broadcast, counts, "sending"),
                now=now,
                not_before=broadcast.send_at,
                dedupe_key=broadcasts.progress_key(broadcast_id),
            )
            await broadcasts.set_progress(
                conn, broadcast_id, progress_id=item, at=max(now, broadcast.send_at)
            )
        if counts.pending == 0:
            await self.finish(conn, broadcast_id, now)

    async def observe_delivery(
        self, conn: aiosqlite.Connection, item: OutboxItem, state: str | None, now: dt.datetime
    ) -> None:
        """The delivery worker's hook: ``state`` is the row's new final state, or None (retry)."""
        key = await broadcasts.outbox_key(conn, item.id)
        touched: set[int] = set()
        number = broadcasts.broadcast_of_key(key)
        if number is not None and key is not None and ":r:" in key:
            touched.add(number)
        if state == "unreachable":
            # A blocked person ends every pending row to their chat, also other broadcasts'.
            touched.update(b.id for b in await broadcasts.open_broadcasts(conn))
        for broadcast_id in sorted(touched):
            await self.advance(conn, broadcast_id, now)

    async def advance_open(self, conn: aiosqlite.Connection, now: dt.datetime) -> None:
        """Advance every open broadcast: one whose last pending rows were ended without a
        delivery (a /stop, a Matrix room the person left) is finished here, so its text and
        file do not stay behind. Called after /stop and by the daily housekeeping."""
        for broadcast in await broadcasts.open_broadcasts(conn):
            await self.advance(conn, broadcast.id, now)

    async def advance(
        self, conn: aiosqlite.Connection, broadcast_id: int, now: dt.datetime
    ) -> None:
        broadcast = await broadcasts.get(conn, broadcast_id)
        if broadcast is None or not broadcast.open:
            return
        if broadcast.state == "scheduled":
            if now < broadcast.send_at:
                return  # its time has not come (an unrelated row ended)
            await broadcasts.set_sending(conn, broadcast_id)
        if not await broadcasts.has_pending(conn, broadcast_id):
            await self.finish(conn, broadcast_id, now)
            return
        due = broadcast.progress_at is None or now - broadcast.progress_at >= PROGRESS_INTERVAL
        if broadcast.progress_id is not None and due and await _report_chat(conn, broadcast):
            counts = await broadcasts.counts(conn, broadcast_id)
            await self._show_progress(
                conn, broadcast, self.progress_html(broadcast, counts, "sending"), now
            )

    async def finish(self, conn: aiosqlite.Connection, broadcast_id: int, now: dt.datetime) -> None:
        """Close a broadcast with nothing pending: final figures and the report."""
        broadcast = await broadcasts.get(conn, broadcast_id)
        if broadcast is None or not await broadcasts.close(conn, broadcast_id, "done", now):
            return
        counts = await broadcasts.counts(conn, broadcast_id)
        log.info(
            "broadcast %s done: sent=%s unreachable=%s failed=%s",
            broadcast_id,
            counts.sent,
            counts.unreachable,
            counts.failed,
        )
        coordinator = await users.get(conn, broadcast.created_by) if broadcast.created_by else None
        if coordinator is None:
            return  # from the command line (or the coordinator has been forgotten)
        if broadcast.progress_id is not None and await _report_chat(conn, broadcast):
            await self._show_progress(
                conn, broadcast, self.progress_html(broadcast, counts, "done"), now
            )
        params: dict[str, Param] = {
            "id": broadcast_id,
            "excerpt": excerpt(broadcast.text),
            "total": counts.total,
            "sent": counts.sent,
            "unreachable": counts.unreachable,
            "failed": counts.failed,
            "cancelled": counts.cancelled,
        }
        html = self._in(broadcast).text(broadcast.locale, "broadcast.report", params)
        buttons: list[list[tuple[str, str]]] = []
        if counts.not_delivered:
            html += "\n\n" + self._in(broadcast).text(broadcast.locale, "broadcast.report_missing")
            label = self._in(broadcast).plain(broadcast.locale, "broadcast.missing_button")
            buttons = [[(label, f"bcx:missing:{broadcast_id}")]]
        numbered = self.transports is not None and self.transports.numbers_buttons(
            coordinator.transport
        )
        await held_notices.to_person(
            conn,
            coordinator,
            numbered_buttons=numbered,
            html=html,
            now=now,
            buttons=buttons,
            dedupe_key=broadcasts.report_key(broadcast_id),
        )

    async def cancel(
        self, conn: aiosqlite.Connection, broadcast_id: int, now: dt.datetime
    ) -> Counts:
        """Stop a scheduled or running broadcast; the progress message says so."""
        await broadcasts.cancel_pending(conn, broadcast_id, now)
        broadcast = await broadcasts.get(conn, broadcast_id)
        assert broadcast is not None
        await broadcasts.close(conn, broadcast_id, "cancelled", now)
        counts = await broadcasts.counts(conn, broadcast_id)
        if broadcast.progress_id is not None and await _report_chat(conn, broadcast):
            html = self.progress_html(broadcast, counts, "cancelled")
            if await broadcasts.outbox_state(conn, broadcast.progress_id) == "pending":
                # Not started yet (a scheduled one): nothing to show at the send time.
                await outbox.mark_final(conn, broadcast.progress_id, "cancelled", "cancelled", now)
            else:
                await self._show_progress(conn, broadcast, html, now)
        return counts

    async def _show_progress(
        self, conn: aiosqlite.Connection, broadcast: Broadcast, html: str, now: dt.datetime
    ) -> None:
        """Edit the progress message; an earlier edit that has not left yet is cancelled, so at
        most one edit waits at a time. (It is not rewritten in place: the worker may be sending
        it this very moment, and the newer figures would then never be shown.)"""
        assert broadcast.report_chat is not None and broadcast.progress_id is not None
        if broadcast.progress_edit is not None:
            await broadcasts.cancel_if_pending(conn, broadcast.progress_edit, now)
        edit = await outbox.enqueue(
            conn,
            chat_id=broadcast.report_chat,
            user_id=broadcast.created_by,
            html=html,
            now=now,
            edit_of=broadcast.progress_id,
        )
        await broadcasts.set_progress(conn, broadcast.id, progress_edit=edit, at=now)
