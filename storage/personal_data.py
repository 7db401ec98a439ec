"""Everything stored about one person, for /mydata (export) and /forget (delete).

Every table that holds a person's data is listed in :data:`PERSONAL_TABLES` by the column
that names them. A test fails when a table with a ``user_id`` column is missing here, so a
new table cannot silently escape export and deletion.
"""

from __future__ import annotations

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
    PersonalTable("broadcasts", "created_by", other_columns=("report_chat",), pseudonymise=True),
    # 007: an announcement's attachment (the announcement's, not about its sender). 008's
    # broadcast_file_uploads (Telegram's file_id for it) names nobody either; like the bytes,
    # it is dropped when the broadcast ends (storage.broadcasts.close).
    PersonalTable("broadcast_files", "created_by", export=False, pseudonymise=True),
    PersonalTable("coordinator_invites", "created_by", other_columns=("used_by",)),
    # 004_applicants: contact requests (what the person typed for contact, kept 90 days)
    PersonalTable("contact_requests", "user_id"),
    # 006_exit_situations: the situation on leaving a project, only when the person told
    PersonalTable("exit_situations", "user_id"),
    PersonalTable("outbox", "user_id"),
    # 010_private_chats: messages waiting for the person to open a private chat
    PersonalTable("held_notices", "user_id"),
    PersonalTable("buttons", "chat_id", by_chat=True, export=False),
    PersonalTable("chat_keyboards", "chat_id", by_chat=True, export=False),
    PersonalTable("users", "user_id"),
]


def register(table: PersonalTable) -> None:
    """Add a table from a later migration (inserted before ``users``)."""
    if any(t.table == table.table for t in PERSONAL_TABLES):
        return
    PERSONAL_TABLES.insert(len(PERSONAL_TABLES) - 1, table)


_SKIPPED_COLUMNS = {"document", "html", "buttons"}  # blobs and rendered bot texts


async def export(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> dict[str, Any]:
    """All rows about the person, as plain JSON-able data, table by table."""
    result: dict[str, Any] = {}
    for spec in PERSONAL_TABLES:
        if not spec.export:
            continue
        key = chat_id if spec.by_chat else user_id
        cursor = await conn.execute(
            f"SELECT * FROM {spec.table} WHERE {spec.where()}", (key,) * len(spec.columns)
        )
        rows = await cursor.fetchall()
        result[spec.table] = [
            {
                name: row[name]
                for name in row.keys()  # noqa: SIM118 - sqlite rows are not dicts
                if name not in _SKIPPED_COLUMNS
            }
            for row in rows
        ]
    return result


def pseudonym() -> str:
    """An anonymous mark that stands for one deleted person (not derived from their id)."""
    return f"poistettu-{secrets.token_hex(4)}"


async def delete(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> int:
    """Delete every row about the person; returns how many rows went (or were anonymised)."""
    removed = 0
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
