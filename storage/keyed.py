"""Keyed hashes with a secret of this database: identifiers that reveal nothing by themselves.

Codes people type, deep-link tokens and dedupe keys that would otherwise contain a person's
id are stored as HMAC-SHA-256 under a random 32-byte secret made once per database (kept in
``kv``). A dump of one table then shows no id and no usable code, and after /unohda nothing
left in the database names the person: the hash of an id that is no longer stored anywhere
leads back to no one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import aiosqlite

from storage import updates

SECRET_KEY = "secret:hmac"  # noqa: S105 - the kv key's name, not the secret


async def database_secret(conn: aiosqlite.Connection) -> bytes:
    """This database's HMAC secret, made on first use (inside the caller's transaction)."""
    stored = await updates.get_value(conn, SECRET_KEY)
    if stored is not None:
        return bytes.fromhex(stored)
    secret = secrets.token_bytes(32)
    await conn.execute(
        "INSERT OR IGNORE INTO kv (key, value) VALUES (?, ?)", (SECRET_KEY, secret.hex())
    )
    stored = await updates.get_value(conn, SECRET_KEY)
    assert stored is not None
    return bytes.fromhex(stored)


def keyed_hash(secret: bytes, *parts: str | int) -> str:
    """HMAC-SHA-256 of ``parts`` (joined unambiguously) as 64 hex characters."""
    message = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


async def hashed(conn: aiosqlite.Connection, *parts: str | int) -> str:
    """:func:`keyed_hash` under this database's secret."""
    return keyed_hash(await database_secret(conn), *parts)


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two hashes or secrets."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
