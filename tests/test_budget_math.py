"""The funder's budget arithmetic, checked against every seed budget (DOMAIN.md)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import load_content
from handlers.domain.budget_math import (
    BudgetInputError,
    BudgetProblem,
    Contribution,
    CostRules,
    FinancingInput,
    FlagCode,
    OwnKind,
    Row,
    StaffLine,
    apportion,
    cost_summary,
    financing_plan,
    monthly_factor,
    municipal_split_from_amounts,
    rules_from_programme,
    shown_rate,
    shown_rate_decimals,
    split_municipal,
    staff_cost,
)

D = Decimal


def amount(value: int) -> Contribution:
    return Contribution(amount=D(value))


# (seed, staff, flat, net, eu_state, own kind, own, municipal, other public)
SEEDS = [
    ("000", 154_727, 61_891, 216_618, 173_294, OwnKind.PRIVATE, 4_326, 19_499, 19_499),
    ("002", 618_629, 247_452, 866_081, 692_864, OwnKind.MUNICIPAL, 173_217, 0, 0),
    (
        "004-computed",
        6_161_688,
        2_464_675,
        8_626_363,
        6_901_090,
        OwnKind.MUNICIPAL,
        1_725_273,
        0,
        0,
    ),
]


@pytest.mark.parametrize(
    ("seed", "staff", "flat", "net", "eu", "kind", "own", "municipal", "other"), SEEDS
)
def test_seed_budgets_are_reproduced(
    seed: str,
    staff: int,
    flat: int,
    net: int,
    eu: int,
    kind: OwnKind,
    own: int,
    municipal: int,
    other: int,
) -> None:
    summary = cost_summary(D(staff))
    assert (summary.staff, summary.flat_rate, summary.income, summary.net_total) == (
        D(staff),
        D(flat),
        D(0),
        D(net),
    )
    request = FinancingInput(
        own_kind=kind,
        municipal=amount(municipal) if municipal else None,
        other_public=amount(other) if other else None,
    )
    plan = financing_plan(summary.net_total, request)
    assert plan.amount(Row.EU_STATE) == eu
    assert plan.amount(Row.OWN) == own
    assert plan.amount(Row.MUNICIPAL) == municipal
    assert plan.amount(Row.OTHER_PUBLIC) == other
    assert plan.amount(Row.PRIVATE) == 0
    assert plan.total == net
    assert plan.row(Row.OWN).remainder
    assert plan.row(Row.EU_STATE).share == D("80.00")
    assert plan.total_share == D("100.00")
    assert plan.flags == ()


def test_seed_003_computed_the_funders_way() -> None:
    summary = cost_summary(D(185_294))
    assert (summary.flat_rate, summary.net_total) == (D(74_118), D(259_412))
    plan = financing_plan(
        summary.net_total,
        FinancingInput(municipal=Contribution(percent=D(10))),
    )
    # floor(259 412 × 0.8) = 207 529; 10 % = 25 941.20 → 25 941; own absorbs 25 942.
    assert [row.amount for row in plan.rows] == [207_529, 25_942, 25_941, 0, 0]
    assert [row.share for row in plan.rows][:3] == [D("80.00"), D("10.00"), D("10.00")]
    assert plan.flags == ()


def test_seed_003_as_written_is_flagged_kindly() -> None:
    plan = financing_plan(
        D(259_412),
        FinancingInput(
            eu_state_percent=D(80),
            eu_state_amount=D(207_522),
            own=Contribution(D(25_945), D(10)),
            municipal=Contribution(D(25_945), D(10)),
        ),
    )
    assert plan.total == 259_412
    assert [row.share for row in plan.rows][:3] == [D("80.00"), D("10.00"), D("10.00")]
    off = {flag.row: flag.difference for flag in plan.flags}
    assert {flag.code for flag in plan.flags} == {FlagCode.ROW_OFF_STATED_PERCENT}
    assert off == {Row.EU_STATE: D("-7.60"), Row.OWN: D("3.80"), Row.MUNICIPAL: D("3.80")}


def test_seed_004_as_written_is_flagged() -> None:
    plan = financing_plan(
        D(8_626_363),
        FinancingInput(
            own_kind=OwnKind.MUNICIPAL,
            eu_state_percent=D(80),
            eu_state_amount=D(6_901_089),
            own=Contribution(D(1_725_274), D(20)),
        ),
    )
    assert plan.total == 8_626_363
    off = {flag.row: flag.difference for flag in plan.flags}
    assert off == {Row.EU_STATE: D("-1.40"), Row.OWN: D("1.40")}


def test_seed_000_municipal_and_other_public_given_as_written() -> None:
    plan = financing_plan(
        D(216_618),
        FinancingInput(
            eu_state_amount=D(173_294),
            own=amount(4_326),
            municipal=amount(19_499),
            other_public=amount(19_499),
        ),
    )
    assert plan.total == 216_618
    assert plan.flags == ()
    assert not any(row.remainder for row in plan.rows)


def test_seed_001_municipal_shares_per_year() -> None:
    split = municipal_split_from_amounts(
        {
            "Hirvensalmi": D("2533.65"),
            "Juva": D("3333.35"),
            "Kangasniemi": D("3333.35"),
            "Mikkeli": None,
        },
        years=2,
    )
    assert split.per_year_total == (D("9200.35"), D("9200.35"))
    assert split.total == D("18400.70")
    assert split.share("Juva").total == D("6666.70")
    assert [(flag.code, flag.municipality) for flag in split.flags] == [
        (FlagCode.MUNICIPALITY_AMOUNT_MISSING, "Mikkeli")
    ]


def test_municipal_amounts_are_checked_against_the_plan_row() -> None:
    split = municipal_split_from_amounts(
        {"Juva": D(100), "Puumala": D(50)}, 2, expected_total=D(301)
    )
    assert [flag.code for flag in split.flags] == [FlagCode.MUNICIPAL_SPLIT_MISMATCH]
    assert split.flags[0].difference == D(-1)


def test_staff_unit_cost_example_from_domain() -> None:
    full = staff_cost(StaffLine("PM", monthly_pay=D(3300), months=D(12)))
    assert full.hourly_rate.quantize(D("0.01")) == D("23.02")
    assert full.hourly_rate_with_side_costs.quantize(D("0.01")) == D("29.11")
    assert full.hours == 1720
    assert full.cost == D("50070.24")
    half = staff_cost(
        StaffLine("PM", monthly_pay=D(3300), months=D(12), working_time_percent=D(50))
    )
    assert half.hours == 860
    assert half.cost.quantize(D(1)) == 25_035
    summary = cost_summary([full.line, half.line])
    assert summary.staff == 75_105  # 50 070.24 + 25 035.12, rounded once
    assert summary.flat_rate == 30_042


def test_hourly_rate_rounding_is_a_content_choice() -> None:
    rounded = staff_cost(
        StaffLine("PM", monthly_pay=D(3300), months=D(12)), CostRules(hourly_rate_decimals=2)
    )
    assert rounded.hourly_rate_with_side_costs == D("29.11")
    assert rounded.cost == D("50069.20")


def test_hourly_pay_with_hours_and_uas_side_costs() -> None:
    cost = staff_cost(
        StaffLine("Teacher", hourly_pay=D(40), hours=D(100), side_cost_percent=D("20.42"))
    )
    assert cost.cost == D("4816.80")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (StaffLine("x", months=D(12)), BudgetProblem.NO_PAY),
        (StaffLine("x", monthly_pay=D(1), hourly_pay=D(1), months=D(1)), BudgetProblem.BOTH_PAY),
        (StaffLine("x", monthly_pay=D(1)), BudgetProblem.NO_TIME),
        (StaffLine("x", monthly_pay=D(1), months=D(1), hours=D(1)), BudgetProblem.BOTH_TIME),
        (
            StaffLine("x", monthly_pay=D(1), hours=D(1), working_time_percent=D(50)),
            BudgetProblem.WORKING_TIME_WITH_HOURS,
        ),
        (
            StaffLine("x", monthly_pay=D(1), months=D(1), working_time_percent=D(0)),
            BudgetProblem.WORKING_TIME_RANGE,
        ),
        (StaffLine("x", monthly_pay=D(-1), months=D(1)), BudgetProblem.NEGATIVE),
    ],
)
def test_staff_line_errors(line: StaffLine, reason: BudgetProblem) -> None:
    with pytest.raises(BudgetInputError) as caught:
        staff_cost(line)
    assert caught.value.reason is reason


def test_income_is_deducted_and_cannot_exceed_costs() -> None:
    summary = cost_summary(D(1000), income=D(100))
    assert summary.net_total == 1000 + 400 - 100
    with pytest.raises(BudgetInputError) as caught:
        cost_summary(D(1000), income=D(1401))
    assert caught.value.reason is BudgetProblem.INCOME_EXCEEDS_COSTS


def test_eu_state_above_the_maximum_is_flagged() -> None:
    plan = financing_plan(D(216_618), FinancingInput(eu_state_amount=D(173_295)))
    codes = [flag.code for flag in plan.flags]
    assert codes == [FlagCode.EU_STATE_ABOVE_MAX]
    assert plan.flags[0].expected == 173_294


def test_a_rate_above_the_call_maximum_is_flagged() -> None:
    plan = financing_plan(D(1000), FinancingInput(eu_state_percent=D(90)))
    assert plan.amount(Row.EU_STATE) == 900
    assert {flag.code for flag in plan.flags} == {
        FlagCode.EU_STATE_RATE_ABOVE_MAX,
        FlagCode.EU_STATE_ABOVE_MAX,
    }


def test_a_lower_call_rate_is_honoured() -> None:
    plan = financing_plan(D(1001), rules=CostRules(max_public_rate_percent=D(75)))
    assert plan.amount(Row.EU_STATE) == 750  # 750.75, never rounded up
    assert plan.amount(Row.OWN) == 251


def test_rounding_eu_state_up_is_flagged_below_the_maximum() -> None:
    plan = financing_plan(D(1001), FinancingInput(eu_state_percent=D(75), eu_state_amount=D(751)))
    assert [flag.code for flag in plan.flags] == [FlagCode.EU_STATE_ROUNDED_UP]


def test_rows_that_do_not_sum_are_flagged() -> None:
    plan = financing_plan(
        D(1000), FinancingInput(eu_state_amount=D(800), own=amount(150), municipal=amount(40))
    )
    assert [flag.code for flag in plan.flags] == [FlagCode.ROWS_DO_NOT_SUM]
    assert plan.flags[0].difference == -10


def test_a_percentage_row_absorbs_when_own_is_an_amount() -> None:
    plan = financing_plan(
        D(1003), FinancingInput(own=amount(100), municipal=Contribution(percent=D(10)))
    )
    assert plan.row(Row.MUNICIPAL).remainder
    assert plan.amount(Row.MUNICIPAL) == 1003 - 802 - 100
    assert plan.total == 1003


def test_co_financing_larger_than_the_remainder_leaves_a_negative_row() -> None:
    plan = financing_plan(D(1000), FinancingInput(municipal=amount(300)))
    assert plan.amount(Row.OWN) == -100
    assert [flag.code for flag in plan.flags] == [FlagCode.NEGATIVE_ROW]


def test_missing_co_financing_is_flagged() -> None:
    plan = financing_plan(
        D(1000),
        FinancingInput(eu_state_percent=D(100)),
        CostRules(max_public_rate_percent=D(100)),
    )
    assert [flag.code for flag in plan.flags] == [FlagCode.MISSING_CO_FINANCING]


def test_plan_amounts_must_be_whole_euros() -> None:
    with pytest.raises(BudgetInputError) as caught:
        financing_plan(D(1000), FinancingInput(municipal=Contribution(amount=D("10.5"))))
    assert caught.value.reason is BudgetProblem.NOT_WHOLE_EUROS


def test_equal_split_across_municipalities_and_years() -> None:
    split = split_municipal(D(1000), ["Juva", "Puumala", "Mikkeli"], years=2)
    assert [share.total for share in split.shares] == [D("333.34"), D("333.33"), D("333.33")]
    assert split.total == 1000
    assert sum(split.per_year_total) == 1000
    for share in split.shares:
        assert share.total is not None
        assert sum(share.per_year) == share.total


def test_weighted_split() -> None:
    split = split_municipal(D(100), ["A", "B"], weights={"A": D(3), "B": D(1)})
    assert [share.total for share in split.shares] == [D(75), D(25)]
    with pytest.raises(BudgetInputError):
        split_municipal(D(100), ["A", "B"], weights={"A": D(1)})


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(any),
)
def test_apportion_sums_exactly(cents: int, weights: list[int]) -> None:
    total = D(cents) / 100
    parts = apportion(total, [D(w) for w in weights])
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / weight_sum) < D("0.01")


def test_rules_come_from_content() -> None:
    rules = rules_from_programme(load_content().programme)
    assert rules.flat_rate_percent == 40
    assert rules.hours_per_year == 1720
    assert rules.side_cost_percent == D("26.44")
    assert rules.max_public_rate_percent == 80
    uas = rules_from_programme(load_content().programme, side_cost="uas-teacher")
    assert uas.side_cost_percent == D("20.42")
    with pytest.raises(BudgetInputError) as caught:
        rules_from_programme(load_content().programme, cost_model="flat-rate-7-indirect")
    assert caught.value.reason is BudgetProblem.UNSUPPORTED_COST_MODEL


@given(st.integers(min_value=0, max_value=10**8))
def test_flat_rate_is_40_percent_rounded_half_up(staff: int) -> None:
    flat = cost_summary(D(staff)).flat_rate
    assert flat == (staff * 4 + 5) // 10  # integer half-up of staff × 0.4


percents = st.integers(min_value=0, max_value=2000).map(lambda n: D(n) / 100)


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=8000).map(lambda n: D(n) / 100),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**6).map(amount)),
    st.one_of(st.none(), percents.map(lambda p: Contribution(percent=p))),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**6).map(amount)),
)
def test_the_plan_always_sums_and_never_exceeds_the_rate(
    total: int,
    rate: Decimal,
    municipal: Contribution | None,
    other_public: Contribution | None,
    private: Contribution | None,
) -> None:
    plan = financing_plan(
        D(total),
        FinancingInput(
            eu_state_percent=rate,
            municipal=municipal,
            other_public=other_public,
            private=private,
        ),
    )
    assert plan.total == total
    assert sum(row.amount for row in plan.rows) == total
    eu_state = plan.amount(Row.EU_STATE)
    assert eu_state <= D(total) * rate / 100
    assert eu_state == (D(total) * rate / 100).to_integral_value(rounding=ROUND_FLOOR)
    assert FlagCode.ROWS_DO_NOT_SUM not in {flag.code for flag in plan.flags}
    assert FlagCode.EU_STATE_ABOVE_MAX not in {flag.code for flag in plan.flags}


def test_the_shown_figures_add_up_to_the_cost() -> None:
    # 3 300 €/month: 29,11 €/h × 1 720 h = 50 069,20 €, not the 50 070,24 € the sum gives
    # with the exact rate (29,1106046…): no short rate adds up, so the exact figures are
    # pay × months × share × side-cost factor.
    full = staff_cost(StaffLine("PM", monthly_pay=D(3300), months=D(12)))
    assert full.cost == D("50070.24")
    assert shown_rate(full.hourly_rate_with_side_costs, 2) * full.hours != full.cost
    factor = monthly_factor(full)
    assert factor == D("1.2644")
    assert (D(3300) * 12 * 1 * factor).quantize(D("0.01")) == full.cost
    hourly = staff_cost(
        StaffLine("T", hourly_pay=D("25.50"), hours=D(800), side_cost_percent=D("20.42"))
    )
    decimals = shown_rate_decimals(hourly)
    assert shown_rate(hourly.hourly_rate_with_side_costs, decimals) == D("30.7071")
    rounded = staff_cost(
        StaffLine("PM", monthly_pay=D(3300), months=D(12)), CostRules(hourly_rate_decimals=2)
    )
    assert shown_rate_decimals(rounded) == 2  # content rounds the rate: 29,11 × 1 720


@given(
    pay=st.integers(min_value=1000, max_value=9000),
    months=st.integers(min_value=1, max_value=48),
    share=st.integers(min_value=1, max_value=100),
    hourly=st.decimals(min_value=D(1), max_value=D(200), places=2),
    hours=st.decimals(min_value=D(1), max_value=D(10000), places=2),
    side=st.decimals(min_value=D(0), max_value=D(50), places=2),
)
def test_shown_figures_always_add_up(
    pay: int, months: int, share: int, hourly: D, hours: D, side: D
) -> None:
    monthly = staff_cost(
        StaffLine("x", monthly_pay=D(pay), months=D(months), working_time_percent=D(share))
    )
    exact = D(pay) * months * D(share) / 100 * monthly_factor(monthly)
    assert exact.quantize(D("0.01"), rounding=ROUND_HALF_UP) == monthly.cost
    by_hours = staff_cost(StaffLine("y", hourly_pay=hourly, hours=hours, side_cost_percent=side))
    rate = shown_rate(by_hours.hourly_rate_with_side_costs, shown_rate_decimals(by_hours))
    assert (rate * by_hours.hours).quantize(D("0.01"), rounding=ROUND_HALF_UP) == by_hours.cost
