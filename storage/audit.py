"""The audit log of privileged actions: ``audit_log`` table.

Every privileged action (making or removing a coordinator, sending or cancelling a
broadcast, viewing a report or the log itself) writes one row in the same transaction as the
action, so an action and its audit row exist together or not at all. ``detail`` holds ids
and counts only, never message texts.

When an actor uses /forget, their rows stay but the id is replaced by an anonymous mark
(``poistettu-…``, see :mod:`storage.personal_data`): the trail keeps what was done and when,
not who did it.

Retention: entries are deleted :data:`DEFAULT_RETENTION_DAYS` days (six years) after they were
written unless ``HANKEBOT_AUDIT_RETENTION_DAYS`` says otherwise (:func:`delete_older_than`,
run by ``bot.maintenance``). EU Regulation 2021/1060 art. 82 asks that a funded project's
documents be kept five years from 31 December of the year of the last payment to it. Six
years from each entry covers that when the last payment comes in the entry's own year; a
project paid later should raise the setting to reach five years past that year's end.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aiosqlite

from storage.clock import from_text, to_text

CLI_ACTOR = "cli"
DEFAULT_RETENTION_DAYS = 2192  # six years (of 365.25 days)

DetailValue = str | int | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    project: str | None
    subject: str | None
    detail: dict[str, DetailValue] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> AuditEntry:
        return cls(
            id=row["id"],
            at=from_text(row["at"]),
            actor=row["actor"],
            action=row["action"],
            project=row["project"],
            subject=row["subject"],
            detail=json.loads(row["detail"]),
        )


async def record(
    conn: aiosqlite.Connection,
    *,
    actor: str,
    action: str,
    now: dt.datetime,
    project: str | None = None,
    subject: str | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO audit_log (at, actor, action, project, subject, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (to_text(now), actor, action, project, subject, json.dumps(dict(detail or {}))),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def record_many(
    conn: aiosqlite.Connection,
    *,
    actor: str,
    action: str,
    now: dt.datetime,
    project: str | None,
    details: Sequence[Mapping[str, DetailValue]],
) -> None:
    """One entry per item of ``details``, in one statement."""
    await conn.executemany(
        "INSERT INTO audit_log (at, actor, action, project, subject, detail)"
        " VALUES (?, ?, ?, ?, NULL, ?)",
        [(to_text(now), actor, action, project, json.dumps(dict(d))) for d in details],
    )


async def latest(conn: aiosqlite.Connection, limit: int) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    cursor = await conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
    return [AuditEntry.from_row(row) for row in await cursor.fetchall()]


async def all_entries(conn: aiosqlite.Connection, limit: int = 100_000) -> list[AuditEntry]:
    """Entries oldest first (for the CSV export)."""
    cursor = await conn.execute("SELECT * FROM audit_log ORDER BY id LIMIT ?", (limit,))
    return [AuditEntry.from_row(row) for row in await cursor.fetchall()]


async def count(conn: aiosqlite.Connection, action: str | None = None) -> int:
    if action is None:
        cursor = await conn.execute("SELECT COUNT(*) FROM audit_log")
    else:
        cursor = await conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = ?", (action,))
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def delete_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    cursor = await conn.execute("DELETE FROM audit_log WHERE at < ?", (to_text(cutoff),))
    return cursor.rowcount
