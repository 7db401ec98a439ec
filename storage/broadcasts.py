"""Broadcast announcements: the ``broadcasts`` table and their recipients' outbox rows.

Each recipient is one outbox row whose ``dedupe_key`` is ``bc:<broadcast>:r:<user id>``; the
row's ``state`` is the recipient's state (pending → sent | unreachable | failed | cancelled).
All rows of a broadcast are written in the transaction that creates it, and the key makes
the insert idempotent, so a crash or a repeated command never enqueues anyone twice. A
scheduled broadcast's rows carry ``not_before`` = the chosen time. Rows are ``priority`` 1
(bulk): the delivery worker serves conversations first.

Everyone in an audience who has used /stop (``users.news_opt_in = 0``) is left out; people
known to be unreachable (blocked the bot, left the room) and people with no private chat
with the bot (seen only in groups: an announcement is never sent to a group) get a row that
is already ``unreachable``, so the report lists them without a send being tried.

Retention: the text, the file's bytes and the platforms' ids for the file go when the
broadcast ends (:func:`close`); the broadcast's row and its file's row (name and type) go
:data:`ENDED_RETENTION_DAYS` days after it ended (:func:`delete_ended`), like its
recipients' outbox rows. The audit log keeps that it was sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import aiosqlite

from handlers.core.types import Document
from storage.clock import from_text, to_text
from storage.outbox import END_ROW

AUDIENCES = ("project", "group", "mine", "news", "contacts")
BULK = 1
FINAL_STATES = ("sent", "unreachable", "failed", "cancelled")
KNOWN_UNREACHABLE = "known unreachable"
ENDED_RETENTION_DAYS = 30
NO_PRIVATE_CHAT = "no private chat"


@dataclass(frozen=True)
class Recipient:
    user_id: str
    chat_id: str | None  # the person's private chat; None while none is known
    locale: str
    unreachable: bool

    @property
    def transport(self) -> str:
        return self.user_id.split(":", 1)[0]

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Recipient:
        return cls(row["user_id"], row["home_chat_id"], row["locale"], bool(row["unreachable"]))


@dataclass(frozen=True)
class Broadcast:
    id: int
    project: str | None
    audience: str
    group: str | None
    created_by: str | None
    report_chat: str | None
    text: str
    locale: str
    timezone: str
    state: str
    send_at: dt.datetime
    created_at: dt.datetime
    finished_at: dt.datetime | None
    recipients: int
    progress_id: int | None
    progress_edit: int | None
    progress_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Broadcast:
        return cls(
            id=row["id"],
            project=row["project"],
            audience=row["audience"],
            group=row["grp"],
            created_by=row["created_by"],
            report_chat=row["report_chat"],
            text=row["text"],
            locale=row["locale"],
            timezone=row["timezone"],
            state=row["state"],
            send_at=from_text(row["send_at"]),
            created_at=from_text(row["created_at"]),
            finished_at=from_text(row["finished_at"]) if row["finished_at"] else None,
            recipients=row["recipients"],
            progress_id=row["progress_id"],
            progress_edit=row["progress_edit"],
            progress_at=from_text(row["progress_at"]) if row["progress_at"] else None,
        )

    @property
    def open(self) -> bool:
        return self.state in ("scheduled", "sending")


@dataclass(frozen=True)
class Counts:
    pending: int = 0
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.unreachable + self.failed + self.cancelled

    @property
    def finished(self) -> int:
        return self.total - self.pending

    @property
    def not_delivered(self) -> int:
        return self.unreachable + self.failed + self.cancelled


@dataclass(frozen=True)
class Undelivered:
    user_id: str
    display_name: str | None
    locale: str | None
    state: str
    error: str | None


# --- keys --------------------------------------------------------------------------------
def recipient_key(broadcast_id: int, user_id: str) -> str:
    return f"bc:{broadcast_id}:r:{user_id}"


def progress_key(broadcast_id: int) -> str:
    return f"bc:{broadcast_id}:progress"


def report_key(broadcast_id: int) -> str:
    return f"bc:{broadcast_id}:report"


def _recipient_range(broadcast_id: int) -> tuple[str, str]:
    # Every key that starts with "bc:12:r:" sorts between "bc:12:r:" and "bc:12:r;".
    return f"bc:{broadcast_id}:r:", f"bc:{broadcast_id}:r;"


def broadcast_of_key(key: str | None) -> int | None:
    """``bc:12:r:test:1`` → 12; None for keys of other producers."""
    if not key or not key.startswith("bc:"):
        return None
    number = key.split(":", 2)[1]
    return int(number) if number.isdigit() else None


# --- audiences ---------------------------------------------------------------------------
_PERSON = "SELECT u.user_id, u.home_chat_id, u.locale, u.unreachable FROM users u"


async def participants(
    conn: aiosqlite.Connection, projects: Iterable[str], group: str | None = None
) -> list[Recipient]:
    """Active participants of ``projects`` (optionally one group) who take announcements."""
    wanted = sorted(set(projects))
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    sql = (
        f"{_PERSON} WHERE u.news_opt_in = 1 AND u.user_id IN (SELECT m.user_id FROM memberships m"
        f" WHERE m.role = 'participant' AND m.left_at IS NULL AND m.project IN ({marks})"
    )
    params: list[str] = list(wanted)
    if group is not None:
        sql += " AND m.grp = ?"
        params.append(group)
    cursor = await conn.execute(sql + ") ORDER BY u.user_id", params)
    return [Recipient.from_row(row) for row in await cursor.fetchall()]


async def news_subscribers(conn: aiosqlite.Connection) -> list[Recipient]:
    """Everyone who has not opted out of announcements."""
    cursor = await conn.execute(f"{_PERSON} WHERE u.news_opt_in = 1 ORDER BY u.user_id")
    return [Recipient.from_row(row) for row in await cursor.fetchall()]


async def opted_out(
    conn: aiosqlite.Connection, projects: Iterable[str], group: str | None = None
) -> int:
    """How many participants of the audience have used /stop (shown in the preview)."""
    wanted = sorted(set(projects))
    if not wanted:
        return 0
    marks = ", ".join("?" for _ in wanted)
    sql = (
        "SELECT COUNT(DISTINCT m.user_id) FROM memberships m JOIN users u USING (user_id)"
        f" WHERE u.news_opt_in = 0 AND m.role = 'participant' AND m.left_at IS NULL"
        f" AND m.project IN ({marks})"
    )
    params: list[str] = list(wanted)
    if group is not None:
        sql += " AND m.grp = ?"
        params.append(group)
    cursor = await conn.execute(sql, params)
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


_ASKED = "SELECT c.user_id FROM contact_requests c WHERE c.project = ?"


async def contacts(conn: aiosqlite.Connection, project: str) -> list[Recipient]:
    """People who asked to be contacted about ``project`` (``contact_requests``, kept
    ``storage.contact_requests.RETENTION_DAYS`` days) and take announcements."""
    cursor = await conn.execute(
        f"{_PERSON} WHERE u.news_opt_in = 1 AND u.user_id IN ({_ASKED}) ORDER BY u.user_id",
        (project,),
    )
    return [Recipient.from_row(row) for row in await cursor.fetchall()]


async def contacts_opted_out(conn: aiosqlite.Connection, project: str) -> int:
    cursor = await conn.execute(
        f"SELECT COUNT(*) FROM users u WHERE u.news_opt_in = 0 AND u.user_id IN ({_ASKED})",
        (project,),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def groups_in_use(conn: aiosqlite.Connection, project: str) -> list[str]:
    cursor = await conn.execute(
        "SELECT DISTINCT grp FROM memberships WHERE project = ? AND role = 'participant'"
        " AND left_at IS NULL AND grp IS NOT NULL ORDER BY grp",
        (project,),
    )
    return [row[0] for row in await cursor.fetchall()]


async def projects_in_use(conn: aiosqlite.Connection) -> list[str]:
    cursor = await conn.execute("SELECT DISTINCT project FROM memberships ORDER BY project")
    return [row[0] for row in await cursor.fetchall()]


# --- creating ----------------------------------------------------------------------------
async def create(
    conn: aiosqlite.Connection,
    *,
    project: str | None,
    audience: str,
    group: str | None,
    created_by: str | None,
    report_chat: str | None,
    text: str,
    locale: str,
    timezone: str,
    send_at: dt.datetime,
    now: dt.datetime,
) -> int:
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    state = "scheduled" if send_at > now else "sending"
    cursor = await conn.execute(
        "INSERT INTO broadcasts (project, audience, grp, created_by, report_chat, text, locale,"
        " timezone, state, send_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project,
            audience,
            group,
            created_by,
            report_chat,
            text,
            locale,
            timezone,
            state,
            to_text(send_at),
            to_text(now),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def enqueue_recipients(
    conn: aiosqlite.Connection,
    broadcast_id: int,
    recipients: Sequence[Recipient],
    html_by_locale: Mapping[str, str],
    *,
    send_at: dt.datetime,
    now: dt.datetime,
    file_id: int | None = None,
) -> int:
    """One outbox row per recipient (idempotent); returns how many rows exist now.

    ``file_id`` (:func:`store_file`) is the attachment every row points at; the bytes are
    stored once."""
    rows = []
    for person in recipients:
        reason = None
        if person.unreachable:
            reason = KNOWN_UNREACHABLE
        elif person.chat_id is None:
            reason = NO_PRIVATE_CHAT
        rows.append(
            (
                person.transport,
                # never sent: the person's id stands where no private chat is known
                person.chat_id or person.user_id,
                person.user_id,
                "" if reason else html_by_locale[person.locale],  # an ended row keeps no text
                recipient_key(broadcast_id, person.user_id),
                "unreachable" if reason else "pending",
                reason,
                to_text(send_at),
                to_text(now),
                BULK,
                file_id,
                to_text(now) if reason else None,
            )
        )
    await conn.executemany(
        "INSERT INTO outbox (transport, chat_id, user_id, html, dedupe_key, state, last_error,"
        " not_before, created_at, priority, file_id, ended_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (dedupe_key) DO NOTHING",
        rows,
    )
    total = (await counts(conn, broadcast_id)).total
    await conn.execute("UPDATE broadcasts SET recipients = ? WHERE id = ?", (total, broadcast_id))
    return total


# --- reading -----------------------------------------------------------------------------
async def get(conn: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    cursor = await conn.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    row = await cursor.fetchone()
    return Broadcast.from_row(row) if row else None


async def counts(conn: aiosqlite.Connection, broadcast_id: int) -> Counts:
    low, high = _recipient_range(broadcast_id)
    cursor = await conn.execute(
        "SELECT state, COUNT(*) AS n FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ?"
        " GROUP BY state",
        (low, high),
    )
    found = {row["state"]: int(row["n"]) for row in await cursor.fetchall()}
    return Counts(**{state: found.get(state, 0) for state in ("pending", *FINAL_STATES)})


async def has_pending(conn: aiosqlite.Connection, broadcast_id: int) -> bool:
    low, high = _recipient_range(broadcast_id)
    cursor = await conn.execute(
        "SELECT 1 FROM outbox WHERE state = 'pending' AND dedupe_key >= ? AND dedupe_key < ?"
        " LIMIT 1",
        (low, high),
    )
    return await cursor.fetchone() is not None


async def open_broadcasts(conn: aiosqlite.Connection) -> list[Broadcast]:
    cursor = await conn.execute(
        "SELECT * FROM broadcasts WHERE state IN ('scheduled', 'sending') ORDER BY id"
    )
    return [Broadcast.from_row(row) for row in await cursor.fetchall()]


async def open_by(conn: aiosqlite.Connection, user_id: str) -> list[Broadcast]:
    """The person's announcements that are scheduled or still being sent."""
    cursor = await conn.execute(
        "SELECT * FROM broadcasts WHERE created_by = ? AND state IN ('scheduled', 'sending')"
        " ORDER BY id",
        (user_id,),
    )
    return [Broadcast.from_row(row) for row in await cursor.fetchall()]


async def recent(
    conn: aiosqlite.Connection, projects: frozenset[str] | None, limit: int = 10
) -> list[Broadcast]:
    """Newest first; ``projects`` None means all (administrators), including news."""
    if projects is None:
        cursor = await conn.execute("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))
    else:
        wanted = sorted(projects)
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        cursor = await conn.execute(
            f"SELECT * FROM broadcasts WHERE project IN ({marks}) ORDER BY id DESC LIMIT ?",
            (*wanted, limit),
        )
    return [Broadcast.from_row(row) for row in await cursor.fetchall()]


async def undelivered(conn: aiosqlite.Connection, broadcast_id: int) -> list[Undelivered]:
    """Recipients whose row did not end as sent (pending ones included), by user id."""
    low, high = _recipient_range(broadcast_id)
    cursor = await conn.execute(
        "SELECT o.user_id, o.state, o.last_error, u.display_name, u.locale FROM outbox o"
        " LEFT JOIN users u ON u.user_id = o.user_id"
        " WHERE o.dedupe_key >= ? AND o.dedupe_key < ? AND o.state != 'sent'"
        " ORDER BY o.user_id",
        (low, high),
    )
    return [
        Undelivered(
            user_id=row["user_id"],
            display_name=row["display_name"],
            locale=row["locale"],
            state=row["state"],
            error=row["last_error"],
        )
        for row in await cursor.fetchall()
    ]


# --- changing ----------------------------------------------------------------------------
async def set_sending(conn: aiosqlite.Connection, broadcast_id: int) -> None:
    await conn.execute(
        "UPDATE broadcasts SET state = 'sending' WHERE id = ? AND state = 'scheduled'",
        (broadcast_id,),
    )


async def set_progress(
    conn: aiosqlite.Connection,
    broadcast_id: int,
    *,
    progress_id: int | None = None,
    progress_edit: int | None = None,
    at: dt.datetime | None = None,
) -> None:
    if progress_id is not None:
        await conn.execute(
            "UPDATE broadcasts SET progress_id = ? WHERE id = ?", (progress_id, broadcast_id)
        )
    if progress_edit is not None:
        await conn.execute(
            "UPDATE broadcasts SET progress_edit = ? WHERE id = ?", (progress_edit, broadcast_id)
        )
    if at is not None:
        await conn.execute(
            "UPDATE broadcasts SET progress_at = ? WHERE id = ?", (to_text(at), broadcast_id)
        )


async def close(
    conn: aiosqlite.Connection, broadcast_id: int, state: str, now: dt.datetime
) -> bool:
    """End the broadcast as 'done' or 'cancelled' and drop its text, its file's bytes and
    the platforms' ids for that file; False if already ended."""
    if state not in ("done", "cancelled"):
        raise ValueError(state)
    cursor = await conn.execute(
        "UPDATE broadcasts SET state = ?, finished_at = ?, text = ''"
        " WHERE id = ? AND state IN ('scheduled', 'sending')",
        (state, to_text(now), broadcast_id),
    )
    await conn.execute(
        "UPDATE broadcast_files SET content = NULL WHERE broadcast_id = ?", (broadcast_id,)
    )
    await conn.execute(
        "DELETE FROM broadcast_file_uploads WHERE file_id IN"
        " (SELECT id FROM broadcast_files WHERE broadcast_id = ?)",
        (broadcast_id,),
    )
    return cursor.rowcount == 1


# --- attachments -------------------------------------------------------------------------
async def store_file(
    conn: aiosqlite.Connection, *, created_by: str, document: Document, now: dt.datetime
) -> int:
    """Keep a file for an announcement still being written; returns its id."""
    cursor = await conn.execute(
        "INSERT INTO broadcast_files (created_by, filename, mime_type, content, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (created_by, document.filename, document.mime_type, document.content, to_text(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def get_file(conn: aiosqlite.Connection, file_id: int) -> Document | None:
    cursor = await conn.execute(
        "SELECT filename, mime_type, content FROM broadcast_files WHERE id = ?", (file_id,)
    )
    row = await cursor.fetchone()
    if row is None or row["content"] is None:
        return None
    return Document(row["filename"], bytes(row["content"]), row["mime_type"])


async def attach_file(conn: aiosqlite.Connection, file_id: int, broadcast_id: int) -> None:
    await conn.execute(
        "UPDATE broadcast_files SET broadcast_id = ? WHERE id = ? AND broadcast_id IS NULL",
        (broadcast_id, file_id),
    )


async def remember_upload(
    conn: aiosqlite.Connection, file_id: int, transport: str, remote_id: str
) -> bool:
    """Keep the platform's id for a file one send has uploaded (Telegram: its ``file_id``),
    replacing an older one; later sends pass the id instead of the bytes. Nothing is kept
    once the file's bytes are gone (the broadcast has ended): returns False then."""
    cursor = await conn.execute(
        "INSERT INTO broadcast_file_uploads (file_id, transport, remote_id)"
        " SELECT id, ?, ? FROM broadcast_files WHERE id = ? AND content IS NOT NULL"
        " ON CONFLICT (file_id, transport) DO UPDATE SET remote_id = excluded.remote_id",
        (transport, remote_id, file_id),
    )
    return cursor.rowcount == 1


async def drop_draft_file(conn: aiosqlite.Connection, file_id: int) -> None:
    """Forget a file whose announcement was not sent (replaced, or the flow cancelled)."""
    await conn.execute(
        "DELETE FROM broadcast_files WHERE id = ? AND broadcast_id IS NULL", (file_id,)
    )


async def forget_unsent_files(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Files of announcements left unfinished before ``cutoff`` (run by housekeeping)."""
    cursor = await conn.execute(
        "DELETE FROM broadcast_files WHERE broadcast_id IS NULL AND created_at < ?",
        (to_text(cutoff),),
    )
    return cursor.rowcount


async def cancel_pending(conn: aiosqlite.Connection, broadcast_id: int, now: dt.datetime) -> int:
    """Cancel every recipient row not yet sent (and drop its text); returns how many."""
    low, high = _recipient_range(broadcast_id)
    cursor = await conn.execute(
        f"UPDATE outbox SET state = 'cancelled', last_error = 'cancelled', {END_ROW}"
        " WHERE state = 'pending' AND dedupe_key >= ? AND dedupe_key < ?",
        (to_text(now), low, high),
    )
    return cursor.rowcount


async def cancel_for_person(conn: aiosqlite.Connection, user_id: str, now: dt.datetime) -> int:
    """After /stop: the person's announcements still waiting are not sent."""
    cursor = await conn.execute(
        f"UPDATE outbox SET state = 'cancelled', last_error = 'opted out', {END_ROW}"
        " WHERE user_id = ? AND state = 'pending' AND dedupe_key LIKE 'bc:%:r:%'",
        (to_text(now), user_id),
    )
    return cursor.rowcount


async def outbox_state(conn: aiosqlite.Connection, item_id: int) -> str | None:
    cursor = await conn.execute("SELECT state FROM outbox WHERE id = ?", (item_id,))
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def outbox_key(conn: aiosqlite.Connection, item_id: int) -> str | None:
    cursor = await conn.execute("SELECT dedupe_key FROM outbox WHERE id = ?", (item_id,))
    row = await cursor.fetchone()
    return row[0] if row else None


async def cancel_if_pending(conn: aiosqlite.Connection, item_id: int, now: dt.datetime) -> bool:
    """Cancel a message that has not been sent (a superseded progress edit)."""
    cursor = await conn.execute(
        f"UPDATE outbox SET state = 'cancelled', last_error = 'superseded', {END_ROW}"
        " WHERE id = ? AND state = 'pending'",
        (to_text(now), item_id),
    )
    return cursor.rowcount == 1


async def delete_ended(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete broadcasts that ended before ``cutoff``, with their file rows (housekeeping).

    Their recipients' outbox rows ended no later than the broadcast and go by the outbox's
    own rule (:func:`storage.outbox.delete_ended`)."""
    ended = "SELECT id FROM broadcasts WHERE state IN ('done', 'cancelled') AND finished_at < ?"
    await conn.execute(
        f"DELETE FROM broadcast_files WHERE broadcast_id IN ({ended})", (to_text(cutoff),)
    )
    cursor = await conn.execute(
        "DELETE FROM broadcasts WHERE state IN ('done', 'cancelled') AND finished_at < ?",
        (to_text(cutoff),),
    )
    return cursor.rowcount
