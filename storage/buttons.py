"""Button tokens: the only thing a platform ever sees of a button.

A token is random, valid only in the chat it was sent to, and maps back to the payload
on the server side, so callback data can be neither forged nor read. For transports that
show buttons as numbered options, the most recent keyboard of each chat is kept too.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage.clock import from_text, to_text

RETENTION_DAYS = 90  # a button older than this answers as an old button
#: Buttons kept per chat: the newest ones, enough for every keyboard a person still sees
#: and presses (a coordinator's lists included). Older rows of the chat are pruned when new
#: ones are stored, so one person sending /start thousands of times stores no more.
MAX_PER_CHAT = 200


@dataclass(frozen=True)
class Offered:
    """A button offered in a chat: its payload and when (rows of one message share it)."""

    payload: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ButtonTarget:
    payload: str
    flow: str | None
    step: str | None


def new_token() -> str:
    """16 URL-safe characters: 96 bits of randomness, far below Telegram's 64-byte limit."""
    return secrets.token_urlsafe(12)


async def issue(
    conn: aiosqlite.Connection,
    chat_id: str,
    payload: str,
    position: tuple[str, str] | None,
    now: dt.datetime,
) -> str:
    """A fresh token for one payload, bound to ``chat_id``."""
    [token] = await issue_all(conn, chat_id, [payload], position, now)
    return token


async def issue_all(
    conn: aiosqlite.Connection,
    chat_id: str,
    payloads: Sequence[str],
    position: tuple[str, str] | None,
    now: dt.datetime,
) -> list[str]:
    """A fresh token for each payload, bound to ``chat_id``, in one call to the database
    thread for the whole keyboard (a call per button was most of a message's cost)."""
    tokens = [new_token() for _ in payloads]
    flow, step = position if position else (None, None)
    created = to_text(now)
    await conn.executemany(
        "INSERT INTO buttons (token, chat_id, payload, flow, step, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (token, chat_id, payload, flow, step, created)
            for token, payload in zip(tokens, payloads, strict=True)
        ],
    )
    return tokens


async def prune_chat(conn: aiosqlite.Connection, chat_id: str, keep: int = MAX_PER_CHAT) -> None:
    """Delete the chat's buttons beyond its ``keep`` newest."""
    await conn.execute(
        "DELETE FROM buttons WHERE chat_id = ? AND rowid IN ("
        " SELECT rowid FROM buttons WHERE chat_id = ?"
        " ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
        (chat_id, chat_id, keep),
    )


async def resolve(conn: aiosqlite.Connection, chat_id: str, token: str) -> ButtonTarget | None:
    """The button behind ``token`` if it was offered in this very chat, else None."""
    cursor = await conn.execute(
        "SELECT payload, flow, step FROM buttons WHERE token = ? AND chat_id = ?",
        (token, chat_id),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return ButtonTarget(payload=row["payload"], flow=row["flow"], step=row["step"])


async def recent(conn: aiosqlite.Connection, chat_id: str, limit: int = 40) -> list[Offered]:
    """The chat's newest buttons, newest first."""
    cursor = await conn.execute(
        "SELECT payload, created_at FROM buttons WHERE chat_id = ?"
        " ORDER BY created_at DESC, rowid DESC LIMIT ?",
        (chat_id, limit),
    )
    return [
        Offered(row["payload"], from_text(row["created_at"])) for row in await cursor.fetchall()
    ]


async def remember_keyboard(conn: aiosqlite.Connection, chat_id: str, tokens: list[str]) -> None:
    await conn.execute(
        "INSERT INTO chat_keyboards (chat_id, tokens) VALUES (?, ?)"
        " ON CONFLICT (chat_id) DO UPDATE SET tokens = excluded.tokens",
        (chat_id, json.dumps(tokens)),
    )


async def forget_keyboard(conn: aiosqlite.Connection, chat_id: str) -> None:
    await conn.execute("DELETE FROM chat_keyboards WHERE chat_id = ?", (chat_id,))


async def numbered_token(conn: aiosqlite.Connection, chat_id: str, number: int) -> str | None:
    """Token of option ``number`` (1-based) of the chat's latest keyboard."""
    cursor = await conn.execute("SELECT tokens FROM chat_keyboards WHERE chat_id = ?", (chat_id,))
    row = await cursor.fetchone()
    if row is None:
        return None
    tokens: list[str] = json.loads(row["tokens"])
    if 1 <= number <= len(tokens):
        return tokens[number - 1]
    return None


async def forget_older_than(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    cursor = await conn.execute("DELETE FROM buttons WHERE created_at < ?", (to_text(cutoff),))
    return cursor.rowcount
