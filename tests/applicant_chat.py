"""Helpers shared by the applicant flow tests (idea fit, can I join, FAQ, budget)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from content import Content, load_content
from handlers.core.types import Incoming, Param
from storage.db import Database
from tests.harness import Bot, Delivered, Person

SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


@cache
def seed_content() -> Content:
    return load_content()


def plain(text: str) -> str:
    """Text with no-break spaces as plain spaces (Babel formats "216 618 €" with them)."""
    return text.translate(SPACES)


async def press(person: Person, label: str) -> list[Delivered]:
    """Press a button by its label, ignoring the kind of spaces in it (for labels that are
    content, such as a budget model's name; catalog labels are pressed by key)."""
    wanted = plain(label)
    for message in reversed(person.messages()):
        for text in message.labels:
            if plain(text) == wanted:
                return await person.presses(text)
    raise AssertionError(f"no button {label!r}; saw {[m.labels for m in person.messages()]}")


async def press_key(person: Person, key: str, **params: Param) -> list[Delivered]:
    """Press the newest button whose label has catalog key ``key`` (see Person.presses_key)."""
    return await person.presses_key(key, **params)


async def tap_key(person: Person, key: str, **params: Param) -> Delivered:
    """Press a button by its label's key; the bot answers with exactly one message."""
    messages = await person.presses_key(key, **params)
    assert len(messages) == 1, [m.text for m in messages]
    return messages[0]


async def tap_payload(person: Person, payload: str) -> Delivered:
    """Press a button by its payload; the bot answers with exactly one message."""
    messages = await person.presses_payload(payload)
    assert len(messages) == 1, [m.text for m in messages]
    return messages[0]


async def say(person: Person, text: str) -> Delivered:
    """Type ``text``; the bot answers with exactly one message, returned."""
    messages = await person.says(text)
    assert len(messages) == 1, [m.text for m in messages]
    return messages[0]


async def tap(person: Person, label: str) -> Delivered:
    messages = await press(person, label)
    assert len(messages) == 1, [m.text for m in messages]
    return messages[0]


async def conversation(db: Database, user_id: str) -> tuple[str, str, dict[str, Any]] | None:
    """The stored (flow, step, data) of the person's private chat, or None."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT flow, step, data FROM conversations WHERE user_id = ? AND chat_id = ?",
            (user_id, user_id),
        )
        row = await cursor.fetchone()
    if row is None:
        return None
    return row["flow"], row["step"], json.loads(row["data"])


async def rows(db: Database, sql: str, *params: object) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        cursor = await conn.execute(sql, params)
        return [dict(row) for row in await cursor.fetchall()]


async def group_says(bot: Bot, user_id: str, group: str, text: str) -> list[Delivered]:
    """A message in a group chat (the harness Person only talks in private)."""
    await bot.dispatcher.handle(
        Incoming(user_id=user_id, chat_id=group, text=text, is_group_chat=True, locale_hint="fi")
    )
    await bot.worker.drain(timeout=10)
    return [m for m in bot.transport.delivered if m.chat_id == group]


def assert_no_failure(message: Delivered) -> None:
    """No internal error reached the person."""
    assert not message.shows("error.internal"), message.text
    assert "Traceback" not in message.text
