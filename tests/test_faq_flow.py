"""Free-text questions in chat: a confident answer, an honest "I don't know", small talk,
"did this help?" and "ask a person" with consent and the coordinator's notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from handlers.applicant.faq import matcher_for, small_talk
from storage import contact_requests, memberships
from storage.db import Database
from tests.applicant_chat import (
    conversation,
    group_says,
    press,
    press_key,
    rows,
    say,
    seed_content,
    tap_key,
)
from tests.catalog_labels import shown
from tests.harness import Bot

ADMIN = "test:99"
COORDINATOR = "test:50"


async def feedback(db: Database) -> dict[str, tuple[int, int]]:
    async with db.transaction() as conn:
        return await contact_requests.feedback_counts(conn)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content(), admins=frozenset({ADMIN})) as running:
        yield running


async def test_a_confident_match_answers_with_the_entry(bot: Bot, db: Database) -> None:
    person = bot.person()
    answer = await say(person, "Mikä on omarahoitus?")
    best = matcher_for(bot.services)
    assert best is not None
    match = best.best("Mikä on omarahoitus?", "fi")
    assert match is not None and match.faq_id == "own-financing"
    entry = seed_content().programme.faq_entry("own-financing")
    assert answer.text.startswith(entry.questions.get("fi")[0])
    assert entry.answer.get("fi")[:60] in answer.text
    assert answer.label_keys == ["faq.helped", "faq.not_helped", "faq.ask_person"]
    [thanks] = await press_key(person, "faq.helped")
    assert thanks.keys[0] == "faq.glad"
    assert await feedback(db) == {"own-financing": (1, 0)}
    assert await conversation(db, person.user_id) is None


async def test_the_matcher_is_built_once(bot: Bot) -> None:
    first = matcher_for(bot.services)
    await say(bot.person(), "Mitä flat rate kattaa?")
    assert matcher_for(bot.services) is first


async def test_not_helpful_is_counted_once_and_offers_a_person(bot: Bot, db: Database) -> None:
    person = bot.person()
    await say(person, "Mitä flat rate 40 % kattaa?")
    [sorry] = await press_key(person, "faq.not_helped")
    assert sorry.keys[0] == "faq.sorry"
    assert "faq.ask_person" in sorry.label_keys and "menu.budget" in sorry.label_keys
    await press_key(person, "faq.not_helped")
    counts = await feedback(db)
    assert sum(no for _, no in counts.values()) == 1


async def test_low_confidence_says_so_and_offers_the_menu(bot: Bot) -> None:
    answer = await say(bot.person(), "kuinka paljon maksaa kissanruoka tokmannilla")
    assert answer.keys[0] == "faq.unknown"
    assert answer.label_keys[0] == "faq.ask_person"
    assert "menu.join" in answer.label_keys


async def test_small_talk_is_not_matched_to_an_entry(bot: Bot) -> None:
    person = bot.person()
    assert (await say(person, "mitä kuuluu?")).keys[0] == "faq.small_talk.how_are_you"
    assert (await say(person, "Moi")).keys[0] == "faq.small_talk.greeting"
    assert (await say(person, "kiitos!")).keys[0] == "faq.small_talk.thanks"
    assert small_talk("Mitä kuuluu omarahoitukselle?") is None


async def test_a_new_question_while_an_answer_is_open(bot: Bot, db: Database) -> None:
    person = bot.person()
    await say(person, "Mikä on omarahoitus?")
    second = await say(person, "Mitä flat rate 40 % kattaa?")
    state = await conversation(db, person.user_id)
    assert state is not None and state[2]["question"] == "Mitä flat rate 40 % kattaa?"
    assert second.label_keys[0] == "faq.helped"


async def test_an_english_question_in_a_finnish_chat_gets_english(bot: Bot) -> None:
    answer = await say(bot.person(), "What does the 40 % flat rate cover?")
    entry = seed_content().programme.faq_entry("flat-rate-40")
    assert answer.text.startswith(entry.questions.get("en")[0])


async def test_ask_a_person_sends_the_typed_question_to_the_coordinators(
    bot: Bot, db: Database
) -> None:
    coordinator = bot.person(50)
    await coordinator.says("/start")
    async with db.transaction() as conn:
        await memberships.add(
            conn, COORDINATOR, "kaveria-ei-jateta", "coordinator", dt.datetime.now(dt.UTC)
        )
    coordinator.new_messages()
    person = bot.person()
    question = "Saako <b>kaverin</b> tuoda mukaan & miten?"
    await say(person, question)
    which = await tap_key(person, "faq.ask_person")
    assert "Saako &lt;b&gt;kaverin&lt;/b&gt; tuoda mukaan &amp; miten?" in which.html
    assert "faq.general_question" in which.label_keys
    await press(person, "Kaveria ei jätetä")
    consent = await say(person, "maija@example.org")
    assert "&lt;b&gt;kaverin" in consent.html and "maija@example.org" in consent.text
    [sent] = await press_key(person, "contact.send")
    assert sent.keys[0] == "contact.sent"
    [stored] = await rows(db, "SELECT * FROM contact_requests")
    assert stored["kind"] == "question" and stored["project"] == "kaveria-ei-jateta"
    assert stored["question"] == question and stored["contact"] == "maija@example.org"
    assert set(stored) == {
        "id",
        "user_id",
        "project",
        "kind",
        "contact",
        "question",
        "consent_at",
        "created_at",
        "delivered_at",
    }
    [notice] = coordinator.new_messages()
    assert notice.keys == ("contact.notify_question",)
    assert "(Kaveria ei jätetä)" in notice.text
    assert "&lt;b&gt;kaverin&lt;/b&gt;" in notice.html and "<b>kaverin" not in notice.html
    assert "maija@example.org" in notice.text
    assert await conversation(db, person.user_id) is None


async def test_a_general_question_goes_to_the_administrators(bot: Bot, db: Database) -> None:
    admin = bot.person(99)
    await admin.says("/start")
    admin.new_messages()
    person = bot.person()
    await say(person, "onko tämä oikea paikka kysyä tiedekunnasta")
    await press_key(person, "faq.ask_person")
    await press_key(person, "faq.general_question")
    await say(person, "puh 040 1")
    await press_key(person, "contact.send")
    [notice] = admin.new_messages()
    assert notice.keys == ("contact.notify_question",)
    assert f"({shown('contact.about_general')})" in notice.text
    [stored] = await rows(db, "SELECT project, kind FROM contact_requests")
    assert stored == {"project": None, "kind": "question"}


async def test_declining_stores_nothing(bot: Bot, db: Database) -> None:
    admin = bot.person(99)
    await admin.says("/start")
    admin.new_messages()
    person = bot.person()
    await say(person, "kuinka paljon maksaa kissanruoka tokmannilla")
    await press_key(person, "faq.ask_person")
    await press_key(person, "faq.general_question")
    await say(person, "puh 040 1")
    await press_key(person, "contact.dont_send")
    assert await rows(db, "SELECT * FROM contact_requests") == []
    assert admin.new_messages() == []


async def test_group_chats_get_no_faq(bot: Bot) -> None:
    [answer] = await group_says(bot, "test:7", "test:group-1", "Mikä on omarahoitus?")
    assert answer.keys[0] == "error.unknown_input"


async def test_menu_entry_asks_for_the_question(bot: Bot, db: Database) -> None:
    person = bot.person()
    await person.says("/start")
    prompt = await tap_key(person, "menu.ask")
    assert prompt.keys == ("faq.type_question", "ways.hint_out")
    assert prompt.labels == []
    answer = await say(person, "Mitä omarahoitus tarkoittaa?")
    assert answer.label_keys[0] == "faq.helped"


@pytest.mark.parametrize("text", ["mitä osaat?", "Mitä sä osaat tehdä", "7", "what can you do"])
async def test_off_topic_gets_what_the_bot_helps_with_and_the_menu(bot: Bot, text: str) -> None:
    answer = await say(bot.person(), text)
    assert answer.keys[0] == "faq.small_talk.capabilities"
    assert "menu.join" in answer.label_keys
    assert "faq.helped" not in answer.label_keys


async def test_a_question_the_faq_lacks_is_not_answered_with_confidence(bot: Bot) -> None:
    answer = await say(bot.person(), "pitääkö hankkeella olla ohjausryhmä")
    assert answer.keys[0] == "faq.unknown"
    assert answer.label_keys[0] == "faq.ask_person"


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("Voiko ammattikorkeakoulu hakea?", "who-can-apply"),
        ("Voiko hanke tukea vankilasta vapautuvia?", "released-prisoners"),
        ("Voiko hanke saada 100 % rahoituksen?", "full-funding"),
        ("Rahoitetaanko lakisääteisiä palveluja?", "statutory-services"),
    ],
)
async def test_the_applicants_questions_are_answered(
    bot: Bot, db: Database, text: str, entry: str
) -> None:
    person = bot.person()
    answer = await say(person, text)
    assert answer.label_keys[0] == "faq.helped"
    state = await conversation(db, person.user_id)
    assert state is not None and state[2]["faq"] == entry
