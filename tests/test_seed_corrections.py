"""Content checked against the seed texts (issue 14): what a funded seed project did must be
possible in the idea check and the eligibility rules, and the idea check answers ideas
outside ESR+, municipal continuations and "100 %" plainly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from content.schema import Outcome
from handlers.domain.idea_fit import (
    Continuity,
    Warning,
    assess_idea,
    target_group_options,
)
from handlers.domain.money import format_percent
from storage.db import Database
from tests.applicant_chat import conversation, plain, press_key, say, seed_content, tap_key
from tests.harness import Bot, Person
from tests.test_idea_fit import answers


def _group(objective: str, fi_word: str) -> str:
    """The id of the target-group option of ``objective`` whose Finnish text has the word."""
    options = [
        option
        for option in target_group_options(seed_content().programme)
        if option.objective == objective and fi_word in option.text.get("fi").casefold()
    ]
    assert len(options) == 1, (objective, fi_word, options)
    return options[0].id


# --- 4.1 names immigrants and young graduates (seed 004, a funded 4.1 project) -------------


@pytest.mark.parametrize("word", ["maahanmuuttaj", "vastavalmistun"])
def test_an_immigrant_or_graduate_project_fits_4_1_not_the_unconfirmed_4_2(word: str) -> None:
    fit = assess_idea(
        seed_content().programme, answers(target_groups=frozenset({_group("4.1", word)}))
    )
    assert fit.best == ("4.1",)
    assert not seed_content().programme.objective("4.1").check  # not the unconfirmed 4.2


# --- released prisoners / substance use as a target group (seed 003, funded 4.3) ------------


def test_released_prisoners_and_substance_use_are_a_target_group_of_4_3() -> None:
    option = _group("4.3", "vankilasta")
    assert "päihde" in next(
        o.text.get("fi") for o in target_group_options(seed_content().programme) if o.id == option
    )
    fit = assess_idea(seed_content().programme, answers(target_groups=frozenset({option})))
    assert fit.best == ("4.3",)


def test_existing_option_ids_stay_put() -> None:
    """Option ids are stored in open conversations: new groups are added after the old."""
    ids = {o.id: o.text.get("fi") for o in target_group_options(seed_content().programme)}
    assert ids["4.1-t0"] == "pitkäaikaistyöttömät"
    assert ids["4.3-t1"] == "syrjäytymisvaarassa olevat"


# --- Kaveria ei jätetä: the target group as the seed says it -------------------------------


def test_kaveria_target_group_keeps_the_or_clause() -> None:
    # Seed 000: "työmarkkinatuella olevat työttömät, joilla ei ole oikeutta ansiosidonnaiseen
    # päivärahaan tai työttömät, jotka ovat oikeutettuja kuntouttavaan työtoimintaan,
    # työkokeiluun tai palkkatukeen"
    text = " ".join(seed_content().project("kaveria-ei-jateta").target_group.get("fi").split())
    assert "ansiosidonnaiseen päivärahaan, tai työttömät, jotka ovat oikeutettuja" in text


def test_kaveria_does_not_refuse_an_employed_person() -> None:
    # Seed 000: "60 henkilöä, joista 19 työttömiä, 6 koulutuksessa olevia, 2 työssä olevia"
    project = seed_content().project("kaveria-ei-jateta")
    employed = project.assess({"age": 40, "municipality": "Mikkeli", "situation": "employed"})
    assert employed.outcome is Outcome.NOT_SURE and employed.decided


# --- the idea check's answers ----------------------------------------------------------------


def test_a_municipality_continuing_earlier_work_keeps_the_statutory_warning() -> None:
    fit = assess_idea(
        seed_content().programme,
        answers(
            applicant_type="municipality",
            continuity=Continuity.CONTINUES,
            target_groups=frozenset({_group("4.1", "pitkäaikaistyöttömät")}),
        ),
    )
    assert Warning.CONTINUATION in fit.warnings and Warning.STATUTORY in fit.warnings
    association = assess_idea(
        seed_content().programme,
        answers(
            continuity=Continuity.CONTINUES,
            target_groups=frozenset({_group("4.1", "pitkäaikaistyöttömät")}),
        ),
    )
    assert Warning.STATUTORY not in association.warnings


def test_full_funding_is_answered_plainly_with_the_content_rate() -> None:
    programme = seed_content().programme
    entry = programme.faq_entry("full-funding")
    plain_no = {"fi": "Ei.", "sv": "Nej.", "en": "No."}
    for locale, word in plain_no.items():
        answer = entry.answer.get(locale)
        assert answer.startswith(word), answer
        rate = format_percent(programme.financing.default_max_rate_percent, locale, 0)
        assert plain(rate) in plain(answer), (rate, answer)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content()) as running:
        yield running


@pytest.mark.parametrize(
    "text",
    [
        "Voiko saada sataprosenttisen rahoituksen?",
        "Saako hankkeeseen 100 prosentin tuen?",
        "Voidaanko saada täysi rahoitus?",
    ],
)
async def test_the_100_percent_question_reaches_its_answer(
    bot: Bot, db: Database, text: str
) -> None:
    person = bot.person()
    await say(person, text)
    state = await conversation(db, person.user_id)
    assert state is not None and state[2]["faq"] == "full-funding"


async def _idea_without_anything_esr_funds(person: Person) -> None:
    await person.says("/start")
    await press_key(person, "menu.idea")
    await person.presses_payload("i:applicant:municipality")
    await press_key(person, "idea.region.one_region")
    await press_key(person, "applicant.done")  # no target group fits road building
    await press_key(person, "applicant.done")  # nor any action
    await press_key(person, "idea.continuity.new")
    await press_key(person, "idea.cofinancing.earmarked")


async def test_an_idea_outside_esr_stops_with_a_kind_pointer(bot: Bot, db: Database) -> None:
    person = bot.person()
    await _idea_without_anything_esr_funds(person)
    answer = await tap_key(person, "idea.employers.not_needed")
    assert answer.shows("idea.outside_esr")
    assert not answer.shows("idea.self_check")
    assert not answer.shows("idea.own_row")
    assert not answer.shows("idea.warnings")
    assert "menu.idea" in answer.label_keys  # try again, or anything else in the menu
    assert await conversation(db, person.user_id) is None
