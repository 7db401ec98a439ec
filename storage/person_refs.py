"""Random references to people, for what must point at a person without naming them.

A coordinator's buttons about a participant ("mark present", "offer a new time") and the
outbox rows about a participant that go to someone else carry the person's reference, never
their platform id. The reference is random (not derived from the id) and lives only in
``person_refs``, whose row goes with the person on /unohda: what still points at them then
points at nobody.
"""

from __future__ import annotations

import secrets

import aiosqlite


async def ref_of(conn: aiosqlite.Connection, user_id: str) -> str | None:
    """The person's reference, made on first use; None for someone the bot does not know."""
    cursor = await conn.execute("SELECT ref FROM person_refs WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    if row is not None:
        return str(row[0])
    await conn.execute(
        "INSERT OR IGNORE INTO person_refs (user_id, ref)"
        " SELECT user_id, ? FROM users WHERE user_id = ?",
        (secrets.token_hex(9), user_id),
    )
    cursor = await conn.execute("SELECT ref FROM person_refs WHERE user_id = ?", (user_id,))
    row = await cursor.fetchone()
    return str(row[0]) if row is not None else None


async def user_of(conn: aiosqlite.Connection, ref: str) -> str | None:
    """Whom ``ref`` stands for; None once they are forgotten (or for a made-up one)."""
    cursor = await conn.execute("SELECT user_id FROM person_refs WHERE ref = ?", (ref,))
    row = await cursor.fetchone()
    return str(row[0]) if row is not None else None
