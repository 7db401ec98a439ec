"""The funder's budget arithmetic for ESR+ development projects. Pure: no I/O, no wording.

Cost summary (the funder's rows)::

    1 Palkkakustannukset                      staff unit costs, whole euros
      Flat rate 40 % kehittäminen             round-half-up(rate × staff), whole euros
    2 Tulot (vähennetään kustannuksista)      income, deducted
      Nettokustannusarvio yhteensä            staff + flat rate − income

Staff unit cost of one person: ``hourly = 12 × monthly pay / hours_per_year``, plus the fixed
side-cost percentage; ``cost = hourly × (1 + side %) × hours`` where a part-timer has
``hours_per_year × working-time share`` hours a year.

Financing plan: EU + state = floor(net total × rate) (never rounded up) unless an amount is
given as written; co-financing rows are amounts or percentages (round-half-up); one row (the
applicant's own financing, unless it is given as an amount) absorbs the remainder so the plan
sums exactly to the net total; shares are shown with two decimals. Input that cannot be
computed raises :class:`BudgetInputError`; what merely looks wrong in a plan (rows that do not
sum, a row off its stated percentage...) becomes a :class:`Flag` for the caller to explain.

Every rate comes in through :class:`CostRules`, built from ``content/programme.yaml``; the
defaults here are only the values the seeds used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from content.schema import Programme

EURO = Decimal(1)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_euros(amount: Decimal) -> Decimal:
    """Round half-up to whole euros, as the funder's forms do."""
    return amount.quantize(EURO, rounding=ROUND_HALF_UP)


def floor_euros(amount: Decimal) -> Decimal:
    """Whole euros, never rounded up."""
    return amount.quantize(EURO, rounding=ROUND_FLOOR)


def share_percent(amount: Decimal, total: Decimal) -> Decimal:
    """``amount`` as a percentage of ``total`` with two decimals (half-up)."""
    if total == 0:
        return Decimal("0.00")
    return (amount * HUNDRED / total).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CostRules:
    """The rates the arithmetic needs; :func:`rules_from_programme` reads them from content."""

    flat_rate_percent: Decimal = Decimal(40)
    hours_per_year: Decimal = Decimal(1720)
    side_cost_percent: Decimal = Decimal("26.44")
    max_public_rate_percent: Decimal = Decimal(80)
    hourly_rate_decimals: int | None = None
    """Round the hourly rate (and the rate with side costs) to this many decimals; None: exact."""
    tolerance: Decimal = EURO
    """How far (€) a row may be from its stated percentage before it is flagged."""


class BudgetProblem(StrEnum):
    """Why budget input was refused (machine-readable; the caller words it)."""

    UNSUPPORTED_COST_MODEL = "unsupported_cost_model"
    UNKNOWN_SIDE_COST = "unknown_side_cost"
    NO_PAY = "no_pay"
    BOTH_PAY = "both_pay"
    NO_TIME = "no_time"
    BOTH_TIME = "both_time"
    WORKING_TIME_WITH_HOURS = "working_time_with_hours"
    WORKING_TIME_RANGE = "working_time_range"
    NEGATIVE = "negative"
    NOT_WHOLE_EUROS = "not_whole_euros"
    EMPTY_CONTRIBUTION = "empty_contribution"
    INCOME_EXCEEDS_COSTS = "income_exceeds_costs"
    NO_MUNICIPALITIES = "no_municipalities"
    BAD_WEIGHTS = "bad_weights"
    BAD_YEARS = "bad_years"


class BudgetInputError(ValueError):
    """Budget input that cannot be computed; ``reason`` says why, ``field`` where."""

    def __init__(self, reason: BudgetProblem, field: str = "") -> None:
        super().__init__(f"{reason.value}: {field}" if field else reason.value)
        self.reason = reason
        self.field = field


def rules_from_programme(
    programme: Programme,
    *,
    cost_model: str | None = None,
    side_cost: str | None = None,
    max_rate_percent: Decimal | None = None,
) -> CostRules:
    """The :class:`CostRules` that ``programme.yaml`` sets (default cost model and side cost).

    ``max_rate_percent`` overrides the default maximum EU + state rate (a call's own rate).
    """
    wanted = cost_model or programme.default_cost_model
    model = next((m for m in programme.cost_models if m.key == wanted), None)
    if model is None or not model.supported or model.kind.value != "flat_rate_on_staff":
        raise BudgetInputError(BudgetProblem.UNSUPPORTED_COST_MODEL, cost_model or "")
    staff = programme.staff_costs
    wanted_side = side_cost or staff.default_side_cost
    side = next((item for item in staff.side_costs if item.key == wanted_side), None)
    if side is None:
        raise BudgetInputError(BudgetProblem.UNKNOWN_SIDE_COST, side_cost or "")
    return CostRules(
        flat_rate_percent=model.rate_percent,
        hours_per_year=staff.hours_per_year,
        side_cost_percent=side.percent,
        max_public_rate_percent=(
            programme.financing.default_max_rate_percent
            if max_rate_percent is None
            else max_rate_percent
        ),
        hourly_rate_decimals=staff.hourly_rate_decimals,
    )


# --- staff costs and the cost summary ---------------------------------------------------


@dataclass(frozen=True)
class StaffLine:
    """One person (or post) as unit costs: monthly or hourly pay, and months or hours.

    ``working_time_percent`` scales months (a 50 % part-timer works 860 h a year); when hours
    are given they are the hours actually planned. ``side_cost_percent`` None means the
    general rate from :class:`CostRules` (26.44 %; 20.42 % for UAS teachers).
    """

    title: str
    monthly_pay: Decimal | None = None
    hourly_pay: Decimal | None = None
    working_time_percent: Decimal = HUNDRED
    months: Decimal | None = None
    hours: Decimal | None = None
    side_cost_percent: Decimal | None = None


@dataclass(frozen=True)
class StaffCost:
    """A computed staff line: the rates, the hours and the cost in cents."""

    line: StaffLine
    hourly_rate: Decimal
    side_cost_percent: Decimal
    hourly_rate_with_side_costs: Decimal
    hours: Decimal
    cost: Decimal


@dataclass(frozen=True)
class CostSummary:
    """The funder's cost summary, whole euros."""

    staff: Decimal
    flat_rate: Decimal
    flat_rate_percent: Decimal
    income: Decimal
    net_total: Decimal
    staff_lines: tuple[StaffCost, ...] = ()


def _non_negative(value: Decimal | None, name: str) -> None:
    if value is not None and value < 0:
        raise BudgetInputError(BudgetProblem.NEGATIVE, name)


def staff_cost(line: StaffLine, rules: CostRules = CostRules()) -> StaffCost:
    """Unit cost of one staff line (cents, half-up)."""
    for name in ("monthly_pay", "hourly_pay", "months", "hours", "side_cost_percent"):
        _non_negative(getattr(line, name), name)
    if line.monthly_pay is None and line.hourly_pay is None:
        raise BudgetInputError(BudgetProblem.NO_PAY, line.title)
    if line.monthly_pay is not None and line.hourly_pay is not None:
        raise BudgetInputError(BudgetProblem.BOTH_PAY, line.title)
    if line.months is None and line.hours is None:
        raise BudgetInputError(BudgetProblem.NO_TIME, line.title)
    if line.months is not None and line.hours is not None:
        raise BudgetInputError(BudgetProblem.BOTH_TIME, line.title)
    if not 0 < line.working_time_percent <= HUNDRED:
        raise BudgetInputError(BudgetProblem.WORKING_TIME_RANGE, line.title)
    if line.hours is not None and line.working_time_percent != HUNDRED:
        raise BudgetInputError(BudgetProblem.WORKING_TIME_WITH_HOURS, line.title)

    def maybe_round(value: Decimal) -> Decimal:
        if rules.hourly_rate_decimals is None:
            return value
        return value.quantize(EURO.scaleb(-rules.hourly_rate_decimals), rounding=ROUND_HALF_UP)

    if line.monthly_pay is not None:
        hourly = maybe_round(12 * line.monthly_pay / rules.hours_per_year)
    else:
        assert line.hourly_pay is not None
        hourly = line.hourly_pay
    side = rules.side_cost_percent if line.side_cost_percent is None else line.side_cost_percent
    with_side = maybe_round(hourly * (1 + side / HUNDRED))
    if line.hours is not None:
        hours = line.hours
    else:
        assert line.months is not None
        hours = rules.hours_per_year * line.months / 12 * line.working_time_percent / HUNDRED
    cost = (with_side * hours).quantize(CENT, rounding=ROUND_HALF_UP)
    return StaffCost(line, hourly, side, with_side, hours, cost)


MAX_SHOWN_RATE_DECIMALS = 6


def shown_rate_decimals(cost: StaffCost) -> int:
    """How many decimals an hourly rate needs on screen so that the shown
    "hours × rate = cost" adds up: the fewest (at least two) with which the rounded rate with
    side costs, times the hours, gives the line's cost to the cent. The sum itself uses the
    exact rate (or the one content rounds to). An hourly pay with two decimals and a side
    cost with two always fits in six; a monthly pay's rate (÷ 1 720) may never fit, and the
    walk-through shows it as pay × months × share × side-cost factor instead
    (:func:`monthly_factor`)."""
    for decimals in range(2, MAX_SHOWN_RATE_DECIMALS + 1):
        quantum = EURO.scaleb(-decimals)
        rate = cost.hourly_rate_with_side_costs.quantize(quantum, rounding=ROUND_HALF_UP)
        if (rate * cost.hours).quantize(CENT, rounding=ROUND_HALF_UP) == cost.cost:
            return decimals
    return MAX_SHOWN_RATE_DECIMALS


def monthly_factor(cost: StaffCost) -> Decimal:
    """``1 + side %`` as the factor the exact sum of a monthly line uses (1,2644): its cost is
    ``monthly pay × months × working-time share × factor``, every figure exact."""
    return 1 + cost.side_cost_percent / HUNDRED


def shown_rate(value: Decimal, decimals: int) -> Decimal:
    """``value`` (a rate of :func:`shown_rate_decimals`) rounded half-up to ``decimals``."""
    return value.quantize(EURO.scaleb(-decimals), rounding=ROUND_HALF_UP)


def cost_summary(
    staff: Decimal | Sequence[StaffLine],
    income: Decimal = Decimal(0),
    rules: CostRules = CostRules(),
) -> CostSummary:
    """Staff costs (a total, or lines to compute) → the funder's cost summary.

    Line costs keep their cents; the staff total and income are rounded half-up to whole
    euros once, as the funder's summary shows them.
    """
    _non_negative(income, "income")
    if isinstance(staff, Decimal):
        _non_negative(staff, "staff")
        lines: tuple[StaffCost, ...] = ()
        staff_total = round_euros(staff)
    else:
        lines = tuple(staff_cost(line, rules) for line in staff)
        staff_total = round_euros(sum((line.cost for line in lines), Decimal(0)))
    flat = round_euros(staff_total * rules.flat_rate_percent / HUNDRED)
    income = round_euros(income)
    net = staff_total + flat - income
    if net < 0:
        raise BudgetInputError(BudgetProblem.INCOME_EXCEEDS_COSTS, "income")
    return CostSummary(staff_total, flat, rules.flat_rate_percent, income, net, lines)


# --- financing plan ----------------------------------------------------------------------


class OwnKind(StrEnum):
    """How the applicant's own financing is labelled: an association's money is private."""

    PRIVATE = "private"
    MUNICIPAL = "municipal"


class Row(StrEnum):
    """The rows of the funder's financing plan, in its order."""

    EU_STATE = "eu_state"
    OWN = "own"
    MUNICIPAL = "municipal"
    OTHER_PUBLIC = "other_public"
    PRIVATE = "private"


CO_FINANCING_ROWS = (Row.OWN, Row.MUNICIPAL, Row.OTHER_PUBLIC, Row.PRIVATE)


class FlagCode(StrEnum):
    """Something in a plan a careful reader would point out."""

    ROWS_DO_NOT_SUM = "rows_do_not_sum"
    EU_STATE_RATE_ABOVE_MAX = "eu_state_rate_above_max"
    EU_STATE_ABOVE_MAX = "eu_state_above_max"
    EU_STATE_ROUNDED_UP = "eu_state_rounded_up"
    ROW_OFF_STATED_PERCENT = "row_off_stated_percent"
    NEGATIVE_ROW = "negative_row"
    MISSING_CO_FINANCING = "missing_co_financing"
    MUNICIPALITY_AMOUNT_MISSING = "municipality_amount_missing"
    MUNICIPAL_SPLIT_MISMATCH = "municipal_split_mismatch"


@dataclass(frozen=True)
class Flag:
    """One finding, with the figures the message needs.

    ``amount`` is what the plan says, ``expected`` what the rule gives (cents where a
    percentage of the total is not whole), ``percent`` the stated or maximum rate.
    """

    code: FlagCode
    row: Row | None = None
    amount: Decimal | None = None
    expected: Decimal | None = None
    percent: Decimal | None = None
    municipality: str | None = None

    @property
    def difference(self) -> Decimal | None:
        """``amount − expected`` (positive: the plan says more than the rule)."""
        if self.amount is None or self.expected is None:
            return None
        return self.amount - self.expected


@dataclass(frozen=True)
class Contribution:
    """A co-financing row as stated: an amount, a percentage of the net total, or both.

    With both, the amount is used and checked against the percentage (to check a plan as
    written).
    """

    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class FinancingInput:
    """What the applicant states. Rows left None are zero, except ``own`` (the remainder)."""

    own_kind: OwnKind = OwnKind.PRIVATE
    eu_state_percent: Decimal | None = None
    """The rate asked; None: the call's maximum rate."""
    eu_state_amount: Decimal | None = None
    """The amount as written in a plan; None: computed as floor(total × rate)."""
    own: Contribution | None = None
    municipal: Contribution | None = None
    other_public: Contribution | None = None
    private: Contribution | None = None


@dataclass(frozen=True)
class PlanRow:
    """One row: whole euros, its share of the total (two decimals) and how it was decided."""

    key: Row
    amount: Decimal
    share: Decimal
    stated_percent: Decimal | None = None
    remainder: bool = False


@dataclass(frozen=True)
class FinancingPlan:
    """The funder's financing plan with the flags found in it."""

    net_total: Decimal
    own_kind: OwnKind
    rows: tuple[PlanRow, ...]
    total: Decimal
    total_share: Decimal
    flags: tuple[Flag, ...] = ()

    def row(self, key: Row) -> PlanRow:
        return next(row for row in self.rows if row.key is key)

    def amount(self, key: Row) -> Decimal:
        return self.row(key).amount


def _whole(amount: Decimal, name: str) -> Decimal:
    _non_negative(amount, name)
    if amount != amount.to_integral_value():
        raise BudgetInputError(BudgetProblem.NOT_WHOLE_EUROS, name)
    return amount.quantize(EURO)


def _stated_amount(contribution: Contribution, name: str) -> Decimal | None:
    if contribution.amount is None and contribution.percent is None:
        raise BudgetInputError(BudgetProblem.EMPTY_CONTRIBUTION, name)
    _non_negative(contribution.percent, name)
    if contribution.amount is not None:
        return _whole(contribution.amount, name)
    return None


def financing_plan(
    net_total: Decimal,
    request: FinancingInput = FinancingInput(),
    rules: CostRules = CostRules(),
) -> FinancingPlan:
    """Build (or check) the financing plan for ``net_total`` whole euros."""
    total = _whole(net_total, "net_total")
    flags: list[Flag] = []
    max_rate = rules.max_public_rate_percent
    rate = max_rate if request.eu_state_percent is None else request.eu_state_percent
    _non_negative(rate, "eu_state_percent")
    if rate > max_rate:
        flags.append(Flag(FlagCode.EU_STATE_RATE_ABOVE_MAX, Row.EU_STATE, percent=max_rate))
    if request.eu_state_amount is None:
        eu_state = floor_euros(total * rate / HUNDRED)
        eu_stated: Decimal | None = rate
    else:
        eu_state = _whole(request.eu_state_amount, "eu_state_amount")
        eu_stated = request.eu_state_percent

    stated: dict[Row, Contribution | None] = {
        Row.OWN: request.own,
        Row.MUNICIPAL: request.municipal,
        Row.OTHER_PUBLIC: request.other_public,
        Row.PRIVATE: request.private,
    }
    amounts: dict[Row, Decimal] = {Row.EU_STATE: eu_state}
    percents: dict[Row, Decimal | None] = {Row.EU_STATE: eu_stated}
    for key, contribution in stated.items():
        percents[key] = contribution.percent if contribution else None
        if contribution is None:
            amounts[key] = Decimal(0)
            continue
        amount = _stated_amount(contribution, key.value)
        if amount is None:
            assert contribution.percent is not None
            amount = round_euros(total * contribution.percent / HUNDRED)
        amounts[key] = amount

    absorber = _remainder_row(stated)
    if absorber is not None:
        others = sum((amounts[key] for key in amounts if key is not absorber), Decimal(0))
        amounts[absorber] = total - others

    plan_total = sum(amounts.values(), Decimal(0))
    flags.extend(_plan_flags(total, plan_total, amounts, percents, rules))
    rows = tuple(
        PlanRow(
            key,
            amounts[key],
            share_percent(amounts[key], total),
            percents[key],
            remainder=key is absorber,
        )
        for key in Row
    )
    return FinancingPlan(
        total,
        request.own_kind,
        rows,
        plan_total,
        share_percent(plan_total, total),
        tuple(flags),
    )


def _remainder_row(stated: Mapping[Row, Contribution | None]) -> Row | None:
    """Own financing absorbs the remainder unless given as an amount; then the last row
    given only as a percentage does; with every row an amount, nothing does."""
    own = stated[Row.OWN]
    if own is None or own.amount is None:
        return Row.OWN
    for key in (Row.PRIVATE, Row.OTHER_PUBLIC, Row.MUNICIPAL):
        contribution = stated[key]
        if contribution is not None and contribution.amount is None:
            return key
    return None


def _plan_flags(
    total: Decimal,
    plan_total: Decimal,
    amounts: Mapping[Row, Decimal],
    percents: Mapping[Row, Decimal | None],
    rules: CostRules,
) -> list[Flag]:
    flags: list[Flag] = []
    if plan_total != total:
        flags.append(Flag(FlagCode.ROWS_DO_NOT_SUM, amount=plan_total, expected=total))
    eu_state = amounts[Row.EU_STATE]
    max_rate = rules.max_public_rate_percent
    ceiling = total * max_rate / HUNDRED
    if eu_state > ceiling:
        flags.append(
            Flag(
                FlagCode.EU_STATE_ABOVE_MAX,
                Row.EU_STATE,
                amount=eu_state,
                expected=floor_euros(ceiling),
                percent=max_rate,
            )
        )
    for key, amount in amounts.items():
        if amount < 0:
            flags.append(Flag(FlagCode.NEGATIVE_ROW, key, amount=amount))
        stated = percents.get(key)
        if stated is None:
            continue
        expected = (total * stated / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(amount - expected) > rules.tolerance:
            flags.append(
                Flag(
                    FlagCode.ROW_OFF_STATED_PERCENT,
                    key,
                    amount=amount,
                    expected=expected,
                    percent=stated,
                )
            )
        elif key is Row.EU_STATE and amount > expected and stated < max_rate:
            flags.append(
                Flag(
                    FlagCode.EU_STATE_ROUNDED_UP,
                    key,
                    amount=amount,
                    expected=floor_euros(expected),
                    percent=stated,
                )
            )
    co_financing = sum((amounts[key] for key in CO_FINANCING_ROWS), Decimal(0))
    if co_financing == 0 and total > 0:
        flags.append(Flag(FlagCode.MISSING_CO_FINANCING))
    return flags


# --- municipal shares --------------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalShare:
    """One municipality's share; ``total`` None when the plan does not state it."""

    municipality: str
    total: Decimal | None
    per_year: tuple[Decimal, ...]


@dataclass(frozen=True)
class MunicipalSplit:
    """The municipal row split across municipalities and years (cents, sums exactly)."""

    shares: tuple[MunicipalShare, ...]
    per_year_total: tuple[Decimal, ...]
    total: Decimal
    flags: tuple[Flag, ...] = ()

    def share(self, municipality: str) -> MunicipalShare:
        return next(share for share in self.shares if share.municipality == municipality)


def apportion(total: Decimal, weights: Sequence[Decimal], unit: Decimal = CENT) -> list[Decimal]:
    """Split ``total`` by ``weights`` into multiples of ``unit`` summing exactly to ``total``.

    Largest-remainder method; ties go to the earlier item.
    """
    weight_sum = sum(weights, Decimal(0))
    if not weights or weight_sum <= 0 or any(weight < 0 for weight in weights):
        raise BudgetInputError(BudgetProblem.BAD_WEIGHTS)
    units = int((total / unit).to_integral_value(rounding=ROUND_HALF_UP))
    exact = [Decimal(units) * weight / weight_sum for weight in weights]
    base = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    leftover = units - sum(base)
    order = sorted(range(len(exact)), key=lambda index: (-(exact[index] - base[index]), index))
    for index in order[:leftover]:
        base[index] += 1
    return [Decimal(count) * unit for count in base]


def _years(years: int, year_weights: Sequence[Decimal] | None) -> list[Decimal]:
    if years < 1 or (year_weights is not None and len(year_weights) != years):
        raise BudgetInputError(BudgetProblem.BAD_YEARS)
    return list(year_weights) if year_weights is not None else [EURO] * years


def split_municipal(
    total: Decimal,
    municipalities: Sequence[str],
    *,
    weights: Mapping[str, Decimal] | None = None,
    years: int = 1,
    year_weights: Sequence[Decimal] | None = None,
) -> MunicipalSplit:
    """Split a municipal total equally (or by ``weights``, e.g. population) and by year."""
    if not municipalities:
        raise BudgetInputError(BudgetProblem.NO_MUNICIPALITIES)
    _non_negative(total, "municipal")
    by_year = _years(years, year_weights)
    if weights is None:
        municipal_weights = [EURO] * len(municipalities)
    else:
        if set(weights) != set(municipalities):
            raise BudgetInputError(BudgetProblem.BAD_WEIGHTS)
        municipal_weights = [weights[name] for name in municipalities]
    totals = apportion(total, municipal_weights)
    shares = tuple(
        MunicipalShare(name, amount, tuple(apportion(amount, by_year)))
        for name, amount in zip(municipalities, totals, strict=True)
    )
    return _split(shares, years)


def municipal_split_from_amounts(
    per_year: Mapping[str, Decimal | None],
    years: int,
    *,
    expected_total: Decimal | None = None,
) -> MunicipalSplit:
    """Per-year amounts as asked of each municipality (None: not stated), over ``years``.

    Flags municipalities without an amount and a total that differs from ``expected_total``
    (the plan's municipal row).
    """
    if not per_year:
        raise BudgetInputError(BudgetProblem.NO_MUNICIPALITIES)
    _years(years, None)
    shares = []
    flags = []
    for name, amount in per_year.items():
        if amount is None:
            shares.append(MunicipalShare(name, None, ()))
            flags.append(
                Flag(FlagCode.MUNICIPALITY_AMOUNT_MISSING, Row.MUNICIPAL, municipality=name)
            )
            continue
        _non_negative(amount, name)
        shares.append(MunicipalShare(name, amount * years, (amount,) * years))
    split = _split(tuple(shares), years)
    if expected_total is not None and split.total != expected_total:
        flags.append(
            Flag(
                FlagCode.MUNICIPAL_SPLIT_MISMATCH,
                Row.MUNICIPAL,
                amount=split.total,
                expected=expected_total,
            )
        )
    return MunicipalSplit(split.shares, split.per_year_total, split.total, tuple(flags))


def _split(shares: tuple[MunicipalShare, ...], years: int) -> MunicipalSplit:
    per_year_total = tuple(
        sum((share.per_year[year] for share in shares if share.per_year), Decimal(0))
        for year in range(years)
    )
    return MunicipalSplit(shares, per_year_total, sum(per_year_total, Decimal(0)))
