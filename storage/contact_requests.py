"""Contact requests (``contact_requests``) and anonymous FAQ feedback (``faq_feedback``).

A contact request holds only what the person typed for contact (and, for a question, the
question), stored after they pressed "send" and kept :data:`RETENTION_DAYS` days
(``bot.maintenance``). Eligibility answers are never stored here.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import aiosqlite

from storage.clock import to_text

RETENTION_DAYS = 90
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
) -> int:
    cursor = await conn.execute(
        "INSERT INTO contact_requests (user_id, project, kind, contact, question, consent_at,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, project, kind, contact, question, to_text(now), to_text(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


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
