"""Contact requests (``contact_requests``) and anonymous FAQ feedback (``faq_feedback``).

A contact request holds only what the person typed for contact (and, for a question, the
question), stored after they pressed "send" and kept :data:`RETENTION_DAYS` days
(``bot.maintenance``). Eligibility answers are never stored here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from storage.clock import from_text, to_text

RETENTION_DAYS = 90
# A request made while its project has no coordinator in the bot waits (with the person's
# consent) for the first coordinator who joins, this long at most; then it is deleted.
WAITING_DAYS = 30
# Flows whose conversation state holds what a person told about themselves (eligibility
# answers, a typed question, a contact): an abandoned one is forgotten after this long.
# "contact" is the contact request sub-flow the other two call (its row carries theirs).
ABANDONED_HOURS = 24
PERSONAL_FLOWS = ("canjoin", "faq", "contact")

Kind = Literal["join", "question"]


async def add(
    conn: aiosqlite.Connection,
    *,
    user_id: str,
    project: str | None,
    kind: Kind,
    contact: str,
    question: str | None,
    now: dt.datetime,
    waiting: bool = False,
) -> int:
    """Store a request; ``waiting``: nobody has received it yet (no coordinator)."""
    cursor = await conn.execute(
        "INSERT INTO contact_requests (user_id, project, kind, contact, question, consent_at,"
        " created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            user_id,
            project,
            kind,
            contact,
            question,
            to_text(now),
            to_text(now),
            None if waiting else to_text(now),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


@dataclass(frozen=True)
class Request:
    id: int
    user_id: str
    project: str | None
    kind: Kind
    contact: str
    question: str | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Request:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            project=row["project"],
            kind=row["kind"],
            contact=row["contact"],
            question=row["question"],
            created_at=from_text(row["created_at"]),
        )


async def get(conn: aiosqlite.Connection, request_id: int) -> Request | None:
    cursor = await conn.execute("SELECT * FROM contact_requests WHERE id = ?", (request_id,))
    row = await cursor.fetchone()
    return None if row is None else Request.from_row(row)


async def waiting(conn: aiosqlite.Connection, project: str) -> list[Request]:
    """The project's requests that nobody has received yet, oldest first."""
    cursor = await conn.execute(
        "SELECT * FROM contact_requests WHERE project = ? AND delivered_at IS NULL"
        " ORDER BY created_at, id",
        (project,),
    )
    return [Request.from_row(row) for row in await cursor.fetchall()]


async def mark_delivered(conn: aiosqlite.Connection, request_id: int, now: dt.datetime) -> bool:
    """True for the one call that delivers it (a second coordinator joining gets nothing)."""
    cursor = await conn.execute(
        "UPDATE contact_requests SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
        (to_text(now), request_id),
    )
    return cursor.rowcount == 1


async def purge_waiting_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Requests that waited for a coordinator past :data:`WAITING_DAYS` (``cutoff``)."""
    cursor = await conn.execute(
        "DELETE FROM contact_requests WHERE delivered_at IS NULL AND created_at < ?",
        (to_text(cutoff),),
    )
    return cursor.rowcount


async def purge_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    cursor = await conn.execute(
        "DELETE FROM contact_requests WHERE created_at < ?", (to_text(cutoff),)
    )
    return cursor.rowcount


async def purge_abandoned_conversations(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Forget half-answered eligibility questions and pending FAQ questions."""
    marks = ", ".join("?" for _ in PERSONAL_FLOWS)
    cursor = await conn.execute(
        f"DELETE FROM conversations WHERE flow IN ({marks}) AND updated_at < ?",
        (*PERSONAL_FLOWS, to_text(cutoff)),
    )
    return cursor.rowcount


async def count_feedback(conn: aiosqlite.Connection, faq_id: str, helpful: bool) -> None:
    await conn.execute(
        "INSERT INTO faq_feedback (faq_id, helpful, count) VALUES (?, ?, 1)"
        " ON CONFLICT (faq_id, helpful) DO UPDATE SET count = count + 1",
        (faq_id, int(helpful)),
    )


async def feedback_counts(conn: aiosqlite.Connection) -> dict[str, tuple[int, int]]:
    """FAQ id → (helpful, not helpful) counts."""
    cursor = await conn.execute("SELECT faq_id, helpful, count FROM faq_feedback")
    result: dict[str, tuple[int, int]] = {}
    for row in await cursor.fetchall():
        yes, no = result.get(row["faq_id"], (0, 0))
        if row["helpful"]:
            yes += row["count"]
        else:
            no += row["count"]
        result[row["faq_id"]] = (yes, no)
    return result
