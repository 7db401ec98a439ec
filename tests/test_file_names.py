"""Files the bot sends are named in the reader's language (issue 12: no user-visible word
outside messages/; before, every file had a Finnish name in every language)."""

from __future__ import annotations

import pytest

from content import Content, load_content
from storage.db import Database
from tests.harness import Bot


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.mark.parametrize(
    ("locale", "name"),
    [
        ("fi", "hankebot-omat-tiedot.json"),
        ("sv", "hankebot-mina-uppgifter.json"),
        ("en", "hankebot-my-data.json"),
    ],
)
async def test_the_own_data_export_is_named_in_the_readers_language(
    db: Database, content: Content, locale: str, name: str
) -> None:
    async with Bot(db, content=content) as bot:
        person = bot.person(1, locale=locale)
        await person.says("/start")
        documents = [m.document for m in await person.says("/omattiedot") if m.document]
        assert [document[0] for document in documents] == [name]
