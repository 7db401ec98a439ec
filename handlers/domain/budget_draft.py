"""The budget walk-through's draft and what it computes. Pure: no I/O, no wording.

The chat flow keeps a draft in the conversation state as plain JSON (decimals as strings);
:func:`draft_from_data` reads it and :func:`compute` turns it into the funder's cost summary,
financing plan and municipal split with :mod:`handlers.domain.budget_math`. The typed-input readers
here (:func:`parse_quantity`, :func:`parse_row`, :func:`parse_names`, ...) refuse anything
they would have to guess with an :class:`EntryError` whose ``key`` is a catalog key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from content.schema import Localized, Programme
from handlers.domain.budget_math import (
    BudgetInputError,
    Contribution,
    CostRules,
    CostSummary,
    FinancingInput,
    FinancingPlan,
    Flag,
    MunicipalSplit,
    OwnKind,
    Row,
    StaffCost,
    StaffLine,
    cost_summary,
    financing_plan,
    municipal_split_from_amounts,
    rules_from_programme,
    split_municipal,
    staff_cost,
)
from handlers.domain.money import (
    InputProblem,
    MoneyInputError,
    Per,
    PercentInputError,
    parse_money,
    parse_percent,
)
from messages.words import every

MAX_TITLE = 80
MAX_ROW_LENGTH = 100  # "25 945 € 10 %" is 13
MAX_MUNICIPALITIES = 40
MAX_YEARS = 10
MAX_MONTHS = Decimal(120)
MAX_HOURS = Decimal(20_000)
MAX_MONTHLY_PAY = Decimal(30_000)
MAX_HOURLY_PAY = Decimal(300)
MAX_WEIGHT = Decimal(100_000_000)  # a weight is e.g. a population
SPLIT_METHODS = ("equal", "weights", "amounts")
ROW_KEYS = ("own", "municipal", "other_public", "private")
_UNKNOWN_MARKS = frozenset({"-", "?", "–", "—"})
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\u2019-][^\W\d_]+)*$")
_QUANTITY = re.compile(r"^\d{1,3}(?: \d{3})+(?:[.,]\d+)?$|^\d+(?:[.,]\d+)?$")
_PERCENT_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:%|prosenttia|procent|percent)")
_CURRENCY_MARK = re.compile(r"€|\beur|\beuro|e\b|t€|k€|m€|milj|miljoona|million", re.I)


class EntryError(ValueError):
    """Typed input that cannot be accepted: ``key`` is the catalog key to answer with."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def form_label(text: Localized, locale: str) -> str:
    """A label of the funder's forms: the official Finnish name in every language, with a
    translation in brackets in Swedish and English ("Kuntarahoitus (Municipal funding)")."""
    official = text.get("fi")
    translated = text.get(locale)
    return official if translated == official else f"{official} ({translated})"


# --- readers -------------------------------------------------------------------------------


def money(
    text: str, locale: str, *, maximum: Decimal | None = None, per: Per | None = None
) -> Decimal:
    """A euro amount, or :class:`EntryError` with a ``money.error.*`` key; ``per`` is the
    unit the question asks (an hourly or monthly pay), whose errors say it in their example."""
    try:
        if maximum is None:
            return parse_money(text, locale, per=per)
        return parse_money(text, locale, maximum=maximum, per=per)
    except MoneyInputError as error:
        reason = error.reason
        if reason is InputProblem.WRONG_UNIT:
            raise EntryError(f"money.error.wrong_unit_{per or 'total'}") from error
        if per is not None and reason in (InputProblem.FORMAT, InputProblem.EMPTY):
            raise EntryError(f"money.error.format_{per}") from error
        raise EntryError(f"money.error.{reason.value}") from error


def percent(text: str) -> Decimal:
    """A percentage 0–100, or :class:`EntryError` with a ``percent.error.*`` key."""
    try:
        return parse_percent(text)
    except PercentInputError as error:
        raise EntryError(f"percent.error.{error.reason.value}") from error


def parse_quantity(text: str, *, key: str, maximum: Decimal, whole: bool = False) -> Decimal:
    """A positive number of months, hours or a weight: "24", "10,5", "1 720".

    Anything else (letters, a negative or zero number, more than two decimals, above
    ``maximum``) raises :class:`EntryError` with ``key``.
    """
    cleaned = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    if len(cleaned) > 40 or not _QUANTITY.match(cleaned):
        raise EntryError(key, maximum=maximum)
    try:
        value = Decimal(cleaned.replace(" ", "").replace(",", "."))
    except InvalidOperation as error:  # pragma: no cover - the pattern admits digits only
        raise EntryError(key, maximum=maximum) from error
    if value <= 0 or value > maximum or value != value.quantize(Decimal("0.01")):
        raise EntryError(key, maximum=maximum)
    if whole and value != value.to_integral_value():
        raise EntryError(key, maximum=maximum)
    return value.normalize() if value == value.to_integral_value() else value


def parse_row(text: str, locale: str, *, total: Decimal) -> Contribution:
    """A financing row as typed: an amount ("19 499"), a percentage ("9 %") or both
    ("25 945 € 10 %", as a written plan states it). "0" means no such row.

    A bare number from 1 to 100 is refused as ambiguous (euros or a percentage?).
    """
    if len(text) > MAX_ROW_LENGTH:  # before the pattern search, which is slow on 10 000 digits
        raise EntryError("budget.error.row_format")
    found = list(_PERCENT_PART.finditer(text))
    if len(found) > 1:
        raise EntryError("budget.error.row_format")
    share: Decimal | None = None
    rest = text
    if found:
        share = percent(found[0].group(0))
        rest = text[: found[0].start()] + text[found[0].end() :]
    rest = rest.strip().strip("()[]=/,;:").strip()
    rest = re.sub(r"\s*[(/=]\s*$|^\s*[)/=]\s*", "", rest).strip()
    amount: Decimal | None = None
    if rest:
        amount = money(rest, locale)
        if share is None and 0 < amount <= 100 and not _CURRENCY_MARK.search(rest):
            raise EntryError("budget.error.percent_or_euro")
        if amount != amount.to_integral_value():
            raise EntryError("budget.error.not_whole_euros")
        if amount > total:
            raise EntryError("budget.error.amount_above_total")
    if amount is None and share is None:
        raise EntryError("budget.error.row_format")
    return Contribution(amount=amount, percent=share)


_KEEP = frozenset(" ".join(word.split()).casefold() for word in every(lambda w: w.answers.keep))


def is_keep_word(text: str) -> bool:
    """ "sama", "Pidä ennallaan.": the person keeps the old value of what is edited."""
    return " ".join(text.strip().rstrip(".!").split()).casefold() in _KEEP


def parse_title(text: str) -> str:
    title = " ".join(text.split())
    if len(title) > MAX_TITLE:
        raise EntryError("budget.error.title_long", limit=MAX_TITLE)
    if not any(ch.isalpha() for ch in title):
        raise EntryError("budget.error.title")
    return title


def parse_names(text: str) -> list[str]:
    """Municipality names separated by commas, semicolons or lines."""
    names = [" ".join(part.split()) for part in re.split(r"[,;\n]", text)]
    names = [name for name in names if name]
    if not names or any(not _NAME.match(name) or len(name) > 40 for name in names):
        raise EntryError("budget.error.names")
    if len(names) > MAX_MUNICIPALITIES:
        raise EntryError("budget.error.too_many_names", limit=MAX_MUNICIPALITIES)
    if len({name.casefold() for name in names}) != len(names):
        raise EntryError("budget.error.duplicate_names")
    return names


def _parts(text: str, count: int) -> list[str]:
    parts = [part.strip() for part in re.split(r"[;\n]", text)]
    parts = [part for part in parts if part]
    if len(parts) != count:
        raise EntryError("budget.error.count", count=count)
    return parts


def parse_weights(text: str, count: int) -> list[Decimal]:
    """One weight per municipality (e.g. populations), separated by semicolons or lines."""
    weights = [
        parse_quantity(part, key="budget.error.weight", maximum=MAX_WEIGHT)
        for part in _parts(text, count)
    ]
    return weights


def parse_amounts(text: str, count: int, locale: str) -> list[Decimal | None]:
    """One per-year euro amount per municipality; "-" or "?" where the plan states none."""
    return [None if part in _UNKNOWN_MARKS else money(part, locale) for part in _parts(text, count)]


# --- the draft -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    """One staff line as the applicant typed it (side cost by its content key)."""

    title: str
    side: str | None = None
    monthly_pay: Decimal | None = None
    hourly_pay: Decimal | None = None
    working_time: Decimal = Decimal(100)
    months: Decimal | None = None
    hours: Decimal | None = None

    def staff_line(self, programme: Programme) -> StaffLine:
        side = programme.staff_costs.side_cost(self.side).percent if self.side else None
        return StaffLine(
            title=self.title,
            monthly_pay=self.monthly_pay,
            hourly_pay=self.hourly_pay,
            working_time_percent=self.working_time,
            months=self.months,
            hours=self.hours,
            side_cost_percent=side,
        )

    def to_data(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "side": self.side,
            "monthly_pay": _text(self.monthly_pay),
            "hourly_pay": _text(self.hourly_pay),
            "working_time": str(self.working_time),
            "months": _text(self.months),
            "hours": _text(self.hours),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DraftLine:
        return cls(
            title=str(data["title"]),
            side=data.get("side"),
            monthly_pay=_decimal(data.get("monthly_pay")),
            hourly_pay=_decimal(data.get("hourly_pay")),
            working_time=_decimal(data.get("working_time")) or Decimal(100),
            months=_decimal(data.get("months")),
            hours=_decimal(data.get("hours")),
        )


@dataclass(frozen=True)
class MunicipalDraft:
    names: tuple[str, ...]
    years: int
    method: str  # equal | weights | amounts
    weights: tuple[Decimal, ...] = ()
    amounts: tuple[Decimal | None, ...] = ()


@dataclass(frozen=True)
class Draft:
    cost_model: str | None = None
    staff_total: Decimal | None = None  # typed total; None: computed from lines
    lines: tuple[DraftLine, ...] = ()
    income: Decimal = Decimal(0)
    applicant: str | None = None
    eu: Contribution | None = None  # None: the call's maximum rate, rounded down
    rows: Mapping[str, Contribution | None] = field(default_factory=dict)
    municipal_split: MunicipalDraft | None = None


@dataclass(frozen=True)
class BudgetResult:
    rules: CostRules
    costs: CostSummary
    plan: FinancingPlan
    split: MunicipalSplit | None

    @property
    def flags(self) -> tuple[Flag, ...]:
        return self.plan.flags + (self.split.flags if self.split else ())


def own_kind_of(programme: Programme, applicant: str | None) -> OwnKind:
    kind = programme.applicant_type(applicant)
    municipal = kind is not None and kind.own_kind.value == "municipal"
    return OwnKind.MUNICIPAL if municipal else OwnKind.PRIVATE


def rules_for(programme: Programme, draft: Draft) -> CostRules:
    return rules_from_programme(programme, cost_model=draft.cost_model)


def costs_of(programme: Programme, draft: Draft) -> CostSummary:
    rules = rules_for(programme, draft)
    if draft.staff_total is not None:
        return cost_summary(draft.staff_total, draft.income, rules)
    return cost_summary([line.staff_line(programme) for line in draft.lines], draft.income, rules)


def compute(programme: Programme, draft: Draft) -> BudgetResult:
    """The cost summary, financing plan (with flags) and municipal split of ``draft``.

    Raises :class:`BudgetInputError` for input the arithmetic cannot take.
    """
    rules = rules_for(programme, draft)
    costs = costs_of(programme, draft)
    eu = draft.eu
    request = FinancingInput(
        own_kind=own_kind_of(programme, draft.applicant),
        eu_state_percent=eu.percent if eu else None,
        eu_state_amount=eu.amount if eu else None,
        own=draft.rows.get("own"),
        municipal=draft.rows.get("municipal"),
        other_public=draft.rows.get("other_public"),
        private=draft.rows.get("private"),
    )
    plan = financing_plan(costs.net_total, request, rules)
    split = None
    municipal = plan.amount(Row.MUNICIPAL)
    spec = draft.municipal_split
    if spec is not None:
        if spec.method == "amounts":
            split = municipal_split_from_amounts(
                dict(zip(spec.names, spec.amounts, strict=True)),
                spec.years,
                expected_total=municipal,
            )
        else:
            weights = (
                dict(zip(spec.names, spec.weights, strict=True))
                if spec.method == "weights"
                else None
            )
            split = split_municipal(municipal, spec.names, weights=weights, years=spec.years)
    return BudgetResult(rules, costs, plan, split)


# --- JSON <-> draft ---------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def contribution_data(value: Contribution | None) -> dict[str, str | None] | None:
    if value is None:
        return None
    return {"amount": _text(value.amount), "percent": _text(value.percent)}


def contribution_from(data: Any) -> Contribution | None:
    if not data:
        return None
    return Contribution(amount=_decimal(data.get("amount")), percent=_decimal(data.get("percent")))


def draft_from_data(data: Mapping[str, Any]) -> Draft:
    """The draft a conversation's data holds (see :mod:`handlers.applicant.budget`)."""
    split_data = data.get("split")
    split = None
    if split_data and split_data.get("method") in SPLIT_METHODS:
        split = MunicipalDraft(
            names=tuple(split_data["names"]),
            years=int(split_data["years"]),
            method=split_data["method"],
            weights=tuple(Decimal(w) for w in split_data.get("weights") or ()),
            amounts=tuple(_decimal(a) for a in split_data.get("amounts") or ()),
        )
    rows_data = data.get("rows") or {}
    return Draft(
        cost_model=data.get("model"),
        staff_total=_decimal(data.get("staff_total")),
        lines=tuple(DraftLine.from_data(line) for line in data.get("lines") or ()),
        income=_decimal(data.get("income")) or Decimal(0),
        applicant=data.get("applicant"),
        eu=contribution_from(data.get("eu")),
        rows={key: contribution_from(rows_data.get(key)) for key in ROW_KEYS if key in rows_data},
        municipal_split=split,
    )


def checked(programme: Programme, draft: Draft) -> BudgetResult:
    """:func:`compute`, with arithmetic refusals as :class:`EntryError`."""
    try:
        return compute(programme, draft)
    except BudgetInputError as error:
        raise EntryError(f"budget.error.{error.reason.value}") from error


def line_costs(
    programme: Programme, lines: Sequence[DraftLine], rules: CostRules
) -> list[StaffCost]:
    """Each line's computed unit cost."""
    return [staff_cost(line.staff_line(programme), rules) for line in lines]
