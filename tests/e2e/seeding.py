"""Writing a due reminder straight into a bot's database, for the tests that start the real
process with reminders already falling due (restart, kill and soak tests)."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage import participants, reminders
from storage.meetings import Occurrence


async def add_due_reminder(
    conn: aiosqlite.Connection,
    occurrence: Occurrence,
    user_id: str,
    project: str,
    due: dt.datetime,
    now: dt.datetime,
) -> None:
    """``user_id``'s own reminder for ``occurrence`` at ``due``, as /omat would set it."""
    offset = occurrence.start - due
    await participants.set_own_offsets(conn, user_id, project, [offset])
    assert await reminders.add(
        conn,
        occurrence_id=occurrence.id,
        user_id=user_id,
        kind="reminder",
        start=occurrence.start,
        due_at=due,
        offset=offset,
        now=now,
    )
