"""The per-database HMAC secret and keyed hashes."""

from __future__ import annotations

from pathlib import Path

from storage import keyed
from storage.db import Database


async def test_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.transaction() as conn:
            first = await keyed.database_secret(conn)
        async with db.transaction() as conn:
            second = await keyed.database_secret(conn)
            digest = await keyed.hashed(conn, "talk", 7, "telegram:12345")
    finally:
        await db.close()
    assert first == second
    assert len(first) == 32
    assert "12345" not in digest
    assert digest == keyed.keyed_hash(first, "talk", 7, "telegram:12345")


async def test_two_databases_hash_differently(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        db = await Database.open(tmp_path / f"{name}.sqlite3")
        try:
            async with db.transaction() as conn:
                digests.append(await keyed.hashed(conn, "telegram:12345"))
        finally:
            await db.close()
    assert digests[0] != digests[1]


def test_parts_are_joined_unambiguously() -> None:
    secret = b"k" * 32
    assert keyed.keyed_hash(secret, "a:b", "c") != keyed.keyed_hash(secret, "a", "b:c")
    assert keyed.same("abc", "abc") and not keyed.same("abc", "abd")
