"""Does our project idea fit ESR+? The organisations' walk-through; the decision is
:func:`handlers.domain.idea_fit.assess_idea` (content-driven: target groups and actions are the
objectives' own lists in ``programme.yaml``).

Every step is a choice with buttons; target groups and actions can be several (pressing an
option toggles it, "Valmis" moves on). The answers are about the organisation's idea, not a
person, and live only in the conversation state until the result is shown.

The steps, drawn from the declarations below by ``hankebot diagrams``: ``docs/flows/idea.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from content.schema import Content, OwnKindName, Programme
from handlers.common.facts import shown
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, ButtonFamily, Flow, MenuEntry, Registry, Step
from handlers.core.types import Lines, Param, Text
from handlers.domain.budget_draft import form_label
from handlers.domain.idea_fit import (
    CoFinancing,
    Continuity,
    Employers,
    IdeaAnswers,
    IdeaOption,
    ItemStatus,
    Region,
    Warning,
    action_options,
    assess_idea,
    target_group_options,
)

FLOW = "idea"


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    APPLICANT = "applicant"
    REGION = "region"
    GROUPS = "groups"
    ACTIONS = "actions"
    CONTINUITY = "continuity"
    COFINANCING = "cofinancing"
    EMPLOYERS = "employers"


_CHOICES: dict[S, type[StrEnum]] = {
    S.REGION: Region,
    S.CONTINUITY: Continuity,
    S.COFINANCING: CoFinancing,
    S.EMPLOYERS: Employers,
}
_NEXT = {
    S.APPLICANT: S.REGION,
    S.REGION: S.GROUPS,
    S.GROUPS: S.ACTIONS,
    S.ACTIONS: S.CONTINUITY,
    S.CONTINUITY: S.COFINANCING,
    S.COFINANCING: S.EMPLOYERS,
}
#: each step's buttons: "i:<step>:<value>"
FAMILIES = {step: ButtonFamily(f"i:{step}") for step in S}


def _programme(ctx: Context) -> Programme:
    content: Content | None = ctx.services.content
    assert content is not None
    return content.programme


async def _applicant_prompt(ctx: Context) -> None:
    if ctx.services.content is None:
        ctx.end()
        ctx.reply("applicant.unavailable")
        main_menu(ctx)
        return
    programme = _programme(ctx)
    ctx.reply(
        "idea.intro",
        buttons=[
            [
                FAMILIES[S.APPLICANT].button(
                    "applicant.option", kind.key, params={"label": kind.name.get(ctx.locale)}
                )
            ]
            for kind in programme.applicant_types
        ],
    )


async def _applicant_handle(ctx: Context) -> None:
    keys = {kind.key for kind in _programme(ctx).applicant_types}
    value = ctx.button(FAMILIES[S.APPLICANT])
    if value not in keys:
        raise ctx.use_buttons()
    ctx.data["applicant"] = value
    ctx.goto(_NEXT[S.APPLICANT])


def _choice_step(step: S) -> Step:
    enum = _CHOICES[step]

    async def prompt(ctx: Context) -> None:
        ctx.reply(
            f"idea.ask.{step}",
            buttons=[
                [FAMILIES[step].button(f"idea.{step}.{member.value}", member.value)]
                for member in enum
            ],
        )

    def choose(ctx: Context) -> None:
        value = ctx.button(FAMILIES[step])
        if value not in {member.value for member in enum}:
            raise ctx.use_buttons()
        ctx.data[step] = value

    async def handle(ctx: Context) -> None:
        choose(ctx)
        ctx.goto(_NEXT[step])

    async def last(ctx: Context) -> None:
        choose(ctx)
        _result(ctx)

    if step not in _NEXT:
        return Step(prompt, last, accepts={FAMILIES[step]}, goes_to={END})
    return Step(prompt, handle, accepts={FAMILIES[step]}, goes_to={_NEXT[step]})


def _multi_step(step: S) -> Step:
    def options(ctx: Context) -> list[IdeaOption]:
        programme = _programme(ctx)
        return target_group_options(programme) if step == S.GROUPS else action_options(programme)

    async def prompt(ctx: Context) -> None:
        selected = set(ctx.data.get(step) or [])
        listed = options(ctx)
        chosen = tuple(shown(o.fact, ctx.locale) for o in listed if o.id in selected)
        rows = [
            [
                FAMILIES[step].button(
                    "applicant.option_selected" if option.id in selected else "applicant.option",
                    option.id,
                    params={"label": shown(option.fact, ctx.locale, label=True)},
                )
            ]
            for option in listed
        ]
        rows.append([FAMILIES[step].button("applicant.done", "done")])
        ctx.reply(
            f"idea.ask.{step}",
            chosen=Lines(chosen) if chosen else Text("applicant.nothing_chosen"),
            buttons=rows,
        )

    async def handle(ctx: Context) -> None:
        value = ctx.button(FAMILIES[step])
        selected: list[str] = list(ctx.data.get(step) or [])
        if value == "done":
            ctx.data[step] = selected
            ctx.goto(_NEXT[step])
            return
        if value not in {option.id for option in options(ctx)}:
            raise ctx.use_buttons()
        if value in selected:
            selected.remove(value)
        else:
            selected.append(value)
        ctx.data[step] = selected
        ctx.goto(step)

    return Step(prompt, handle, accepts={FAMILIES[step]}, goes_to={step, _NEXT[step]})


def answers_from(data: dict[str, object]) -> IdeaAnswers:
    def ids(key: str) -> frozenset[str]:
        value = data.get(key) or []
        assert isinstance(value, list)
        return frozenset(str(item) for item in value)

    return IdeaAnswers(
        applicant_type=str(data["applicant"]),
        region=Region(str(data["region"])),
        target_groups=ids("groups"),
        actions=ids("actions"),
        continuity=Continuity(str(data["continuity"])),
        co_financing=CoFinancing(str(data["cofinancing"])),
        employers=Employers(str(data["employers"])),
    )


def _result(ctx: Context) -> None:
    programme = _programme(ctx)
    locale = ctx.locale
    fit = assess_idea(programme, answers_from(ctx.data))
    applicant_key = str(ctx.data["applicant"])
    ctx.end()
    if not fit.best:
        # Nothing ESR+ funds was picked: say so kindly and stop; a checklist and a budget
        # would only suggest the idea could be funded as it is.
        ctx.reply("idea.outside_esr")
        main_menu(ctx)
        return
    if fit.best:
        best: Param = Lines(
            tuple(
                shown(
                    programme.objective(code).fact(
                        Text(
                            "idea.objective",
                            {
                                "code": code,
                                "name": programme.objective(code).name.get(locale),
                                "summary": programme.objective(code).summary.get(locale),
                            },
                        )
                    ),
                    locale,
                )
                for code in fit.best
            )
        )
        reasons: Param = Lines(
            tuple(
                Text(
                    "idea.reason_group" if reason.weight > 1 else "idea.reason_action",
                    {"text": shown(reason.option.fact, locale), "code": reason.objective},
                )
                for reason in fit.reasons
            )
        )
        ctx.reply("idea.result", best=best, reasons=reasons)
    rows = programme.budget_rows
    own_row = rows.own_municipal if fit.own_kind is OwnKindName.MUNICIPAL else rows.own_private
    warnings: list[Param] = [_warning(programme, warning, locale) for warning in fit.warnings]
    own_text = Text("idea.own_row", {"row": form_label(own_row, locale)})
    applicant = programme.applicant_type(applicant_key)
    assert applicant is not None  # the answer was one of the offered types
    warnings.append(shown(applicant.fact(own_text), locale))
    ctx.reply("idea.warnings", warnings=Lines(tuple(warnings)))
    ctx.reply(
        "idea.self_check",
        items=Lines(
            tuple(
                Text(
                    "idea.check_needs_work"
                    if item.status is ItemStatus.NEEDS_WORK
                    else "idea.check_ok",
                    {"text": item.text.get(locale)},
                )
                for item in fit.self_check
            )
        ),
        count=len(fit.needs_work),
    )
    main_menu(ctx)


def _warning(programme: Programme, warning: Warning, locale: str) -> Text:
    params: dict[str, Param] = {}
    if warning is Warning.STATUTORY:
        params["items"] = _joined([item.get(locale) for item in programme.not_funded])
    elif warning is Warning.NOT_FOR_PROFIT:
        params["items"] = _joined([item.get(locale) for item in programme.applicant_requirements])
    elif warning is Warning.NATIONAL_CALL:
        params["note"] = shown(programme.financing.fact(programme.financing.note), locale)
    return Text(f"idea.warning.{warning.value}", params)


def _joined(items: Sequence[str]) -> str:
    return "; ".join(items)


def register(registry: Registry) -> None:
    steps: dict[str, Step] = {
        S.APPLICANT: Step(
            _applicant_prompt,
            _applicant_handle,
            accepts={FAMILIES[S.APPLICANT]},
            goes_to={S.REGION, END},
        ),
        S.REGION: _choice_step(S.REGION),
        S.GROUPS: _multi_step(S.GROUPS),
        S.ACTIONS: _multi_step(S.ACTIONS),
    }
    for step in (S.CONTINUITY, S.COFINANCING, S.EMPLOYERS):
        steps[step] = _choice_step(step)
    registry.add_flow(Flow(FLOW, steps, S.APPLICANT, use_buttons="applicant.use_buttons"))
    registry.add_menu_entry(MenuEntry("menu.idea", f"go:{FLOW}", order=100))
