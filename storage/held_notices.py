"""Messages to a person go only to their private chat: the rule, and ``held_notices``.

:func:`to_person` is the one way anything addressed to a person (a notice, a reminder, a
follow-up, a broadcast's report to its coordinator) is stored: in the outbox for the
person's private chat (``users.home_chat_id``), or, while none is known, held here. Held
rows keep their order and their dedupe key (a key is taken if it is in either table, so
nothing is stored twice), survive restarts like every table, and are moved to the outbox —
buttons issued for the chat then — by :func:`release`, in the transaction that first sees
the person in a private chat. A row past its ``expires_at`` (a reminder of a meeting that
has begun) is dropped then instead.

:func:`chat_not_private` is the reverse, for a chat that has stopped being private (a third
person joined a Matrix room): the person's pending messages to it are held again, edits of
earlier messages there are cancelled, and announcements waiting for them there are ended as
not delivered. A held row is personal text: it is deleted when moved, and with the person.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from handlers.core.types import Document
from storage import broadcasts, outbox, users
from storage import buttons as button_store
from storage.clock import from_text, to_text
from storage.users import User

NO_PRIVATE_CHAT = "no private chat"
#: A held message with no deadline of its own is deleted this long after it was held.
RETENTION_DAYS = 30


@dataclass(frozen=True)
class Stored:
    """Where :func:`to_person` put a message: an outbox row, or held (``outbox_id`` None)."""

    transport: str
    outbox_id: int | None

    @property
    def held(self) -> bool:
        return self.outbox_id is None


async def key_taken(conn: aiosqlite.Connection, dedupe_key: str) -> bool:
    for table in ("outbox", "held_notices"):
        cursor = await conn.execute(f"SELECT 1 FROM {table} WHERE dedupe_key = ?", (dedupe_key,))
        if await cursor.fetchone() is not None:
            return True
    return False


async def to_person(
    conn: aiosqlite.Connection,
    person: User,
    *,
    numbered_buttons: bool,
    html: str,
    now: dt.datetime,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    document: Document | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    about: str | None = None,
) -> Stored | None:
    """Store a message to ``person``; None when ``dedupe_key`` was stored already.

    ``buttons`` are rows of (label, payload); ``numbered_buttons``: the person's transport
    shows them as numbered options (the chat's latest keyboard is kept for typed numbers).
    With no private chat known the message is held until :func:`release`. ``about``: the
    reference of the person the message is about (:mod:`storage.person_refs`), so that it
    goes with them.
    """
    if dedupe_key is not None and await key_taken(conn, dedupe_key):
        return None
    chat_id = person.home_chat_id
    if chat_id is not None:
        item = await outbox.enqueue(
            conn,
            chat_id=chat_id,
            user_id=person.user_id,
            html=html,
            now=now,
            buttons=buttons,
            document=document,
            not_before=not_before,
            dedupe_key=dedupe_key,
            numbered_buttons=numbered_buttons,
            about=about,
        )
        return Stored(person.transport, item) if item is not None else None
    await hold(
        conn,
        user_id=person.user_id,
        html=html,
        now=now,
        buttons=buttons,
        document=document,
        dedupe_key=dedupe_key,
        not_before=not_before,
        expires_at=expires_at,
        about=about,
    )
    return Stored(person.transport, None)


async def to_people(
    conn: aiosqlite.Connection, messages: Sequence[tuple[User, str]], now: dt.datetime
) -> int:
    """Many plain messages (no buttons, file or dedupe key), each as :func:`to_person`
    stores it, in two statements; returns how many went to the outbox (the rest are held)."""
    sent = [(person, html) for person, html in messages if person.home_chat_id is not None]
    held = [(person, html) for person, html in messages if person.home_chat_id is None]
    stamp = to_text(now)
    await conn.executemany(
        "INSERT INTO outbox (transport, chat_id, user_id, html, not_before, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                outbox.transport_of(str(p.home_chat_id)),
                p.home_chat_id,
                p.user_id,
                html,
                stamp,
                stamp,
            )
            for p, html in sent
        ],
    )
    await conn.executemany(
        "INSERT INTO held_notices (user_id, html, not_before, created_at) VALUES (?, ?, ?, ?)",
        [(p.user_id, html, stamp, stamp) for p, html in held],
    )
    return len(sent)


async def hold(
    conn: aiosqlite.Connection,
    *,
    user_id: str,
    html: str,
    now: dt.datetime,
    buttons: Sequence[Sequence[tuple[str, str]]] = (),
    document: Document | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    about: str | None = None,
) -> int:
    rows = [[[label, payload] for label, payload in row] for row in buttons]
    cursor = await conn.execute(
        "INSERT INTO held_notices (user_id, html, buttons, document_name, document_mime,"
        " document, dedupe_key, not_before, expires_at, created_at, about)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            user_id,
            html,
            json.dumps(rows) if rows else None,
            document.filename if document else None,
            document.mime_type if document else None,
            document.content if document else None,
            dedupe_key,
            to_text(not_before or now),
            to_text(expires_at) if expires_at else None,
            to_text(now),
            about,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def waiting(conn: aiosqlite.Connection, user_id: str, now: dt.datetime) -> int:
    """How many held messages still worth delivering wait for the person."""
    cursor = await conn.execute(
        "SELECT COUNT(*) FROM held_notices WHERE user_id = ?"
        " AND (expires_at IS NULL OR expires_at > ?)",
        (user_id, to_text(now)),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def release(
    conn: aiosqlite.Connection,
    user_id: str,
    chat_id: str,
    now: dt.datetime,
    *,
    numbered_buttons: bool,
) -> int:
    """Move the person's held messages, oldest first, to the outbox for their private chat
    ``chat_id``; returns how many were moved (expired ones are dropped).
    ``numbered_buttons``: the chat's transport shows buttons as numbered options."""
    cursor = await conn.execute(
        "SELECT * FROM held_notices WHERE user_id = ? ORDER BY id", (user_id,)
    )
    rows = list(await cursor.fetchall())
    if not rows:
        return 0
    await conn.execute("DELETE FROM held_notices WHERE user_id = ?", (user_id,))
    moved = 0
    for row in rows:
        if row["expires_at"] is not None and from_text(row["expires_at"]) <= now:
            continue
        document = None
        if row["document_name"] is not None:
            document = Document(row["document_name"], bytes(row["document"]), row["document_mime"])
        buttons = [[(b[0], b[1]) for b in r] for r in json.loads(row["buttons"] or "[]")]
        item = await outbox.enqueue(
            conn,
            chat_id=chat_id,
            user_id=user_id,
            html=row["html"],
            now=now,
            buttons=buttons,
            document=document,
            not_before=from_text(row["not_before"]),
            dedupe_key=row["dedupe_key"],
            numbered_buttons=numbered_buttons,
            about=row["about"],
        )
        moved += item is not None
    return moved


async def chat_not_private(conn: aiosqlite.Connection, chat_id: str, now: dt.datetime) -> list[int]:
    """``chat_id`` is no longer anyone's private chat: take back what waits for it.

    Returns the broadcasts whose recipient rows were ended here (their progress must be
    advanced by the caller, :mod:`handlers.common.broadcast_progress`).
    """
    owners = await users.forget_private_chat(conn, chat_id)
    if not owners:
        return []
    touched: set[int] = set()
    for owner in owners:
        cursor = await conn.execute(
            "SELECT * FROM outbox WHERE chat_id = ? AND user_id = ? AND state = 'pending'"
            " ORDER BY id",
            (chat_id, owner),
        )
        for row in list(await cursor.fetchall()):
            touched.update(await _take_back(conn, row, now))
    # Old options there must not be answerable by the newcomer's typed numbers.
    await button_store.forget_keyboard(conn, chat_id)
    return sorted(touched)


async def _take_back(conn: aiosqlite.Connection, row: aiosqlite.Row, now: dt.datetime) -> set[int]:
    key = row["dedupe_key"]
    number = broadcasts.broadcast_of_key(key)
    if number is not None and key is not None and ":r:" in key:
        await outbox.mark_final(conn, row["id"], "unreachable", NO_PRIVATE_CHAT, now)
        return {number}
    progress = number is not None and key == broadcasts.progress_key(number)
    if row["edit_of"] is not None or progress:
        # An edit of a message in that chat, or a broadcast's progress message (which later
        # edits would change): pointless anywhere else. A broadcast's report is held.
        await outbox.mark_final(conn, row["id"], "cancelled", NO_PRIVATE_CHAT, now)
        return set()
    buttons: list[list[tuple[str, str]]] = []
    for out_row in json.loads(row["buttons"]) if row["buttons"] else []:
        kept = []
        for button in out_row:
            target = await button_store.resolve(conn, row["chat_id"], button["token"])
            if target is not None:
                kept.append((button["label"], target.payload))
        if kept:
            buttons.append(kept)
    document = None
    if row["document_name"] is not None:
        document = Document(row["document_name"], bytes(row["document"]), row["document_mime"])
    await outbox.mark_final(conn, row["id"], "cancelled", NO_PRIVATE_CHAT, now)
    # The key moves with the message (the cancelled row gives it up).
    await conn.execute("UPDATE outbox SET dedupe_key = NULL WHERE id = ?", (row["id"],))
    await hold(
        conn,
        user_id=row["user_id"],
        html=row["html"],
        now=now,
        buttons=buttons,
        document=document,
        dedupe_key=key,
        not_before=from_text(row["not_before"]),
        about=row["about"],
    )
    return set()


async def delete_expired(conn: aiosqlite.Connection, now: dt.datetime) -> int:
    """Delete held messages past their deadline, or held :data:`RETENTION_DAYS` days."""
    cursor = await conn.execute(
        "DELETE FROM held_notices WHERE expires_at <= ? OR created_at < ?",
        (to_text(now), to_text(now - dt.timedelta(days=RETENTION_DAYS))),
    )
    return cursor.rowcount
