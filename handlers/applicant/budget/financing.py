"""The budget's second stage: income and the net total, then the financing plan (the EU and
state share, the other public and private rows, the applicant's own share)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from handlers.applicant.budget.shared import (
    APPLICANT,
    EU,
    OTHER_ROWS,
    OWN,
    ROWS,
    S,
    computed,
    draft_of,
    entered,
    net_total_of,
    own_kind_of,
    pct,
    programme_of,
    result_of,
    row_name,
    row_shown,
    rules_of,
    typed,
    usual_maximum,
)
from handlers.core.context import Context
from handlers.core.flow import NUMBER, Step
from handlers.core.types import (
    Lines,
    Money,
    Text,
)
from handlers.domain import budget_draft as bd
from handlers.domain.budget_draft import form_label
from handlers.domain.budget_math import (
    HUNDRED,
    Contribution,
    Row,
    floor_euros,
)

# --- income and net total --------------------------------------------------------------------


async def _income_prompt(ctx: Context) -> None:
    programme = programme_of(ctx)
    draft = draft_of(ctx)
    costs = computed(bd.costs_of, programme, replace(draft, income=Decimal(0)))
    exact = costs.staff * costs.flat_rate_percent / HUNDRED
    rows = programme.budget_rows
    ctx.reply(
        "budget.flat_rate",
        staff_row=form_label(rows.staff, ctx.locale),
        staff=Money(costs.staff),
        model=form_label(programme.cost_model(draft.cost_model).name, ctx.locale),
        rate=pct(costs.flat_rate_percent),
        exact=Money(exact, cents=True),
        flat=Money(costs.flat_rate),
    )
    ctx.reply("budget.income_ask", row=form_label(rows.income, ctx.locale))


async def _income_handle(ctx: Context) -> None:
    income = entered(bd.money, typed(ctx), ctx.locale)
    ctx.data["income"] = str(income)
    net_total_of(ctx)  # refuses income above the costs
    ctx.goto(S.SUMMARY if ctx.data.get("review") else S.APPLICANT)


# --- financing -------------------------------------------------------------------------------


async def _applicant_prompt(ctx: Context) -> None:
    programme = programme_of(ctx)
    costs = bd.costs_of(programme, draft_of(ctx))
    rows = programme.budget_rows
    ctx.reply(
        "budget.net_total",
        net_row=form_label(rows.net_total, ctx.locale),
        staff=Money(costs.staff),
        flat=Money(costs.flat_rate),
        income=Money(costs.income),
        net=Money(costs.net_total),
    )
    ctx.reply(
        "budget.applicant_ask",
        buttons=[
            [
                APPLICANT.button(
                    "applicant.option", kind.key, params={"label": kind.name.get(ctx.locale)}
                )
            ]
            for kind in programme.applicant_types
        ],
    )


async def _applicant_handle(ctx: Context) -> None:
    key = ctx.button(APPLICANT)
    if key not in {kind.key for kind in programme_of(ctx).applicant_types}:
        raise ctx.use_buttons()
    ctx.data["applicant"] = key
    ctx.goto(S.EU)


async def _eu_prompt(ctx: Context) -> None:
    net = net_total_of(ctx)
    rules = rules_of(ctx)
    maximum = rules.max_public_rate_percent
    exact = net * maximum / HUNDRED
    ctx.reply(
        "budget.eu_ask",
        row=form_label(programme_of(ctx).budget_rows.eu_state, ctx.locale),
        maximum=usual_maximum(programme_of(ctx), rules, ctx.locale),
        net=Money(net),
        exact=Money(exact, cents=True),
        amount=Money(floor_euros(exact)),
        buttons=[
            [
                EU.button(
                    "budget.eu_use_max",
                    "max",
                    params={
                        "percent": usual_maximum(programme_of(ctx), rules, ctx.locale, label=True)
                    },
                )
            ],
            [EU.button("budget.eu_other", "other")],
        ],
    )


async def _eu_handle(ctx: Context) -> None:
    choice = ctx.button(EU)
    if choice == "max":
        ctx.data["eu"] = None
        ctx.goto(S.ROWS)
    elif choice == "other":
        ctx.goto(S.EU_TYPED)
    else:
        raise ctx.use_buttons()


async def _eu_typed_prompt(ctx: Context) -> None:
    ctx.reply(
        "budget.eu_typed_ask",
        maximum=usual_maximum(programme_of(ctx), rules_of(ctx), ctx.locale),
        net=Money(net_total_of(ctx)),
    )


async def _eu_typed_handle(ctx: Context) -> None:
    value = _typed_row(ctx)
    ctx.data["eu"] = bd.contribution_data(value)
    ctx.goto(S.ROWS)


def _typed_row(ctx: Context) -> Contribution:
    return entered(bd.parse_row, typed(ctx), ctx.locale, total=net_total_of(ctx))


async def _rows_prompt(ctx: Context) -> None:
    programme = programme_of(ctx)
    picked = set(ctx.data.get("picked") or [])
    names = {key: row_name(programme, key, own_kind_of(ctx), ctx.locale) for key in OTHER_ROWS}
    chosen = tuple(names[key] for key in OTHER_ROWS if key in picked)
    rows = [
        [
            ROWS.button(
                "applicant.option_selected" if key in picked else "applicant.option",
                key,
                params={"label": names[key]},
            )
        ]
        for key in OTHER_ROWS
    ]
    rows.append([ROWS.button("applicant.done", "done")])
    ctx.reply(
        "budget.rows_ask",
        chosen=Lines(chosen) if chosen else Text("applicant.nothing_chosen"),
        buttons=rows,
    )


async def _rows_handle(ctx: Context) -> None:
    choice = ctx.button(ROWS)
    picked: list[str] = list(ctx.data.get("picked") or [])
    if choice in OTHER_ROWS:
        if choice in picked:
            picked.remove(choice)
        else:
            picked.append(choice)
        ctx.data["picked"] = picked
        ctx.goto(S.ROWS)
        return
    if choice != "done":
        raise ctx.use_buttons()
    stated: dict[str, Any] = ctx.data.setdefault("rows", {})
    for key in OTHER_ROWS:
        if key not in picked:
            stated.pop(key, None)
    ctx.data["queue"] = [key for key in OTHER_ROWS if key in picked]
    ctx.goto(S.ROW_TYPED if ctx.data["queue"] else S.OWN)


async def _row_typed_prompt(ctx: Context) -> None:
    key = ctx.data["queue"][0]
    ctx.reply(
        "budget.row_ask",
        row=row_name(programme_of(ctx), key, own_kind_of(ctx), ctx.locale),
        net=Money(net_total_of(ctx)),
    )


async def _row_typed_handle(ctx: Context) -> None:
    queue: list[str] = ctx.data["queue"]
    value = _typed_row(ctx)
    ctx.data.setdefault("rows", {})[queue.pop(0)] = bd.contribution_data(value)
    ctx.goto(S.ROW_TYPED if queue else S.OWN)


async def _own_prompt(ctx: Context) -> None:
    programme = programme_of(ctx)
    draft = draft_of(ctx)
    rows = {key: value for key, value in draft.rows.items() if key != "own"}
    preview = entered(bd.checked, programme, replace(draft, rows=rows))
    rest = preview.plan.amount(Row.OWN)
    buttons = []
    if rest >= 0:
        buttons.append([OWN.button("budget.own_rest", "rest", params={"amount": Money(rest)})])
    buttons.append([OWN.button("budget.own_typed", "typed")])
    buttons.append([OWN.button("budget.own_none", "none")])
    ctx.reply(
        "budget.own_ask" if rest >= 0 else "budget.own_ask_over",
        row=row_shown(programme, Row.OWN, ctx.data.get("applicant"), ctx.locale),
        amount=Money(abs(rest)),
        buttons=buttons,
    )


async def _own_handle(ctx: Context) -> None:
    choice = ctx.button(OWN)
    stated: dict[str, Any] = ctx.data.setdefault("rows", {})
    if choice == "rest":
        stated.pop("own", None)
        _financing_done(ctx)
    elif choice == "none":
        stated["own"] = {"amount": "0", "percent": None}
        _financing_done(ctx)
    elif choice == "typed":
        ctx.goto(S.OWN_TYPED)
    else:
        raise ctx.use_buttons()


async def _own_typed_prompt(ctx: Context) -> None:
    ctx.reply(
        "budget.row_ask",
        row=row_shown(programme_of(ctx), Row.OWN, ctx.data.get("applicant"), ctx.locale),
        net=Money(net_total_of(ctx)),
    )


async def _own_typed_handle(ctx: Context) -> None:
    ctx.data.setdefault("rows", {})["own"] = bd.contribution_data(_typed_row(ctx))
    _financing_done(ctx)


def _financing_done(ctx: Context) -> None:
    ctx.data.pop("split", None)
    result = result_of(ctx)
    ctx.goto(S.SPLIT if result.plan.amount(Row.MUNICIPAL) > 0 else S.SUMMARY)


# --- the steps of this stage -----------------------------------------------------------------

STEPS: dict[str, Step] = {
    S.INCOME: Step(
        _income_prompt,
        _income_handle,
        accepts={NUMBER},
        goes_to={S.APPLICANT, S.SUMMARY},
    ),
    S.APPLICANT: Step(_applicant_prompt, _applicant_handle, accepts={APPLICANT}, goes_to={S.EU}),
    S.EU: Step(_eu_prompt, _eu_handle, accepts={EU}, goes_to={S.ROWS, S.EU_TYPED}),
    S.EU_TYPED: Step(_eu_typed_prompt, _eu_typed_handle, accepts={NUMBER}, goes_to={S.ROWS}),
    S.ROWS: Step(
        _rows_prompt,
        _rows_handle,
        accepts={ROWS},
        goes_to={S.ROWS, S.ROW_TYPED, S.OWN},
    ),
    S.ROW_TYPED: Step(
        _row_typed_prompt,
        _row_typed_handle,
        accepts={NUMBER},
        goes_to={S.ROW_TYPED, S.OWN},
    ),
    S.OWN: Step(
        _own_prompt,
        _own_handle,
        accepts={OWN},
        goes_to={S.OWN_TYPED, S.SPLIT, S.SUMMARY},
    ),
    S.OWN_TYPED: Step(
        _own_typed_prompt,
        _own_typed_handle,
        accepts={NUMBER},
        goes_to={S.SPLIT, S.SUMMARY},
    ),
}
