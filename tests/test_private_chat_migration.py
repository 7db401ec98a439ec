"""Migration 010: ``users.home_chat_id`` holds only a private chat (NULL when none is known).

A database as version 9 left it (home chats that are groups, a Telegram chat that is not the
person's own, Matrix rooms that cannot be judged by their id) is migrated: every row of
every table stays, foreign keys still hold and cascade, indexes are there, and only private
chats remain as home chats.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from storage import personal_data, users
from storage.db import Database, migration_scripts

BEFORE = 9
NOW = "2026-11-02T08:00:00+00:00"

PEOPLE = [
    # user id, home chat as version 9 stored it, the home chat expected after 010
    ("telegram:101", "telegram:101", "telegram:101"),  # a Telegram private chat: kept
    ("telegram:102", "telegram:-100200300", None),  # first seen in a group
    ("telegram:103", "telegram:104", None),  # not the person's own chat (a forged update)
    ("matrix:@anna:kunta.fi", "matrix:!room:kunta.fi", None),  # unknown from the id: cleared
    ("console:local", "console:local", "console:local"),
    ("test:7", "test:7", "test:7"),
]


def _database_at(path: Path, version: int) -> None:
    """A database with migrations up to ``version`` applied, and people in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    for number, _, sql in migration_scripts():
        if number <= version:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    for user_id, home, _ in PEOPLE:
        conn.execute(
            "INSERT INTO users (user_id, home_chat_id, locale, locale_chosen, display_name,"
            " unreachable, news_opt_in, created_at, last_seen_at)"
            " VALUES (?, ?, 'sv', 1, 'Nimi', 0, 0, ?, ?)",
            (user_id, home, NOW, NOW),
        )
        conn.execute(
            "INSERT INTO memberships (user_id, project, role, grp, joined_at)"
            " VALUES (?, 'osmari', 'participant', NULL, ?)",
            (user_id, NOW),
        )
        conn.execute(
            "INSERT INTO conversations (user_id, chat_id, flow, step, data, updated_at)"
            " VALUES (?, ?, 'faq', 'ask', '{}', ?)",
            (user_id, home, NOW),
        )
    conn.close()


def _schema(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return {name: sql for name, sql in rows}


async def test_home_chats_keep_only_private_chats_and_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _database_at(path, BEFORE)
    indexes_before = {name for name, sql in _schema(path).items() if sql.startswith("CREATE INDEX")}
    db = await Database.open(path)
    try:
        assert await db.schema_version() == migration_scripts()[-1][0]
        async with db.transaction() as conn:
            for user_id, _, expected in PEOPLE:
                person = await users.get(conn, user_id)
                assert person is not None, user_id
                assert person.home_chat_id == expected, user_id
                # the other columns came over as they were
                assert (person.locale, person.locale_chosen, person.display_name) == (
                    "sv",
                    True,
                    "Nimi",
                )
                assert not person.news_opt_in and not person.unreachable
            for table in ("users", "memberships", "conversations"):
                cursor = await conn.execute(f"SELECT COUNT(*) FROM {table}")
                row = await cursor.fetchone()
                assert row is not None and row[0] == len(PEOPLE), table
            cursor = await conn.execute("PRAGMA foreign_key_check")
            assert await cursor.fetchall() == []
            cursor = await conn.execute("PRAGMA foreign_keys")
            row = await cursor.fetchone()
            assert row is not None and row[0] == 1  # on again after the migration
            # The children still point at the rebuilt table: deleting a person cascades.
            await personal_data.delete(conn, "telegram:102", "telegram:102")
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM memberships WHERE user_id = 'telegram:102'"
            )
            row = await cursor.fetchone()
            assert row is not None and row[0] == 0
            await conn.execute("DELETE FROM users WHERE user_id = 'telegram:103'")
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM conversations WHERE user_id = 'telegram:103'"
            )
            row = await cursor.fetchone()
            assert row is not None and row[0] == 0
    finally:
        await db.close()
    schema = _schema(path)
    assert indexes_before <= set(schema)
    assert "users_home_chat" in schema  # the new index for finding a chat's person
    for name, sql in schema.items():
        assert "users_old" not in sql and "users_new" not in sql, name


async def test_a_person_first_seen_in_a_group_has_no_home_chat(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "new.sqlite3")
    try:
        async with db.transaction() as conn:
            await users.touch(
                conn, "test:1", "test:group-1", locale="fi", now=_now(), private_chat=False
            )
            person = await users.get(conn, "test:1")
            assert person is not None and person.home_chat_id is None
            await users.touch(conn, "test:1", "test:1", locale="fi", now=_now(), private_chat=True)
            person = await users.get(conn, "test:1")
            assert person is not None and person.home_chat_id == "test:1"
            # Which chat can be a person's private chat is the core's judgment, from what the
            # transport declares (tests/test_transport_facts.py); storage records it.
    finally:
        await db.close()


def _now() -> dt.datetime:
    return dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
