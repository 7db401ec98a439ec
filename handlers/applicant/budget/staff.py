"""The budget's first stage: the cost model and the staff costs, as a total or person by
person (pay, working time, months or hours), with the unit-cost arithmetic shown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.applicant.budget.shared import (
    DRAFT,
    KEEP,
    LINES,
    MODE,
    MODEL,
    PAY,
    PICK,
    SIDE,
    S,
    computed,
    draft_of,
    entered,
    pct,
    programme_of,
    quantity,
    rules_of,
    typed,
)
from handlers.common.facts import shown
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, NUMBER, TEXT, Step
from handlers.core.types import (
    Button,
    Day,
    InvalidInput,
    Lines,
    Money,
    Param,
    Percent,
    Text,
)
from handlers.domain import budget_draft as bd
from handlers.domain.budget_draft import form_label
from handlers.domain.budget_math import (
    CostRules,
    StaffCost,
    shown_rate_decimals,
)
from handlers.domain.money import Per
from storage import budget_drafts

# --- cost model and staff --------------------------------------------------------------------


async def _model_prompt(ctx: Context) -> None:
    if ctx.services.content is None:
        ctx.end()
        ctx.reply("applicant.unavailable")
        main_menu(ctx)
        return
    if not ctx.data.get("draft_seen"):
        draft = await budget_drafts.find(ctx.conn, ctx.user.user_id, ctx.now)
        if draft is not None:
            ctx.reply(
                "budget.draft_offer",
                saved=Day(draft.saved_at.astimezone(ctx.services.timezone).date()),
                buttons=[
                    [DRAFT.button("budget.draft_continue", "continue")],
                    [DRAFT.button("budget.draft_new", "new")],
                ],
            )
            return
    programme = programme_of(ctx)
    supported = [m for m in programme.cost_models if m.supported]
    others = tuple(
        Text("budget.model_other", {"name": shown(m.fact(m.name), ctx.locale)})
        for m in programme.cost_models
        if not m.supported
    )
    ctx.reply(
        "budget.model_ask",
        covers=shown(programme.cost_model().fact(programme.cost_model().covers), ctx.locale),
        others=Lines(others) if others else "–",
        buttons=[
            [MODEL.button("applicant.option", m.key, params={"label": m.name.get(ctx.locale)})]
            for m in supported
        ],
    )


async def _model_handle(ctx: Context) -> None:
    choice = DRAFT.value(ctx.payload)
    if choice is not None:
        await _draft_chosen(ctx, choice)
        return
    key = ctx.button(MODEL)
    model = next((m for m in programme_of(ctx).cost_models if m.key == key), None)
    if model is None or not model.supported:
        raise InvalidInput("budget.error.unsupported_cost_model")
    ctx.data["model"] = key
    ctx.goto(S.STAFF_MODE)


async def _draft_chosen(ctx: Context, choice: str) -> None:
    """Continue the budget set aside by /peru where it stood, or drop it and start anew."""
    draft = await budget_drafts.find(ctx.conn, ctx.user.user_id, ctx.now)
    await budget_drafts.delete(ctx.conn, ctx.user.user_id)
    if choice == "continue" and draft is not None and draft.step in set(S):
        ctx.data.clear()
        ctx.data.update(draft.data)
        ctx.goto(draft.step)
        return
    ctx.data["draft_seen"] = True
    ctx.goto(S.MODEL)


async def _staff_mode_prompt(ctx: Context) -> None:
    staff = programme_of(ctx).staff_costs
    ctx.reply(
        "budget.staff_mode_ask",
        hours=staff.hours_per_year,
        side=shown(staff.fact(pct(staff.side_cost().percent)), ctx.locale),
        buttons=[
            [MODE.button("budget.staff_lines", "lines")],
            [MODE.button("budget.staff_total", "total")],
        ],
    )


async def _staff_mode_handle(ctx: Context) -> None:
    mode = ctx.button(MODE)
    if mode == "total":
        ctx.data.pop("lines", None)
        ctx.goto(S.STAFF_TOTAL)
    elif mode == "lines":
        ctx.data.pop("staff_total", None)
        ctx.data.setdefault("lines", [])
        ctx.goto(S.LINES if ctx.data["lines"] else S.LINE_TITLE)
    else:
        raise ctx.use_buttons()


async def _staff_total_prompt(ctx: Context) -> None:
    ctx.reply(
        "budget.staff_total_ask", row=form_label(programme_of(ctx).budget_rows.staff, ctx.locale)
    )


async def _staff_total_handle(ctx: Context) -> None:
    amount = entered(bd.money, typed(ctx), ctx.locale)
    if amount <= 0:
        raise InvalidInput("budget.error.zero_staff")
    ctx.data["staff_total"] = str(amount)
    _staff_done(ctx)


def _staff_done(ctx: Context) -> None:
    ctx.goto(S.SUMMARY if ctx.data.get("review") else S.INCOME)


# --- one staff line --------------------------------------------------------------------------


async def _line_title_prompt(ctx: Context) -> None:
    old = _old(ctx)
    if old is not None:
        ctx.reply("budget.line_edit", number=_line_number(ctx), title=old.title)
    ctx.reply("budget.line_title_ask", number=_line_number(ctx))
    _show_old(ctx, old.title if old else None)


# --- editing a line: each step shows the old value and keeps it ------------------------------


def _old(ctx: Context) -> bd.DraftLine | None:
    """The line being edited as it was, or None for a new line."""
    edit = ctx.data.get("edit")
    lines = ctx.data.get("lines") or []
    if not isinstance(edit, int) or not 0 <= edit < len(lines):
        return None
    return bd.DraftLine.from_data(lines[edit])


def _show_old(ctx: Context, value: Param | None) -> None:
    """ "Nyt: 3 300,00 €" with a button that keeps it, when a line is edited."""
    if value is not None:
        buttons: list[list[Button]] = [[KEEP.button("budget.keep")]]
        ctx.reply("budget.line_old", value=value, buttons=buttons)


def _keeping(ctx: Context) -> bool:
    """The person keeps the old value of this step: pressed "keep" or typed "sama" (asked
    only where the edited line has an old value)."""
    return ctx.pressed(KEEP) or (ctx.payload is None and bd.is_keep_word(ctx.text or ""))


def _line_number(ctx: Context) -> int:
    edit = ctx.data.get("edit")
    return int(edit) + 1 if edit is not None else len(ctx.data.get("lines") or []) + 1


async def _line_title_handle(ctx: Context) -> None:
    old = _old(ctx)
    keep = old is not None and _keeping(ctx)
    title = old.title if keep and old else entered(bd.parse_title, typed(ctx))
    ctx.data["line"] = {"title": title}
    side_costs = programme_of(ctx).staff_costs.side_costs
    ctx.goto(S.LINE_SIDE if len(side_costs) > 1 else S.LINE_PAY_KIND)


async def _line_side_prompt(ctx: Context) -> None:
    staff = programme_of(ctx).staff_costs
    ctx.reply(
        "budget.line_side_ask",
        title=ctx.data["line"]["title"],
        buttons=[
            [
                SIDE.button(
                    "budget.side_button",
                    side.key,
                    params={
                        "name": side.name.get(ctx.locale),
                        "percent": shown(staff.fact(pct(side.percent)), ctx.locale, label=True),
                    },
                )
            ]
            for side in staff.side_costs
        ],
    )
    old = _old(ctx)
    _show_old(ctx, staff.side_cost(old.side).name.get(ctx.locale) if old else None)


async def _line_side_handle(ctx: Context) -> None:
    staff = programme_of(ctx).staff_costs
    old = _old(ctx)
    if old is not None and _keeping(ctx):
        ctx.data["line"]["side"] = old.side
        ctx.goto(S.LINE_PAY_KIND)
        return
    key = ctx.button(SIDE)
    if key not in {side.key for side in staff.side_costs}:
        raise ctx.use_buttons()
    ctx.data["line"]["side"] = None if key == staff.default_side_cost else key
    ctx.goto(S.LINE_PAY_KIND)


async def _line_pay_kind_prompt(ctx: Context) -> None:
    ctx.reply(
        "budget.pay_kind_ask",
        title=ctx.data["line"]["title"],
        buttons=[
            [PAY.button("budget.pay_monthly", "monthly")],
            [PAY.button("budget.pay_hourly", "hourly")],
        ],
    )
    _show_old(ctx, _old_kind(ctx))


def _old_kind(ctx: Context) -> Text | None:
    old = _old(ctx)
    if old is None:
        return None
    return Text("budget.pay_monthly" if old.monthly_pay is not None else "budget.pay_hourly")


async def _line_pay_kind_handle(ctx: Context) -> None:
    old = _old(ctx)
    if old is not None and _keeping(ctx):
        kind = "monthly" if old.monthly_pay is not None else "hourly"
    else:
        kind = ctx.button(PAY)
    if kind not in ("monthly", "hourly"):
        raise ctx.use_buttons()
    ctx.goto(S.LINE_MONTHLY if kind == "monthly" else S.LINE_HOURLY)


async def _line_monthly_prompt(ctx: Context) -> None:
    ctx.reply("budget.monthly_ask", title=ctx.data["line"]["title"])
    _show_old(ctx, _old_money(ctx, "monthly_pay"))


def _old_money(ctx: Context, field: str) -> Money | None:
    old = _old(ctx)
    value = getattr(old, field) if old else None
    return Money(value, cents=True) if value is not None else None


def _old_value(ctx: Context, field: str) -> Decimal | None:
    old = _old(ctx)
    value = getattr(old, field) if old else None
    return value if isinstance(value, Decimal) else None


async def _line_monthly_handle(ctx: Context) -> None:
    old = _old_value(ctx, "monthly_pay")
    keep = old is not None and _keeping(ctx)
    pay = old if keep and old is not None else _pay(ctx, bd.MAX_MONTHLY_PAY, Per.MONTH)
    ctx.data["line"]["monthly_pay"] = str(pay)
    ctx.data["line"].pop("hourly_pay", None)
    ctx.goto(S.LINE_PERCENT)


def _pay(ctx: Context, maximum: Decimal, per: Per) -> Decimal:
    amount = entered(bd.money, typed(ctx), ctx.locale, per=per)
    if amount <= 0:
        raise InvalidInput("budget.error.zero_pay")
    if amount > maximum:
        raise InvalidInput("budget.error.pay_too_large", maximum=Money(maximum))
    return amount


async def _line_percent_prompt(ctx: Context) -> None:
    ctx.reply("budget.percent_ask", title=ctx.data["line"]["title"])
    old = _old_working_time(ctx)
    _show_old(ctx, pct(old) if old is not None else None)


def _old_working_time(ctx: Context) -> Decimal | None:
    """The old line's share of working time, if it was paid by the month."""
    old = _old(ctx)
    return old.working_time if old is not None and old.monthly_pay is not None else None


async def _line_percent_handle(ctx: Context) -> None:
    old = _old_working_time(ctx)
    if old is not None and _keeping(ctx):
        ctx.data["line"]["working_time"] = str(old)
        ctx.goto(S.LINE_MONTHS)
        return
    value = entered(bd.percent, typed(ctx))
    if value <= 0:
        raise InvalidInput("budget.error.working_time_range")
    ctx.data["line"]["working_time"] = str(value)
    ctx.goto(S.LINE_MONTHS)


async def _line_months_prompt(ctx: Context) -> None:
    ctx.reply("budget.months_ask", title=ctx.data["line"]["title"], maximum=bd.MAX_MONTHS)
    old = _old_value(ctx, "months")
    _show_old(ctx, quantity(old) if old is not None else None)


async def _line_months_handle(ctx: Context) -> None:
    old = _old_value(ctx, "months")
    months = (
        old
        if old is not None and _keeping(ctx)
        else entered(
            bd.parse_quantity, typed(ctx), key="budget.error.months", maximum=bd.MAX_MONTHS
        )
    )
    ctx.data["line"]["months"] = str(months)
    ctx.data["line"].pop("hours", None)
    _line_done(ctx)


async def _line_hourly_prompt(ctx: Context) -> None:
    ctx.reply("budget.hourly_ask", title=ctx.data["line"]["title"])
    _show_old(ctx, _old_money(ctx, "hourly_pay"))


async def _line_hourly_handle(ctx: Context) -> None:
    old = _old_value(ctx, "hourly_pay")
    keep = old is not None and _keeping(ctx)
    pay = old if keep and old is not None else _pay(ctx, bd.MAX_HOURLY_PAY, Per.HOUR)
    ctx.data["line"]["hourly_pay"] = str(pay)
    ctx.data["line"].pop("monthly_pay", None)
    ctx.data["line"]["working_time"] = "100"
    ctx.goto(S.LINE_HOURS)


async def _line_hours_prompt(ctx: Context) -> None:
    ctx.reply("budget.hours_ask", title=ctx.data["line"]["title"], maximum=bd.MAX_HOURS)
    old = _old_value(ctx, "hours")
    _show_old(ctx, quantity(old) if old is not None else None)


async def _line_hours_handle(ctx: Context) -> None:
    old = _old_value(ctx, "hours")
    hours = (
        old
        if old is not None and _keeping(ctx)
        else entered(bd.parse_quantity, typed(ctx), key="budget.error.hours", maximum=bd.MAX_HOURS)
    )
    ctx.data["line"]["hours"] = str(hours)
    ctx.data["line"].pop("months", None)
    _line_done(ctx)


def _line_done(ctx: Context) -> None:
    line = bd.DraftLine.from_data(ctx.data.pop("line"))
    lines: list[dict[str, Any]] = ctx.data.setdefault("lines", [])
    edit = ctx.data.pop("edit", None)
    if edit is not None and 0 <= edit < len(lines):
        lines[edit] = line.to_data()
    else:
        lines.append(line.to_data())
    programme = programme_of(ctx)
    rules = rules_of(ctx)
    [cost] = computed(bd.line_costs, programme, [line], rules)
    ctx.reply("budget.line_done", title=line.title, steps=arithmetic(line, cost, rules))
    if rules.hourly_rate_decimals is None and line.monthly_pay is not None:
        ctx.reply("budget.exact_note")
    ctx.goto(S.LINES)


def arithmetic(line: bd.DraftLine, cost: StaffCost, rules: CostRules) -> Lines:
    """The unit-cost arithmetic of one line, a step per row, in the figures the sum really
    uses. A monthly pay's exact hourly rate (÷ 1 720 h) has no short form: it is shown rounded
    with "≈", and the cost as pay × months × share × (100 % + side costs), which is exact
    (:func:`~handlers.domain.budget_math.monthly_factor`). A rate
    content rounds (``hourly_rate_decimals``), or an hourly pay, is shown as the sum uses it."""
    exact_monthly = (
        line.monthly_pay is not None
        and line.months is not None
        and rules.hourly_rate_decimals is None
    )
    decimals = shown_rate_decimals(cost)
    steps: list[Param] = []
    if line.monthly_pay is not None:
        steps.append(
            Text(
                "budget.calc.monthly_about" if exact_monthly else "budget.calc.monthly",
                {
                    "pay": Money(line.monthly_pay, cents=True),
                    "hours_year": rules.hours_per_year,
                    "hourly": Money(cost.hourly_rate, decimals=2 if exact_monthly else decimals),
                },
            )
        )
    else:
        steps.append(Text("budget.calc.hourly", {"hourly": Money(cost.hourly_rate, cents=True)}))
    steps.append(
        Text(
            "budget.calc.side_about" if exact_monthly else "budget.calc.side",
            {
                "side": Percent(cost.side_cost_percent),
                "rate": Money(
                    cost.hourly_rate_with_side_costs, decimals=2 if exact_monthly else decimals
                ),
            },
        )
    )
    if line.months is not None:
        steps.append(
            Text(
                "budget.calc.hours",
                {
                    "hours_year": rules.hours_per_year,
                    "percent": pct(line.working_time),
                    "months": quantity(line.months),
                    "hours": quantity(cost.hours),
                },
            )
        )
    if exact_monthly:
        assert line.monthly_pay is not None and line.months is not None
        steps.append(
            Text(
                "budget.calc.cost_monthly",
                {
                    "pay": Money(line.monthly_pay, cents=True),
                    "months": quantity(line.months),
                    "percent": pct(line.working_time),
                    "side": Percent(cost.side_cost_percent),
                    "cost": Money(cost.cost, cents=True),
                },
            )
        )
    else:
        steps.append(
            Text(
                "budget.calc.cost",
                {
                    "hours": quantity(cost.hours),
                    "rate": Money(cost.hourly_rate_with_side_costs, decimals=decimals),
                    "cost": Money(cost.cost, cents=True),
                },
            )
        )
    return Lines(tuple(steps))


async def _lines_prompt(ctx: Context) -> None:
    programme = programme_of(ctx)
    draft = draft_of(ctx)
    rules = rules_of(ctx)
    costs = bd.line_costs(programme, draft.lines, rules)
    total = sum((cost.cost for cost in costs), Decimal(0))
    listed = tuple(
        Text(
            "budget.line_item",
            {"number": index, "title": line.title, "cost": Money(cost.cost, cents=True)},
        )
        for index, (line, cost) in enumerate(zip(draft.lines, costs, strict=True), start=1)
    )
    rows = [[LINES.button("budget.add_line", "add")]]
    if draft.lines:
        rows.append(
            [
                LINES.button("budget.edit_line", "edit"),
                LINES.button("budget.remove_line", "remove"),
            ]
        )
        rows.append([LINES.button("budget.lines_done", "done")])
    else:
        rows.append([LINES.button("budget.staff_total", "total")])
    ctx.reply(
        "budget.lines" if draft.lines else "budget.lines_empty",
        lines=Lines(listed),
        total=Money(total, cents=True),
        buttons=rows,
    )


async def _lines_handle(ctx: Context) -> None:
    action = ctx.button(LINES)
    lines = ctx.data.get("lines") or []
    if action == "add":
        ctx.data.pop("edit", None)
        ctx.goto(S.LINE_TITLE)
    elif action in ("edit", "remove") and lines:
        ctx.data["pick"] = action
        ctx.goto(S.PICK_LINE)
    elif action == "done" and lines:
        _staff_done(ctx)
    elif action == "total":
        ctx.data.pop("lines", None)
        ctx.goto(S.STAFF_TOTAL)
    else:
        raise ctx.use_buttons()


async def _pick_line_prompt(ctx: Context) -> None:
    lines = [bd.DraftLine.from_data(line) for line in ctx.data.get("lines") or []]
    rows = [
        [
            PICK.button(
                "budget.line_button", index, params={"number": index + 1, "title": line.title}
            )
        ]
        for index, line in enumerate(lines)
    ]
    rows.append([PICK.button("budget.back", "back")])
    key = "budget.pick_edit" if ctx.data.get("pick") == "edit" else "budget.pick_remove"
    ctx.reply(key, buttons=rows)


async def _pick_line_handle(ctx: Context) -> None:
    choice = ctx.button(PICK)
    lines: list[dict[str, Any]] = ctx.data.get("lines") or []
    action = ctx.data.pop("pick", None)
    if choice == "back":
        ctx.goto(S.LINES)
        return
    if not choice.isdigit() or not 0 <= int(choice) < len(lines):
        raise ctx.use_buttons()
    index = int(choice)
    if action == "edit":
        ctx.data["edit"] = index
        ctx.goto(S.LINE_TITLE)
    else:
        removed = lines.pop(index)
        ctx.reply("budget.removed", title=str(removed["title"]))
        ctx.goto(S.LINES)


# --- the steps of this stage -----------------------------------------------------------------

STEPS: dict[str, Step] = {
    # From the model step a budget set aside by /peru goes on where it stood (any step).
    S.MODEL: Step(_model_prompt, _model_handle, accepts={MODEL, DRAFT}, goes_to={*S, END}),
    S.STAFF_MODE: Step(
        _staff_mode_prompt,
        _staff_mode_handle,
        accepts={MODE},
        goes_to={S.STAFF_TOTAL, S.LINES, S.LINE_TITLE},
    ),
    S.STAFF_TOTAL: Step(
        _staff_total_prompt,
        _staff_total_handle,
        accepts={NUMBER},
        goes_to={S.INCOME, S.SUMMARY},
    ),
    S.LINE_TITLE: Step(
        _line_title_prompt,
        _line_title_handle,
        accepts={TEXT, KEEP},
        goes_to={S.LINE_SIDE, S.LINE_PAY_KIND},
    ),
    S.LINE_SIDE: Step(
        _line_side_prompt, _line_side_handle, accepts={SIDE, KEEP}, goes_to={S.LINE_PAY_KIND}
    ),
    S.LINE_PAY_KIND: Step(
        _line_pay_kind_prompt,
        _line_pay_kind_handle,
        accepts={PAY, KEEP},
        goes_to={S.LINE_MONTHLY, S.LINE_HOURLY},
    ),
    S.LINE_MONTHLY: Step(
        _line_monthly_prompt,
        _line_monthly_handle,
        accepts={NUMBER, KEEP},
        goes_to={S.LINE_PERCENT},
    ),
    S.LINE_PERCENT: Step(
        _line_percent_prompt,
        _line_percent_handle,
        accepts={NUMBER, KEEP},
        goes_to={S.LINE_MONTHS},
    ),
    S.LINE_MONTHS: Step(
        _line_months_prompt, _line_months_handle, accepts={NUMBER, KEEP}, goes_to={S.LINES}
    ),
    S.LINE_HOURLY: Step(
        _line_hourly_prompt,
        _line_hourly_handle,
        accepts={NUMBER, KEEP},
        goes_to={S.LINE_HOURS},
    ),
    S.LINE_HOURS: Step(
        _line_hours_prompt, _line_hours_handle, accepts={NUMBER, KEEP}, goes_to={S.LINES}
    ),
    S.LINES: Step(
        _lines_prompt,
        _lines_handle,
        accepts={LINES},
        goes_to={S.LINE_TITLE, S.PICK_LINE, S.STAFF_TOTAL, S.INCOME, S.SUMMARY},
    ),
    S.PICK_LINE: Step(
        _pick_line_prompt,
        _pick_line_handle,
        accepts={PICK},
        goes_to={S.LINES, S.LINE_TITLE},
    ),
}
