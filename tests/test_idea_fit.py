"""Does our idea fit ESR+? The content-driven decision and the chat walk-through."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from content.schema import Localized, OwnKindName, Programme
from handlers.domain.idea_fit import (
    ADDED_VALUE,
    CO_FINANCING_EARMARKED,
    EMPLOYERS_COMMITTED,
    REAL_DEVELOPMENT,
    CoFinancing,
    Continuity,
    Employers,
    IdeaAnswers,
    ItemStatus,
    Region,
    Warning,
    action_options,
    assess_idea,
    target_group_options,
)
from storage.db import Database
from tests.applicant_chat import (
    conversation,
    plain,
    press,
    press_key,
    say,
    seed_content,
    tap_key,
)
from tests.catalog_labels import first_line, lines_shown, shown
from tests.harness import Bot, Person


def programme() -> Programme:
    return seed_content().programme


def option_id(text: str, *, action: bool = False) -> str:
    options = action_options(programme()) if action else target_group_options(programme())
    return next(option.id for option in options if option.text.get("fi") == text)


def answers(**changes: object) -> IdeaAnswers:
    base: dict[str, object] = {
        "applicant_type": "association",
        "region": Region.ONE_REGION,
        "target_groups": frozenset(),
        "actions": frozenset(),
        "continuity": Continuity.NEW,
        "co_financing": CoFinancing.EARMARKED,
        "employers": Employers.COMMITTED,
    }
    base.update(changes)
    return IdeaAnswers(**base)  # type: ignore[arg-type]


# --- the decision ---------------------------------------------------------------------------


def test_options_are_the_objectives_own_lists() -> None:
    groups = target_group_options(programme())
    actions = action_options(programme())
    assert len(groups) == sum(len(o.target_groups) for o in programme().specific_objectives)
    assert len(actions) == sum(len(o.typical_actions) for o in programme().specific_objectives)
    assert len({option.id for option in groups + actions}) == len(groups) + len(actions)


def test_target_groups_and_actions_pick_the_objective_with_reasons() -> None:
    fit = assess_idea(
        programme(),
        answers(
            target_groups=frozenset({option_id("pitkäaikaistyöttömät")}),
            actions=frozenset(
                {
                    option_id(
                        "välityömarkkinoiden kehittäminen (työkokeilu, palkkatuki, valmennus)",
                        action=True,
                    )
                }
            ),
        ),
    )
    assert fit.best == ("4.1",)
    assert fit.scores["4.1"] == 3 and fit.scores["4.3"] == 0
    assert [reason.option.text.get("fi") for reason in fit.reasons] == [
        "pitkäaikaistyöttömät",
        "välityömarkkinoiden kehittäminen (työkokeilu, palkkatuki, valmennus)",
    ]
    assert fit.warnings == ()
    assert fit.needs_work == ()


def test_a_target_group_outweighs_an_action() -> None:
    fit = assess_idea(
        programme(),
        answers(
            target_groups=frozenset({option_id("syrjäytymisvaarassa olevat")}),
            actions=frozenset(
                {
                    option_id(
                        "yhteiskunnalliset yritykset ja järjestöt reitteinä työhön", action=True
                    )
                }
            ),
        ),
    )
    assert fit.best == ("4.3",)
    assert [reason.objective for reason in fit.reasons] == ["4.3"]


def test_ties_unconfirmed_objectives_and_nothing_picked() -> None:
    tie = assess_idea(
        programme(),
        answers(
            target_groups=frozenset(
                {option_id("pitkäaikaistyöttömät"), option_id("syrjäytymisvaarassa olevat")}
            )
        ),
    )
    assert tie.best == ("4.1", "4.3") and Warning.OBJECTIVE_TIE in tie.warnings
    skills = assess_idea(
        programme(),
        answers(target_groups=frozenset({option_id("työelämässä olevat ja työelämään siirtyvät")})),
    )
    assert skills.best == ("4.2",)
    # 4.2 is unconfirmed: the option carries the mark, the chat shows the caveat
    # (tests/test_unconfirmed_facts.py).
    assert all(r.option.unconfirmed for r in skills.reasons)
    nothing = assess_idea(programme(), answers())
    assert nothing.best == () and nothing.warnings[0] is Warning.NO_OBJECTIVE


@pytest.mark.parametrize(
    ("change", "warning", "items"),
    [
        (
            {"continuity": Continuity.CONTINUES},
            Warning.CONTINUATION,
            {REAL_DEVELOPMENT, ADDED_VALUE},
        ),
        ({"continuity": Continuity.STATUTORY}, Warning.STATUTORY, {REAL_DEVELOPMENT, ADDED_VALUE}),
        (
            {"continuity": Continuity.UNSURE},
            Warning.CONTINUITY_UNSURE,
            {REAL_DEVELOPMENT, ADDED_VALUE},
        ),
        (
            {"co_financing": CoFinancing.GENERAL_GRANT},
            Warning.GENERAL_GRANT,
            {CO_FINANCING_EARMARKED},
        ),
        (
            {"co_financing": CoFinancing.APPLYING},
            Warning.CO_FINANCING_OPEN,
            {CO_FINANCING_EARMARKED},
        ),
        ({"employers": Employers.NOT_YET}, Warning.EMPLOYERS_MISSING, {EMPLOYERS_COMMITTED}),
        ({"employers": Employers.NOT_NEEDED}, None, set()),
        ({"applicant_type": "company"}, Warning.NOT_FOR_PROFIT, set()),
        ({"region": Region.NATIONAL}, Warning.NATIONAL_CALL, set()),
    ],
)
def test_answers_raise_warnings_and_mark_the_self_check(
    change: dict[str, object], warning: Warning | None, items: set[str]
) -> None:
    groups = frozenset({option_id("pitkäaikaistyöttömät")})
    fit = assess_idea(programme(), answers(target_groups=groups, **change))
    assert list(fit.warnings) == ([warning] if warning else [])
    assert {item.item_id for item in fit.needs_work} == items
    statuses = [item.status for item in fit.self_check]
    assert statuses == sorted(statuses, key=lambda s: s is not ItemStatus.NEEDS_WORK)
    assert len(fit.self_check) == len(programme().self_check)


def test_own_financing_kind_follows_the_applicant_type() -> None:
    assert assess_idea(programme(), answers(applicant_type="municipality")).own_kind is (
        OwnKindName.MUNICIPAL
    )
    assert assess_idea(programme(), answers()).own_kind is OwnKindName.PRIVATE


def test_the_decision_follows_the_content() -> None:
    objectives = list(programme().specific_objectives)
    skills = objectives[1]
    new_group = Localized(fi="maahan muuttaneet", sv="invandrare", en="immigrants")
    objectives[1] = skills.model_copy(update={"target_groups": [*skills.target_groups, new_group]})
    edited = programme().model_copy(update={"specific_objectives": objectives})
    added = next(o for o in target_group_options(edited) if o.text.get("fi") == "maahan muuttaneet")
    assert added.objective == skills.code
    assert assess_idea(edited, answers(target_groups=frozenset({added.id}))).best == (skills.code,)


# --- the chat ---------------------------------------------------------------------------------


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content()) as running:
        yield running


async def open_idea(person: Person) -> None:
    await person.says("/start")
    await press_key(person, "menu.idea")


async def test_walk_through_to_the_objective_and_self_check(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_idea(person)
    await press(person, "yhdistys tai muu järjestö")
    await press_key(person, "idea.region.one_region")
    await press(person, "pitkäaikaistyöttömät")
    await press(person, "täsmätyökykyiset (osatyökykyiset)")
    # changed my mind
    await press_key(person, "applicant.option_selected", label="täsmätyökykyiset (osatyökykyiset)")
    groups = await tap_key(person, "applicant.done")
    assert groups.keys == ("idea.ask.actions",)
    await press(person, "yhteiskunnalliset yritykset ja järjestöt reitteinä työhön")
    await press_key(person, "applicant.done")
    await press_key(person, "idea.continuity.continues")
    await press_key(person, "idea.cofinancing.general_grant")
    result = await tap_key(person, "idea.employers.not_yet")
    text = plain(result.text)
    best = lines_shown("idea.objective", code="4.1", name="Polkuja töihin")
    assert first_line("idea.result") + "\n" + best in text
    assert shown("idea.reason_group", text="pitkäaikaistyöttömät", code="4.1") in text
    assert "täsmätyökykyiset" not in text.split("Huomioita")[0]
    action = "yhteiskunnalliset yritykset ja järjestöt reitteinä työhön"  # content's wording
    assert shown("idea.reason_action", text=action, code="4.1") in text
    assert result.shows("idea.warning.general_grant")
    assert (
        "Omarahoituksenne merkitään budjetissa riville: Omarahoitus: Yksityinen rahoitus." in text
    )
    assert "4 kohtaa vaatii vielä työtä" in text
    assert "⚠️ Omarahoitus on osoitettu juuri tälle hankkeelle (yleisavustus ei käy)." in text
    assert "☐ Jokaisessa työpaketissa on kehittämistä." in text
    assert "menu.budget" in result.label_keys  # the menu follows
    assert await conversation(db, person.user_id) is None


async def test_typed_text_on_a_choice_step_is_refused_politely(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_idea(person)
    for text in ("<b>x</b>", "🙂", "1", "kaikki"):
        answer = await say(person, text)
        assert answer.keys[0] == "applicant.use_buttons" and answer.labels, text  # options again
    state = await conversation(db, person.user_id)
    assert state is not None and state[:2] == ("idea", "applicant")
    await say(person, "yhdistys")  # an option's text typed is that option (issue 13)
    state = await conversation(db, person.user_id)
    assert state is not None and state[:2] != ("idea", "applicant")


async def test_in_swedish(db: Database) -> None:
    async with Bot(db, content=seed_content()) as bot:
        person = bot.person(1, "sv")
        await person.says("/start")
        intro = await tap_key(person, "menu.idea")
        assert intro.keys == ("idea.intro",)
        assert intro.text == shown("idea.intro", "sv")
        assert "förening eller annan organisation" in intro.labels
