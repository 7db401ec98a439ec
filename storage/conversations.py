"""Where each person is in a conversation: ``conversations`` table, one row per (user, chat)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from storage.clock import to_text


@dataclass
class ConversationState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


async def load(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> ConversationState | None:
    cursor = await conn.execute(
        "SELECT flow, step, data FROM conversations WHERE user_id = ? AND chat_id = ?",
        (user_id, chat_id),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return ConversationState(flow=row["flow"], step=row["step"], data=json.loads(row["data"]))


async def save(
    conn: aiosqlite.Connection,
    user_id: str,
    chat_id: str,
    state: ConversationState | None,
    now: dt.datetime,
) -> None:
    if state is None:
        await conn.execute(
            "DELETE FROM conversations WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
        )
        return
    await conn.execute(
        "INSERT INTO conversations (user_id, chat_id, flow, step, data, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id, chat_id) DO UPDATE SET flow = excluded.flow,"
        " step = excluded.step, data = excluded.data, updated_at = excluded.updated_at",
        (user_id, chat_id, state.flow, state.step, json.dumps(state.data), to_text(now)),
    )
