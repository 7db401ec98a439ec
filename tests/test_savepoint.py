"""``storage.db.savepoint``: a nested unit of work inside one transaction."""

from __future__ import annotations

import pytest

from storage import updates
from storage.db import Database, savepoint


async def _value(db: Database, key: str) -> str | None:
    async with db.transaction() as conn:
        return await updates.get_value(conn, key)


async def test_a_block_that_raises_undoes_only_its_own_writes(db: Database) -> None:
    async with db.transaction() as conn:
        await updates.set_value(conn, "before", "1")
        with pytest.raises(ZeroDivisionError):
            async with savepoint(conn, "inner"):
                await updates.set_value(conn, "inside", "1")
                _ = 1 / 0
        await updates.set_value(conn, "after", "1")
    assert await _value(db, "before") == "1"
    assert await _value(db, "inside") is None
    assert await _value(db, "after") == "1"


async def test_rollback_undoes_so_far_and_the_block_goes_on(db: Database) -> None:
    async with db.transaction() as conn, savepoint(conn, "step") as step:
        await updates.set_value(conn, "rejected", "1")
        await step.rollback()
        await updates.set_value(conn, "kept", "1")
    assert await _value(db, "rejected") is None
    assert await _value(db, "kept") == "1"


async def test_a_released_savepoint_commits_with_the_transaction(db: Database) -> None:
    async with db.transaction() as conn:
        async with savepoint(conn, "a"):
            await updates.set_value(conn, "k", "v")
        await updates.delete_value(conn, "missing")  # deleting nothing is fine
    assert await _value(db, "k") == "v"
    async with db.transaction() as conn:
        await updates.delete_value(conn, "k")
    assert await _value(db, "k") is None


async def test_only_plain_names(db: Database) -> None:
    async with db.transaction() as conn:
        with pytest.raises(ValueError):
            async with savepoint(conn, "x; DROP TABLE kv"):
                pass
