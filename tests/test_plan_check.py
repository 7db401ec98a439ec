"""The plan check reproduces the funder's criticism in the seeds from each project's own
``plan_figures`` in content (handlers/domain/plan_check.py)."""

from __future__ import annotations

import argparse
import io
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.cli_plan_check import add_plan_check_parser
from bot.i18n import renderer
from content import load_content
from content.schema import PlanFigures
from handlers.applicant.plan_check import (
    S,
    figures_from,
    finding_text,
    plan_check_lines,
    read_value,
)
from handlers.core.types import InvalidInput
from handlers.domain.plan_check import FindingCode, Outcome, check_plan
from storage.db import Database
from tests.applicant_chat import conversation, plain, say, seed_content
from tests.harness import Bot


def figures(slug: str) -> PlanFigures:
    project = load_content().projects[slug]
    assert project.plan_figures is not None
    assert project.participants_target == project.plan_figures.participants
    return project.plan_figures


def test_seed_000_promises_do_not_match_its_targets_nor_its_target_group() -> None:
    # "Hankkeeseen osallistuu 60 henkilöä, joista 19 työttömiä"; "6 ryhtyy työnhakuun, 3
    # sijoittuu koulutukseen ja 2 työelämään"; "vähintään 25 % osallistujista on työssä ja
    # 12 % koulutuksessa". Funder: "indikaattoritavoitteet eivät vastaa hankkeen
    # kohderyhmämäärittelyä".
    check = check_plan(figures("kaveria-ei-jateta"))
    codes = [finding.code for finding in check.findings]
    assert codes == [
        FindingCode.TARGET_GROUP_MINORITY,
        FindingCode.PROMISE_ABOVE_TARGET,
        FindingCode.PROMISE_ABOVE_TARGET,
    ]
    minority, work, education = check.findings
    assert (minority.target_group, minority.participants, minority.share) == (
        19,
        60,
        Decimal("31.7"),
    )
    assert (work.outcome, work.promised_count, work.target) == (Outcome.EMPLOYMENT, Decimal(15), 2)
    assert (education.outcome, education.promised_count, education.target) == (
        Outcome.EDUCATION,
        Decimal("7.2"),
        3,
    )
    assert (check.outcomes_total, check.outcomes_share) == (11, Decimal("18.3"))
    text = renderer().plain("fi", "plan_check.result", {"lines": plan_check_lines(check)})
    for figure in ("60", "19", "31,7", "25", "15", "7,2", "12", "3", "2"):
        assert figure in text
    assert renderer().plain("fi", "plan_check.ok") not in text


def test_seed_002_does_not_say_who_of_its_350_are_the_target_group() -> None:
    # "Osallistuvia henkilöitä 350"; "20 ryhtynyt työnhakuun, 20 koulutuksessa, 70
    # työelämässä". Funder: "tavoitellaan korkeaa osallistujamäärää, mutta hakemuksessa ei ole
    # kuvattu tehtävää asiakastyötä kohderyhmän pitkäaikaistyöttömien kanssa".
    check = check_plan(figures("osmari"))
    assert [finding.code for finding in check.findings] == [FindingCode.TARGET_GROUP_UNKNOWN]
    assert (check.outcomes_total, check.outcomes_share) == (110, Decimal("31.4"))
    text = renderer().plain("fi", "plan_check.result", {"lines": plan_check_lines(check)})
    assert "350" in text and "110" in text and "31,4" in text


def test_seed_003_passes() -> None:
    # "Hankkeeseen osallistuu 65 henkilöä, joista 60 on työttömiä"; "5 ryhtyy työnhakuun, 6
    # sijoittuu koulutukseen, 3 saa ammattipätevyyden ja 2 sijoittuu työelämään". Funded.
    check = check_plan(figures("vapautuvien-ja-kotiutuvien-tuki"))
    assert check.findings == ()
    assert check.outcomes_total == 16
    text = renderer().plain("fi", "plan_check.result", {"lines": plan_check_lines(check)})
    assert renderer().plain("fi", "plan_check.ok") in text


def test_kept_promises_and_too_many_outcomes() -> None:
    kept = PlanFigures(
        participants=60,
        target_group=60,
        employment=15,
        education=8,
        promised_employment_percent=Decimal(25),
        promised_education_percent=Decimal(12),
    )
    assert check_plan(kept).findings == ()
    crowded = PlanFigures(participants=10, target_group=10, job_search=8, employment=5)
    [finding] = check_plan(crowded).findings
    assert (finding.code, finding.target) == (FindingCode.OUTCOMES_ABOVE_PARTICIPANTS, 13)


def test_a_target_group_larger_than_the_participants_is_refused() -> None:
    with pytest.raises(ValidationError):
        PlanFigures(participants=10, target_group=11)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("slug", ["kaveria-ei-jateta", "osmari", "vapautuvien-ja-kotiutuvien-tuki"])
def test_every_finding_is_worded_with_its_numbers(lang: str, slug: str) -> None:
    for finding in check_plan(figures(slug)).findings:
        text = renderer().plain(lang, finding_text(finding).key, finding_text(finding).params)
        assert "{" not in text and "_" not in text
        assert str(finding.participants) in text


@pytest.mark.parametrize(
    ("step", "text", "participants", "value"),
    [
        (S.PARTICIPANTS, " 60 ", None, "60"),
        (S.TARGET_GROUP, "-", 60, None),
        (S.TARGET_GROUP, "19", 60, "19"),
        (S.EMPLOYMENT, "0", 60, "0"),
        (S.PROMISED_EMPLOYMENT, "25 %", 60, "25"),
        (S.PROMISED_EDUCATION, "?", 60, None),
    ],
)
def test_typed_figures_are_read(step: S, text: str, participants: int | None, value: str) -> None:
    assert read_value(step, text, participants) == value


@pytest.mark.parametrize(
    ("step", "text", "key"),
    [
        (S.PARTICIPANTS, "0", "plan_check.error.participants"),
        (S.PARTICIPANTS, "kuusikymmentä", "plan_check.error.participants"),
        (S.PARTICIPANTS, "-", "plan_check.error.participants"),
        (S.EMPLOYMENT, "61", "plan_check.error.count"),
        (S.EMPLOYMENT, "-", "plan_check.error.count"),
        (S.TARGET_GROUP, "2,5", "plan_check.error.count"),
        (S.PROMISED_EMPLOYMENT, "120 %", "plan_check.error.percent"),
        (S.PROMISED_EMPLOYMENT, "paljon", "plan_check.error.percent"),
    ],
)
def test_wrong_figures_say_what_is_expected(step: S, text: str, key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_value(step, text, 60)
    assert caught.value.key == key


# --- the chat ---------------------------------------------------------------------------------


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content()) as running:
        yield running


async def test_seed_000_typed_in_the_chat(bot: Bot, db: Database) -> None:
    person = bot.person()
    await person.says("/start")
    first = await person.presses_key("menu.plan_check")
    [asking] = first
    # the hint line of every typed question follows (handlers/core/ways.py)
    assert asking.keys[:2] == ("plan_check.intro", "plan_check.ask.participants"), asking.keys
    for text, asked in (
        ("kuusikymmentä", "plan_check.error.participants"),  # refused; stays at the step
        ("60", "plan_check.ask.target_group"),
        ("19", "plan_check.ask.job_search"),
        ("6", "plan_check.ask.education"),
        ("3", "plan_check.ask.qualification"),
        ("0", "plan_check.ask.employment"),
        ("61", "plan_check.error.count"),
        ("2", "plan_check.ask.promised_employment_percent"),
        ("25 %", "plan_check.ask.promised_education_percent"),
    ):
        answer = await say(person, text)
        assert answer.keys[0] == asked, (text, answer.keys)
    state = await conversation(db, person.user_id)
    assert state is not None and state[:2] == ("plan", "promised_education_percent")
    messages = await person.says("12")
    result = messages[0]
    assert result.keys[0] == "plan_check.result"
    expected = check_plan(figures("kaveria-ei-jateta"))
    shown = renderer().plain("fi", "plan_check.result", {"lines": plan_check_lines(expected)})
    assert plain(result.text).startswith(plain(shown))
    assert await conversation(db, person.user_id) is None
    assert any("menu.budget" in m.label_keys for m in messages)  # the menu follows


# --- the CLI ----------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="hankebot")
    add_plan_check_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["plan-check", *argv])
    out = io.StringIO()
    return args.handler(args, out), out.getvalue()


def test_the_cli_gives_the_chats_result_for_typed_figures_and_for_a_project() -> None:
    typed = ["--participants", "60", "--target-group", "19", "--job-search", "6"]
    typed += ["--education", "3", "--employment", "2"]
    typed += ["--promised-employment", "25 %", "--promised-education", "12"]
    code, text = run_cli(typed)
    assert code == 0
    expected = check_plan(figures("kaveria-ei-jateta"))
    shown = renderer().plain("fi", "plan_check.result", {"lines": plan_check_lines(expected)})
    assert text.strip() == shown
    assert run_cli(["--project", "kaveria-ei-jateta"]) == (0, text)


def test_the_cli_refuses_with_the_chats_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run_cli(["--participants", "60", "--employment", "61", "--lang", "en"])
    assert (code, text) == (2, "")
    sentence = renderer().plain("en", "plan_check.error.count", {"maximum": 60})
    assert capsys.readouterr().err.strip() == f"hankebot plan-check: --employment: {sentence}"


def test_the_flow_asks_exactly_the_figures_the_content_keeps_in_their_order() -> None:
    """One definition of a plan's figures: the chat's steps are :class:`PlanFigures`' fields
    (asked in the same order), and the outcomes are fields of it too."""
    assert [step.value for step in S] == list(PlanFigures.model_fields)
    assert {outcome.value for outcome in Outcome} <= set(PlanFigures.model_fields)
    answers: dict[str, object] = {step.value: "3" for step in S} | {
        S.PARTICIPANTS.value: "60",
        S.TARGET_GROUP.value: None,
        S.PROMISED_EMPLOYMENT.value: "12.5",
    }
    figures = figures_from(answers)
    assert figures.target_group is None and figures.participants == 60
    assert figures.promised_employment_percent == Decimal("12.5")
    del answers[S.JOB_SEARCH.value]
    with pytest.raises(KeyError):  # a required figure is never made up as 0
        figures_from(answers)
