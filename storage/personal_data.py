"""Everything stored about one person, for /mydata (export) and /forget (delete).

Every table that holds a person's data is listed in :data:`PERSONAL_TABLES` by the column
that names them. A test fails when a table with a ``user_id`` column is missing here, so a
new table cannot silently escape export and deletion.

Deleting also reaches what names the person in other people's rows (:func:`delete`): the
messages to others that are about them (``outbox.about``), other people's unfinished
conversations that refer to them, their announcements' report chat, and keys and button
payloads written by versions before migration 010 that still contained their id. After it a
dump of every table holds neither their id, their chat, their name nor what they typed
(``tests/test_forget_traces.py`` reads the whole database to check).

The export leaves other people out: a value that is someone else's id (the coordinator who
marked attendance, the administrator who made an invite) is exported as null.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import aiosqlite


@dataclass(frozen=True)
class PersonalTable:
    table: str
    column: str  # column holding the user id ("user_id") or the private chat id ("chat_id")
    by_chat: bool = False  # True: rows are found by the person's private chat id
    export: bool = True  # False: internal bookkeeping, deleted but not worth exporting
    # More columns that may name the person (searched, deleted or pseudonymised alike).
    other_columns: tuple[str, ...] = ()
    # True: on deletion the rows stay and the person's id is replaced by an anonymous mark
    # (the audit trail of privileged actions keeps what was done, not who did it).
    pseudonymise: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *self.other_columns)

    def where(self) -> str:
        return " OR ".join(f"{name} = ?" for name in self.columns)


# Children before parents: deletion runs in this order.
PERSONAL_TABLES: list[PersonalTable] = [
    PersonalTable("conversations", "user_id"),
    PersonalTable("memberships", "user_id"),
    # 002_participants: answers, reminders, settings and personal meetings
    PersonalTable("reminders", "user_id"),
    PersonalTable("rsvps", "user_id"),
    PersonalTable("attendance", "user_id"),
    PersonalTable("ratings", "user_id"),
    PersonalTable("participant_settings", "user_id"),
    PersonalTable("invite_failures", "user_id", export=False),
    PersonalTable("meetings", "user_id"),
    # 003_coordination: the audit trail and broadcasts keep their rows with an anonymous
    # mark in place of the person; unused coordinator invites they made or used go.
    PersonalTable("audit_log", "actor", other_columns=("subject",), pseudonymise=True),
    # Their chat as ``report_chat`` is cleared by :func:`delete` (a chat id, not an actor).
    PersonalTable("broadcasts", "created_by", pseudonymise=True),
    # 007: an announcement's attachment (the announcement's, not about its sender). 008's
    # broadcast_file_uploads (Telegram's file_id for it) names nobody either; like the bytes,
    # it is dropped when the broadcast ends (storage.broadcasts.close).
    PersonalTable("broadcast_files", "created_by", export=False, pseudonymise=True),
    PersonalTable("coordinator_invites", "created_by", other_columns=("used_by",)),
    # 016: what coordinators were asked to answer about the person (or answered, by them)
    PersonalTable("open_items", "user_id", other_columns=("handled_by",)),
    # 004_applicants: contact requests (what the person typed for contact, kept 90 days)
    PersonalTable("contact_requests", "user_id"),
    # 006_exit_situations: the situation on leaving a project, only when the person told
    PersonalTable("exit_situations", "user_id"),
    PersonalTable("outbox", "user_id"),
    # 010: the person's random reference (for payloads and rows about them)
    PersonalTable("person_refs", "user_id", export=False),
    # 010_private_chats: messages waiting for the person to open a private chat
    PersonalTable("held_notices", "user_id"),
    # 019: a budget set aside by /peru, kept 7 days to be continued
    PersonalTable("budget_drafts", "user_id"),
    PersonalTable("buttons", "chat_id", by_chat=True, export=False),
    PersonalTable("chat_keyboards", "chat_id", by_chat=True, export=False),
    PersonalTable("users", "user_id"),
]


def register(table: PersonalTable) -> None:
    """Add a table from a later migration (inserted before ``users``)."""
    if any(t.table == table.table for t in PERSONAL_TABLES):
        return
    PERSONAL_TABLES.insert(len(PERSONAL_TABLES) - 1, table)


#: Blobs, rendered texts and internal keys (which may be keyed hashes of others' ids).
_SKIPPED_COLUMNS = {"document", "html", "buttons", "dedupe_key", "about"}
#: Values that are somebody's id: ``platform:id`` (``test`` is the test suite's transport).
_PERSON_ID = re.compile(r"^(telegram|matrix|console|test):\S+$")


async def _own_chats(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> set[str]:
    cursor = await conn.execute("SELECT home_chat_id FROM users WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    chats = {chat_id}
    if row is not None and row[0]:
        chats.add(str(row[0]))
    return chats


def _without_others(value: Any, own: set[str]) -> Any:
    """``value`` with other people's ids left out (None), also inside JSON."""
    if isinstance(value, str):
        if _PERSON_ID.match(value):
            return value if value in own else None
        if value[:1] in "{[":
            try:
                decoded = json.loads(value)
            except ValueError:
                return value
            return _without_others(decoded, own)
        return value
    if isinstance(value, dict):
        return {key: _without_others(item, own) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_others(item, own) for item in value]
    return value


async def export(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> dict[str, Any]:
    """All rows about the person, as plain JSON-able data, table by table.

    Outbox rows are the messages to the person; one still waiting to be delivered carries
    its text as ``html``. Other people's ids are left out (null)."""
    own = {user_id} | await _own_chats(conn, user_id, chat_id)
    result: dict[str, Any] = {}
    for spec in PERSONAL_TABLES:
        if not spec.export:
            continue
        key = chat_id if spec.by_chat else user_id
        cursor = await conn.execute(
            f"SELECT * FROM {spec.table} WHERE {spec.where()}", (key,) * len(spec.columns)
        )
        rows = await cursor.fetchall()
        exported = []
        for row in rows:
            item = {
                name: _without_others(row[name], own)
                for name in row.keys()  # noqa: SIM118 - sqlite rows are not dicts
                if name not in _SKIPPED_COLUMNS
            }
            if spec.table == "outbox" and row["state"] == "pending":
                item["html"] = row["html"]
            exported.append(item)
        result[spec.table] = exported
    result["notices_about_you"] = await _notices_about(conn, user_id)
    return result


async def _notices_about(conn: aiosqlite.Connection, user_id: str) -> list[dict[str, Any]]:
    """Messages to others about the person (a coordinator's "Anna can't come"): when and in
    what state, and the text of those not yet delivered, but not whom they went to."""
    cursor = await conn.execute(
        "SELECT o.state, o.created_at, o.sent_at, o.html FROM outbox o"
        " JOIN person_refs r ON r.ref = o.about WHERE r.user_id = ? ORDER BY o.id",
        (user_id,),
    )
    return [
        {
            "state": row["state"],
            "created_at": row["created_at"],
            "sent_at": row["sent_at"],
            **({"html": row["html"]} if row["state"] == "pending" else {}),
        }
        for row in await cursor.fetchall()
    ]


def pseudonym() -> str:
    """An anonymous mark that stands for one deleted person (not derived from their id)."""
    return f"poistettu-{secrets.token_hex(4)}"


#: ``text`` contains ``id`` as a whole ``:``-separated part (``talk:5:telegram:12:…``), so that
#: ``telegram:12`` does not match ``telegram:123``.
_NAMES = "(instr({col} || ':', ':' || ? || ':') > 0 OR {col} = ? OR instr({col}, ? || ':') = 1)"


async def _delete_traces(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> int:
    """What names the person in other people's rows (see the module docstring)."""
    removed = 0
    cursor = await conn.execute("SELECT ref FROM person_refs WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    if row is not None:
        for table in ("outbox", "held_notices"):
            cursor = await conn.execute(f"DELETE FROM {table} WHERE about = ?", (row[0],))
            removed += cursor.rowcount
    # The messages to their private chat, also those that named no recipient.
    cursor = await conn.execute(
        "DELETE FROM outbox WHERE chat_id = ? AND (user_id IS NULL OR user_id = ?)",
        (chat_id, user_id),
    )
    removed += cursor.rowcount
    # Keys and payloads written before migration 010 named people outright.
    for table, column in (("outbox", "dedupe_key"), ("buttons", "payload")):
        cursor = await conn.execute(
            f"DELETE FROM {table} WHERE {column} IS NOT NULL AND {_NAMES.format(col=column)}",
            (user_id, user_id, user_id),
        )
        removed += cursor.rowcount
    # Someone else in the middle of something about them (a coordinator offering them a new
    # time) starts over: their conversation cannot go on without the person anyway.
    quoted = {json.dumps(user_id), json.dumps(user_id, ensure_ascii=False)}
    for text in quoted:
        cursor = await conn.execute(
            "DELETE FROM conversations WHERE user_id != ? AND instr(data, ?) > 0",
            (user_id, text),
        )
        removed += cursor.rowcount
    # Their announcements: the report chat was theirs; files of drafts and finished ones go.
    chats = await _own_chats(conn, user_id, chat_id)
    marks = ", ".join("?" for _ in chats)
    cursor = await conn.execute(
        "UPDATE broadcasts SET report_chat = NULL"
        f" WHERE created_by = ? OR report_chat IN ({marks})",
        (user_id, *sorted(chats)),
    )
    removed += cursor.rowcount
    cursor = await conn.execute(
        "DELETE FROM broadcast_files WHERE created_by = ?"
        " AND (broadcast_id IS NULL OR content IS NULL)",
        (user_id,),
    )
    removed += cursor.rowcount
    return removed


async def delete(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> int:
    """Delete every row about the person; returns how many rows went (or were anonymised).

    ``chat_id`` is the person's private chat (where /unohda was confirmed)."""
    removed = await _delete_traces(conn, user_id, chat_id)
    mark = pseudonym()
    for spec in PERSONAL_TABLES:
        key = chat_id if spec.by_chat else user_id
        if spec.pseudonymise:
            for name in spec.columns:
                cursor = await conn.execute(
                    f"UPDATE {spec.table} SET {name} = ? WHERE {name} = ?", (mark, key)
                )
                removed += cursor.rowcount
            continue
        cursor = await conn.execute(
            f"DELETE FROM {spec.table} WHERE {spec.where()}", (key,) * len(spec.columns)
        )
        removed += cursor.rowcount
    return removed
