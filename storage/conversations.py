"""Where each person is in a conversation: ``conversations`` table, one row per (user, chat).

A conversation inside a sub-flow (``ctx.call``) also keeps its callers, innermost last: the
flow, the step to return to (None: the caller ends there) and the caller's own data. They
are stored in the ``data`` column's JSON under :data:`STACK_KEY`, so a row written before
sub-flows existed reads as one without callers, and no migration is needed.

The steps a person can go back to (``takaisin``, :mod:`handlers.core.ways`) are kept the same
way, under :data:`BACK_KEY`: each a step and the flow's data as it was there, newest last; a
caller's under its frame's ``back``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from storage.clock import to_text

STACK_KEY = "_callers"
BACK_KEY = "_back"


@dataclass
class Visit:
    """A step the person answered, with the flow's data as it was when it was asked."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Frame:
    """A caller waiting for its sub-flow: ``step`` None means the caller ends on return."""

    flow: str
    step: str | None
    data: dict[str, Any] = field(default_factory=dict)
    back: list[Visit] = field(default_factory=list)


@dataclass
class ConversationState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    stack: list[Frame] = field(default_factory=list)
    back: list[Visit] = field(default_factory=list)


def _visits(items: list[dict[str, Any]] | None) -> list[Visit]:
    return [Visit(str(item["step"]), dict(item["data"])) for item in items or []]


def _visits_json(visits: list[Visit]) -> list[dict[str, Any]]:
    return [{"step": visit.step, "data": visit.data} for visit in visits]


def _from_json(flow: str, step: str, text: str) -> ConversationState:
    data = json.loads(text)
    frames = data.pop(STACK_KEY, None) or []
    back = _visits(data.pop(BACK_KEY, None))
    stack = [
        Frame(str(f["flow"]), f["step"], dict(f["data"]), _visits(f.get("back"))) for f in frames
    ]
    return ConversationState(flow=flow, step=step, data=data, stack=stack, back=back)


def _to_json(state: ConversationState) -> str:
    stored: dict[str, Any] = dict(state.data)
    if state.stack:
        stored[STACK_KEY] = [
            {"flow": f.flow, "step": f.step, "data": f.data}
            | ({"back": _visits_json(f.back)} if f.back else {})
            for f in state.stack
        ]
    if state.back:
        stored[BACK_KEY] = _visits_json(state.back)
    return json.dumps(stored)


async def load(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> ConversationState | None:
    cursor = await conn.execute(
        "SELECT flow, step, data FROM conversations WHERE user_id = ? AND chat_id = ?",
        (user_id, chat_id),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return _from_json(row["flow"], row["step"], row["data"])


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
        (user_id, chat_id, state.flow, str(state.step), _to_json(state), to_text(now)),
    )
