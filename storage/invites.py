"""Invites to a project: ``invites`` and ``invite_failures`` tables.

An invite has two secrets: a short ``code`` a person types (``liity K7QM-P3XA``; 8 characters
from an alphabet without look-alikes, 40 bits) and a long ``token`` for the Telegram deep
link. Wrong codes are counted per person in ``invite_failures`` so guessing can be limited.

Retention: an invite ends when it expires, is revoked or is used up (``used_up_at``), and is
deleted :data:`ENDED_RETENTION_DAYS` days later; wrong-code records are kept
:data:`FAILURE_MEMORY` (both run by ``bot.maintenance``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import aiosqlite

from storage.clock import from_text, to_text

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
CODE_LENGTH = 8
TOKEN_PREFIX = "inv-"  # noqa: S105 - a marker, not a secret
FAILURE_MEMORY = dt.timedelta(days=1)
ENDED_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Invite:
    id: int
    project: str
    group: str | None
    code: str
    token: str
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
            code=row["code"],
            token=row["token"],
            max_uses=row["max_uses"],
            uses=row["uses"],
            expires_at=from_text(row["expires_at"]),
            revoked=row["revoked_at"] is not None,
        )

    @property
    def display_code(self) -> str:
        return format_code(self.code)

    def usable(self, now: dt.datetime) -> bool:
        if self.revoked or self.expires_at <= now:
            return False
        return self.max_uses is None or self.uses < self.max_uses


def format_code(code: str) -> str:
    """``K7QMP3XA`` → ``K7QM-P3XA`` (easier to read aloud and to type)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(text: str) -> str | None:
    """What a person typed, as a stored code; None when it cannot be a code at all."""
    code = "".join(ch for ch in text.upper() if ch not in " -")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX) and 20 <= len(text) <= 64


async def create(
    conn: aiosqlite.Connection,
    *,
    project: str,
    group: str | None,
    max_uses: int | None,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> Invite:
    for _ in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        token = TOKEN_PREFIX + secrets.token_urlsafe(18)
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO invites (project, grp, code, token, max_uses, expires_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (project, group, code, token, max_uses, to_text(expires_at), to_text(now)),
        )
        if cursor.rowcount == 1 and cursor.lastrowid is not None:
            invite = await get(conn, cursor.lastrowid)
            assert invite is not None
            return invite
    raise RuntimeError("could not find a free invite code")


async def get(conn: aiosqlite.Connection, invite_id: int) -> Invite | None:
    cursor = await conn.execute("SELECT * FROM invites WHERE id = ?", (invite_id,))
    row = await cursor.fetchone()
    return Invite.from_row(row) if row else None


async def find(
    conn: aiosqlite.Connection, *, code: str | None = None, token: str | None = None
) -> Invite | None:
    if code is not None:
        cursor = await conn.execute("SELECT * FROM invites WHERE code = ?", (code,))
    else:
        cursor = await conn.execute("SELECT * FROM invites WHERE token = ?", (token,))
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


async def record_failure(conn: aiosqlite.Connection, user_id: str, now: dt.datetime) -> None:
    await conn.execute("DELETE FROM invite_failures WHERE at < ?", (to_text(now - FAILURE_MEMORY),))
    await conn.execute(
        "INSERT INTO invite_failures (user_id, at) VALUES (?, ?)", (user_id, to_text(now))
    )


async def failures_since(conn: aiosqlite.Connection, user_id: str, since: dt.datetime) -> int:
    cursor = await conn.execute(
        "SELECT COUNT(*) FROM invite_failures WHERE user_id = ? AND at > ?",
        (user_id, to_text(since)),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def delete_ended(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete invites that ended (expired, revoked or used up) before ``cutoff``."""
    cursor = await conn.execute(
        "DELETE FROM invites WHERE MIN(expires_at, COALESCE(revoked_at, expires_at),"
        " COALESCE(used_up_at, expires_at)) < ?",
        (to_text(cutoff),),
    )
    return cursor.rowcount


async def forget_failures(conn: aiosqlite.Connection, cutoff: dt.datetime) -> int:
    """Delete wrong-code records older than ``cutoff`` (also when nobody fails again)."""
    cursor = await conn.execute("DELETE FROM invite_failures WHERE at < ?", (to_text(cutoff),))
    return cursor.rowcount
