"""Check a plan's participants and targets as the funder does: the applicant types the
participant count, how many belong to the target group, the four result-indicator targets and
any promised percentages; :func:`handlers.domain.plan_check.check_plan` finds what does not
fit, and :func:`plan_check_lines` words it (the CLI's ``hankebot plan-check`` too).

Every step is a typed number, asked without buttons; "-" (or "?") means "not known" where the
plan may not say (the target group, the promises). The figures live only in the conversation
state until the result is shown.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from content.schema import PlanFigures
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, NUMBER, TEXT, Flow, MenuEntry, Registry, Step
from handlers.core.types import InvalidInput, Lines, Param, Percent, Text
from handlers.domain.money import NumberInputError, parse_percent
from handlers.domain.plan_check import Finding, FindingCode, PlanCheck, check_plan
from handlers.domain.whole_numbers import CountInputError, parse_count

FLOW = "plan"
MAX_PEOPLE = 100_000
UNKNOWN_MARKS = frozenset({"-", "?", "–"})


class S(StrEnum):
    """The steps (their names are stored in conversations), in the order asked."""

    PARTICIPANTS = "participants"
    TARGET_GROUP = "target_group"
    JOB_SEARCH = "job_search"
    EDUCATION = "education"
    QUALIFICATION = "qualification"
    EMPLOYMENT = "employment"
    PROMISED_EMPLOYMENT = "promised_employment_percent"
    PROMISED_EDUCATION = "promised_education_percent"


ORDER = tuple(S)
OPTIONAL = frozenset({S.TARGET_GROUP, S.PROMISED_EMPLOYMENT, S.PROMISED_EDUCATION})
PERCENTS = frozenset({S.PROMISED_EMPLOYMENT, S.PROMISED_EDUCATION})


def read_value(step: S, text: str | None, participants: int | None) -> str | None:
    """What was typed at ``step``, checked (a count at most ``participants`` where it counts
    participants); None for "-". InvalidInput says what is expected."""
    value = (text or "").strip()
    if step in OPTIONAL and value in UNKNOWN_MARKS:
        return None
    if step in PERCENTS:
        try:
            return str(parse_percent(value))
        except NumberInputError:
            raise InvalidInput("plan_check.error.percent") from None
    maximum = MAX_PEOPLE if participants is None else participants
    minimum = 1 if step is S.PARTICIPANTS else 0
    try:
        return str(parse_count(value, minimum=minimum, maximum=maximum))
    except CountInputError:
        if step is S.PARTICIPANTS:
            raise InvalidInput("plan_check.error.participants", maximum=MAX_PEOPLE) from None
        raise InvalidInput("plan_check.error.count", maximum=maximum) from None


def figures_from(data: dict[str, object]) -> PlanFigures:
    """The answers as the content's own :class:`PlanFigures` (the steps are its fields; an
    optional figure answered "unknown" is left out and so stays None)."""
    return PlanFigures.model_validate(
        {
            step.value: data[step.value]
            for step in S
            if step not in OPTIONAL or data.get(step.value) is not None
        }
    )


def _percent(value: Decimal) -> Percent:
    return Percent(value, decimals=0 if value == value.to_integral_value() else 1)


def finding_text(finding: Finding) -> Text:
    params: dict[str, Param] = {"participants": finding.participants}
    if finding.target_group is not None:
        params["target_group"] = finding.target_group
    if finding.share is not None:
        params["share"] = _percent(finding.share)
    if finding.target is not None:
        params["target"] = finding.target
    if finding.code is FindingCode.PROMISE_ABOVE_TARGET:
        assert finding.outcome is not None and finding.promised_percent is not None
        assert finding.promised_count is not None
        params["outcome"] = Text(f"plan_check.outcome.{finding.outcome.value}")
        params["percent"] = _percent(finding.promised_percent)
        params["promised"] = finding.promised_count
    return Text(f"plan_check.finding.{finding.code.value}", params)


def plan_check_lines(check: PlanCheck) -> Lines:
    """The result: the figures, each finding with its numbers (or that they fit), the note."""
    figures = check.figures
    summary = Text(
        "plan_check.summary",
        {
            "participants": figures.participants,
            "job_search": figures.job_search,
            "education": figures.education,
            "qualification": figures.qualification,
            "employment": figures.employment,
            "total": check.outcomes_total,
            "share": _percent(check.outcomes_share),
        },
    )
    found = tuple(finding_text(finding) for finding in check.findings)
    return Lines(
        (
            Text("plan_check.title"),
            summary,
            *(found or (Text("plan_check.ok"),)),
            Text("plan_check.note"),
        )
    )


def _step(step: S) -> Step:
    index = ORDER.index(step)
    following = ORDER[index + 1] if index + 1 < len(ORDER) else None

    async def prompt(ctx: Context) -> None:
        if step is S.PARTICIPANTS:
            ctx.reply("plan_check.intro")
        if step is S.PARTICIPANTS:
            ctx.reply(f"plan_check.ask.{step.value}")
        else:
            participants = int(str(ctx.data[S.PARTICIPANTS.value]))
            ctx.reply(f"plan_check.ask.{step.value}", participants=participants)

    def take(ctx: Context) -> None:
        known = ctx.data.get(S.PARTICIPANTS.value)
        participants = None if known is None else int(str(known))
        ctx.data[step.value] = read_value(step, ctx.text, participants)

    if following is None:

        async def last(ctx: Context) -> None:
            take(ctx)
            check = check_plan(figures_from(ctx.data))
            ctx.end()
            ctx.reply("plan_check.result", lines=plan_check_lines(check))
            main_menu(ctx)

        return Step(prompt, last, accepts={NUMBER, TEXT}, goes_to={END})

    async def handle(ctx: Context) -> None:
        take(ctx)
        ctx.goto(following)

    return Step(prompt, handle, accepts={NUMBER, TEXT}, goes_to={following})


def register(registry: Registry) -> None:
    steps: dict[str, Step] = {step.value: _step(step) for step in S}
    registry.add_flow(Flow(FLOW, steps, S.PARTICIPANTS.value))
    registry.add_menu_entry(MenuEntry("menu.plan_check", f"go:{FLOW}", order=125))
