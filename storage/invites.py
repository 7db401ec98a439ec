"""Invites to a project: the ``invites`` table.

An invite has two secrets: a short code a person types (``liity K7QM-P3XA-9HTD``) and a long
token for the Telegram deep link (``/start inv-…``). Both are shown once, to the coordinator
who made the invite, and stored only as keyed hashes (HMAC-SHA-256 under this database's
secret, :mod:`storage.keyed`); an invite is found by the hash of what a person sends. Wrong
codes are limited in :mod:`storage.code_limits`.

Code strength: 12 characters from a 32-letter alphabet without look-alikes (no I, O, 0, 1),
shown in three groups of four — 60 bits, any case, spaces and dashes ignored. Typed codes are
limited to 5 wrong an hour per person and 30 wrong in 10 minutes from everyone together
(:mod:`handlers.common.codes`), at most 4 320 guesses a day however many accounts guess. With
10 000 live invites a guess hits one with probability 10 000 / 2⁶⁰ ≈ 9·10⁻¹⁵: expected
≈ 1.2·10¹⁴ guesses, some 70 million years at that rate. The limiter alone would make 40 bits
enough; 60 bits are for a stolen copy of the database, which holds the HMAC secret too:
2⁴⁰ HMACs take minutes on one GPU, 2⁶⁰ (≈ 10¹⁸) take years, far longer than an invite
lives (at most 30 days). Codes made before the hashes were 8 characters (40 bits); those are
still accepted until they expire.

Retention: an invite ends when it expires, is revoked or is used up (``used_up_at``), and is
deleted :data:`ENDED_RETENTION_DAYS` days later (run by ``bot.maintenance``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import aiosqlite

from storage import keyed
from storage.clock import from_text, to_text

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
CODE_LENGTH = 12
GROUP_LENGTH = 4
#: Codes made before migration ``hashed_codes`` (40 bits); they work until they expire.
LEGACY_CODE_LENGTH = 8
TOKEN_PREFIX = "inv-"  # noqa: S105 - a marker, not a secret
ENDED_RETENTION_DAYS = 30
_CODE_PURPOSE = "invite-code"
_TOKEN_PURPOSE = "invite-token"  # noqa: S105 - a hash's purpose label, not a secret


@dataclass(frozen=True)
class Invite:
    id: int
    project: str
    group: str | None
    max_uses: int | None
    uses: int
    expires_at: dt.datetime
    revoked: bool

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Invite:
        return cls(
            id=row["id"],
            project=row["project"],
            group=row["grp"],
            max_uses=row["max_uses"],
            uses=row["uses"],
            expires_at=from_text(row["expires_at"]),
            revoked=row["revoked_at"] is not None,
        )

    def usable(self, now: dt.datetime) -> bool:
        if self.revoked or self.expires_at <= now:
            return False
        return self.max_uses is None or self.uses < self.max_uses


@dataclass(frozen=True)
class NewInvite:
    """An invite just made, with its secrets: shown once, never stored in clear."""

    invite: Invite
    code: str  # as stored in the hash: "K7QMP3XA9HTD"
    token: str  # "inv-…"

    @property
    def display_code(self) -> str:
        return format_code(self.code)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``K7QMP3XA9HTD`` → ``K7QM-P3XA-9HTD`` (easier to read aloud and to type)."""
    return "-".join(code[i : i + GROUP_LENGTH] for i in range(0, len(code), GROUP_LENGTH))


def normalise_code(text: str) -> str | None:
    """What a person typed, as a code; None when it cannot be a code at all."""
    code = "".join(ch for ch in text.upper() if ch not in " -_")
    if len(code) not in (CODE_LENGTH, LEGACY_CODE_LENGTH):
        return None
    if any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX) and 20 <= len(text) <= 64


def hash_code(secret: bytes, code: str) -> str:
    """The stored form of a normalised code."""
    return keyed.keyed_hash(secret, _CODE_PURPOSE, code)


def hash_token(secret: bytes, token: str) -> str:
    return keyed.keyed_hash(secret, _TOKEN_PURPOSE, token)


async def create(
    conn: aiosqlite.Connection,
    *,
    project: str,
    group: str | None,
    max_uses: int | None,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> NewInvite:
    secret = await keyed.database_secret(conn)
    for _ in range(10):
        code = new_code()
        token = TOKEN_PREFIX + secrets.token_urlsafe(18)
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO invites (project, grp, code_hash, token_hash, max_uses,"
            " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                project,
                group,
                hash_code(secret, code),
                hash_token(secret, token),
                max_uses,
                to_text(expires_at),
                to_text(now),
            ),
        )
        if cursor.rowcount == 1 and cursor.lastrowid is not None:
            invite = await get(conn, cursor.lastrowid)
            assert invite is not None
            return NewInvite(invite, code, token)
    raise RuntimeError("could not find a free invite code")


async def get(conn: aiosqlite.Connection, invite_id: int) -> Invite | None:
    cursor = await conn.execute("SELECT * FROM invites WHERE id = ?", (invite_id,))
    row = await cursor.fetchone()
    return Invite.from_row(row) if row else None


async def find(
    conn: aiosqlite.Connection, *, code: str | None = None, token: str | None = None
) -> Invite | None:
    """The invite of a normalised ``code`` or a deep-link ``token``, by its keyed hash."""
    secret = await keyed.database_secret(conn)
    if code is not None:
        cursor = await conn.execute(
            "SELECT * FROM invites WHERE code_hash = ?", (hash_code(secret, code),)
        )
    elif token is not None:
        cursor = await conn.execute(
            "SELECT * FROM invites WHERE token_hash = ?", (hash_token(secret, token),)
        )
    else:
        return None
    row = await cursor.fetchone()
    return Invite.from_row(row) if row else None


async def use(conn: aiosqlite.Connection, invite_id: int, now: dt.datetime) -> bool:
    """Count one use; False when the invite is no longer usable (atomic check)."""
    cursor = await conn.execute(
        "UPDATE invites SET uses = uses + 1,"
        " used_up_at = CASE WHEN uses + 1 = max_uses THEN ? ELSE used_up_at END"
        " WHERE id = ? AND revoked_at IS NULL"
        " AND expires_at > ? AND (max_uses IS NULL OR uses < max_uses)",
        (to_text(now), invite_id, to_text(now)),
    )
    return cursor.rowcount == 1


async def revoke(conn: aiosqlite.Connection, invite_id: int, now: dt.datetime) -> None:
    await conn.execute(
        "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (to_text(now), invite_id),
    )


async def active(conn: aiosqlite.Connection, project: str, now: dt.datetime) -> list[Invite]:
    cursor = await conn.execute(
        "SELECT * FROM invites WHERE project = ? AND revoked_at IS NULL AND expires_at > ?"
        " AND (max_uses IS NULL OR uses < max_uses) ORDER BY id",
        (project, to_text(now)),
    )
    return [Invite.from_row(row) for row in await cursor.fetchall()]


async def hash_unhashed(conn: aiosqlite.Connection) -> int:
    """Second half of migration ``hashed_codes``: move the invites of the old table, whose
    codes and tokens are in clear, into ``invites`` with keyed hashes; drop the old table.
    Returns how many invites moved."""
    cursor = await conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'invites_unhashed'"
    )
    if await cursor.fetchone() is None:
        return 0
    cursor = await conn.execute("SELECT * FROM invites_unhashed ORDER BY id")
    rows = list(await cursor.fetchall())
    secret = await keyed.database_secret(conn) if rows else b""
    for row in rows:
        code = normalise_code(str(row["code"])) or str(row["code"]).upper()
        await conn.execute(
            "INSERT INTO invites (id, project, grp, code_hash, token_hash, max_uses, uses,"
            " expires_at, revoked_at, created_at, used_up_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row["id"],
                row["project"],
                row["grp"],
                hash_code(secret, code),
                hash_token(secret, str(row["token"])),
                row["max_uses"],
                row["uses"],
                row["expires_at"],
                row["revoked_at"],
                row["created_at"],
                row["used_up_at"],
            ),
        )
    await conn.execute("DROP TABLE invites_unhashed")
    return len(rows)


async def delete_ended(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete invites that ended (expired, revoked or used up) before ``cutoff``."""
    cursor = await conn.execute(
        "DELETE FROM invites WHERE MIN(expires_at, COALESCE(revoked_at, expires_at),"
        " COALESCE(used_up_at, expires_at)) < ?",
        (to_text(cutoff),),
    )
    return cursor.rowcount
