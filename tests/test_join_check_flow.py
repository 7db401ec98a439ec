"""Can I join? Picking a project, its questions, the three outcomes, contact requests with
consent, and that nothing else is stored (checked in the database)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest

from bot import maintenance
from content.schema import Outcome
from handlers.applicant.join_check import match_municipality, settled
from storage import contact_requests, memberships, personal_data
from storage.db import Database
from tests.applicant_chat import (
    assert_no_failure,
    conversation,
    group_says,
    plain,
    press,
    press_key,
    rows,
    say,
    seed_content,
    tap,
    tap_key,
)
from tests.catalog_labels import lines_shown
from tests.harness import Bot, Clock, Person

KAVERIA = "Kaveria ei jätetä"
PRISON = "Tukea vankilasta vapautuville ja päihdekuntoutuksesta kotiutuville"
TOIMI = "TOIMI – Toimivat välityömarkkinat Pohjois-Karjalaan"
ON_SUBSIDY = "Olen työtön ja saan työmarkkinatukea (en ansiosidonnaista)"
COORDINATOR = "test:50"


def question(number: int, count: int) -> str:
    """ "Kysymys 1/3": the heading every kind of question has (join.question_*)."""
    return lines_shown("join.question_choice", number=number, count=count)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
async def bot(db: Database, clock: Clock) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content(), clock=clock) as running:
        yield running


async def open_join(person: Person) -> None:
    await person.says("/start")
    await press_key(person, "menu.join")


async def make_coordinator(bot: Bot, db: Database, project: str) -> Person:
    coordinator = bot.person(50)
    await coordinator.says("/start")
    async with db.transaction() as conn:
        await memberships.add(conn, COORDINATOR, project, "coordinator", dt.datetime.now(dt.UTC))
    coordinator.new_messages()
    return coordinator


# --- outcomes -------------------------------------------------------------------------------


async def test_likely_eligible_and_the_answers_are_gone(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_join(person)
    intro = await tap(person, KAVERIA)
    assert "Kaveria ei jätetä" in intro.text and question(1, 3) in intro.text
    assert intro.shows("join.status.not_funded")  # the seed was not funded: said plainly
    assert intro.labels == []  # the age is typed: no buttons
    await say(person, "35")
    await press(person, "Mikkeli")
    state = await conversation(db, person.user_id)
    assert state is not None and state[2]["answers"] == {"age": 35, "municipality": "Mikkeli"}
    outcome = await tap(person, ON_SUBSIDY)
    assert outcome.shows("eligibility.outcome.likely_eligible")
    assert "Kuulut todennäköisesti hankkeen kohderyhmään." in outcome.text
    assert "join.ask_contact" in outcome.label_keys
    state = await conversation(db, person.user_id)
    assert state is not None and state[2] == {"project": "kaveria-ei-jateta", "others": []}
    bye = await tap_key(person, "applicant.finish")
    assert bye.keys[0] == "join.bye"
    assert await conversation(db, person.user_id) is None


async def test_not_for_you_suggests_projects_in_the_persons_municipality(bot: Bot) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, "OsUVa")
    await say(person, "40 vuotta")
    outcome = await say(person, "Joensuussa")  # outside the area: decided at once
    assert outcome.shows("eligibility.outcome.not_for_you")
    assert "Hanke toimii Hirvensalmella, Juvalla, Kangasniemellä ja Mikkelissä." in outcome.text
    assert outcome.shows("join.try_projects") and TOIMI in outcome.text
    toimi = await tap_key(person, "join.try", project=TOIMI)
    assert toimi.text.startswith("TOIMI")
    assert "Missä kunnassa asut?" in toimi.text
    assert "Joensuu" in toimi.labels


async def test_multi_choice_and_typed_municipality(bot: Bot) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, TOIMI)
    question = await say(person, "lieksassa")
    assert "Voit valita useamman" in question.text
    toggled = await tap(person, "Olen ollut pitkään työttömänä")
    selected = toggled.button("applicant.option_selected")
    assert selected is not None and selected.label.endswith("Olen ollut pitkään työttömänä")
    chosen = lines_shown("join.question_multi", headed=True, chosen="Olen ollut pitkään työttömänä")
    assert chosen in plain(toggled.text)
    await press(person, "Olen työssä")
    untoggled = await tap_key(person, "applicant.option_selected", label="Olen työssä")
    assert "Olen työssä" in untoggled.labels
    outcome = await tap_key(person, "applicant.done")
    assert outcome.shows("eligibility.outcome.likely_eligible")
    assert "TOIMI-valmennuksesta" in outcome.text


async def test_not_sure_outcome(bot: Bot) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, KAVERIA)
    await say(person, "30")
    await press(person, "Mikkeli")
    outcome = await tap(person, "Opiskelen")
    assert outcome.shows("eligibility.outcome.not_sure")
    assert "ensisijaisesti työmarkkinatuella oleville" in outcome.text


async def test_skipping_a_question_gives_not_sure(bot: Bot) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, KAVERIA)
    await say(person, "ohita")
    await press(person, "Mikkeli")
    outcome = await tap(person, "En tiedä")
    assert outcome.text.startswith("Ehkä")


async def test_find_projects_by_municipality(bot: Bot) -> None:
    person = bot.person()
    await open_join(person)
    found = await say(person, "Puumalassa")
    assert found.keys == ("join.pick_filtered", "ways.hint_back")
    assert found.labels[:-1] == [
        "Osmari – osallistavan ja ohjaavan työllistämisen kehittämishanke",
    ]
    assert found.label_keys[-1] == "join.all_projects"
    nothing = await say(person, "Rovaniemi")
    assert nothing.shows("join.error.no_project_there")
    sentence = await say(person, "asun mikkelissä")
    assert sentence.keys == ("join.pick_filtered", "ways.hint_back") and len(sentence.labels) >= 5
    everything = await tap_key(person, "join.all_projects")
    assert len(everything.labels) == len(seed_content().projects)
    by_name = await say(person, "osuva")  # a project's name typed
    assert by_name.text.startswith("OsUVa") and question(1, 4) in by_name.text


@pytest.mark.parametrize("place", ["Pieksämäellä", "Helsinki", "asun helsingissä"])
async def test_a_place_without_projects_gets_a_pointer(bot: Bot, place: str) -> None:
    person = bot.person()
    await open_join(person)
    answer = await say(person, place)
    assert answer.shows("join.error.no_project_there")
    # the pointer names the places the projects serve and where else to ask
    assert "Mikkeli" in answer.text and "Joensuu" in answer.text
    assert "join.all_projects" in answer.label_keys


# --- sensitive questions and storage -----------------------------------------------------------


async def test_sensitive_answers_never_reach_the_database_after_the_outcome(
    bot: Bot, db: Database
) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, PRISON)
    await say(person, "30")
    question = await tap(person, "Kyllä")  # criminal or substance-use background: yes
    assert "Asutko Mikkelin alueella" in question.text
    state = await conversation(db, person.user_id)
    assert state is not None and state[2]["answers"]["background"] == "yes"  # only while asking
    outcome = await tap(person, "Kyllä")
    assert outcome.shows("eligibility.outcome.likely_eligible")
    state = await conversation(db, person.user_id)
    assert state is not None
    assert "background" not in json.dumps(state[2]) and "answers" not in state[2]
    await press_key(person, "applicant.finish")
    assert await conversation(db, person.user_id) is None
    # Nothing about the answers anywhere: no conversation, no contact request, and none of
    # the bot's own messages repeats the answer.
    assert await rows(db, "SELECT * FROM conversations") == []
    assert await rows(db, "SELECT * FROM contact_requests") == []
    for row in await rows(db, "SELECT html FROM outbox WHERE user_id = ?", person.user_id):
        assert "rikos- tai päihdetausta: kyllä" not in row["html"].lower()


async def test_age_outside_decides_before_the_sensitive_question(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, PRISON)
    outcome = await say(person, "70")
    assert outcome.shows("eligibility.outcome.not_for_you")
    texts = " ".join(message.text for message in person.messages())
    assert "rikos- tai päihdetausta" not in texts


async def test_join_is_private_only(bot: Bot) -> None:
    await group_says(bot, "test:7", "test:group-1", "/start")
    menu = [m for m in bot.transport.delivered if m.chat_id == "test:group-1"][-1]
    join = menu.button("menu.join")
    assert join is not None
    token = join.token
    from handlers.core.types import Incoming

    await bot.dispatcher.handle(
        Incoming(user_id="test:7", chat_id="test:group-1", button_token=token, is_group_chat=True)
    )
    await bot.worker.drain(timeout=10)
    answer = [m for m in bot.transport.delivered if m.chat_id == "test:group-1"][-1]
    assert answer.keys == ("join.private_only",)


# --- bad input ---------------------------------------------------------------------------------


async def test_bad_input_at_the_typed_steps(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_join(person)
    await press(person, KAVERIA)
    for text in ("abc", "-5", "999", "<b>30</b>", "🙂", "3.5"):
        answer = await say(person, text)
        assert_no_failure(answer)
        assert "numeroina" in answer.text or "väliltä 0–120" in answer.text, (text, answer.text)
        state = await conversation(db, person.user_id)
        assert state is not None and state[1] == "question" and state[2]["q"] == 0
    await say(person, "35")
    for text in ("🙂", "<b>x</b>", "Xyzzyville", "12"):
        answer = await say(person, text)
        assert answer.keys == ("join.error.municipality",), (text, answer.text)
    choice = await say(person, "mikkeli")  # typed names are fine
    assert question(3, 3) in choice.text
    refused = await say(person, "olen kai työtön")
    assert refused.keys == ("applicant.use_buttons",)
    typed = await say(person, "opiskelen")  # the option's label, typed
    assert typed.text.startswith("Ehkä")


# --- contact requests --------------------------------------------------------------------------


async def _to_outcome(person: Person) -> None:
    await open_join(person)
    await press(person, KAVERIA)
    await say(person, "35")
    await press(person, "Mikkeli")
    await press(person, ON_SUBSIDY)


async def test_contact_request_with_consent_stores_only_the_contact_and_notifies(
    bot: Bot, db: Database, clock: Clock
) -> None:
    coordinator = await make_coordinator(bot, db, "kaveria-ei-jateta")
    other = bot.person(51)
    await other.says("/start")
    person = bot.person()
    await _to_outcome(person)
    asked = await tap_key(person, "join.ask_contact")
    assert asked.labels == [] and asked.keys == ("contact.ask", "ways.hint_back")
    assert (await say(person, "🙂")).keys == ("contact.error.format",)
    assert (await say(person, "x" * 300)).keys == ("contact.error.too_long",)
    contact = "Maija <b>040 123 4567</b>"
    consent = await say(person, contact)
    assert "Maija &lt;b&gt;040 123 4567&lt;/b&gt;" in consent.html
    assert "90 päivää" in consent.text
    assert consent.label_keys == ["contact.send", "contact.dont_send"]
    assert await rows(db, "SELECT * FROM contact_requests") == []  # not before consent
    sent = await press_key(person, "contact.send")
    assert sent[0].keys[0] == "contact.sent"
    stored = await rows(db, "SELECT * FROM contact_requests")
    assert len(stored) == 1
    row = stored[0]
    assert (row["user_id"], row["project"], row["kind"], row["contact"], row["question"]) == (
        person.user_id,
        "kaveria-ei-jateta",
        "join",
        contact,
        None,
    )
    [notice] = coordinator.new_messages()
    assert notice.keys == ("contact.notify_join",) and "(Kaveria ei jätetä)" in notice.text
    assert "Maija &lt;b&gt;040 123 4567&lt;/b&gt;" in notice.html
    assert "35" not in notice.text and "työmarkkinatuki" not in notice.text  # no answers
    assert other.new_messages() == []  # not a coordinator of this project
    assert await conversation(db, person.user_id) is None

    # /omattiedot shows it, /unohda deletes it.
    async with db.transaction() as conn:
        exported = await personal_data.export(conn, person.user_id, person.user_id)
    assert exported["contact_requests"][0]["contact"] == contact
    await person.says("/unohda")
    await press_key(person, "forget.yes")
    assert await rows(db, "SELECT * FROM contact_requests") == []


async def test_declining_sends_and_stores_nothing(bot: Bot, db: Database) -> None:
    coordinator = await make_coordinator(bot, db, "kaveria-ei-jateta")
    person = bot.person()
    await _to_outcome(person)
    await press_key(person, "join.ask_contact")
    await say(person, "maija@example.org")
    [declined] = await press_key(person, "contact.dont_send")
    assert declined.keys[0] == "contact.not_sent"
    assert await rows(db, "SELECT * FROM contact_requests") == []
    assert coordinator.new_messages() == []
    assert await conversation(db, person.user_id) is None


async def test_without_a_coordinator_the_request_waits(bot: Bot, db: Database) -> None:
    """Issue 15: no dead end; the request waits for the first coordinator (tests/
    test_waiting_contact.py follows it there) and the organisation is named."""
    person = bot.person()
    await _to_outcome(person)
    await press_key(person, "join.ask_contact")
    await say(person, "maija@example.org")
    [answer] = await press_key(person, "contact.send")
    assert answer.keys[0] == "contact.kept"
    assert "Mikkelin Seudun Invalidit ry" in answer.text
    [stored] = await rows(db, "SELECT * FROM contact_requests")
    assert stored["delivered_at"] is None


async def test_retention_purges_requests_and_abandoned_answers(
    bot: Bot, db: Database, clock: Clock
) -> None:
    await make_coordinator(bot, db, "kaveria-ei-jateta")
    person = bot.person()
    await _to_outcome(person)
    await press_key(person, "join.ask_contact")
    await say(person, "040 1")
    await press_key(person, "contact.send")
    quitter = bot.person(2)
    await open_join(quitter)
    await press(quitter, KAVERIA)
    await say(quitter, "35")  # then never comes back
    assert await conversation(db, quitter.user_id) is not None
    await maintenance.run_once(
        db, clock.now + dt.timedelta(hours=contact_requests.ABANDONED_HOURS + 1)
    )
    assert await conversation(db, quitter.user_id) is None
    assert len(await rows(db, "SELECT * FROM contact_requests")) == 1
    later = clock.now + dt.timedelta(days=contact_requests.RETENTION_DAYS + 1)
    await maintenance.run_once(db, later)
    assert await rows(db, "SELECT * FROM contact_requests") == []


# --- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Mikkeli", "Mikkeli"),
        ("mikkelissä", "Mikkeli"),
        ("Mikkelli", "Mikkeli"),
        ("Juvalla", "Juva"),
        ("Kangasniemellä", "Kangasniemi"),
        ("Hirvensalmella", "Hirvensalmi"),
        ("  PUUMALASSA ", "Puumala"),
        ("Rovaniemi", None),
        ("Ju", None),
        ("<b>Juva</b>", None),
        ("12", None),
        ("asun mikkelissä", "Mikkeli"),
        ("mä asun Juvalla", "Juva"),
        ("asun nykyään Kangasniemellä", "Kangasniemi"),
        ("asun helsingissä", None),
        ("asun", None),
    ],
)
def test_match_municipality(typed: str, expected: str | None) -> None:
    names = ["Mikkeli", "Juva", "Kangasniemi", "Hirvensalmi", "Puumala", "Mäntyharju"]
    assert match_municipality(typed, names) == expected


def test_settled_only_when_no_earlier_rule_is_open() -> None:
    project = seed_content().project("kaveria-ei-jateta")
    assert settled(project, {"age": 70})  # age-outside is the first rule
    assert not settled(project, {"age": 35})
    assert not settled(project, {"municipality": "other"})  # the age rule is still open
    assert settled(project, {"age": 35, "municipality": "other"})
    assessment = project.assess({"age": 35, "municipality": "other"})
    assert assessment.outcome is Outcome.NOT_FOR_YOU
