"""Budgets set aside by /peru, kept :data:`KEEP_DAYS` days to be continued (issue 13).

One row per person: where the budget stood (its step) and its data, as the conversation
held them. :func:`take` hands the draft back and deletes it; the maintenance pass deletes
older ones (:func:`delete_older_than`); /unohda deletes it with the person's other rows
(:mod:`storage.personal_data`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.clock import from_text, to_text

KEEP_DAYS = 7


@dataclass(frozen=True)
class BudgetDraft:
    step: str
    data: dict[str, Any]
    saved_at: dt.datetime


async def save(
    conn: aiosqlite.Connection, user_id: str, step: str, data: dict[str, Any], now: dt.datetime
) -> None:
    """Keep the person's budget (a newer one replaces an older)."""
    await conn.execute(
        "INSERT INTO budget_drafts (user_id, step, data, saved_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET step = excluded.step, data = excluded.data,"
        " saved_at = excluded.saved_at",
        (user_id, step, json.dumps(data, ensure_ascii=False), to_text(now)),
    )


async def find(conn: aiosqlite.Connection, user_id: str, now: dt.datetime) -> BudgetDraft | None:
    """The person's draft if it is not older than :data:`KEEP_DAYS` days."""
    cursor = await conn.execute(
        "SELECT step, data, saved_at FROM budget_drafts WHERE user_id = ? AND saved_at >= ?",
        (user_id, to_text(now - dt.timedelta(days=KEEP_DAYS))),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    data = json.loads(row["data"])
    if not isinstance(data, dict):
        return None
    return BudgetDraft(step=str(row["step"]), data=data, saved_at=from_text(row["saved_at"]))


async def delete(conn: aiosqlite.Connection, user_id: str) -> None:
    await conn.execute("DELETE FROM budget_drafts WHERE user_id = ?", (user_id,))


async def delete_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    cursor = await conn.execute("DELETE FROM budget_drafts WHERE saved_at < ?", (to_text(cutoff),))
    return cursor.rowcount
