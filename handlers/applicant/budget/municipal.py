"""The budget's third stage: the municipal share split across municipalities and years
(equally, by weights or as amounts)."""

from __future__ import annotations

from decimal import Decimal

from handlers.applicant.budget.shared import (
    METHOD,
    SPLIT,
    S,
    entered,
    own_kind_of,
    programme_of,
    result_of,
    row_name,
    typed,
)
from handlers.core.context import Context
from handlers.core.flow import NUMBER, TEXT, Step
from handlers.core.types import (
    Money,
)
from handlers.domain import budget_draft as bd
from handlers.domain.budget_math import (
    Row,
)

# --- municipal shares ------------------------------------------------------------------------


async def _split_prompt(ctx: Context) -> None:
    result = result_of(ctx)
    ctx.reply(
        "budget.split_ask",
        row=row_name(programme_of(ctx), Row.MUNICIPAL, own_kind_of(ctx), ctx.locale),
        amount=Money(result.plan.amount(Row.MUNICIPAL)),
        buttons=[
            [SPLIT.button("budget.split_yes", "yes")],
            [SPLIT.button("budget.split_no", "no")],
        ],
    )


async def _split_handle(ctx: Context) -> None:
    choice = ctx.button(SPLIT)
    if choice == "yes":
        ctx.data["split"] = {}
        ctx.goto(S.YEARS)
    elif choice == "no":
        ctx.data.pop("split", None)
        ctx.goto(S.SUMMARY)
    else:
        raise ctx.use_buttons()


async def _years_prompt(ctx: Context) -> None:
    ctx.reply("budget.years_ask", maximum=bd.MAX_YEARS)


async def _years_handle(ctx: Context) -> None:
    years = entered(
        bd.parse_quantity,
        typed(ctx),
        key="budget.error.years",
        maximum=Decimal(bd.MAX_YEARS),
        whole=True,
    )
    ctx.data["split"] = {"years": int(years)}
    ctx.goto(S.NAMES)


async def _names_prompt(ctx: Context) -> None:
    ctx.reply("budget.names_ask", limit=bd.MAX_MUNICIPALITIES)


async def _names_handle(ctx: Context) -> None:
    names = entered(bd.parse_names, typed(ctx))
    ctx.data["split"]["names"] = names
    ctx.goto(S.METHOD)


async def _method_prompt(ctx: Context) -> None:
    ctx.reply(
        "budget.method_ask",
        buttons=[[METHOD.button(f"budget.method.{method}", method)] for method in bd.SPLIT_METHODS],
    )


async def _method_handle(ctx: Context) -> None:
    method = ctx.button(METHOD)
    if method not in bd.SPLIT_METHODS:
        raise ctx.use_buttons()
    if method == "equal":
        ctx.data["split"]["method"] = "equal"
        ctx.goto(S.SUMMARY)
    else:
        ctx.goto(S(method))


async def _weights_prompt(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    ctx.reply("budget.weights_ask", names=", ".join(names), count=len(names))


async def _weights_handle(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    weights = entered(bd.parse_weights, typed(ctx), len(names))
    ctx.data["split"].update(method="weights", weights=[str(w) for w in weights])
    ctx.goto(S.SUMMARY)


async def _amounts_prompt(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    ctx.reply("budget.amounts_ask", names=", ".join(names), count=len(names))


async def _amounts_handle(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    amounts = entered(bd.parse_amounts, typed(ctx), len(names), ctx.locale)
    ctx.data["split"].update(
        method="amounts", amounts=[None if a is None else str(a) for a in amounts]
    )
    ctx.goto(S.SUMMARY)


# --- the steps of this stage -----------------------------------------------------------------

STEPS: dict[str, Step] = {
    S.SPLIT: Step(_split_prompt, _split_handle, accepts={SPLIT}, goes_to={S.YEARS, S.SUMMARY}),
    S.YEARS: Step(_years_prompt, _years_handle, accepts={NUMBER}, goes_to={S.NAMES}),
    S.NAMES: Step(_names_prompt, _names_handle, accepts={TEXT}, goes_to={S.METHOD}),
    S.METHOD: Step(
        _method_prompt,
        _method_handle,
        accepts={METHOD},
        goes_to={S.WEIGHTS, S.AMOUNTS, S.SUMMARY},
    ),
    S.WEIGHTS: Step(_weights_prompt, _weights_handle, accepts={TEXT}, goes_to={S.SUMMARY}),
    S.AMOUNTS: Step(_amounts_prompt, _amounts_handle, accepts={TEXT}, goes_to={S.SUMMARY}),
}
