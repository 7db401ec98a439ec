"""Text with lone UTF-16 surrogates (valid JSON "\\ud800" from a platform, not encodable as
UTF-8) is made safe where it enters the core (issue 16 item 4): nothing fails on it later."""

from __future__ import annotations

import datetime as dt

import pytest

from content import Content, load_content
from handlers.core.types import Incoming
from storage import buttons, memberships
from storage.db import Database
from tests.harness import Bot, Clock, Person

START = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
BROKEN = "Hei \ud800 kaikki \udfff"


def test_incoming_text_fields_never_hold_lone_surrogates() -> None:
    incoming = Incoming(
        user_id="test:1",
        chat_id="test:1",
        text=BROKEN,
        button_token="\udc00x",
        display_name="Matti \ud83d",
    )
    for value in (incoming.text, incoming.button_token, incoming.display_name):
        assert value is not None
        value.encode("utf-8")  # would raise UnicodeEncodeError on a lone surrogate
    assert incoming.text == "Hei \ufffd kaikki \ufffd"


def test_a_real_pair_written_as_surrogates_becomes_the_character() -> None:
    assert Incoming(user_id="t:1", chat_id="t:1", text="\ud83d\ude00").text == "😀"


async def press_payload(db: Database, person: Person, payload: str) -> None:
    """Press the button of the latest message that carries ``payload``."""
    tokens = [
        token
        for message in reversed(person.messages())
        for row in message.buttons
        for _, token in row
    ]
    async with db.transaction() as conn:
        targets = [(token, await buttons.resolve(conn, person.user_id, token)) for token in tokens]
    for token, target in targets:
        if target is not None and target.payload == payload:
            await person.presses_token(token)
            return
    raise AssertionError(f"no button {payload!r}")


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


async def test_an_announcement_text_with_a_lone_surrogate_gets_a_preview(
    db: Database, content: Content
) -> None:
    async with Bot(db, content=content, clock=Clock(START)) as bot:
        coordinator = bot.person(1)
        await coordinator.says("/start")
        async with db.transaction() as conn:
            await memberships.add(conn, coordinator.user_id, "osmari", "coordinator", START)
        participant = bot.person(2)
        await participant.says("/start")
        async with db.transaction() as conn:
            await memberships.add(conn, participant.user_id, "osmari", "participant", START)
        await coordinator.says("/tiedote")
        await press_payload(db, coordinator, "bca:project")
        await coordinator.says(BROKEN)  # the announcement text
        await press_payload(db, coordinator, "bc:now")
        await coordinator.says("Mikä on ESR+?" + "\udc80")  # a question to the FAQ
        internal = bot.renderer.text("fi", "error.internal")
        assert coordinator.messages()
        for message in coordinator.messages():
            message.html.encode("utf-8")
            assert message.html != internal
        [announcement] = participant.new_messages()[-1:]
        assert "\ufffd" in announcement.html
