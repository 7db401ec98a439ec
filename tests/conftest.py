from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.harness import Bot, open_db

E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in tests/e2e and every test that starts Synapse is an end-to-end test
    (``python3 dev.py test`` runs those after the fast ones), marked or not."""
    for item in items:
        in_e2e = E2E_DIR in Path(str(item.fspath)).parents
        if in_e2e or "synapse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def nothing_stays_frozen() -> Iterator[None]:
    """A bot started in a test freezes what is alive then out of garbage collection
    (bot/memory.py); in a test process that is the tests' objects, so thaw them after."""
    yield
    gc.unfreeze()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_db(tmp_path)
    yield database
    await database.close()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, admins=frozenset({"test:99"})) as running:
        yield running
