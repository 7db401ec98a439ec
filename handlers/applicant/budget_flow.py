"""Budget walk-through: the funder's cost summary and financing plan, step by step, with the
arithmetic shown so an applicant can check it; the result as a message, an XLSX workbook, a
CSV file and a PNG chart.

The draft lives in the conversation state as plain JSON (see :mod:`handlers.domain.budget_draft`,
which also does all the arithmetic through :mod:`handlers.domain.budget_math`). Steps that expect a
typed number are asked without buttons, so that on numbered-button transports (console,
Matrix) "0" or "24" is read as the answer, not as a button; choices have their own steps.

```mermaid
stateDiagram-v2
    [*] --> model: menu "Laske hankkeen budjetti"
    model --> staff_mode
    staff_mode --> staff_total: "I know the total"
    staff_mode --> line_title: "add people one by one"
    line_title --> line_side: several side-cost rates
    line_title --> line_pay_kind
    line_side --> line_pay_kind
    line_pay_kind --> line_monthly: monthly pay
    line_pay_kind --> line_hourly: hourly pay
    line_monthly --> line_percent
    line_percent --> line_months
    line_hourly --> line_hours
    line_months --> lines: arithmetic shown
    line_hours --> lines
    lines --> line_title: add / edit a line
    lines --> pick_line: edit / remove
    pick_line --> line_title: edit
    pick_line --> lines: removed
    lines --> income: done (flat rate shown)
    staff_total --> income
    income --> applicant: net total shown
    applicant --> eu
    eu --> eu_typed: other rate or amount
    eu --> rows
    eu_typed --> rows
    rows --> rows: toggle municipal / other public / private
    rows --> row_typed: one typed step per chosen row
    row_typed --> row_typed
    row_typed --> own
    rows --> own
    own --> own_typed
    own --> split: municipal row > 0
    own_typed --> split
    split --> years: split across municipalities
    years --> names
    names --> method
    method --> weights
    method --> amounts
    method --> summary: equally
    weights --> summary
    amounts --> summary
    own --> summary
    split --> summary: no split
    summary --> summary: XLSX / CSV / PNG
    summary --> lines: edit staff
    summary --> income: edit income
    summary --> applicant: edit financing
    summary --> [*]: done
```
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from content.schema import Content, Programme
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, NUMBER, TEXT, ButtonFamily, Flow, MenuEntry, Registry, Step
from handlers.core.types import (
    Document,
    InvalidInput,
    Lines,
    Money,
    Param,
    Percent,
    Reply,
    Text,
)
from handlers.domain import budget_draft as bd
from handlers.domain.budget_draft import form_label
from handlers.domain.budget_math import (
    CENT,
    HUNDRED,
    BudgetInputError,
    Contribution,
    CostRules,
    Flag,
    FlagCode,
    OwnKind,
    Row,
    StaffCost,
    floor_euros,
)
from handlers.domain.budget_outputs import (
    CSV_MIME,
    PNG_MIME,
    XLSX_MIME,
    Euro,
    Share,
    Sheet,
    chart_png,
    to_csv,
    to_xlsx,
)

FLOW = "budget"
OTHER_ROWS = ("municipal", "other_public", "private")


class S(StrEnum):
    """The steps (their names are stored in conversations: never rename one)."""

    MODEL = "model"
    STAFF_MODE = "staff_mode"
    STAFF_TOTAL = "staff_total"
    LINE_TITLE = "line_title"
    LINE_SIDE = "line_side"
    LINE_PAY_KIND = "line_pay_kind"
    LINE_MONTHLY = "line_monthly"
    LINE_PERCENT = "line_percent"
    LINE_MONTHS = "line_months"
    LINE_HOURLY = "line_hourly"
    LINE_HOURS = "line_hours"
    LINES = "lines"
    PICK_LINE = "pick_line"
    INCOME = "income"
    APPLICANT = "applicant"
    EU = "eu"
    EU_TYPED = "eu_typed"
    ROWS = "rows"
    ROW_TYPED = "row_typed"
    OWN = "own"
    OWN_TYPED = "own_typed"
    SPLIT = "split"
    YEARS = "years"
    NAMES = "names"
    METHOD = "method"
    WEIGHTS = "weights"
    AMOUNTS = "amounts"
    SUMMARY = "summary"


B = ButtonFamily("b")
MODEL = B.sub("model")
MODE = B.sub("mode")
SIDE = B.sub("side")
PAY = B.sub("pay")
LINES = B.sub("lines")
PICK = B.sub("pick")
APPLICANT = B.sub("app")
EU = B.sub("eu")
ROWS = B.sub("rows")
OWN = B.sub("own")
SPLIT = B.sub("split")
METHOD = B.sub("method")
SUM = B.sub("sum")


# --- helpers ---------------------------------------------------------------------------------


def _content(ctx: Context) -> Content:
    content = ctx.services.content
    assert content is not None
    return content


def _programme(ctx: Context) -> Programme:
    return _content(ctx).programme


def _draft(ctx: Context) -> bd.Draft:
    return bd.draft_from_data(ctx.data)


def _rules(ctx: Context) -> CostRules:
    return bd.rules_for(_programme(ctx), _draft(ctx))


def _entry(error: bd.EntryError) -> InvalidInput:
    params: dict[str, Param] = {}
    for name, value in error.params.items():
        params[name] = value if isinstance(value, int | str | Decimal) else str(value)
    return InvalidInput(error.key, **params)


def _text(ctx: Context) -> str:
    if ctx.text is None:
        raise InvalidInput("budget.error.type_it")
    return ctx.text


def _cancel_hint(ctx: Context) -> None:
    ctx.reply("budget.cancel_hint")


def row_name(programme: Programme, row: Row | str, own_kind: OwnKind, locale: str) -> str:
    """The funder's own name of a financing-plan row (Finnish is the form label)."""
    names = programme.budget_rows
    match Row(row):
        case Row.EU_STATE:
            return form_label(names.eu_state, locale)
        case Row.OWN:
            own = names.own_municipal if own_kind is OwnKind.MUNICIPAL else names.own_private
            return form_label(own, locale)
        case Row.MUNICIPAL:
            return form_label(names.municipal, locale)
        case Row.OTHER_PUBLIC:
            return form_label(names.other_public, locale)
        case Row.PRIVATE:
            return form_label(names.private, locale)
    raise ValueError(row)  # pragma: no cover - Row has no other members


def _own_kind(ctx: Context) -> OwnKind:
    return bd.own_kind_of(_programme(ctx), ctx.data.get("applicant"))


def _pct(value: Decimal) -> Percent:
    return Percent(value, 0 if value == value.to_integral_value() else 2)


def _quantity(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP).normalize()


def _result(ctx: Context) -> bd.BudgetResult:
    try:
        return bd.checked(_programme(ctx), _draft(ctx))
    except bd.EntryError as error:
        raise _entry(error) from error


def _net_total(ctx: Context) -> Decimal:
    try:
        return bd.costs_of(_programme(ctx), _draft(ctx)).net_total
    except BudgetInputError as error:
        raise InvalidInput(f"budget.error.{error.reason.value}") from error


# --- cost model and staff --------------------------------------------------------------------


async def _model_prompt(ctx: Context) -> None:
    if ctx.services.content is None:
        ctx.end()
        ctx.reply("applicant.unavailable")
        main_menu(ctx)
        return
    programme = _programme(ctx)
    supported = [m for m in programme.cost_models if m.supported]
    others = [m.name.get(ctx.locale) for m in programme.cost_models if not m.supported]
    ctx.reply(
        "budget.model_ask",
        covers=programme.cost_model().covers.get(ctx.locale),
        others=", ".join(others) if others else "–",
        buttons=[
            [MODEL.button("applicant.option", m.key, params={"label": m.name.get(ctx.locale)})]
            for m in supported
        ],
    )


async def _model_handle(ctx: Context) -> None:
    key = ctx.button(MODEL)
    model = next((m for m in _programme(ctx).cost_models if m.key == key), None)
    if model is None or not model.supported:
        raise InvalidInput("budget.error.unsupported_cost_model")
    ctx.data["model"] = key
    ctx.goto(S.STAFF_MODE)


async def _staff_mode_prompt(ctx: Context) -> None:
    staff = _programme(ctx).staff_costs
    ctx.reply(
        "budget.staff_mode_ask",
        hours=staff.hours_per_year,
        side=_pct(staff.side_cost().percent),
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
        "budget.staff_total_ask", row=form_label(_programme(ctx).budget_rows.staff, ctx.locale)
    )
    _cancel_hint(ctx)


async def _staff_total_handle(ctx: Context) -> None:
    try:
        amount = bd.money(_text(ctx), ctx.locale)
    except bd.EntryError as error:
        raise _entry(error) from error
    if amount <= 0:
        raise InvalidInput("budget.error.zero_staff")
    ctx.data["staff_total"] = str(amount)
    _staff_done(ctx)


def _staff_done(ctx: Context) -> None:
    ctx.goto(S.SUMMARY if ctx.data.get("review") else S.INCOME)


# --- one staff line --------------------------------------------------------------------------


async def _line_title_prompt(ctx: Context) -> None:
    edit = ctx.data.get("edit")
    if edit is not None:
        line = bd.DraftLine.from_data(ctx.data["lines"][edit])
        ctx.reply("budget.line_edit", number=edit + 1, title=line.title)
    ctx.reply("budget.line_title_ask", number=_line_number(ctx))
    _cancel_hint(ctx)


def _line_number(ctx: Context) -> int:
    edit = ctx.data.get("edit")
    return int(edit) + 1 if edit is not None else len(ctx.data.get("lines") or []) + 1


async def _line_title_handle(ctx: Context) -> None:
    try:
        title = bd.parse_title(_text(ctx))
    except bd.EntryError as error:
        raise _entry(error) from error
    ctx.data["line"] = {"title": title}
    side_costs = _programme(ctx).staff_costs.side_costs
    ctx.goto(S.LINE_SIDE if len(side_costs) > 1 else S.LINE_PAY_KIND)


async def _line_side_prompt(ctx: Context) -> None:
    staff = _programme(ctx).staff_costs
    ctx.reply(
        "budget.line_side_ask",
        title=ctx.data["line"]["title"],
        buttons=[
            [
                SIDE.button(
                    "budget.side_button",
                    side.key,
                    params={"name": side.name.get(ctx.locale), "percent": _pct(side.percent)},
                )
            ]
            for side in staff.side_costs
        ],
    )


async def _line_side_handle(ctx: Context) -> None:
    key = ctx.button(SIDE)
    staff = _programme(ctx).staff_costs
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


async def _line_pay_kind_handle(ctx: Context) -> None:
    kind = ctx.button(PAY)
    if kind not in ("monthly", "hourly"):
        raise ctx.use_buttons()
    ctx.goto(S.LINE_MONTHLY if kind == "monthly" else S.LINE_HOURLY)


async def _line_monthly_prompt(ctx: Context) -> None:
    ctx.reply("budget.monthly_ask", title=ctx.data["line"]["title"])
    _cancel_hint(ctx)


async def _line_monthly_handle(ctx: Context) -> None:
    ctx.data["line"]["monthly_pay"] = str(_pay(ctx, bd.MAX_MONTHLY_PAY))
    ctx.data["line"].pop("hourly_pay", None)
    ctx.goto(S.LINE_PERCENT)


def _pay(ctx: Context, maximum: Decimal) -> Decimal:
    try:
        amount = bd.money(_text(ctx), ctx.locale)
    except bd.EntryError as error:
        raise _entry(error) from error
    if amount <= 0:
        raise InvalidInput("budget.error.zero_pay")
    if amount > maximum:
        raise InvalidInput("budget.error.pay_too_large", maximum=Money(maximum))
    return amount


async def _line_percent_prompt(ctx: Context) -> None:
    ctx.reply("budget.percent_ask", title=ctx.data["line"]["title"])
    _cancel_hint(ctx)


async def _line_percent_handle(ctx: Context) -> None:
    try:
        value = bd.percent(_text(ctx))
    except bd.EntryError as error:
        raise _entry(error) from error
    if value <= 0:
        raise InvalidInput("budget.error.working_time_range")
    ctx.data["line"]["working_time"] = str(value)
    ctx.goto(S.LINE_MONTHS)


async def _line_months_prompt(ctx: Context) -> None:
    ctx.reply("budget.months_ask", title=ctx.data["line"]["title"], maximum=bd.MAX_MONTHS)
    _cancel_hint(ctx)


async def _line_months_handle(ctx: Context) -> None:
    try:
        months = bd.parse_quantity(_text(ctx), key="budget.error.months", maximum=bd.MAX_MONTHS)
    except bd.EntryError as error:
        raise _entry(error) from error
    ctx.data["line"]["months"] = str(months)
    ctx.data["line"].pop("hours", None)
    _line_done(ctx)


async def _line_hourly_prompt(ctx: Context) -> None:
    ctx.reply("budget.hourly_ask", title=ctx.data["line"]["title"])
    _cancel_hint(ctx)


async def _line_hourly_handle(ctx: Context) -> None:
    ctx.data["line"]["hourly_pay"] = str(_pay(ctx, bd.MAX_HOURLY_PAY))
    ctx.data["line"].pop("monthly_pay", None)
    ctx.data["line"]["working_time"] = "100"
    ctx.goto(S.LINE_HOURS)


async def _line_hours_prompt(ctx: Context) -> None:
    ctx.reply("budget.hours_ask", title=ctx.data["line"]["title"], maximum=bd.MAX_HOURS)
    _cancel_hint(ctx)


async def _line_hours_handle(ctx: Context) -> None:
    try:
        hours = bd.parse_quantity(_text(ctx), key="budget.error.hours", maximum=bd.MAX_HOURS)
    except bd.EntryError as error:
        raise _entry(error) from error
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
    programme = _programme(ctx)
    rules = _rules(ctx)
    try:
        [cost] = bd.line_costs(programme, [line], rules)
    except BudgetInputError as error:
        raise InvalidInput(f"budget.error.{error.reason.value}") from error
    ctx.reply("budget.line_done", title=line.title, steps=arithmetic(line, cost, rules))
    if rules.hourly_rate_decimals is None:
        ctx.reply("budget.exact_note")
    ctx.goto(S.LINES)


def arithmetic(line: bd.DraftLine, cost: StaffCost, rules: CostRules) -> Lines:
    """The unit-cost arithmetic of one line, a step per row."""
    steps: list[Param] = []
    if line.monthly_pay is not None:
        steps.append(
            Text(
                "budget.calc.monthly",
                {
                    "pay": Money(line.monthly_pay, cents=True),
                    "hours_year": rules.hours_per_year,
                    "hourly": Money(cost.hourly_rate, cents=True),
                },
            )
        )
    else:
        steps.append(Text("budget.calc.hourly", {"hourly": Money(cost.hourly_rate, cents=True)}))
    steps.append(
        Text(
            "budget.calc.side",
            {
                "side": Percent(cost.side_cost_percent),
                "rate": Money(cost.hourly_rate_with_side_costs, cents=True),
            },
        )
    )
    if line.months is not None:
        steps.append(
            Text(
                "budget.calc.hours",
                {
                    "hours_year": rules.hours_per_year,
                    "percent": _pct(line.working_time),
                    "months": _quantity(line.months),
                    "hours": _quantity(cost.hours),
                },
            )
        )
    steps.append(
        Text(
            "budget.calc.cost",
            {
                "hours": _quantity(cost.hours),
                "rate": Money(cost.hourly_rate_with_side_costs, cents=True),
                "cost": Money(cost.cost, cents=True),
            },
        )
    )
    return Lines(tuple(steps))


async def _lines_prompt(ctx: Context) -> None:
    programme = _programme(ctx)
    draft = _draft(ctx)
    rules = _rules(ctx)
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


# --- income and net total --------------------------------------------------------------------


async def _income_prompt(ctx: Context) -> None:
    programme = _programme(ctx)
    draft = _draft(ctx)
    try:
        costs = bd.costs_of(programme, replace(draft, income=Decimal(0)))
    except BudgetInputError as error:
        raise InvalidInput(f"budget.error.{error.reason.value}") from error
    exact = costs.staff * costs.flat_rate_percent / HUNDRED
    rows = programme.budget_rows
    ctx.reply(
        "budget.flat_rate",
        staff_row=form_label(rows.staff, ctx.locale),
        staff=Money(costs.staff),
        model=form_label(programme.cost_model(draft.cost_model).name, ctx.locale),
        rate=_pct(costs.flat_rate_percent),
        exact=Money(exact, cents=True),
        flat=Money(costs.flat_rate),
    )
    ctx.reply("budget.income_ask", row=form_label(rows.income, ctx.locale))
    _cancel_hint(ctx)


async def _income_handle(ctx: Context) -> None:
    try:
        income = bd.money(_text(ctx), ctx.locale)
    except bd.EntryError as error:
        raise _entry(error) from error
    ctx.data["income"] = str(income)
    _net_total(ctx)  # refuses income above the costs
    ctx.goto(S.SUMMARY if ctx.data.get("review") else S.APPLICANT)


# --- financing -------------------------------------------------------------------------------


async def _applicant_prompt(ctx: Context) -> None:
    programme = _programme(ctx)
    costs = bd.costs_of(programme, _draft(ctx))
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
    if key not in {kind.key for kind in _programme(ctx).applicant_types}:
        raise ctx.use_buttons()
    ctx.data["applicant"] = key
    ctx.goto(S.EU)


async def _eu_prompt(ctx: Context) -> None:
    net = _net_total(ctx)
    rules = _rules(ctx)
    maximum = rules.max_public_rate_percent
    exact = net * maximum / HUNDRED
    ctx.reply(
        "budget.eu_ask",
        row=form_label(_programme(ctx).budget_rows.eu_state, ctx.locale),
        maximum=_pct(maximum),
        net=Money(net),
        exact=Money(exact, cents=True),
        amount=Money(floor_euros(exact)),
        buttons=[
            [EU.button("budget.eu_use_max", "max", params={"percent": _pct(maximum)})],
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
        maximum=_pct(_rules(ctx).max_public_rate_percent),
        net=Money(_net_total(ctx)),
    )
    _cancel_hint(ctx)


async def _eu_typed_handle(ctx: Context) -> None:
    value = _typed_row(ctx)
    ctx.data["eu"] = bd.contribution_data(value)
    ctx.goto(S.ROWS)


def _typed_row(ctx: Context) -> Contribution:
    try:
        return bd.parse_row(_text(ctx), ctx.locale, total=_net_total(ctx))
    except bd.EntryError as error:
        raise _entry(error) from error


async def _rows_prompt(ctx: Context) -> None:
    programme = _programme(ctx)
    picked = set(ctx.data.get("picked") or [])
    names = {key: row_name(programme, key, _own_kind(ctx), ctx.locale) for key in OTHER_ROWS}
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
        row=row_name(_programme(ctx), key, _own_kind(ctx), ctx.locale),
        net=Money(_net_total(ctx)),
    )
    _cancel_hint(ctx)


async def _row_typed_handle(ctx: Context) -> None:
    queue: list[str] = ctx.data["queue"]
    value = _typed_row(ctx)
    ctx.data.setdefault("rows", {})[queue.pop(0)] = bd.contribution_data(value)
    ctx.goto(S.ROW_TYPED if queue else S.OWN)


async def _own_prompt(ctx: Context) -> None:
    programme = _programme(ctx)
    draft = _draft(ctx)
    rows = {key: value for key, value in draft.rows.items() if key != "own"}
    try:
        preview = bd.checked(programme, replace(draft, rows=rows))
    except bd.EntryError as error:
        raise _entry(error) from error
    rest = preview.plan.amount(Row.OWN)
    buttons = []
    if rest >= 0:
        buttons.append([OWN.button("budget.own_rest", "rest", params={"amount": Money(rest)})])
    buttons.append([OWN.button("budget.own_typed", "typed")])
    buttons.append([OWN.button("budget.own_none", "none")])
    ctx.reply(
        "budget.own_ask" if rest >= 0 else "budget.own_ask_over",
        row=row_name(programme, Row.OWN, _own_kind(ctx), ctx.locale),
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
        row=row_name(_programme(ctx), Row.OWN, _own_kind(ctx), ctx.locale),
        net=Money(_net_total(ctx)),
    )
    _cancel_hint(ctx)


async def _own_typed_handle(ctx: Context) -> None:
    ctx.data.setdefault("rows", {})["own"] = bd.contribution_data(_typed_row(ctx))
    _financing_done(ctx)


def _financing_done(ctx: Context) -> None:
    ctx.data.pop("split", None)
    result = _result(ctx)
    ctx.goto(S.SPLIT if result.plan.amount(Row.MUNICIPAL) > 0 else S.SUMMARY)


# --- municipal shares ------------------------------------------------------------------------


async def _split_prompt(ctx: Context) -> None:
    result = _result(ctx)
    ctx.reply(
        "budget.split_ask",
        row=row_name(_programme(ctx), Row.MUNICIPAL, _own_kind(ctx), ctx.locale),
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
    _cancel_hint(ctx)


async def _years_handle(ctx: Context) -> None:
    try:
        years = bd.parse_quantity(
            _text(ctx), key="budget.error.years", maximum=Decimal(bd.MAX_YEARS), whole=True
        )
    except bd.EntryError as error:
        raise _entry(error) from error
    ctx.data["split"] = {"years": int(years)}
    ctx.goto(S.NAMES)


async def _names_prompt(ctx: Context) -> None:
    ctx.reply("budget.names_ask", limit=bd.MAX_MUNICIPALITIES)
    _cancel_hint(ctx)


async def _names_handle(ctx: Context) -> None:
    try:
        names = bd.parse_names(_text(ctx))
    except bd.EntryError as error:
        raise _entry(error) from error
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
    _cancel_hint(ctx)


async def _weights_handle(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    try:
        weights = bd.parse_weights(_text(ctx), len(names))
    except bd.EntryError as error:
        raise _entry(error) from error
    ctx.data["split"].update(method="weights", weights=[str(w) for w in weights])
    ctx.goto(S.SUMMARY)


async def _amounts_prompt(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    ctx.reply("budget.amounts_ask", names=", ".join(names), count=len(names))
    _cancel_hint(ctx)


async def _amounts_handle(ctx: Context) -> None:
    names = ctx.data["split"]["names"]
    try:
        amounts = bd.parse_amounts(_text(ctx), len(names), ctx.locale)
    except bd.EntryError as error:
        raise _entry(error) from error
    ctx.data["split"].update(
        method="amounts", amounts=[None if a is None else str(a) for a in amounts]
    )
    ctx.goto(S.SUMMARY)


# --- the summary -----------------------------------------------------------------------------


def summary_params(
    programme: Programme, draft: bd.Draft, result: bd.BudgetResult, locale: str
) -> dict[str, Param]:
    """The summary message's parameters (also used by the tests)."""
    names = programme.budget_rows
    costs = result.costs
    plan = result.plan
    model = form_label(programme.cost_model(draft.cost_model).name, locale)
    cost_lines = (
        Text(
            "budget.cost_line",
            {"name": form_label(names.staff, locale), "amount": Money(costs.staff)},
        ),
        Text("budget.cost_line", {"name": model, "amount": Money(costs.flat_rate)}),
        Text(
            "budget.cost_line",
            {"name": form_label(names.income, locale), "amount": Money(costs.income)},
        ),
        Text(
            "budget.total_line",
            {"name": form_label(names.net_total, locale), "amount": Money(costs.net_total)},
        ),
    )
    plan_lines: list[Param] = [
        Text(
            "budget.plan_line",
            {
                "name": row_name(programme, row.key, plan.own_kind, locale),
                "amount": Money(row.amount),
                "share": Percent(row.share),
            },
        )
        for row in plan.rows
    ]
    plan_lines.append(
        Text(
            "budget.plan_total_line",
            {
                "name": form_label(names.plan_total, locale),
                "amount": Money(plan.total),
                "share": Percent(plan.total_share),
            },
        )
    )
    municipal: Param = ""
    if result.split is not None:
        shares: list[Param] = []
        for share in result.split.shares:
            if share.total is None:
                shares.append(Text("budget.split_missing", {"name": share.municipality}))
                continue
            years = tuple(
                Text("budget.split_year", {"year": year, "amount": Money(amount, cents=True)})
                for year, amount in enumerate(share.per_year, start=1)
            )
            shares.append(
                Text(
                    "budget.split_line",
                    {
                        "name": share.municipality,
                        "amount": Money(share.total, cents=True),
                        "years": Lines(years),
                    },
                )
            )
        per_year = tuple(
            Text("budget.split_year", {"year": year, "amount": Money(amount, cents=True)})
            for year, amount in enumerate(result.split.per_year_total, start=1)
        )
        municipal = Text(
            "budget.split_block",
            {"shares": Lines(tuple(shares)), "per_year": Lines(per_year)},
        )
    flags = result.flags
    checks: Param
    if flags:
        checks = Text(
            "budget.checks_flags",
            {
                "flags": Lines(
                    tuple(flag_text(programme, plan.own_kind, flag, locale) for flag in flags)
                )
            },
        )
    else:
        checks = Text("budget.checks_ok", {"maximum": _pct(result.rules.max_public_rate_percent)})
    return {
        "model": programme.cost_model(draft.cost_model).name.get(locale),
        "costs": Lines(cost_lines),
        "plan": Lines(tuple(plan_lines)),
        "municipal": municipal,
        "checks": checks,
    }


def flag_text(programme: Programme, own_kind: OwnKind, flag: Flag, locale: str) -> Text:
    """One finding in words, with the figures (cents where the rule gives cents)."""
    params: dict[str, Param] = {}
    if flag.row is not None:
        params["row"] = row_name(programme, flag.row, own_kind, locale)
    cents = flag.code in (FlagCode.ROW_OFF_STATED_PERCENT, FlagCode.MUNICIPAL_SPLIT_MISMATCH)
    if flag.amount is not None:
        params["amount"] = Money(flag.amount, cents=cents)
    if flag.expected is not None:
        params["expected"] = Money(flag.expected, cents=cents)
    if flag.difference is not None:
        params["difference"] = Money(flag.difference, cents=cents)
    if flag.percent is not None:
        params["percent"] = Percent(flag.percent)
    if flag.municipality is not None:
        params["municipality"] = flag.municipality
    return Text(f"budget.flag.{flag.code.value}", params)


async def _summary_prompt(ctx: Context) -> None:
    programme = _programme(ctx)
    draft = _draft(ctx)
    result = _result(ctx)
    ctx.data["review"] = True
    buttons = (
        (
            SUM.button("budget.file_xlsx", "xlsx"),
            SUM.button("budget.file_csv", "csv"),
            SUM.button("budget.file_png", "png"),
        ),
        (
            SUM.button("budget.edit_staff", "staff"),
            SUM.button("budget.edit_income", "income"),
        ),
        (SUM.button("budget.edit_financing", "financing"),),
        (SUM.button("applicant.finish", "end"),),
    )
    params = summary_params(programme, draft, result, ctx.locale)
    ctx.replies.append(Reply("budget.summary", params, buttons))


async def _summary_handle(ctx: Context) -> None:
    choice = ctx.button(SUM)
    if choice in ("xlsx", "csv", "png"):
        ctx.reply(f"budget.file_ready_{choice}", document=budget_document(ctx, choice))
    elif choice == "staff":
        ctx.goto(S.STAFF_MODE if ctx.data.get("staff_total") is not None else S.LINES)
    elif choice == "income":
        ctx.goto(S.INCOME)
    elif choice == "financing":
        ctx.goto(S.APPLICANT)
    elif choice == "end":
        ctx.end()
        ctx.reply("budget.bye")
        main_menu(ctx)
    else:
        raise ctx.use_buttons()


# --- files -----------------------------------------------------------------------------------


def budget_document(ctx: Context, kind: str) -> Document:
    rendering = ctx.services.rendering
    locale = ctx.locale
    programme = _programme(ctx)
    draft = _draft(ctx)
    result = _result(ctx)

    def word(key: str, **params: Param) -> str:
        return rendering.plain(locale, key, params)

    base = word("budget.doc.basename")
    if kind == "png":
        bars = [
            (row_name(programme, row.key, result.plan.own_kind, locale), row.amount, row.share)
            for row in result.plan.rows
        ]
        footer = word(
            "budget.cost_line",
            name=form_label(programme.budget_rows.plan_total, locale),
            amount=Money(result.plan.total),
        )
        content = chart_png(word("budget.doc.chart_title"), bars, locale, footer)
        return Document(f"{base}.png", content, PNG_MIME)
    sheets = budget_sheets(programme, draft, result, locale, word)
    if kind == "csv":
        return Document(f"{base}.csv", to_csv(sheets), CSV_MIME)
    return Document(f"{base}.xlsx", to_xlsx(sheets), XLSX_MIME)


def budget_sheets(
    programme: Programme,
    draft: bd.Draft,
    result: bd.BudgetResult,
    locale: str,
    word: Any,
) -> list[Sheet]:
    """The summary as tables, worded with ``word(key, **params)`` (plain text)."""
    names = programme.budget_rows
    costs = result.costs
    plan = result.plan
    model = form_label(programme.cost_model(draft.cost_model).name, locale)
    title = word("budget.doc.title", model=programme.cost_model(draft.cost_model).name.get(locale))
    cost_rows: list[tuple[Any, ...]] = [(title,), ()]
    bold = {0}
    if draft.lines:
        bold.add(len(cost_rows))
        cost_rows.append(
            tuple(
                word(f"budget.doc.col_{column}")
                for column in ("title", "monthly", "hourly", "side", "rate", "hours", "cost")
            )
        )
        for line, cost in zip(
            draft.lines, bd.line_costs(programme, draft.lines, result.rules), strict=True
        ):
            cost_rows.append(
                (
                    line.title,
                    Euro(line.monthly_pay, cents=True) if line.monthly_pay is not None else None,
                    Euro(cost.hourly_rate.quantize(CENT), cents=True),
                    Share(cost.side_cost_percent),
                    Euro(cost.hourly_rate_with_side_costs.quantize(CENT), cents=True),
                    _quantity(cost.hours),
                    Euro(cost.cost, cents=True),
                )
            )
        cost_rows.append(())
    cost_rows.extend(
        [
            (form_label(names.staff, locale), Euro(costs.staff)),
            (model, Euro(costs.flat_rate)),
            (form_label(names.income, locale), Euro(costs.income)),
        ]
    )
    bold.add(len(cost_rows))
    cost_rows.append((form_label(names.net_total, locale), Euro(costs.net_total)))
    sheets = [Sheet(word("budget.doc.costs_sheet"), tuple(cost_rows), frozenset(bold))]

    plan_rows: list[tuple[Any, ...]] = [
        (word("budget.doc.row"), word("budget.doc.amount"), word("budget.doc.share"))
    ]
    for row in plan.rows:
        plan_rows.append(
            (
                row_name(programme, row.key, plan.own_kind, locale),
                Euro(row.amount),
                Share(row.share),
            )
        )
    plan_rows.append(
        (form_label(names.plan_total, locale), Euro(plan.total), Share(plan.total_share))
    )
    sheets.append(
        Sheet(word("budget.doc.plan_sheet"), tuple(plan_rows), frozenset({0, len(plan_rows) - 1}))
    )

    if result.split is not None:
        years = len(result.split.per_year_total)
        split_rows: list[tuple[Any, ...]] = [
            (
                word("budget.doc.municipality"),
                word("budget.doc.total"),
                *(word("budget.doc.year", year=year) for year in range(1, years + 1)),
            )
        ]
        for share in result.split.shares:
            if share.total is None:
                split_rows.append((share.municipality, word("budget.doc.not_stated")))
            else:
                split_rows.append(
                    (
                        share.municipality,
                        Euro(share.total, cents=True),
                        *(Euro(amount, cents=True) for amount in share.per_year),
                    )
                )
        split_rows.append(
            (
                word("budget.doc.total"),
                Euro(result.split.total, cents=True),
                *(Euro(amount, cents=True) for amount in result.split.per_year_total),
            )
        )
        sheets.append(
            Sheet(
                word("budget.doc.municipal_sheet"),
                tuple(split_rows),
                frozenset({0, len(split_rows) - 1}),
            )
        )

    findings: list[tuple[Any, ...]] = []
    for flag in result.flags:
        text = flag_text(programme, plan.own_kind, flag, locale)
        findings.append((word(text.key, **text.params),))
    sheets.append(
        Sheet(
            word("budget.doc.checks_sheet"), tuple(findings or [(word("budget.doc.no_findings"),)])
        )
    )
    return sheets


# --- registration ----------------------------------------------------------------------------


def register(registry: Registry) -> None:
    steps: dict[str, Step] = {
        S.MODEL: Step(_model_prompt, _model_handle, accepts={MODEL}, goes_to={S.STAFF_MODE, END}),
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
            accepts={TEXT},
            goes_to={S.LINE_SIDE, S.LINE_PAY_KIND},
        ),
        S.LINE_SIDE: Step(
            _line_side_prompt, _line_side_handle, accepts={SIDE}, goes_to={S.LINE_PAY_KIND}
        ),
        S.LINE_PAY_KIND: Step(
            _line_pay_kind_prompt,
            _line_pay_kind_handle,
            accepts={PAY},
            goes_to={S.LINE_MONTHLY, S.LINE_HOURLY},
        ),
        S.LINE_MONTHLY: Step(
            _line_monthly_prompt,
            _line_monthly_handle,
            accepts={NUMBER},
            goes_to={S.LINE_PERCENT},
        ),
        S.LINE_PERCENT: Step(
            _line_percent_prompt,
            _line_percent_handle,
            accepts={NUMBER},
            goes_to={S.LINE_MONTHS},
        ),
        S.LINE_MONTHS: Step(
            _line_months_prompt, _line_months_handle, accepts={NUMBER}, goes_to={S.LINES}
        ),
        S.LINE_HOURLY: Step(
            _line_hourly_prompt,
            _line_hourly_handle,
            accepts={NUMBER},
            goes_to={S.LINE_HOURS},
        ),
        S.LINE_HOURS: Step(
            _line_hours_prompt, _line_hours_handle, accepts={NUMBER}, goes_to={S.LINES}
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
        S.INCOME: Step(
            _income_prompt,
            _income_handle,
            accepts={NUMBER},
            goes_to={S.APPLICANT, S.SUMMARY},
        ),
        S.APPLICANT: Step(
            _applicant_prompt, _applicant_handle, accepts={APPLICANT}, goes_to={S.EU}
        ),
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
        S.SUMMARY: Step(
            _summary_prompt,
            _summary_handle,
            accepts={SUM},
            goes_to={S.STAFF_MODE, S.LINES, S.INCOME, S.APPLICANT, END},
        ),
    }
    registry.add_flow(Flow(FLOW, steps, S.MODEL, use_buttons="applicant.use_buttons"))
    registry.add_menu_entry(MenuEntry("menu.budget", f"go:{FLOW}", order=120))
