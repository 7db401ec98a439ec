"""Single-use invites that make someone a coordinator: ``coordinator_invites`` table.

A code looks like ``OHJ-K7QM-P3XA-9HTD``: the prefix ``OHJ`` (ohjaaja, coordinator) keeps it
apart from participants' invite codes, then 12 characters from the alphabet of
:mod:`storage.invites` (60 bits; why that many is explained there). Only a keyed hash of the
code is stored (HMAC-SHA-256 under this database's secret, :mod:`storage.keyed`), so a dump of
the table does not hand out coordinator rights. A code works once, until it expires.

Codes made before the keyed hashes were 8 characters stored as an unsalted SHA-256, which a
copy of the database turns back into the code in minutes (2⁴⁰ hashes); migration
``hashed_codes`` therefore removed those hashes: such a code no longer works and an
administrator makes a new one.

Retention: a code ends when it is used or expires, and its row (who made it, who used it)
is deleted :data:`ENDED_RETENTION_DAYS` days later (run by ``bot.maintenance``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import aiosqlite

from storage import keyed
from storage.clock import from_text, to_text
from storage.invites import CODE_ALPHABET, GROUP_LENGTH

PREFIX = "OHJ"
ALPHABET = CODE_ALPHABET  # no I, O, 0, 1
RANDOM_LENGTH = 12
VALID_FOR = dt.timedelta(days=7)
ENDED_RETENTION_DAYS = 30
_PURPOSE = "coordinator-code"


@dataclass(frozen=True)
class CoordinatorInvite:
    id: int
    project: str
    created_by: str | None
    expires_at: dt.datetime
    used_by: str | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> CoordinatorInvite:
        return cls(
            id=row["id"],
            project=row["project"],
            created_by=row["created_by"],
            expires_at=from_text(row["expires_at"]),
            used_by=row["used_by"],
        )

    def usable(self, now: dt.datetime) -> bool:
        return self.used_by is None and now < self.expires_at


def new_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))


def display(code: str) -> str:
    """``OHJK7QMP3XA9HTD`` → ``OHJ-K7QM-P3XA-9HTD``."""
    body = code[len(PREFIX) :]
    groups = [body[i : i + GROUP_LENGTH] for i in range(0, len(body), GROUP_LENGTH)]
    return "-".join((PREFIX, *groups))


def normalise(text: str) -> str | None:
    """What a person typed (any case, with or without dashes, spaces or "_"), as a code;
    None when it cannot be a coordinator code (so other kinds of code may fit)."""
    code = "".join(ch for ch in text.upper() if ch not in " -_")
    body = code[len(PREFIX) :]
    if not code.startswith(PREFIX) or len(body) != RANDOM_LENGTH:
        return None
    if any(ch not in ALPHABET for ch in body):
        return None
    return code


async def _hash(conn: aiosqlite.Connection, code: str) -> str:
    return await keyed.hashed(conn, _PURPOSE, code)


async def create(
    conn: aiosqlite.Connection, *, project: str, created_by: str, now: dt.datetime
) -> tuple[str, dt.datetime]:
    """A new code for ``project``; returns the code (shown once) and when it expires."""
    code = new_code()
    expires = now + VALID_FOR
    await conn.execute(
        "INSERT INTO coordinator_invites (code_hash, project, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (await _hash(conn, code), project, created_by, to_text(now), to_text(expires)),
    )
    return code, expires


async def find(conn: aiosqlite.Connection, code: str) -> CoordinatorInvite | None:
    """The invite of a normalised ``code``, by its keyed hash."""
    cursor = await conn.execute(
        "SELECT * FROM coordinator_invites WHERE code_hash = ?", (await _hash(conn, code),)
    )
    row = await cursor.fetchone()
    return CoordinatorInvite.from_row(row) if row else None


async def use(conn: aiosqlite.Connection, invite_id: int, user_id: str, now: dt.datetime) -> bool:
    """Mark the invite used by ``user_id``; False if it was used or expired meanwhile."""
    cursor = await conn.execute(
        "UPDATE coordinator_invites SET used_by = ?, used_at = ?"
        " WHERE id = ? AND used_by IS NULL AND expires_at > ?",
        (user_id, to_text(now), invite_id, to_text(now)),
    )
    return cursor.rowcount == 1


async def count_open(conn: aiosqlite.Connection, project: str, now: dt.datetime) -> int:
    cursor = await conn.execute(
        "SELECT COUNT(*) FROM coordinator_invites WHERE project = ? AND used_by IS NULL"
        " AND expires_at > ?",
        (project, to_text(now)),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def delete_ended(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete codes that were used, or expired unused, before ``cutoff``."""
    cursor = await conn.execute(
        "DELETE FROM coordinator_invites WHERE COALESCE(used_at, expires_at) < ?",
        (to_text(cutoff),),
    )
    return cursor.rowcount
