"""Wrong codes, counted so that guessing can be limited: ``invite_failures`` (per person) and
``code_failures_recent`` (everyone together, per minute, naming nobody).

The policy — how many, in what window, and what people are told — is in
:mod:`handlers.common.codes`; this module only counts, and forgets what is older than the window,
so both tables stay small and a restart does not reset the limits.
"""

from __future__ import annotations

import datetime as dt

import aiosqlite

from storage import updates
from storage.clock import from_text, to_text

_PAUSE_KEY = "codes:paused_at"
#: Wrong-code records are deleted this long after they were made, also when nobody fails
#: again (the limits themselves look back less far, see :mod:`handlers.common.codes`).
FAILURE_MEMORY = dt.timedelta(days=1)


def _minute(moment: dt.datetime) -> str:
    return to_text(moment.replace(second=0, microsecond=0))


async def record_failure(
    conn: aiosqlite.Connection,
    user_id: str,
    now: dt.datetime,
    *,
    person_window: dt.timedelta,
    everyone_window: dt.timedelta,
) -> None:
    """Count one wrong code by ``user_id`` (and one for everyone); forget older ones."""
    await conn.execute("DELETE FROM invite_failures WHERE at < ?", (to_text(now - person_window),))
    await conn.execute(
        "DELETE FROM code_failures_recent WHERE minute < ?", (_minute(now - everyone_window),)
    )
    await conn.execute(
        "INSERT INTO invite_failures (user_id, at) VALUES (?, ?)", (user_id, to_text(now))
    )
    await conn.execute(
        "INSERT INTO code_failures_recent (minute, wrong) VALUES (?, 1)"
        " ON CONFLICT (minute) DO UPDATE SET wrong = wrong + 1",
        (_minute(now),),
    )


async def failures_of(conn: aiosqlite.Connection, user_id: str, since: dt.datetime) -> int:
    """Wrong codes by ``user_id`` after ``since``."""
    cursor = await conn.execute(
        "SELECT COUNT(*) FROM invite_failures WHERE user_id = ? AND at > ?",
        (user_id, to_text(since)),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def failures_of_everyone(conn: aiosqlite.Connection, since: dt.datetime) -> int:
    """Wrong codes by anyone from the minute of ``since`` on."""
    cursor = await conn.execute(
        "SELECT COALESCE(SUM(wrong), 0) FROM code_failures_recent WHERE minute >= ?",
        (_minute(since),),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def begin_pause(conn: aiosqlite.Connection, now: dt.datetime, window: dt.timedelta) -> bool:
    """Note that code checks are paused; True when this starts a new pause (none was noted
    within ``window``), so that a long burst is logged once."""
    noted = await updates.get_value(conn, _PAUSE_KEY)
    await updates.set_value(conn, _PAUSE_KEY, to_text(now))
    return noted is None or from_text(noted) <= now - window


async def forget_failures(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete wrong-code records older than ``cutoff``; returns how many per-person rows."""
    cursor = await conn.execute("DELETE FROM invite_failures WHERE at < ?", (to_text(cutoff),))
    await conn.execute("DELETE FROM code_failures_recent WHERE minute < ?", (_minute(cutoff),))
    return cursor.rowcount
