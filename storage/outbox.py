"""The persistent outbox: every message the bot sends is a row here first.

Producers (conversation steps, reminders, broadcasts) insert rows inside their own
transaction; a delivery worker per transport sends due rows in id order and records the
outcome. ``dedupe_key`` makes a producer's insert idempotent: the same reminder or
broadcast recipient can be enqueued any number of times and is stored once.

Retention: when a row ends — sent, failed, unreachable or cancelled, whichever code ends it
— its text, buttons and file bytes are dropped at once and ``ended_at`` is set
(:data:`END_ROW`); the row itself is deleted :data:`ENDED_RETENTION_DAYS` days later
(:func:`delete_ended`, run by ``bot.maintenance``). A row's dedupe key goes with it, which
is safe: every producer that relies on one also records what it sent elsewhere (reminders,
broadcasts) or keys it by a moment that does not come again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from handlers.core.types import Document
from storage import buttons as button_store
from storage.clock import from_text, to_text

FINAL_STATES = ("sent", "failed", "unreachable", "cancelled")
#: What a row asks of its transport (migrations 014, 021): a message, a notice sent without
#: the chat's end-to-end encryption, leaving the chat (or declining its invite), or joining
#: a chat the bot was invited to.
MESSAGE, UNENCRYPTED, LEAVE, JOIN = "message", "unencrypted", "leave", "join"
KINDS = (MESSAGE, UNENCRYPTED, LEAVE, JOIN)
ENDED_RETENTION_DAYS = 30
#: What every UPDATE that ends a row also sets (one parameter: the end time). Nothing of
#: an ended row's content is kept: it is never sent again.
END_ROW = "ended_at = ?, html = '', buttons = NULL, document = NULL"
_ENDED = "state IN ('sent', 'failed', 'unreachable', 'cancelled')"  # = FINAL_STATES


@dataclass(frozen=True)
class OutgoingButton:
    label: str
    token: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    transport: str
    chat_id: str
    user_id: str | None
    html: str
    buttons: tuple[tuple[OutgoingButton, ...], ...]
    document: Document | None
    edit_of: int | None
    edit_target_message_id: str | None
    attempts: int
    not_before: dt.datetime
    # ``document`` is a file stored once for many rows (an announcement's attachment): its
    # ``broadcast_files`` id, and the transport's id for it once a send has uploaded it
    # (Telegram's file_id), which later sends pass instead of the bytes.
    shared_file: int | None = None
    remote_file_id: str | None = None
    # The last message to a person who used /unohda: deleted once it ends (see 010).
    farewell: bool = False
    kind: str = MESSAGE  # see KINDS
    # A producer's key ("never twice"): such a row is claimed before it is sent and is sent
    # at most once (:func:`claim`, :func:`unconfirmed_claims`).
    dedupe_key: str | None = None

    @property
    def at_most_once(self) -> bool:
        return sent_at_most_once(self.dedupe_key, self.edit_of, self.farewell)

    # Not stored: the finished "reply with a number" text that the delivery worker gives a
    # row with buttons on a transport that numbers them (in the recipient's language).
    options_hint: str = ""

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> OutboxItem:
        rows = json.loads(row["buttons"]) if row["buttons"] else []
        document = None
        shared_file = None
        if row["document_name"] is not None:
            document = Document(
                filename=row["document_name"],
                content=bytes(row["document"]),
                mime_type=row["document_mime"],
            )
        elif row["shared_content"] is not None:
            # a file stored once for many rows (an announcement's attachment; see _SELECT)
            document = Document(
                filename=row["shared_name"],
                content=bytes(row["shared_content"]),
                mime_type=row["shared_mime"],
            )
            shared_file = row["file_id"]
        return cls(
            id=row["id"],
            transport=row["transport"],
            chat_id=row["chat_id"],
            user_id=row["user_id"],
            html=row["html"],
            buttons=tuple(
                tuple(OutgoingButton(label=b["label"], token=b["token"]) for b in r) for r in rows
            ),
            document=document,
            edit_of=row["edit_of"],
            edit_target_message_id=row["edit_target"],
            attempts=row["attempts"],
            not_before=from_text(row["not_before"]),
            shared_file=shared_file,
            remote_file_id=row["shared_remote_id"] if shared_file is not None else None,
            farewell=bool(row["farewell"]),
            kind=row["kind"],
            dedupe_key=row["dedupe_key"],
        )

    @property
    def platform_chat(self) -> str:
        """The chat id without the ``platform:`` prefix."""
        return self.chat_id.split(":", 1)[1]


def sent_at_most_once(dedupe_key: str | None, edit_of: int | None, farewell: bool) -> bool:
    """A row with a producer's dedupe key (a reminder, an announcement, a notice) that is
    not an edit and not a farewell is sent at most once. Replies to the person's own
    message are sent at least once (they have no key)."""
    return dedupe_key is not None and edit_of is None and not farewell


@dataclass(frozen=True)
class Due:
    """A pending row as the delivery worker first sees it: what it needs to choose what to
    send now. The whole row (text, buttons, a file's bytes) is read when its send starts
    (:func:`pending`), so rows waiting their turn are not read again and again in full."""

    id: int
    chat_id: str
    attempts: int
    at_most_once: bool


def transport_of(chat_id: str) -> str:
    return chat_id.split(":", 1)[0]


async def enqueue(
    conn: aiosqlite.Connection,
    *,
    chat_id: str,
    user_id: str | None,
    html: str,
    now: dt.datetime,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    document: Document | None = None,
    position: tuple[str, str] | None = None,
    not_before: dt.datetime | None = None,
    dedupe_key: str | None = None,
    edit_of: int | None = None,
    numbered_buttons: bool = False,
    about: str | None = None,
    farewell: bool = False,
    kind: str = MESSAGE,
) -> int | None:
    """Store one message; returns its id, or None when ``dedupe_key`` was already stored.

    ``buttons`` are rows of (label, payload); each payload gets a fresh token bound to
    ``chat_id``. ``position`` is the conversation (flow, step) the buttons belong to.
    ``about`` is the reference (:mod:`storage.person_refs`) of the person a message to
    someone else is about; ``farewell`` marks the last message to a forgotten person;
    ``kind`` is one of :data:`KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    if dedupe_key is not None:
        cursor = await conn.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?", (dedupe_key,))
        if await cursor.fetchone() is not None:
            return None
    payloads = [payload for row in buttons for _, payload in row]
    tokens = (
        await button_store.issue_all(conn, chat_id, payloads, position, now) if payloads else []
    )
    issued = iter(tokens)
    button_rows = [[{"label": label, "token": next(issued)} for label, _ in row] for row in buttons]
    if tokens:
        await button_store.prune_chat(conn, chat_id)
    if tokens and numbered_buttons:
        await button_store.remember_keyboard(conn, chat_id, tokens)
    cursor = await conn.execute(
        "INSERT INTO outbox (transport, chat_id, user_id, html, buttons, document_name,"
        " document_mime, document, edit_of, dedupe_key, not_before, created_at, about, farewell,"
        " kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            transport_of(chat_id),
            chat_id,
            user_id,
            html,
            json.dumps(button_rows) if button_rows else None,
            document.filename if document else None,
            document.mime_type if document else None,
            document.content if document else None,
            edit_of,
            dedupe_key,
            to_text(not_before or now),
            to_text(now),
            about,
            int(farewell),
            kind,
        ),
    )
    return cursor.lastrowid


async def waiting_kind(conn: aiosqlite.Connection, chat_id: str, kind: str) -> bool:
    """Whether a row of ``kind`` (a join, a leave) waits for ``chat_id``."""
    cursor = await conn.execute(
        "SELECT 1 FROM outbox WHERE chat_id = ? AND kind = ? AND state = 'pending' LIMIT 1",
        (chat_id, kind),
    )
    return await cursor.fetchone() is not None


_SELECT = (
    "SELECT o.*, target.platform_message_id AS edit_target, f.filename AS shared_name,"
    " f.mime_type AS shared_mime, f.content AS shared_content,"
    " up.remote_id AS shared_remote_id FROM outbox o"
    " LEFT JOIN outbox target ON target.id = o.edit_of"
    " LEFT JOIN broadcast_files f ON f.id = o.file_id"
    " LEFT JOIN broadcast_file_uploads up ON up.file_id = o.file_id"
    " AND up.transport = o.transport"
)


# Pending rows whose time has come, in the order they go: conversations before bulk sends,
# then oldest first (transport, now, limit).
_DUE = (
    " WHERE o.transport = ? AND o.state = 'pending' AND o.not_before <= ?"
    " ORDER BY o.priority, o.id LIMIT ?"
)


async def due(
    conn: aiosqlite.Connection, transport: str, now: dt.datetime, limit: int = 100
) -> list[OutboxItem]:
    """Pending rows whose time has come: conversations before bulk sends, then oldest first."""
    cursor = await conn.execute(f"{_SELECT}{_DUE}", (transport, to_text(now), limit))
    return [OutboxItem.from_row(row) for row in await cursor.fetchall()]


async def due_rows(
    conn: aiosqlite.Connection, transport: str, now: dt.datetime, limit: int = 100
) -> list[Due]:
    """:func:`due`, with only what choosing needs (no join, no text, no file)."""
    cursor = await conn.execute(
        "SELECT o.id, o.chat_id, o.attempts, o.dedupe_key, o.edit_of, o.farewell"
        f" FROM outbox o{_DUE}",
        (transport, to_text(now), limit),
    )
    return [
        Due(
            id=row["id"],
            chat_id=row["chat_id"],
            attempts=row["attempts"],
            at_most_once=sent_at_most_once(
                row["dedupe_key"], row["edit_of"], bool(row["farewell"])
            ),
        )
        for row in await cursor.fetchall()
    ]


async def pending(conn: aiosqlite.Connection, due: Due) -> OutboxItem | None:
    """The whole row of ``due`` while it is still pending at that attempt, else None."""
    cursor = await conn.execute(
        f"{_SELECT} WHERE o.id = ? AND o.state = 'pending' AND o.attempts = ?",
        (due.id, due.attempts),
    )
    row = await cursor.fetchone()
    return OutboxItem.from_row(row) if row else None


async def next_due_time(conn: aiosqlite.Connection, transport: str) -> dt.datetime | None:
    cursor = await conn.execute(
        "SELECT MIN(not_before) AS t FROM outbox WHERE transport = ? AND state = 'pending'",
        (transport,),
    )
    row = await cursor.fetchone()
    return from_text(row["t"]) if row and row["t"] else None


async def get(conn: aiosqlite.Connection, item_id: int) -> OutboxItem | None:
    cursor = await conn.execute(f"{_SELECT} WHERE o.id = ?", (item_id,))
    row = await cursor.fetchone()
    return OutboxItem.from_row(row) if row else None


async def state_of(conn: aiosqlite.Connection, item_id: int) -> str | None:
    cursor = await conn.execute("SELECT state FROM outbox WHERE id = ?", (item_id,))
    row = await cursor.fetchone()
    return str(row["state"]) if row else None


async def mark_sent(
    conn: aiosqlite.Connection, item_id: int, platform_message_id: str | None, now: dt.datetime
) -> None:
    await conn.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, platform_message_id = ?,"
        f" attempts = attempts + 1, {END_ROW} WHERE id = ?",
        (to_text(now), platform_message_id, to_text(now), item_id),
    )


async def claim(conn: aiosqlite.Connection, item_id: int, attempts: int) -> None:
    """Record "about to send" attempt ``attempts`` of a row (commit it before sending)."""
    await conn.execute(
        "UPDATE outbox SET claimed_attempt = ? WHERE id = ? AND state = 'pending'",
        (attempts, item_id),
    )


async def unconfirmed_claims(conn: aiosqlite.Connection, transport: str) -> list[OutboxItem]:
    """Pending rows whose send was started (claimed) and whose outcome was never recorded:
    the process stopped in between, so the platform may have the message."""
    cursor = await conn.execute(
        f"{_SELECT} WHERE o.transport = ? AND o.state = 'pending'"
        " AND o.claimed_attempt = o.attempts ORDER BY o.id",
        (transport,),
    )
    return [OutboxItem.from_row(row) for row in await cursor.fetchall()]


async def mark_unconfirmed(conn: aiosqlite.Connection, item_id: int, now: dt.datetime) -> None:
    """End a row whose send may have happened as sent, without a platform message id and
    with ``last_error = 'unconfirmed'`` (it is not sent again)."""
    await conn.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, last_error = 'unconfirmed',"
        f" attempts = attempts + 1, {END_ROW} WHERE id = ?",
        (to_text(now), to_text(now), item_id),
    )


async def mark_retry(
    conn: aiosqlite.Connection, item_id: int, not_before: dt.datetime, error: str
) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ?",
        (to_text(not_before), error, item_id),
    )


async def delay_chat(conn: aiosqlite.Connection, chat_id: str, not_before: dt.datetime) -> None:
    """Hold every pending row of a chat until ``not_before`` (keeps per-chat order)."""
    await conn.execute(
        "UPDATE outbox SET not_before = MAX(not_before, ?) WHERE chat_id = ? AND state = 'pending'",
        (to_text(not_before), chat_id),
    )


async def mark_final(
    conn: aiosqlite.Connection, item_id: int, state: str, error: str, now: dt.datetime
) -> None:
    """End a row as 'failed', 'unreachable' or 'cancelled'; it is never tried again."""
    if state not in FINAL_STATES or state == "sent":
        raise ValueError(state)
    await conn.execute(
        f"UPDATE outbox SET state = ?, last_error = ?, attempts = attempts + 1, {END_ROW}"
        " WHERE id = ?",
        (state, error, to_text(now), item_id),
    )


async def delete(conn: aiosqlite.Connection, item_id: int) -> None:
    """Drop a row for good (a farewell that has ended: nothing of it is kept)."""
    await conn.execute("DELETE FROM outbox WHERE id = ?", (item_id,))


async def unreachable_chat(
    conn: aiosqlite.Connection, chat_id: str, error: str, now: dt.datetime
) -> None:
    """The person blocked the bot: end every pending row to that chat (emptied like every
    row that ends: a message may show a code, which is never kept in clear)."""
    await conn.execute(
        f"UPDATE outbox SET state = 'unreachable', last_error = ?, {END_ROW}"
        " WHERE chat_id = ? AND state = 'pending'",
        (error, to_text(now), chat_id),
    )


async def clear_ended(conn: aiosqlite.Connection, now: dt.datetime) -> int:
    """Safety net for housekeeping: an ended row that still holds content or has no end
    time (ended by code that did not use :data:`END_ROW`) is emptied, and ends now."""
    cursor = await conn.execute(
        "UPDATE outbox SET ended_at = COALESCE(ended_at, ?), html = '', buttons = NULL,"
        f" document = NULL WHERE {_ENDED} AND (ended_at IS NULL"
        " OR html != '' OR buttons IS NOT NULL OR document IS NOT NULL)",
        (to_text(now),),
    )
    return cursor.rowcount


async def delete_ended(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete rows that ended before ``cutoff``: the outbox is not an archive."""
    cursor = await conn.execute(
        f"DELETE FROM outbox WHERE {_ENDED} AND ended_at < ?", (to_text(cutoff),)
    )
    return cursor.rowcount


@dataclass(frozen=True)
class Backlog:
    """Rows of one transport and priority whose time has come and that are not sent yet."""

    transport: str
    priority: int  # 0: conversation replies and reminders; 1: bulk (announcements)
    due: int
    oldest_due: dt.datetime


async def backlog(conn: aiosqlite.Connection, now: dt.datetime) -> list[Backlog]:
    """What waits to be sent now, per transport and priority (for the health checks)."""
    cursor = await conn.execute(
        "SELECT transport, priority, COUNT(*) AS n, MIN(not_before) AS oldest FROM outbox"
        " WHERE state = 'pending' AND not_before <= ? GROUP BY transport, priority"
        " ORDER BY transport, priority",
        (to_text(now),),
    )
    return [
        Backlog(row["transport"], int(row["priority"]), int(row["n"]), from_text(row["oldest"]))
        for row in await cursor.fetchall()
    ]
