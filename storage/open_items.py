"""What coordinators were asked to answer (``open_items``): a participant who wants to talk,
a can't-come note, a contact request. An item is open until a coordinator answers it in the
bot or marks it handled; ``/avoimet`` lists the open ones and the scheduler reminds the
coordinators of those left open once a week (``reminded_at``). Rows are deleted
:data:`RETENTION_DAYS` days after they were made (``bot.maintenance``), and with the person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from storage.clock import from_text, to_text

RETENTION_DAYS = 90
#: An open item is reminded to the coordinators this long after it came, and again as often.
REMIND_EVERY = dt.timedelta(days=7)

Kind = Literal["talk", "cant_come", "contact"]
KINDS: tuple[Kind, ...] = ("talk", "cant_come", "contact")


@dataclass(frozen=True)
class Item:
    id: int
    project: str | None
    kind: Kind
    user_id: str
    occurrence_id: int | None
    request_id: int | None
    created_at: dt.datetime
    handled_at: dt.datetime | None
    handled_by: str | None
    reminded_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Item:
        return cls(
            id=row["id"],
            project=row["project"],
            kind=row["kind"],
            user_id=row["user_id"],
            occurrence_id=row["occurrence_id"],
            request_id=row["request_id"],
            created_at=from_text(row["created_at"]),
            handled_at=from_text(row["handled_at"]) if row["handled_at"] else None,
            handled_by=row["handled_by"],
            reminded_at=from_text(row["reminded_at"]) if row["reminded_at"] else None,
        )

    @property
    def is_open(self) -> bool:
        return self.handled_at is None


async def add(
    conn: aiosqlite.Connection,
    *,
    project: str | None,
    kind: Kind,
    user_id: str,
    now: dt.datetime,
    occurrence_id: int | None = None,
    request_id: int | None = None,
) -> int:
    """A new open item; the same open one (same person, kind and meeting) is reused."""
    cursor = await conn.execute(
        "SELECT id FROM open_items WHERE user_id = ? AND kind = ? AND project IS ?"
        " AND occurrence_id IS ? AND request_id IS ? AND handled_at IS NULL",
        (user_id, kind, project, occurrence_id, request_id),
    )
    row = await cursor.fetchone()
    if row is not None:
        return int(row[0])
    cursor = await conn.execute(
        "INSERT INTO open_items (project, kind, user_id, occurrence_id, request_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (project, kind, user_id, occurrence_id, request_id, to_text(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def get(conn: aiosqlite.Connection, item_id: int) -> Item | None:
    cursor = await conn.execute("SELECT * FROM open_items WHERE id = ?", (item_id,))
    row = await cursor.fetchone()
    return None if row is None else Item.from_row(row)


async def open_for(conn: aiosqlite.Connection, projects: set[str], general: bool) -> list[Item]:
    """Open items of ``projects`` (and of no project when ``general``), oldest first."""
    marks = ", ".join("?" for _ in projects)
    where = [f"project IN ({marks})"] if projects else []
    if general:
        where.append("project IS NULL")
    if not where:
        return []
    cursor = await conn.execute(
        f"SELECT * FROM open_items WHERE handled_at IS NULL AND ({' OR '.join(where)})"
        " ORDER BY created_at, id",
        tuple(sorted(projects)),
    )
    return [Item.from_row(row) for row in await cursor.fetchall()]


async def mark_handled(conn: aiosqlite.Connection, item_id: int, by: str, now: dt.datetime) -> bool:
    """True when this call closed it (False: it was closed already)."""
    cursor = await conn.execute(
        "UPDATE open_items SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at IS NULL",
        (to_text(now), by, item_id),
    )
    return cursor.rowcount == 1


async def due_for_reminder(conn: aiosqlite.Connection, now: dt.datetime) -> list[Item]:
    """Open items not reminded of (or made) within :data:`REMIND_EVERY`."""
    cutoff = to_text(now - REMIND_EVERY)
    cursor = await conn.execute(
        "SELECT * FROM open_items WHERE handled_at IS NULL"
        " AND COALESCE(reminded_at, created_at) <= ? ORDER BY created_at, id",
        (cutoff,),
    )
    return [Item.from_row(row) for row in await cursor.fetchall()]


async def mark_reminded(conn: aiosqlite.Connection, item_ids: list[int], now: dt.datetime) -> None:
    await conn.executemany(
        "UPDATE open_items SET reminded_at = ? WHERE id = ?",
        [(to_text(now), item_id) for item_id in item_ids],
    )


async def next_reminder_at(conn: aiosqlite.Connection) -> dt.datetime | None:
    """When the next weekly reminder is due (for the scheduler's wake-up)."""
    cursor = await conn.execute(
        "SELECT MIN(COALESCE(reminded_at, created_at)) FROM open_items WHERE handled_at IS NULL"
    )
    row = await cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return from_text(row[0]) + REMIND_EVERY


async def purge_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    cursor = await conn.execute("DELETE FROM open_items WHERE created_at < ?", (to_text(cutoff),))
    return cursor.rowcount
