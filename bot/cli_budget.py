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
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from babel.numbers import format_decimal

from bot.cli_types import shown, whole_number
from content.loader import ContentError, check_content, content_warnings, load_content
from content.schema import Programme
from handlers.domain.budget_draft import (
    MAX_HOURS,
    MAX_MONTHS,
    MAX_WEIGHT,
    MAX_YEARS,
    EntryError,
    parse_quantity,
)
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
    rules_from_programme,
    split_municipal,
)
from handlers.domain.money import NumberInputError, parse_money, parse_percent

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


# --- argument types ----------------------------------------------------------------------


def money_argument(text: str) -> Decimal:
    """An euro amount as a Finn types it ("154 727", "1,5 milj. €")."""
    try:
        return parse_money(text)
    except NumberInputError as error:
        raise argparse.ArgumentTypeError(f"{error.reason.value}: {shown(text)}") from None


def percent_argument(text: str) -> Decimal:
    try:
        return parse_percent(text)
    except NumberInputError as error:
        raise argparse.ArgumentTypeError(f"{error.reason.value}: {shown(text)}") from None


def contribution_argument(text: str) -> Contribution:
    """``AMOUNT``, ``PERCENT%`` or ``AMOUNT@PERCENT%``."""
    amount_text, _, percent_text = text.partition("@")
    if percent_text:
        return Contribution(money_argument(amount_text), percent_argument(percent_text))
    if amount_text.strip().endswith("%"):
        return Contribution(percent=percent_argument(amount_text))
    return Contribution(amount=money_argument(amount_text))


def _quantity(text: str, key: str, maximum: Decimal) -> Decimal:
    """Months or hours of a staff line, by the chat's rule (above 0, at most ``maximum``,
    two decimals)."""
    try:
        return parse_quantity(text, key=key, maximum=maximum)
    except EntryError:
        raise argparse.ArgumentTypeError(
            f"{key}={shown(text)}: give a number above 0 and at most {maximum}"
        ) from None


@dataclass(frozen=True)
class StaffLineArgument:
    """A parsed ``--staff-line``; ``side_key`` names a side cost in programme.yaml."""

    line: StaffLine
    side_key: str | None = None


def staff_line_argument(text: str) -> StaffLineArgument:
    """``"TITLE;monthly=3300;pct=100;months=12"`` → :class:`StaffLineArgument`."""
    title, *pairs = [part.strip() for part in text.split(";")]
    if not title or "=" in title:
        raise argparse.ArgumentTypeError(f"a staff line starts with its title: {shown(text)}")
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lower()
        if not sep or key not in {"monthly", "hourly", "pct", "months", "hours", "side"}:
            raise argparse.ArgumentTypeError(f"unknown staff line field {shown(pair)}")
        if key in values:
            raise argparse.ArgumentTypeError(f"{key} given twice in {shown(text)}")
        values[key] = value.strip()
    side = values.get("side")
    side_is_percent = side is not None and _is_number(side)
    line = StaffLine(
        title=title,
        monthly_pay=money_argument(values["monthly"]) if "monthly" in values else None,
        hourly_pay=money_argument(values["hourly"]) if "hourly" in values else None,
        working_time_percent=percent_argument(values["pct"]) if "pct" in values else Decimal(100),
        months=_quantity(values["months"], "months", MAX_MONTHS) if "months" in values else None,
        hours=_quantity(values["hours"], "hours", MAX_HOURS) if "hours" in values else None,
        side_cost_percent=percent_argument(side) if side is not None and side_is_percent else None,
    )
    # A key such as "uas-teacher" is resolved against programme.yaml in run_budget.
    return StaffLineArgument(line, None if side_is_percent else side)


def _is_number(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("%", "").strip().isdigit()


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
    staff.add_argument(
        "--staff-total", type=money_argument, metavar="AMOUNT", help="staff costs in total (€)"
    )
    staff.add_argument(
        "--staff-line",
        type=staff_line_argument,
        action="append",
        metavar="SPEC",
        help='one person or post, repeatable: "TITLE;monthly=3300;pct=100;months=12" (see below)',
    )
    parser.add_argument(
        "--income",
        type=money_argument,
        default=Decimal(0),
        metavar="AMOUNT",
        help="income deducted from costs (default 0)",
    )
    parser.add_argument(
        "--eu-rate",
        type=percent_argument,
        metavar="PERCENT",
        help="EU + state share asked (default: the maximum in programme.yaml, 80 %%)",
    )
    parser.add_argument(
        "--eu-amount",
        type=money_argument,
        metavar="AMOUNT",
        help="EU + state amount as written in a plan, to check it (with --eu-rate: its "
        "stated share)",
    )
    parser.add_argument(
        "--max-rate",
        type=percent_argument,
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
        parser.add_argument(
            flag, type=contribution_argument, metavar="VALUE", help=f"{name}: {CONTRIBUTION_HELP}"
        )
    parser.add_argument(
        "--split-municipal",
        metavar="NAMES",
        help="split the municipal row (for a municipal applicant without one: its own "
        'financing) across municipalities: "A,B,C" equally or "A=2,B=1" by weights',
    )
    parser.add_argument(
        "--years",
        type=whole_number(1, MAX_YEARS),
        default=1,
        metavar="N",
        help=f"years for --split-municipal (1–{MAX_YEARS})",
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
    """Compute, print; 0 on success (flags included), 1 on content problems, 2 on bad input."""
    out = out or sys.stdout
    try:
        programme = load_content(_content_dir(args)).programme
    except ContentError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        summary, plan, split = _compute(args, programme)
    except BudgetInputError as error:
        print(
            f"error: {error.reason.value}" + (f" ({error.field})" if error.field else ""),
            file=sys.stderr,
        )
        return 2
    if args.json:
        json.dump(_as_json(summary, plan, split, programme), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        _print_tables(summary, plan, split, programme, out)
    return 0


def _compute(
    args: argparse.Namespace, programme: Programme
) -> tuple[CostSummary, FinancingPlan, MunicipalSplit | None]:
    rules = rules_from_programme(programme, max_rate_percent=args.max_rate)
    if args.staff_line:
        lines = []
        for argument in args.staff_line:
            line = argument.line
            if argument.side_key is not None:
                side = rules_from_programme(programme, side_cost=argument.side_key)
                line = replace(line, side_cost_percent=side.side_cost_percent)
            lines.append(line)
        summary = cost_summary(lines, args.income, rules)
    else:
        summary = cost_summary(args.staff_total, args.income, rules)
    request = FinancingInput(
        own_kind=OwnKind(args.own_kind),
        eu_state_percent=args.eu_rate,
        eu_state_amount=args.eu_amount,
        own=args.own,
        municipal=args.municipal,
        other_public=args.other_public,
        private=args.private,
    )
    plan = financing_plan(summary.net_total, request, rules)
    split = None
    if args.split_municipal:
        row = Row.MUNICIPAL
        if plan.amount(Row.MUNICIPAL) == 0 and plan.own_kind is OwnKind.MUNICIPAL:
            row = Row.OWN
        names, weights = _parse_split(args.split_municipal)
        split = split_municipal(plan.amount(row), names, weights=weights, years=args.years)
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
            try:
                weights[name.strip()] = parse_quantity(weight, key="weight", maximum=MAX_WEIGHT)
            except EntryError:
                raise BudgetInputError(BudgetProblem.BAD_WEIGHTS, shown(part)) from None
    return names, (weights or None)


# --- output ------------------------------------------------------------------------------


def _euros(amount: Decimal) -> str:
    """ "154 727" (whole euros, Finnish grouping)."""
    return format_decimal(amount, format="#,##0", locale="fi_FI").replace("\u00a0", " ")


def _cents(amount: Decimal) -> str:
    return format_decimal(amount, format="#,##0.00", locale="fi_FI").replace("\u00a0", " ")


def _share(value: Decimal) -> str:
    return format_decimal(value, format="0.00", locale="fi_FI")


def _row_label(programme: Programme, key: Row, own_kind: OwnKind) -> str:
    names = programme.budget_rows
    if key is Row.OWN:
        own = names.own_municipal if own_kind is OwnKind.MUNICIPAL else names.own_private
        return own.get("fi")
    label: str = getattr(names, key.value).get("fi")
    return label


def _print_tables(
    summary: CostSummary,
    plan: FinancingPlan,
    split: MunicipalSplit | None,
    programme: Programme,
    out: TextIO,
) -> None:
    rows = programme.budget_rows
    width = 44
    if summary.staff_lines:
        print("Palkkojen yksikkökustannukset", file=out)
        for cost in summary.staff_lines:
            print(
                f"  {cost.line.title:<30} {_cents(cost.hourly_rate_with_side_costs):>8} €/h"
                f" × {_cents(cost.hours):>9} h = {_cents(cost.cost):>12} €",
                file=out,
            )
        print(file=out)
    flat_name = programme.cost_model().name.get("fi")
    print(f"{'Kustannusarvion tiivistelmä':<{width}}{'€':>14}", file=out)
    for marker, label, amount in (
        ("1", rows.staff.get("fi"), summary.staff),
        (" ", flat_name, summary.flat_rate),
        ("2", rows.income.get("fi"), summary.income),
        (" ", rows.net_total.get("fi"), summary.net_total),
    ):
        print(f"{marker} {label:<{width - 2}}{_euros(amount):>14}", file=out)
    print(file=out)
    print(f"{'Rahoitussuunnitelman tiivistelmä':<{width}}{'€':>14}{'Osuus %':>10}", file=out)
    for number, row in enumerate(plan.rows, start=1):
        label = _row_label(programme, row.key, plan.own_kind)
        print(
            f"{number} {label:<{width - 2}}{_euros(row.amount):>14}{_share(row.share):>10}",
            file=out,
        )
    total_label = rows.plan_total.get("fi")
    total_share = _share(plan.total_share)
    print(f"  {total_label:<{width - 2}}{_euros(plan.total):>14}{total_share:>10}", file=out)
    if split is not None:
        print(file=out)
        print("Kuntaosuudet", file=out)
        for share in split.shares:
            years = " + ".join(_cents(amount) for amount in share.per_year)
            total = _cents(share.total) if share.total is not None else "?"
            print(f"  {share.municipality:<30}{total:>14}   ({years})", file=out)
    if plan.flags:
        print(file=out)
        for flag in plan.flags:
            print(f"! {_describe(flag, programme, plan.own_kind)}", file=out)


def _describe(flag: Flag, programme: Programme, own_kind: OwnKind) -> str:
    parts = [flag.code.value]
    if flag.row is not None:
        parts.append(_row_label(programme, flag.row, own_kind))
    if flag.amount is not None:
        parts.append(f"{_cents(flag.amount)} €")
    if flag.percent is not None:
        parts.append(f"{_share(flag.percent)} %")
    if flag.expected is not None:
        parts.append(f"odotettu {_cents(flag.expected)} €")
    difference = flag.difference
    if difference is not None:
        parts.append(f"ero {'+' if difference > 0 else ''}{_cents(difference)} €")
    return " | ".join(parts)


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
        "flags": [_flag_json(flag) for flag in plan.flags],
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
