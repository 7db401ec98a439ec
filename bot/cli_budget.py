"""``hankebot budget`` and ``hankebot check-content``: the budget math and the content check
without a chat.

``bot.cli`` registers them with :func:`add_budget_parser` and
:func:`add_check_content_parser`; each sets ``handler`` to its ``run_*`` function, which
returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, TypeVar

from babel.numbers import format_decimal

from bot.cli_types import shown
from bot.i18n import renderer
from content.loader import ContentError, check_content, content_warnings, load_content
from content.schema import Programme
from handlers.applicant.budget.shared import row_name
from handlers.applicant.budget.summary import flag_text
from handlers.core.types import Money, Param
from handlers.domain.budget_draft import (
    MAX_HOURLY_PAY,
    MAX_HOURS,
    MAX_MONTHLY_PAY,
    MAX_MONTHS,
    MAX_WEIGHT,
    MAX_YEARS,
    EntryError,
    form_label,
    parse_amounts,
    parse_names,
    parse_quantity,
    parse_title,
)
from handlers.domain.budget_draft import money as bd_money
from handlers.domain.budget_draft import percent as bd_percent
from handlers.domain.budget_math import (
    BudgetInputError,
    BudgetProblem,
    Contribution,
    CostSummary,
    FinancingInput,
    FinancingPlan,
    Flag,
    MunicipalSplit,
    OwnKind,
    Row,
    StaffLine,
    cost_summary,
    financing_plan,
    municipal_split_from_amounts,
    rules_from_programme,
    shown_rate,
    shown_rate_decimals,
    split_municipal,
)
from messages.languages import LOCALES, SOURCE_LOCALE

T = TypeVar("T")

BUDGET_EPILOG = """\
staff lines: --staff-line "TITLE;KEY=VALUE;..." (repeatable), keys:
  monthly=AMOUNT | hourly=AMOUNT   gross pay per month or hour, without side costs
  months=N | hours=N               time in the project
  pct=PERCENT                      working-time share, with months (default 100)
  side=KEY | PERCENT               side costs (default "general" 26.44 %,
                                   "uas-teacher" 20.42 %; keys from programme.yaml)
  hourly = 12 × monthly ÷ 1720 × (1 + side %)
  cost = hourly × 1720 × months ÷ 12 × pct   (or hourly × hours)

co-financing values (--own, --municipal, --other-public, --private):
  AMOUNT           e.g. 19499 or "19 499 €"
  PERCENT%         e.g. 10% of the net total, rounded half-up
  AMOUNT@PERCENT%  an amount as written and its stated share; flagged if more
                   than 1 € apart
  Own financing absorbs the remainder unless it is given as an amount.

examples:
  hankebot budget --staff-total "154 727" --municipal 19499 --other-public 19499
  hankebot budget --staff-total 185294 --eu-amount 207522 --eu-rate 80 \\
      --own 25945@10% --municipal 25945@10%
  hankebot budget --own-kind municipal --json \\
      --staff-line "Projektipäällikkö;monthly=3300;months=24" \\
      --staff-line "Ohjaaja;monthly=2900;pct=50;months=24"
"""
CONTRIBUTION_HELP = "AMOUNT, PERCENT%% or AMOUNT@PERCENT%% (see below)"
STAFF_LINE_FIELDS = ("monthly", "hourly", "pct", "months", "hours", "side")


# --- reading what was typed ----------------------------------------------------------------
# Every value is read here, after the language is known, with the chat's own readers, so a
# refusal is the chat's sentence (``budget.error.*``, ``money.error.*``...) in --lang.


class Refusal(Exception):
    """Input the CLI cannot take: the option, and the catalog key and params that say why."""

    def __init__(self, option: str, key: str, **params: Param) -> None:
        super().__init__(key)
        self.option = option
        self.key = key
        self.params = params


def _read(option: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except EntryError as error:
        params = {name: _param(value) for name, value in error.params.items()}
        raise Refusal(option, error.key, **params) from None


def _param(value: object) -> Param:
    if isinstance(value, int | str | Decimal):
        return value
    return str(value)


def money_value(option: str, text: str) -> Decimal:
    """An euro amount as a Finn types it ("154 727", "1,5 milj. €")."""
    return _read(option, lambda: bd_money(text, "fi"))


def percent_value(option: str, text: str) -> Decimal:
    return _read(option, lambda: bd_percent(text))


def contribution_value(option: str, text: str) -> Contribution:
    """``AMOUNT``, ``PERCENT%`` or ``AMOUNT@PERCENT%``."""
    amount_text, _, percent_text = text.partition("@")
    if percent_text:
        return Contribution(money_value(option, amount_text), percent_value(option, percent_text))
    if amount_text.strip().endswith("%"):
        return Contribution(percent=percent_value(option, amount_text))
    amount = money_value(option, amount_text)
    if amount != amount.to_integral_value():
        raise Refusal(option, "cli.budget.row_cents")
    return Contribution(amount=amount)


def _quantity(option: str, text: str, key: str, maximum: Decimal) -> Decimal:
    """Months or hours of a staff line, by the chat's rule (above 0, at most ``maximum``,
    two decimals)."""
    return _read(option, lambda: parse_quantity(text, key=key, maximum=maximum))


def _pay(option: str, text: str, maximum: Decimal) -> Decimal:
    """A monthly or hourly pay by the chat's rule: above 0 and at most ``maximum``."""
    pay = money_value(option, text)
    if pay <= 0:
        raise Refusal(option, "budget.error.zero_pay")
    if pay > maximum:
        raise Refusal(option, "budget.error.pay_too_large", maximum=Money(maximum))
    return pay


@dataclass(frozen=True)
class StaffLineArgument:
    """A parsed ``--staff-line``; ``side_key`` names a side cost in programme.yaml."""

    line: StaffLine
    side_key: str | None = None


def staff_line_value(text: str) -> StaffLineArgument:
    """``"TITLE;monthly=3300;pct=100;months=12"`` → :class:`StaffLineArgument`."""
    title, *pairs = [part.strip() for part in text.split(";")]
    if not title or "=" in title:
        raise Refusal("--staff-line", "cli.budget.staff_line_title")
    title = _read("--staff-line", lambda: parse_title(title))
    option = f'--staff-line "{title}"'
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lower()
        if not sep or key not in STAFF_LINE_FIELDS:
            raise Refusal(
                option,
                "cli.budget.staff_line_field",
                field=shown(pair),
                fields=", ".join(STAFF_LINE_FIELDS),
            )
        if key in values:
            raise Refusal(option, "cli.budget.staff_line_twice", field=key)
        values[key] = value.strip()
    side = values.get("side")
    side_is_percent = side is not None and _is_number(side)
    line = StaffLine(
        title=title,
        monthly_pay=_pay(option, values["monthly"], MAX_MONTHLY_PAY)
        if "monthly" in values
        else None,
        hourly_pay=_pay(option, values["hourly"], MAX_HOURLY_PAY) if "hourly" in values else None,
        working_time_percent=_working_time(option, values["pct"])
        if "pct" in values
        else Decimal(100),
        months=_quantity(option, values["months"], "budget.error.months", MAX_MONTHS)
        if "months" in values
        else None,
        hours=_quantity(option, values["hours"], "budget.error.hours", MAX_HOURS)
        if "hours" in values
        else None,
        side_cost_percent=percent_value(option, side)
        if side is not None and side_is_percent
        else None,
    )
    # A key such as "uas-teacher" is resolved against programme.yaml in run_budget.
    return StaffLineArgument(line, None if side_is_percent else side)


def _working_time(option: str, text: str) -> Decimal:
    share = percent_value(option, text)
    if share <= 0:
        raise Refusal(option, "budget.error.working_time_range")
    return share


def _is_number(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("%", "").strip().isdigit()


def municipal_amounts_value(text: str) -> dict[str, Decimal | None]:
    """``"Hirvensalmi=2 533,65; Juva=3 333,35; Mikkeli=?"``: each municipality's yearly ask
    in euros and cents ("?" or "-": the plan states none), as the chat's amounts method."""
    option = "--municipal-amounts"
    pairs = [part.partition("=") for part in text.split(";") if part.strip()]
    # Each pair needs a name and an amount, so that names and amounts cannot fall out of step.
    if not pairs or any(not sep or not name.strip() or not ask.strip() for name, sep, ask in pairs):
        raise Refusal(option, "cli.budget.municipal_amounts")
    names = _read(option, lambda: parse_names(";".join(name for name, _, _ in pairs)))
    asks = ";".join(ask for _, _, ask in pairs)
    amounts = _read(option, lambda: parse_amounts(asks, len(pairs), "fi"))
    if len(names) != len(amounts):  # a name with a comma reads as two
        raise Refusal(option, "cli.budget.municipal_amounts")
    return dict(zip(names, amounts, strict=True))


# --- parsers -----------------------------------------------------------------------------


def add_content_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory with programme.yaml and projects/ (default: HANKEBOT_CONTENT_DIR "
        "or the packaged content)",
    )


def add_budget_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``budget``: cost summary and financing plan as the funder's tables."""
    parser = subparsers.add_parser(
        "budget",
        help="compute or check an ESR+ budget (flat rate 40 %%) without a chat",
        description="Compute the cost summary and the financing plan the way the funder's "
        "forms do (flat rate rounded half-up, EU + state never rounded up, the own "
        "financing row absorbing the remainder) and flag what does not add up. Amounts "
        'are read as typed in Finland: "154 727", "154 727,50 €", "1,5 milj.".',
        epilog=BUDGET_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    staff = parser.add_mutually_exclusive_group(required=True)
    staff.add_argument("--staff-total", metavar="AMOUNT", help="staff costs in total (€)")
    staff.add_argument(
        "--staff-line",
        action="append",
        metavar="SPEC",
        help='one person or post, repeatable: "TITLE;monthly=3300;pct=100;months=12" (see below)',
    )
    parser.add_argument(
        "--income",
        default="0",
        metavar="AMOUNT",
        help="income deducted from costs (default 0)",
    )
    parser.add_argument(
        "--eu-rate",
        metavar="PERCENT",
        help="EU + state share asked (default: the maximum in programme.yaml, 80 %%)",
    )
    parser.add_argument(
        "--eu-amount",
        metavar="AMOUNT",
        help="EU + state amount as written in a plan, to check it (with --eu-rate: its "
        "stated share)",
    )
    parser.add_argument(
        "--max-rate",
        metavar="PERCENT",
        help="the call's maximum EU + state share (default from programme.yaml)",
    )
    parser.add_argument(
        "--own-kind",
        choices=[kind.value for kind in OwnKind],
        default=OwnKind.PRIVATE.value,
        help="label of own financing: private (associations) or municipal (default private)",
    )
    for flag, name in (
        ("--own", "own financing (default: the remainder)"),
        ("--municipal", "municipal funding (Kuntarahoitus)"),
        ("--other-public", "other public funding"),
        ("--private", "private funding"),
    ):
        parser.add_argument(flag, metavar="VALUE", help=f"{name}: {CONTRIBUTION_HELP}")
    parser.add_argument(
        "--split-municipal",
        metavar="NAMES",
        help="split the municipal row (for a municipal applicant without one: its own "
        'financing) across municipalities: "A,B,C" equally or "A=2,B=1" by weights',
    )
    parser.add_argument(
        "--municipal-amounts",
        metavar="ASKS",
        help="each municipality's yearly ask in euros and cents, as a request to the "
        'municipalities states it: "Hirvensalmi=2 533,65; Juva=3 333,35; Mikkeli=?" '
        '("?": not stated); totals over --years, checked against the municipal row',
    )
    parser.add_argument(
        "--years",
        default="1",
        metavar="N",
        help=f"years for --split-municipal and --municipal-amounts (1–{MAX_YEARS})",
    )
    parser.add_argument(
        "--lang",
        choices=list(LOCALES),
        default=SOURCE_LOCALE,
        help="language of the messages and labels (default fi)",
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    add_content_dir_argument(parser)
    parser.set_defaults(handler=run_budget)
    return parser


def add_check_content_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``check-content``: validate the content and list every problem."""
    parser = subparsers.add_parser(
        "check-content",
        help="validate programme.yaml and projects/*.yaml",
        description="Validate the content directory and report every problem with its file "
        "and field. Exit status 1 if there is any. What is valid but still to be filled in "
        "(the data controllers /privacy names) is listed as a warning.",
    )
    add_content_dir_argument(parser)
    parser.set_defaults(handler=run_check_content)
    return parser


# --- running -----------------------------------------------------------------------------


def _content_dir(args: argparse.Namespace) -> Path | None:
    if args.content_dir is not None:
        return Path(args.content_dir)
    from bot.config import Settings

    return Settings().content_dir


def run_check_content(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    content, issues = check_content(_content_dir(args))
    for issue in issues:
        print(issue, file=out)
    if content is None:
        print(f"{len(issues)} problem(s) found", file=out)
        return 1
    for warning in content_warnings(content, _content_dir(args)):
        print(f"warning: {warning}", file=out)
    print(
        f"OK: programme.yaml ({len(content.programme.faq)} FAQ entries), "
        f"{len(content.projects)} project(s): {', '.join(sorted(content.projects))}",
        file=out,
    )
    return 0


def run_budget(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Compute, print; 0 on success (flags included), 1 on content problems, 2 on bad input.

    A refusal is one sentence on stderr, the chat's own, in ``--lang``: never a code."""
    out = out or sys.stdout
    lang = args.lang
    try:
        programme = load_content(_content_dir(args)).programme
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        summary, plan, split = _compute(args, programme)
    except Refusal as refusal:
        print(_refusal_text(refusal, lang), file=sys.stderr)
        return 2
    if args.json:
        json.dump(_as_json(summary, plan, split, programme), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        _print_tables(summary, plan, split, programme, lang, out)
    return 0


# Where a refusal of the arithmetic points: the option that gave the field it names.
_COST_OPTIONS = {"income": "--income", "staff": "--staff-total"}
_PLAN_OPTIONS = {
    "net_total": "--staff-total",
    "eu_state_amount": "--eu-amount",
    "eu_state_percent": "--eu-rate",
    Row.OWN.value: "--own",
    Row.MUNICIPAL.value: "--municipal",
    Row.OTHER_PUBLIC.value: "--other-public",
    Row.PRIVATE.value: "--private",
}


# The refusals of one staff line: their field is the line's title.
_LINE_PROBLEMS = frozenset(
    {
        BudgetProblem.NO_PAY,
        BudgetProblem.BOTH_PAY,
        BudgetProblem.NO_TIME,
        BudgetProblem.BOTH_TIME,
        BudgetProblem.WORKING_TIME_RANGE,
        BudgetProblem.WORKING_TIME_WITH_HOURS,
    }
)


def _arithmetic(option_of: Callable[[str], str], compute: Callable[[], T]) -> T:
    """``compute()``; a refusal of the arithmetic becomes the chat's sentence for it, pointed
    at the option ``option_of`` names for the refused field (a staff line by its title)."""
    try:
        return compute()
    except BudgetInputError as error:
        if error.reason in _LINE_PROBLEMS:
            option = _line_option(error.field)
        else:
            option = option_of(error.field)
        raise Refusal(option, f"budget.error.{error.reason.value}") from None


def _line_option(title: str) -> str:
    return f'--staff-line "{title}"'


def _refusal_text(refusal: Refusal, lang: str) -> str:
    sentence = renderer().plain(lang, refusal.key, refusal.params)
    where = f"{refusal.option}: " if refusal.option else ""
    return f"hankebot budget: {where}{sentence}"


def _optional(value: str | None, read: Callable[[str], T]) -> T | None:
    return None if value is None else read(value)


def _compute(
    args: argparse.Namespace, programme: Programme
) -> tuple[CostSummary, FinancingPlan, MunicipalSplit | None]:
    max_rate = _optional(args.max_rate, lambda text: percent_value("--max-rate", text))
    rules = _arithmetic(
        lambda _: "", lambda: rules_from_programme(programme, max_rate_percent=max_rate)
    )
    income = money_value("--income", args.income)
    if args.staff_line:
        lines: list[StaffLine] = []
        for text in args.staff_line:
            argument = staff_line_value(text)
            line = argument.line
            if argument.side_key is not None:
                if argument.side_key not in {side.key for side in programme.staff_costs.side_costs}:
                    raise Refusal(_line_option(line.title), "budget.error.unknown_side_cost")
                side = rules_from_programme(programme, side_cost=argument.side_key)
                line = replace(line, side_cost_percent=side.side_cost_percent)
            lines.append(line)
        summary = _arithmetic(
            lambda field: _COST_OPTIONS.get(field, "--staff-line"),
            lambda: cost_summary(lines, income, rules),
        )
    else:
        staff = money_value("--staff-total", args.staff_total)
        if staff <= 0:
            raise Refusal("--staff-total", "budget.error.zero_staff")
        summary = _arithmetic(
            lambda field: _COST_OPTIONS.get(field, "--staff-total"),
            lambda: cost_summary(staff, income, rules),
        )
    if summary.staff <= 0:
        raise Refusal("--staff-line", "budget.error.zero_staff")
    request = FinancingInput(
        own_kind=OwnKind(args.own_kind),
        eu_state_percent=_optional(args.eu_rate, lambda text: percent_value("--eu-rate", text)),
        eu_state_amount=_optional(args.eu_amount, lambda text: money_value("--eu-amount", text)),
        own=_optional(args.own, lambda text: contribution_value("--own", text)),
        municipal=_optional(args.municipal, lambda text: contribution_value("--municipal", text)),
        other_public=_optional(
            args.other_public, lambda text: contribution_value("--other-public", text)
        ),
        private=_optional(args.private, lambda text: contribution_value("--private", text)),
    )
    plan = _arithmetic(
        lambda field: _PLAN_OPTIONS.get(field, ""),
        lambda: financing_plan(summary.net_total, request, rules),
    )
    years = int(
        _read(
            "--years",
            lambda: parse_quantity(
                args.years, key="budget.error.years", maximum=Decimal(MAX_YEARS), whole=True
            ),
        )
    )
    split = None
    row = Row.MUNICIPAL
    if plan.amount(Row.MUNICIPAL) == 0 and plan.own_kind is OwnKind.MUNICIPAL:
        row = Row.OWN
    if args.split_municipal and args.municipal_amounts:
        raise Refusal("--municipal-amounts", "cli.budget.split_or_amounts")
    if args.split_municipal:
        names, weights = _parse_split(args.split_municipal)
        split = _arithmetic(
            lambda _: "--split-municipal",
            lambda: split_municipal(plan.amount(row), names, weights=weights, years=years),
        )
    elif args.municipal_amounts:
        asks = municipal_amounts_value(args.municipal_amounts)
        expected = plan.amount(row) if args.municipal is not None or row is Row.OWN else None
        split = _arithmetic(
            lambda _: "--municipal-amounts",
            lambda: municipal_split_from_amounts(asks, years, expected_total=expected),
        )
    return summary, plan, split


def _parse_split(text: str) -> tuple[list[str], dict[str, Decimal] | None]:
    names: list[str] = []
    weights: dict[str, Decimal] = {}
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        name, sep, weight = part.partition("=")
        names.append(name.strip())
        if sep:
            weights[name.strip()] = _quantity(
                "--split-municipal", weight, "budget.error.weight", MAX_WEIGHT
            )
    _read("--split-municipal", lambda: parse_names(";".join(names)))
    return names, (weights or None)


# --- output ------------------------------------------------------------------------------


def _euros(amount: Decimal) -> str:
    """ "154 727" (whole euros, Finnish grouping)."""
    return format_decimal(amount, format="#,##0", locale="fi_FI").replace("\u00a0", " ")


def _cents(amount: Decimal) -> str:
    return format_decimal(amount, format="#,##0.00", locale="fi_FI").replace("\u00a0", " ")


def _share(value: Decimal) -> str:
    return format_decimal(value, format="0.00", locale="fi_FI")


def _row_label(programme: Programme, key: Row, own_kind: OwnKind, lang: str = "fi") -> str:
    """The funder's row name (Finnish, with a translation in sv and en, as in the chat)."""
    return row_name(programme, key, own_kind, lang)


def _print_tables(
    summary: CostSummary,
    plan: FinancingPlan,
    split: MunicipalSplit | None,
    programme: Programme,
    lang: str,
    out: TextIO,
) -> None:
    def word(key: str, **params: Param) -> str:
        return renderer().plain(lang, key, params)

    rows = programme.budget_rows
    labels = [
        form_label(text, lang)
        for text in (rows.staff, programme.cost_model().name, rows.income, rows.net_total)
    ]
    labels += [_row_label(programme, row.key, plan.own_kind, lang) for row in plan.rows]
    width = max(44, 3 + max(len(label) for label in labels))  # the longest label and a gap
    if summary.staff_lines:
        print(form_label(rows.staff, lang), file=out)
        for cost in summary.staff_lines:
            # The rate with the decimals the sum uses, so that rate × hours gives the cost.
            places = shown_rate_decimals(cost)
            rate = format_decimal(
                shown_rate(cost.hourly_rate_with_side_costs, places),
                format="#,##0." + "0" * places,
                locale="fi_FI",
            ).replace("\u00a0", " ")
            print(
                f"  {cost.line.title:<30} {rate:>8} €/h"
                f" × {_cents(cost.hours):>9} h = {_cents(cost.cost):>12} €",
                file=out,
            )
        print(file=out)
    flat_name = form_label(programme.cost_model().name, lang)
    print(f"{word('budget.doc.costs_sheet'):<{width}}{'€':>14}", file=out)
    for marker, label, amount in (
        ("1", form_label(rows.staff, lang), summary.staff),
        (" ", flat_name, summary.flat_rate),
        ("2", form_label(rows.income, lang), summary.income),
        (" ", form_label(rows.net_total, lang), summary.net_total),
    ):
        print(f"{marker} {label:<{width - 2}}{_euros(amount):>14}", file=out)
    print(file=out)
    share_title = word("budget.doc.share") + " %"
    print(f"{word('budget.doc.plan_sheet'):<{width}}{'€':>14}{share_title:>10}", file=out)
    for number, row in enumerate(plan.rows, start=1):
        label = _row_label(programme, row.key, plan.own_kind, lang)
        print(
            f"{number} {label:<{width - 2}}{_euros(row.amount):>14}{_share(row.share):>10}",
            file=out,
        )
    total_label = form_label(rows.plan_total, lang)
    total_share = _share(plan.total_share)
    print(f"  {total_label:<{width - 2}}{_euros(plan.total):>14}{total_share:>10}", file=out)
    if split is not None:
        print(file=out)
        print(word("budget.doc.municipal_sheet"), file=out)
        for share in split.shares:
            years = " + ".join(_cents(amount) for amount in share.per_year)
            total = (
                _cents(share.total) if share.total is not None else word("budget.doc.not_stated")
            )
            shown_years = f"   ({years})" if years else ""
            print(f"  {share.municipality:<30}{total:>14}{shown_years}", file=out)
        for year, amount in enumerate(split.per_year_total, start=1):
            print(f"  {word('budget.doc.year', year=year):<30}{_cents(amount):>14}", file=out)
        print(f"  {word('budget.doc.total'):<30}{_cents(split.total):>14}", file=out)
    flags = plan.flags + (split.flags if split is not None else ())
    if flags:
        print(file=out)
        for flag in flags:
            text = renderer().param(lang, flag_text(programme, plan.own_kind, flag, lang))
            print(renderer().to_plain(text), file=out)


def _whole(amount: Decimal) -> str:
    return str(amount.quantize(Decimal(1)))


def _two(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _flag_json(flag: Flag) -> dict[str, Any]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else _two(value)

    return {
        "code": flag.code.value,
        "row": flag.row.value if flag.row else None,
        "amount": text(flag.amount),
        "expected": text(flag.expected),
        "difference": text(flag.difference),
        "percent": text(flag.percent),
        "municipality": flag.municipality,
    }


def _as_json(
    summary: CostSummary,
    plan: FinancingPlan,
    split: MunicipalSplit | None,
    programme: Programme,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cost_model": programme.default_cost_model,
        "cost_summary": {
            "staff": _whole(summary.staff),
            "flat_rate": _whole(summary.flat_rate),
            "flat_rate_percent": _two(summary.flat_rate_percent),
            "income": _whole(summary.income),
            "net_total": _whole(summary.net_total),
        },
        "staff_lines": [
            {
                "title": cost.line.title,
                "hourly_rate": _two(cost.hourly_rate),
                "side_cost_percent": _two(cost.side_cost_percent),
                "hourly_rate_with_side_costs": _two(cost.hourly_rate_with_side_costs),
                "hours": _two(cost.hours),
                "cost": _two(cost.cost),
            }
            for cost in summary.staff_lines
        ],
        "financing_plan": {
            "own_kind": plan.own_kind.value,
            "rows": [
                {
                    "key": row.key.value,
                    "label": _row_label(programme, row.key, plan.own_kind),
                    "amount": _whole(row.amount),
                    "share": _two(row.share),
                    "stated_percent": None
                    if row.stated_percent is None
                    else _two(row.stated_percent),
                    "remainder": row.remainder,
                }
                for row in plan.rows
            ],
            "total": _whole(plan.total),
            "total_share": _two(plan.total_share),
        },
        "flags": [
            _flag_json(flag) for flag in plan.flags + (split.flags if split is not None else ())
        ],
    }
    if split is not None:
        data["municipal_split"] = {
            "total": _two(split.total),
            "per_year_total": [_two(amount) for amount in split.per_year_total],
            "shares": [
                {
                    "municipality": share.municipality,
                    "total": None if share.total is None else _two(share.total),
                    "per_year": [_two(amount) for amount in share.per_year],
                }
                for share in split.shares
            ],
        }
    return data
