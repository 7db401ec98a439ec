"""What participants choose and answer: ``project_settings``, ``participant_settings``,
``rsvps`` (coming / can't come / another time), ``attendance`` and ``ratings``.

Reminder offsets are stored as seconds, comma-separated: ``"86400,7200"``; an empty string
means "no reminders" and NULL means "use the next level" (participant → project → default:
:func:`handlers.domain.reminder_plan.effective_offsets`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.clock import from_text, to_text

ANSWERS = ("yes", "no", "other")
ATTENDANCE = ("attended", "missed")


def encode_offsets(offsets: Sequence[dt.timedelta]) -> str:
    seconds = sorted({int(o.total_seconds()) for o in offsets}, reverse=True)
    if any(s <= 0 for s in seconds):
        raise ValueError("reminder offsets must be positive")
    return ",".join(str(s) for s in seconds)


def decode_offsets(text: str) -> tuple[dt.timedelta, ...]:
    if not text:
        return ()
    return tuple(dt.timedelta(seconds=int(part)) for part in text.split(","))


async def project_offsets(
    conn: aiosqlite.Connection, project: str
) -> tuple[dt.timedelta, ...] | None:
    """The project's setting, or None when it follows the default."""
    cursor = await conn.execute(
        "SELECT reminder_offsets FROM project_settings WHERE project = ?", (project,)
    )
    row = await cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return decode_offsets(row[0])


async def set_project_offsets(
    conn: aiosqlite.Connection, project: str, offsets: Sequence[dt.timedelta] | None
) -> None:
    value = None if offsets is None else encode_offsets(offsets)
    await conn.execute(
        "INSERT INTO project_settings (project, reminder_offsets) VALUES (?, ?)"
        " ON CONFLICT (project) DO UPDATE SET reminder_offsets = excluded.reminder_offsets",
        (project, value),
    )


async def own_offsets(
    conn: aiosqlite.Connection, user_id: str, project: str
) -> tuple[dt.timedelta, ...] | None:
    """The person's own choice, or None when they follow the project's setting."""
    cursor = await conn.execute(
        "SELECT reminder_offsets FROM participant_settings WHERE user_id = ? AND project = ?",
        (user_id, project),
    )
    row = await cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return decode_offsets(row[0])


async def own_offsets_of(
    conn: aiosqlite.Connection, project: str, user_ids: Collection[str]
) -> dict[str, tuple[dt.timedelta, ...]]:
    """The own choices of those of ``user_ids`` who made one, in one query."""
    if not user_ids:
        return {}
    cursor = await conn.execute(
        "SELECT user_id, reminder_offsets FROM participant_settings WHERE project = ?"
        " AND reminder_offsets IS NOT NULL AND user_id IN (SELECT value FROM json_each(?))",
        (project, json.dumps(sorted(user_ids))),
    )
    return {row[0]: decode_offsets(row[1]) for row in await cursor.fetchall()}


async def set_own_offsets(
    conn: aiosqlite.Connection,
    user_id: str,
    project: str,
    offsets: Sequence[dt.timedelta] | None,
) -> None:
    value = None if offsets is None else encode_offsets(offsets)
    await conn.execute(
        "INSERT INTO participant_settings (user_id, project, reminder_offsets) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id, project)"
        " DO UPDATE SET reminder_offsets = excluded.reminder_offsets",
        (user_id, project, value),
    )


async def silence_noted(conn: aiosqlite.Connection, user_id: str, project: str) -> bool:
    cursor = await conn.execute(
        "SELECT silence_noted_at FROM participant_settings WHERE user_id = ? AND project = ?",
        (user_id, project),
    )
    row = await cursor.fetchone()
    return row is not None and row[0] is not None


async def note_silence(
    conn: aiosqlite.Connection, user_id: str, project: str, now: dt.datetime | None
) -> None:
    """Remember that the "no answers" note was sent (None: the person answered again)."""
    await conn.execute(
        "INSERT INTO participant_settings (user_id, project, silence_noted_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id, project)"
        " DO UPDATE SET silence_noted_at = excluded.silence_noted_at",
        (user_id, project, to_text(now) if now else None),
    )


# --- answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    user_id: str
    answer: str
    at: dt.datetime


async def set_rsvp(
    conn: aiosqlite.Connection, occurrence_id: int, user_id: str, answer: str, now: dt.datetime
) -> str | None:
    """Store an answer; returns the previous one."""
    if answer not in ANSWERS:
        raise ValueError(answer)
    previous = await rsvp(conn, occurrence_id, user_id)
    await conn.execute(
        "INSERT INTO rsvps (occurrence_id, user_id, answer, answered_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (occurrence_id, user_id) DO UPDATE SET answer = excluded.answer,"
        " answered_at = excluded.answered_at",
        (occurrence_id, user_id, answer, to_text(now)),
    )
    return previous


async def rsvp(conn: aiosqlite.Connection, occurrence_id: int, user_id: str) -> str | None:
    cursor = await conn.execute(
        "SELECT answer FROM rsvps WHERE occurrence_id = ? AND user_id = ?",
        (occurrence_id, user_id),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def rsvps(conn: aiosqlite.Connection, occurrence_id: int) -> dict[str, str]:
    cursor = await conn.execute(
        "SELECT user_id, answer FROM rsvps WHERE occurrence_id = ?", (occurrence_id,)
    )
    return {row[0]: row[1] for row in await cursor.fetchall()}


async def clear_rsvp(conn: aiosqlite.Connection, occurrence_id: int, user_id: str) -> None:
    """One person's answer removed (an undone typed answer)."""
    await conn.execute(
        "DELETE FROM rsvps WHERE occurrence_id = ? AND user_id = ?", (occurrence_id, user_id)
    )


async def unrate(conn: aiosqlite.Connection, occurrence_id: int, user_id: str) -> None:
    """One person's rating (and its comment) removed (an undone typed answer)."""
    await conn.execute(
        "DELETE FROM ratings WHERE occurrence_id = ? AND user_id = ?", (occurrence_id, user_id)
    )


async def clear_rsvps(conn: aiosqlite.Connection, occurrence_id: int) -> None:
    await conn.execute("DELETE FROM rsvps WHERE occurrence_id = ?", (occurrence_id,))


async def mark_attendance(
    conn: aiosqlite.Connection,
    occurrence_id: int,
    user_id: str,
    status: str | None,
    now: dt.datetime,
) -> None:
    if status is None:
        await conn.execute(
            "DELETE FROM attendance WHERE occurrence_id = ? AND user_id = ?",
            (occurrence_id, user_id),
        )
        return
    if status not in ATTENDANCE:
        raise ValueError(status)
    await conn.execute(
        "INSERT INTO attendance (occurrence_id, user_id, status, marked_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (occurrence_id, user_id) DO UPDATE SET status = excluded.status,"
        " marked_at = excluded.marked_at",
        (occurrence_id, user_id, status, to_text(now)),
    )


async def attendance(conn: aiosqlite.Connection, occurrence_id: int) -> dict[str, str]:
    cursor = await conn.execute(
        "SELECT user_id, status FROM attendance WHERE occurrence_id = ?", (occurrence_id,)
    )
    return {row[0]: row[1] for row in await cursor.fetchall()}


async def attendance_of(conn: aiosqlite.Connection, occurrence_id: int, user_id: str) -> str | None:
    cursor = await conn.execute(
        "SELECT status FROM attendance WHERE occurrence_id = ? AND user_id = ?",
        (occurrence_id, user_id),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def rate(
    conn: aiosqlite.Connection, occurrence_id: int, user_id: str, score: int, now: dt.datetime
) -> None:
    if not 1 <= score <= 5:
        raise ValueError(score)
    await conn.execute(
        "INSERT INTO ratings (occurrence_id, user_id, score, rated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (occurrence_id, user_id) DO UPDATE SET score = excluded.score,"
        " rated_at = excluded.rated_at",
        (occurrence_id, user_id, score, to_text(now)),
    )


async def comment(conn: aiosqlite.Connection, occurrence_id: int, user_id: str, text: str) -> None:
    await conn.execute(
        "UPDATE ratings SET comment = ? WHERE occurrence_id = ? AND user_id = ?",
        (text, occurrence_id, user_id),
    )


async def sign_comment(
    conn: aiosqlite.Connection, occurrence_id: int, user_id: str, signed: bool
) -> None:
    """The writer's choice: may the coordinators see their name with the comment."""
    await conn.execute(
        "UPDATE ratings SET signed = ? WHERE occurrence_id = ? AND user_id = ?",
        (int(signed), occurrence_id, user_id),
    )


async def rating(
    conn: aiosqlite.Connection, occurrence_id: int, user_id: str
) -> tuple[int, str | None] | None:
    cursor = await conn.execute(
        "SELECT score, comment FROM ratings WHERE occurrence_id = ? AND user_id = ?",
        (occurrence_id, user_id),
    )
    row = await cursor.fetchone()
    return (int(row[0]), row[1]) if row else None


async def answered_since(conn: aiosqlite.Connection, user_id: str, since: dt.datetime) -> bool:
    """Did the person answer anything (a reminder or a rating) after ``since``?"""
    cursor = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM rsvps WHERE user_id = ? AND answered_at >= ?)"
        " OR EXISTS (SELECT 1 FROM ratings WHERE user_id = ? AND rated_at >= ?)",
        (user_id, to_text(since), user_id, to_text(since)),
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def latest_answer_at(conn: aiosqlite.Connection, user_id: str) -> dt.datetime | None:
    cursor = await conn.execute("SELECT MAX(answered_at) FROM rsvps WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    return from_text(row[0]) if row and row[0] else None
