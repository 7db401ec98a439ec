"""Issue 15 on Telegram (PTB's real HTTP stack against the fake Bot API server): a contact
request made while the project has no coordinator waits, the first coordinator who joins
receives it, answers it in the bot, and the person gets the answer signed with the
coordinator's first name; each step is in the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import contact_requests
from tests.catalog_labels import label, shown
from tests.e2e.telegram_driver import bot_settings, running_bot
from tests.fakes.telegram_api import BotMessage, FakeTelegramServer

pytestmark = pytest.mark.e2e

ADMIN, COORDINATOR, PERSON = 700, 702, 801
ON_SUBSIDY = "Olen työtön ja saan työmarkkinatukea (en ansiosidonnaista)"


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


async def message_with(server: FakeTelegramServer, chat: int, text: str) -> BotMessage:
    """The first bot message in ``chat`` whose text contains ``text`` (waits for it)."""

    def found() -> BotMessage | None:
        return next((m for m in server.messages(chat) if text in (m.text or "")), None)

    return await server.async_wait_until(found, 20.0, what=repr(text), chat_id=chat)


async def test_waiting_contact_reaches_the_first_coordinator_who_answers(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    for number, name in ((ADMIN, "Admin"), (COORDINATOR, "Anna"), (PERSON, "Maija")):
        server.add_user(number, first_name=name, language_code="fi")
    settings = bot_settings(server, database, admins=frozenset({f"telegram:{ADMIN}"}))
    async with running_bot(settings):
        for number in (ADMIN, COORDINATOR, PERSON):
            server.user_sends(number, "/start")
            await message_with(server, number, shown("start.greeting").split("\n")[0][:20])
        server.press_button(PERSON, label("menu.join"))
        await message_with(server, PERSON, "Kaveria")
        server.press_button(PERSON, "Kaveria ei jätetä")
        await message_with(server, PERSON, "Kuinka vanha olet?")
        server.user_sends(PERSON, "35")
        await message_with(server, PERSON, "kunnassa")
        server.press_button(PERSON, "Mikkeli")
        await message_with(server, PERSON, "tilanne")
        server.press_button(PERSON, ON_SUBSIDY)
        await message_with(server, PERSON, shown("eligibility.outcome.likely_eligible"))
        server.press_button(PERSON, label("join.ask_contact"))
        await message_with(server, PERSON, "Miten sinuun voi ottaa yhteyttä?")
        server.user_sends(PERSON, "maija@example.org")
        consent = await message_with(server, PERSON, "ei ole vielä ohjaajaa")
        assert f" {contact_requests.WAITING_DAYS} " in (consent.text or "")
        server.press_button(PERSON, label("contact.send"))
        await message_with(server, PERSON, "Pyyntösi on tallessa")
        # the administrator makes the first coordinator; the request goes to them
        server.user_sends(ADMIN, f"/lisaa_ohjaaja kaveria-ei-jateta telegram:{COORDINATOR}")
        notice = await message_with(server, COORDINATOR, "maija@example.org")
        assert label("open.reply_button") in notice.button_texts
        await message_with(server, PERSON, "Pyyntösi on nyt annettu")
        server.press_button(COORDINATOR, label("open.reply_button"), message_id=notice.message_id)
        await message_with(server, COORDINATOR, "Kirjoita vastaus")
        server.user_sends(COORDINATOR, "Soitan sinulle huomenna.")
        answer = await message_with(server, PERSON, "Soitan sinulle huomenna.")
        assert "— Anna" in (answer.text or "")
    with sqlite3.connect(database) as conn:
        actions = {row[0] for row in conn.execute("SELECT action FROM audit_log")}
    assert {"coordinator.add", "contact.delivered", "open_item.reply"} <= actions
