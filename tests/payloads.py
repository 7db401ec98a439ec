"""Pressing a person's buttons by payload (not by label), for the hostile-input tests."""

from __future__ import annotations

from storage.db import Database
from tests.harness import Delivered, Person


async def button_token(db: Database, person: Person, payload: str) -> str | None:
    """The newest button of ``person``'s chat whose payload is ``payload`` (or, for a
    ``payload`` ending in ":", starts with it)."""
    async with db.transaction() as conn:
        if payload.endswith(":"):
            cursor = await conn.execute(
                "SELECT token FROM buttons WHERE chat_id = ? AND substr(payload, 1, ?) = ?"
                " ORDER BY rowid DESC LIMIT 1",
                (person.user_id, len(payload), payload),
            )
        else:
            cursor = await conn.execute(
                "SELECT token FROM buttons WHERE chat_id = ? AND payload = ?"
                " ORDER BY rowid DESC LIMIT 1",
                (person.user_id, payload),
            )
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def press_payload(db: Database, person: Person, payload: str) -> list[Delivered]:
    token = await button_token(db, person, payload)
    assert token is not None, (payload, [m.text[:60] for m in person.messages()[-3:]])
    return await person.presses_token(token)


async def has_button(db: Database, person: Person, payload: str) -> bool:
    return await button_token(db, person, payload) is not None
