"""What a participant does after leaving a project (``exit_situations``, migration 006).

One row per person and project, written only when the person chose a category; choosing
"I'd rather not say" removes a row given earlier. Nothing but the category, the project and
the date is kept. :mod:`storage.reports` counts the rows as the ESF+ result indicators.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

SITUATIONS = ("job_searching", "education", "qualification", "employment", "other")


async def record(
    conn: aiosqlite.Connection, *, user_id: str, project: str, situation: str, on: dt.date
) -> None:
    if situation not in SITUATIONS:
        raise ValueError(f"unknown situation {situation!r}")
    await conn.execute(
        "INSERT INTO exit_situations (user_id, project, situation, consent, answered_on)"
        " VALUES (?, ?, ?, 1, ?) ON CONFLICT (user_id, project) DO UPDATE SET"
        " situation = excluded.situation, answered_on = excluded.answered_on",
        (user_id, project, situation, on.isoformat()),
    )


async def withdraw(conn: aiosqlite.Connection, *, user_id: str, project: str) -> None:
    await conn.execute(
        "DELETE FROM exit_situations WHERE user_id = ? AND project = ?", (user_id, project)
    )


async def get(conn: aiosqlite.Connection, user_id: str, project: str) -> str | None:
    cursor = await conn.execute(
        "SELECT situation FROM exit_situations WHERE user_id = ? AND project = ?",
        (user_id, project),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def has_left(conn: aiosqlite.Connection, user_id: str, project: str) -> bool:
    """True when the person was a participant of ``project`` and is no longer."""
    cursor = await conn.execute(
        "SELECT 1 FROM memberships WHERE user_id = ? AND project = ? AND role = 'participant'"
        " AND left_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memberships a"
        " WHERE a.user_id = ? AND a.project = ? AND a.role = 'participant'"
        " AND a.left_at IS NULL)",
        (user_id, project, user_id, project),
    )
    return await cursor.fetchone() is not None
