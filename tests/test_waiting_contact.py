"""Issue 15 item 3: no dead ends. A contact request made while the project has no
coordinator in the bot is kept (the consent step says so, at most WAITING_DAYS days) and
handed to the first coordinator who joins, once, audited; the person is told so, with the
organisation's public contact from the content."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest

from bot import maintenance
from content.loader import content_warnings
from content.schema import Content, PublicContact
from storage import contact_requests
from storage.db import Database
from tests.applicant_chat import press, press_key, rows, say, seed_content
from tests.harness import Bot, Clock, Person

KAVERIA = "Kaveria ei jätetä"
ON_SUBSIDY = "Olen työtön ja saan työmarkkinatukea (en ansiosidonnaista)"
ADMIN = "test:99"
CODE = re.compile(r"\bOHJ(?:-[A-Z0-9]{4}){2,3}\b")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def with_public_contact(content: Content, slug: str, **fields: str) -> Content:
    project = content.projects[slug].model_copy(update={"public_contact": PublicContact(**fields)})
    return content.model_copy(update={"projects": {**content.projects, slug: project}})


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def bot(db: Database, clock: Clock) -> AsyncIterator[Bot]:
    content = with_public_contact(seed_content(), "kaveria-ei-jateta", phone="015 123 456")
    async with Bot(db, content=content, clock=clock, admins=frozenset({ADMIN})) as running:
        yield running


async def _ask_to_join(person: Person) -> None:
    await person.says("/start")
    await press_key(person, "menu.join")
    await press(person, KAVERIA)
    await say(person, "35")
    await press(person, "Mikkeli")
    await press(person, ON_SUBSIDY)
    await press_key(person, "join.ask_contact")


async def _join_as_coordinator(bot: Bot, admin: Person, number: int) -> Person:
    made = (await admin.says("/ohjaajakutsu kaveria-ei-jateta"))[-1]
    code = CODE.search(made.text)
    assert code is not None
    coordinator = bot.person(number)
    await coordinator.says(f"/liity {code.group(0)}")
    return coordinator


async def test_request_waits_for_the_first_coordinator(bot: Bot, db: Database) -> None:
    admin = bot.person(99)
    await admin.says("/start")
    person = bot.person()
    await _ask_to_join(person)
    consent = await say(person, "maija@example.org")
    assert consent.shows("contact.waiting_consent")
    assert f" {contact_requests.WAITING_DAYS} " in consent.text  # the days, as the code has them
    admin.new_messages()
    kept = await press_key(person, "contact.send")
    said = [key for message in kept for key in message.keys]
    assert "contact.kept" in said and "contact.nobody" not in said
    # the organisation's public contact, so the person is not left waiting with nothing
    assert any(m.shows("contact.public") and "015 123 456" in m.text for m in kept)
    [stored] = await rows(db, "SELECT * FROM contact_requests")
    assert stored["delivered_at"] is None
    # the administrator is told at once as well
    assert any(m.shows("contact.notify_join") for m in admin.new_messages())

    first = await _join_as_coordinator(bot, admin, 50)
    got = first.messages()
    assert any(m.shows("contact.waited_intro") for m in got)
    [notice] = [m for m in got if m.shows("contact.notify_join")]
    assert "maija@example.org" in notice.text
    assert {(b.payload or "").split(":")[1] for b in notice.all_buttons()} >= {"reply", "done"}
    told = person.new_messages()
    assert any(m.shows("contact.delivered_to_you") for m in told)
    [delivered] = await rows(db, "SELECT * FROM contact_requests")
    assert delivered["delivered_at"] is not None
    [entry] = await rows(db, "SELECT * FROM audit_log WHERE action = 'contact.delivered'")
    assert (entry["actor"], entry["project"], entry["subject"]) == (
        first.user_id,
        "kaveria-ei-jateta",
        person.user_id,
    )
    # the coordinator answers in the bot: the person gets it, audited
    [reply] = [b for b in notice.all_buttons() if (b.payload or "").startswith("oi:reply:")]
    await first.presses_token(reply.token)
    await first.says("Hei! Soitan sinulle maanantaina.")
    answered = person.new_messages()
    assert any(
        m.shows("open.reply_to_you_unsigned") and "Soitan sinulle maanantaina." in m.text
        for m in answered
    )
    assert len(await rows(db, "SELECT * FROM audit_log WHERE action = 'open_item.reply'")) == 1
    # a second coordinator does not get it again
    second = await _join_as_coordinator(bot, admin, 51)
    assert not any(m.shows("contact.notify_join") for m in second.messages())


async def test_a_waiting_request_goes_after_the_waiting_days(
    bot: Bot, db: Database, clock: Clock
) -> None:
    person = bot.person()
    await _ask_to_join(person)
    await say(person, "maija@example.org")
    await press_key(person, "contact.send")
    await maintenance.run_once(db, clock.now + dt.timedelta(days=contact_requests.WAITING_DAYS - 1))
    assert len(await rows(db, "SELECT * FROM contact_requests")) == 1
    await maintenance.run_once(db, clock.now + dt.timedelta(days=contact_requests.WAITING_DAYS + 1))
    assert await rows(db, "SELECT * FROM contact_requests") == []
    assert await rows(db, "SELECT * FROM open_items") == []


def test_check_content_warns_about_an_empty_public_contact() -> None:
    content = seed_content()
    warned = {(w.file.stem, w.location) for w in content_warnings(content)}
    assert ("osmari", "public_contact") in warned
    filled = with_public_contact(content, "osmari", web="https://example.org")
    assert ("osmari", "public_contact") not in {
        (w.file.stem, w.location) for w in content_warnings(filled)
    }
    assert PublicContact(phone="[puhelin]").missing  # a bracketed placeholder is empty
