"""The budget's last stage: the summary message and the XLSX, CSV and PNG files, with the
funder's rows and the checks the arithmetic found."""

from __future__ import annotations

from typing import Any

from content.schema import Programme
from handlers.applicant.budget.shared import (
    SUM,
    S,
    Wording,
    draft_of,
    programme_of,
    quantity,
    result_of,
    row_name,
    row_shown,
    usual_maximum,
)
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, Step
from handlers.core.types import (
    Document,
    Lines,
    Money,
    Param,
    Percent,
    Reply,
    Text,
)
from handlers.domain import budget_draft as bd
from handlers.domain import extras
from handlers.domain.budget_draft import form_label
from handlers.domain.budget_math import (
    Flag,
    FlagCode,
    OwnKind,
    shown_rate,
    shown_rate_decimals,
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
                "name": row_shown(programme, row.key, draft.applicant, locale),
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
                    tuple(
                        flag_text(programme, plan.own_kind, flag, locale, draft.applicant)
                        for flag in flags
                    )
                )
            },
        )
    else:
        checks = Text(
            "budget.checks_ok", {"maximum": usual_maximum(programme, result.rules, locale)}
        )
    return {
        "model": programme.cost_model(draft.cost_model).name.get(locale),
        "costs": Lines(cost_lines),
        "plan": Lines(tuple(plan_lines)),
        "municipal": municipal,
        "checks": checks,
    }


def flag_text(
    programme: Programme,
    own_kind: OwnKind,
    flag: Flag,
    locale: str,
    applicant: str | None = None,
) -> Text:
    """One finding in words, with the figures (cents where the rule gives cents); the row
    named for ``applicant`` (with its caveat, see :func:`row_shown`) when it is known."""
    params: dict[str, Param] = {}
    if flag.row is not None:
        params["row"] = (
            row_shown(programme, flag.row, applicant, locale)
            if applicant is not None
            else row_name(programme, flag.row, own_kind, locale)
        )
    cents = flag.code in (FlagCode.ROW_OFF_STATED_PERCENT, FlagCode.MUNICIPAL_SPLIT_MISMATCH)
    if flag.amount is not None:
        params["amount"] = Money(flag.amount, cents=cents)
    if flag.expected is not None:
        params["expected"] = Money(flag.expected, cents=cents)
    if flag.difference is not None:
        params["difference"] = Money(flag.difference, cents=cents, signed=True)
    if flag.percent is not None:
        params["percent"] = Percent(flag.percent)
    if flag.municipality is not None:
        params["municipality"] = flag.municipality
    return Text(f"budget.flag.{flag.code.value}", params)


async def _summary_prompt(ctx: Context) -> None:
    programme = programme_of(ctx)
    draft = draft_of(ctx)
    result = result_of(ctx)
    ctx.data["review"] = True
    files = [SUM.button("budget.file_xlsx", "xlsx"), SUM.button("budget.file_csv", "csv")]
    if extras.charts_available():
        files.append(SUM.button("budget.file_png", "png"))
    buttons = (
        tuple(files),
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
    if choice == "png" and not extras.charts_available():
        raise ctx.use_buttons()  # a chart button from before the charts were taken away
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
    programme = programme_of(ctx)
    draft = draft_of(ctx)
    result = result_of(ctx)

    word = Wording(rendering, locale)
    base = word("budget.doc.basename")
    if kind == "png":
        bars = [
            (
                word.param(row_shown(programme, row.key, draft.applicant, locale)),
                row.amount,
                row.share,
            )
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
    word: Wording,
) -> list[Sheet]:
    """The summary as tables, in plain text."""
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
            # The rates with the decimals the sum uses, so that rate × hours gives the cost.
            places = shown_rate_decimals(cost)
            cost_rows.append(
                (
                    line.title,
                    Euro(line.monthly_pay, cents=True) if line.monthly_pay is not None else None,
                    Euro(shown_rate(cost.hourly_rate, places), decimals=places),
                    Share(cost.side_cost_percent),
                    Euro(shown_rate(cost.hourly_rate_with_side_costs, places), decimals=places),
                    quantity(cost.hours),
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
                word.param(row_shown(programme, row.key, draft.applicant, locale)),
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
        text = flag_text(programme, plan.own_kind, flag, locale, draft.applicant)
        findings.append((word(text.key, **text.params),))
    sheets.append(
        Sheet(
            word("budget.doc.checks_sheet"), tuple(findings or [(word("budget.doc.no_findings"),)])
        )
    )
    return sheets


# --- the steps of this stage -----------------------------------------------------------------

STEPS: dict[str, Step] = {
    S.SUMMARY: Step(
        _summary_prompt,
        _summary_handle,
        accepts={SUM},
        goes_to={S.STAFF_MODE, S.LINES, S.INCOME, S.APPLICANT, END},
    ),
}
