"""The reminder work queue: ``reminders`` table (reminders, follow-ups and check-ins).

Every message the scheduler will send about a meeting is a row here with its ``due_at``,
planned in memory by :mod:`handlers.domain.reminder_plan` (quiet hours, merging, late and
missed ones: :mod:`handlers.domain.reminder_times`) and written by :func:`insert` as it is;
:mod:`handlers.common.planning` puts the two together. The partial index on ``due_at`` for
pending rows lets the scheduler find the next due moment and the rows due now without
keeping anything in memory.

A row is unique per (occurrence, participant, kind, offset, planned start): re-planning the
same meeting can never add a second reminder, and a reminder marked ``sent`` is never
planned again for that start. When a meeting moves, reminders are planned for the new start,
except offsets that were already sent and whose moment for the new start has passed.

```mermaid
stateDiagram-v2
    [*] --> pending: planned (meeting created, person joined, meeting moved, settings changed)
    [*] --> skipped: no civil moment left (quiet hours)
    pending --> sent: due → outbox row (same transaction, dedupe key)
    pending --> pending: due late → re-planned for a civil hour
    pending --> missed: the meeting started before it could be sent
    pending --> skipped: answered "can't come", not reachable, a later one covers it
    pending --> cancelled: meeting cancelled, person left the project
    pending --> [*]: deleted when re-planned
```
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import aiosqlite

from handlers.domain.reminder_plan import ReminderRow
from storage import buttons as button_store
from storage import outbox, participants
from storage.clock import from_text, to_text
from storage.meetings import Meeting, Occurrence
from storage.users import User

KINDS = ("reminder", "follow_up", "check_in")


@dataclass(frozen=True)
class Work:
    id: int
    occurrence_id: int
    user_id: str
    kind: str
    offset: dt.timedelta
    covers: tuple[dt.timedelta, ...]
    start: dt.datetime
    due_at: dt.datetime
    state: str

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Work:
        return cls(
            id=row["r_id"],
            occurrence_id=row["occurrence_id"],
            user_id=row["r_user_id"],
            kind=row["kind"],
            offset=dt.timedelta(seconds=row["offset_s"]),
            covers=participants.decode_offsets(row["covers"]),
            start=from_text(row["r_start_utc"]),
            due_at=from_text(row["due_at"]),
            state=row["state"],
        )


@dataclass(frozen=True)
class DueWork:
    """A due row with what deciding about it needs, read in one query."""

    work: Work
    occurrence: Occurrence
    meeting: Meeting
    person: User | None  # None when the person was deleted
    for_them: bool  # the meeting is (still) for this person: active participant, audience
    answer: str | None  # their "coming / can't come / another time", if any


def _values(row: ReminderRow) -> tuple[object, ...]:
    return (
        row.occurrence_id,
        row.user_id,
        row.kind,
        int(row.offset.total_seconds()),
        participants.encode_offsets(row.covers) if row.covers else "",
        to_text(row.start),
        to_text(row.due_at),
        row.state,
        to_text(row.done_at) if row.done_at else None,
    )


async def insert(conn: aiosqlite.Connection, rows: Sequence[ReminderRow]) -> int:
    """Store planned rows in one statement; a row already there (same occurrence, person,
    kind, offset and start) is kept as it is. Returns how many were added."""
    if not rows:
        return 0
    cursor = await conn.executemany(
        "INSERT OR IGNORE INTO reminders (occurrence_id, user_id, kind, offset_s, covers,"
        " start_utc, due_at, state, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_values(row) for row in rows],
    )
    return cursor.rowcount


async def stage(
    conn: aiosqlite.Connection,
    rows: Sequence[ReminderRow],
    occurrences: Sequence[tuple[str, dt.datetime]],
) -> None:
    """Rows for meetings not stored yet, into a TEMP table (:meth:`storage.db.Database.scratch`,
    no write lock): each row's ``occurrence_id`` is an index into ``occurrences``, the
    (meeting UID, original start) it is for. :func:`insert_staged` copies them in one
    statement once the meetings are stored."""
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS staged_reminders (uid TEXT, recurrence_id TEXT,"
        " user_id TEXT, kind TEXT, offset_s INTEGER, covers TEXT, start_utc TEXT,"
        " due_at TEXT, state TEXT, done_at TEXT)"
    )
    await conn.execute("DELETE FROM temp.staged_reminders")
    await conn.executemany(
        "INSERT INTO temp.staged_reminders (uid, recurrence_id, user_id, kind, offset_s, covers,"
        " start_utc, due_at, state, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_staged(row, *occurrences[row.occurrence_id]) for row in rows],
    )


def _staged(row: ReminderRow, uid: str, recurrence_id: dt.datetime) -> tuple[object, ...]:
    return (uid, to_text(recurrence_id), *_values(row)[1:])


async def insert_staged(conn: aiosqlite.Connection) -> int:
    """Store the rows :func:`stage` prepared, for the occurrences now stored, in one
    statement; returns how many were added. (The staged rows stay in the TEMP table until the
    next :func:`stage` or the connection closes: deleting them is no work for the lock.)"""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO reminders (occurrence_id, user_id, kind, offset_s, covers,"
        " start_utc, due_at, state, done_at)"
        " SELECT o.id, s.user_id, s.kind, s.offset_s, s.covers, s.start_utc, s.due_at, s.state,"
        " s.done_at FROM temp.staged_reminders s JOIN meetings m ON m.uid = s.uid"
        " JOIN occurrences o ON o.meeting_id = m.id AND o.recurrence_id = s.recurrence_id"
        " ORDER BY s.rowid"
    )
    return cursor.rowcount


async def add(
    conn: aiosqlite.Connection,
    *,
    occurrence_id: int,
    user_id: str,
    kind: str,
    start: dt.datetime,
    due_at: dt.datetime,
    offset: dt.timedelta = dt.timedelta(0),
    now: dt.datetime,
) -> bool:
    """Store one pending row as it is (no planning); False when it already exists."""
    if kind not in KINDS:
        raise ValueError(kind)
    row = ReminderRow(
        occurrence_id=occurrence_id,
        user_id=user_id,
        kind=kind,
        offset=offset,
        covers=(offset,) if kind == "reminder" else (),
        start=start,
        due_at=due_at,
        state="pending",
        done_at=None,
    )
    return await insert(conn, [row]) == 1


async def sent_offsets(
    conn: aiosqlite.Connection, occurrence_ids: Collection[int], user_id: str | None = None
) -> dict[tuple[int, str], set[dt.timedelta]]:
    """The offsets already sent, by (occurrence, person), for these occurrences (and only
    this person, if given)."""
    if not occurrence_ids:
        return {}
    sql = (
        "SELECT occurrence_id, user_id, covers FROM reminders"
        " WHERE occurrence_id IN (SELECT value FROM json_each(?))"
        " AND kind = 'reminder' AND state = 'sent'"
    )
    params: list[object] = [json.dumps(sorted(occurrence_ids))]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    cursor = await conn.execute(sql, params)
    sent: dict[tuple[int, str], set[dt.timedelta]] = {}
    for row in await cursor.fetchall():
        key = (int(row[0]), str(row[1]))
        sent.setdefault(key, set()).update(participants.decode_offsets(row[2]))
    return sent


async def drop_pending(
    conn: aiosqlite.Connection,
    *,
    user_id: str | None = None,
    project: str | None = None,
    occurrence_id: int | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> int:
    """Delete pending rows matching every given filter; returns how many went."""
    clauses = ["state = 'pending'", f"kind IN ({','.join('?' * len(kinds))})"]
    params: list[object] = list(kinds)
    if user_id is not None:
        clauses.append("user_id = ?")
        params.append(user_id)
    if occurrence_id is not None:
        clauses.append("occurrence_id = ?")
        params.append(occurrence_id)
    if project is not None:
        clauses.append(
            "occurrence_id IN (SELECT o.id FROM occurrences o JOIN meetings m"
            " ON m.id = o.meeting_id WHERE m.project = ?)"
        )
        params.append(project)
    cursor = await conn.execute(f"DELETE FROM reminders WHERE {' AND '.join(clauses)}", params)
    return cursor.rowcount


async def pending_kinds(conn: aiosqlite.Connection, occurrence_id: int, user_id: str) -> list[str]:
    cursor = await conn.execute(
        "SELECT kind FROM reminders WHERE occurrence_id = ? AND user_id = ? AND state = 'pending'"
        " ORDER BY due_at",
        (occurrence_id, user_id),
    )
    return [row[0] for row in await cursor.fetchall()]


# --- the queue -------------------------------------------------------------------------

_DUE = (  # m.* first: the meeting's columns keep their names, the others are aliased
    "SELECT m.*, r.id AS r_id, r.user_id AS r_user_id, r.start_utc AS r_start_utc,"
    " r.occurrence_id, r.kind, r.offset_s, r.covers, r.due_at, r.state, o.id AS o_id,"
    " o.meeting_id AS o_meeting_id, o.recurrence_id AS o_recurrence_id,"
    " o.start_utc AS o_start_utc, o.end_utc AS o_end_utc, o.cancelled AS o_cancelled,"
    " u.user_id AS u_user_id, u.home_chat_id AS u_home_chat_id, u.locale AS u_locale,"
    " u.locale_chosen AS u_locale_chosen, u.display_name AS u_display_name,"
    " u.unreachable AS u_unreachable, u.news_opt_in AS u_news_opt_in,"
    " u.created_at AS u_created_at,"
    " EXISTS (SELECT 1 FROM memberships p WHERE p.user_id = r.user_id"
    " AND p.project = m.project AND p.role = 'participant' AND p.left_at IS NULL"
    " AND (m.user_id = r.user_id OR (m.user_id IS NULL AND (m.grp IS NULL OR m.grp = p.grp))))"
    " AS for_them,"
    " (SELECT answer FROM rsvps a WHERE a.occurrence_id = r.occurrence_id"
    " AND a.user_id = r.user_id) AS answer"
    " FROM reminders r JOIN occurrences o ON o.id = r.occurrence_id"
    " JOIN meetings m ON m.id = o.meeting_id LEFT JOIN users u ON u.user_id = r.user_id"
)


def _person(row: aiosqlite.Row) -> User | None:
    if row["u_user_id"] is None:
        return None
    return User(
        user_id=row["u_user_id"],
        home_chat_id=row["u_home_chat_id"],
        locale=row["u_locale"],
        locale_chosen=bool(row["u_locale_chosen"]),
        display_name=row["u_display_name"],
        unreachable=bool(row["u_unreachable"]),
        news_opt_in=bool(row["u_news_opt_in"]),
        created_at=from_text(row["u_created_at"]),
    )


async def due(conn: aiosqlite.Connection, now: dt.datetime, limit: int = 200) -> list[DueWork]:
    """Pending rows whose time has come, earliest first."""
    cursor = await conn.execute(
        f"{_DUE} WHERE r.state = 'pending' AND r.due_at <= ? ORDER BY r.due_at, r.id LIMIT ?",
        (to_text(now), limit),
    )
    return [
        DueWork(
            Work.from_row(row),
            Occurrence.from_row(row, "o_"),
            Meeting.from_row(row),
            _person(row),
            bool(row["for_them"]),
            row["answer"],
        )
        for row in await cursor.fetchall()
    ]


@dataclass(frozen=True)
class Outgoing:
    """A rendered message for one due row; :func:`send_batch` writes many at once."""

    work_id: int
    chat_id: str
    user_id: str
    html: str
    buttons: list[list[tuple[str, str]]]  # rows of (label, payload)
    dedupe_key: str
    numbered: bool  # the transport shows buttons as numbers (console, Matrix)


async def send_batch(
    conn: aiosqlite.Connection, messages: list[Outgoing], now: dt.datetime
) -> None:
    """Outbox rows (with their button tokens) and the rows' "sent" marks, in the caller's
    transaction and in a few statements. A dedupe key already in the outbox adds nothing."""
    stamp = to_text(now)
    button_rows: list[tuple[str, str, str, None, None, str]] = []
    keyboards: list[tuple[str, str]] = []
    outbox_rows: list[tuple[object, ...]] = []
    for message in messages:
        rows: list[list[dict[str, str]]] = []
        tokens: list[str] = []
        for row in message.buttons:
            out_row = []
            for label, payload in row:
                token = button_store.new_token()
                tokens.append(token)
                button_rows.append((token, message.chat_id, payload, None, None, stamp))
                out_row.append({"label": label, "token": token})
            rows.append(out_row)
        if tokens and message.numbered:
            keyboards.append((message.chat_id, json.dumps(tokens)))
        outbox_rows.append(
            (
                outbox.transport_of(message.chat_id),
                message.chat_id,
                message.user_id,
                message.html,
                json.dumps(rows) if rows else None,
                message.dedupe_key,
                stamp,
                stamp,
            )
        )
    await conn.executemany(
        "INSERT INTO buttons (token, chat_id, payload, flow, step, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        button_rows,
    )
    await conn.executemany(
        "INSERT INTO chat_keyboards (chat_id, tokens) VALUES (?, ?)"
        " ON CONFLICT (chat_id) DO UPDATE SET tokens = excluded.tokens",
        keyboards,
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO outbox (transport, chat_id, user_id, html, buttons, dedupe_key,"
        " not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        outbox_rows,
    )
    await conn.executemany(
        "UPDATE reminders SET state = 'sent', done_at = ? WHERE id = ? AND state = 'pending'",
        [(stamp, message.work_id) for message in messages],
    )


async def next_due(conn: aiosqlite.Connection) -> dt.datetime | None:
    cursor = await conn.execute("SELECT MIN(due_at) FROM reminders WHERE state = 'pending'")
    row = await cursor.fetchone()
    return from_text(row[0]) if row and row[0] else None


async def finish(conn: aiosqlite.Connection, work_id: int, state: str, now: dt.datetime) -> None:
    await conn.execute(
        "UPDATE reminders SET state = ?, done_at = ? WHERE id = ? AND state = 'pending'",
        (state, to_text(now), work_id),
    )


async def reschedule(conn: aiosqlite.Connection, work_id: int, due_at: dt.datetime) -> None:
    await conn.execute(
        "UPDATE reminders SET due_at = ? WHERE id = ? AND state = 'pending'",
        (to_text(due_at), work_id),
    )


async def last_sent_reminders(
    conn: aiosqlite.Connection, user_id: str, project: str, count: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The person's last ``count`` sent reminders in a project: (sent at, meeting start)."""
    cursor = await conn.execute(
        "SELECT r.done_at, o.start_utc FROM reminders r"
        " JOIN occurrences o ON o.id = r.occurrence_id JOIN meetings m ON m.id = o.meeting_id"
        " WHERE r.user_id = ? AND r.kind = 'reminder' AND r.state = 'sent' AND m.project = ?"
        " ORDER BY r.done_at DESC LIMIT ?",
        (user_id, project, count),
    )
    return [(from_text(row[0]), from_text(row[1])) for row in await cursor.fetchall()]


async def counts(conn: aiosqlite.Connection) -> dict[str, int]:
    cursor = await conn.execute("SELECT state, COUNT(*) FROM reminders GROUP BY state")
    return {row[0]: int(row[1]) for row in await cursor.fetchall()}
