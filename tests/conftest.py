from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.harness import Bot, open_db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_db(tmp_path)
    yield database
    await database.close()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, admins=frozenset({"test:99"})) as running:
        yield running
