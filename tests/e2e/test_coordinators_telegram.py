"""Issue 15 on Telegram (PTB's real HTTP stack against the fake Bot API server): a contact
request made while the project has no coordinator waits, the first coordinator who joins
receives it, answers it in the bot, and the person gets the answer signed with the
coordinator's first name; each step is in the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from content import load_content
from handlers.common.coordination import project_label
from handlers.staff.open_items import MAX_REPLY
from storage.contact_requests import RETENTION_DAYS, WAITING_DAYS
from tests.catalog_labels import label, shown
from tests.e2e.telegram_driver import bot_settings, running_bot
from tests.fakes.telegram_api import BotMessage, FakeTelegramServer

pytestmark = pytest.mark.e2e

ADMIN, COORDINATOR, PERSON = 700, 702, 801
SLUG = "kaveria-ei-jateta"
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
        project = project_label(load_content(), SLUG, "fi")
        consent = shown(
            "contact.waiting_consent",
            project=project,
            contact="maija@example.org",
            days=WAITING_DAYS,
            retention=RETENTION_DAYS,
        )
        await message_with(server, PERSON, consent)  # kept for at most 30 days, it says
        server.press_button(PERSON, label("contact.send"))
        await message_with(
            server, PERSON, shown("contact.kept", project=project, days=WAITING_DAYS)
        )
        # the administrator makes the first coordinator; the request goes to them
        server.user_sends(ADMIN, f"/lisaa_ohjaaja {SLUG} telegram:{COORDINATOR}")
        notice = await message_with(server, COORDINATOR, "maija@example.org")
        assert label("open.reply_button") in notice.button_texts
        await message_with(server, PERSON, shown("contact.delivered_to_you", project=project))
        server.press_button(COORDINATOR, label("open.reply_button"), message_id=notice.message_id)
        prompt = shown("open.reply_prompt", name="Maija", limit=MAX_REPLY).split("\n")[0]
        await message_with(server, COORDINATOR, prompt.split(":")[0])
        server.user_sends(COORDINATOR, "Soitan sinulle huomenna.")
        answer = await message_with(server, PERSON, "Soitan sinulle huomenna.")
        assert (answer.text or "").rstrip().endswith("— Anna")
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT actor, action, project, subject FROM audit_log").fetchall()
    coordinator, person = f"telegram:{COORDINATOR}", f"telegram:{PERSON}"
    assert (coordinator, "contact.delivered", SLUG, person) in rows, rows
    assert (coordinator, "open_item.reply", SLUG, person) in rows, rows
    assert (f"telegram:{ADMIN}", "coordinator.add", SLUG, coordinator) in rows, rows
