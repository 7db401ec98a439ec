"""Everything stored about one person, for /mydata (export) and /forget (delete).

Every table that holds a person's data is listed in :data:`PERSONAL_TABLES` by the column
that names them. A test fails when a table with a ``user_id`` column is missing here, so a
new table cannot silently escape export and deletion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite


@dataclass(frozen=True)
class PersonalTable:
    table: str
    column: str  # column holding the user id ("user_id") or the private chat id ("chat_id")
    by_chat: bool = False  # True: rows are found by the person's private chat id
    export: bool = True  # False: internal bookkeeping, deleted but not worth exporting


# Children before parents: deletion runs in this order.
PERSONAL_TABLES: list[PersonalTable] = [
    PersonalTable("conversations", "user_id"),
    PersonalTable("memberships", "user_id"),
    PersonalTable("outbox", "user_id"),
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
        cursor = await conn.execute(f"SELECT * FROM {spec.table} WHERE {spec.column} = ?", (key,))
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


async def delete(conn: aiosqlite.Connection, user_id: str, chat_id: str) -> int:
    """Delete every row about the person; returns how many rows went."""
    removed = 0
    for spec in PERSONAL_TABLES:
        key = chat_id if spec.by_chat else user_id
        cursor = await conn.execute(f"DELETE FROM {spec.table} WHERE {spec.column} = ?", (key,))
        removed += cursor.rowcount
    return removed
