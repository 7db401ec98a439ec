"""Meeting series: RRULEs in local time, DST, COUNT/UNTIL, cancellations and moves."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.recurrence import (
    MAX_COUNT,
    RecurrenceError,
    RepeatKind,
    RuleProblem,
    build_rule,
    describe_rule,
    expand,
    is_occurrence,
    normalize_rule,
    occurrences,
    split_rule,
)

TZ = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC
ALL_START = dt.datetime(2020, 1, 1, tzinfo=UTC)
ALL_END = dt.datetime(2035, 1, 1, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def all_occurrences(rule: str | None, start: dt.datetime, **kwargs: object) -> list[dt.datetime]:
    return occurrences(rule, start, ALL_START, ALL_END, TZ, **kwargs)  # type: ignore[arg-type]


def test_weekly_13_stays_13_local_across_all_three_dst_changes() -> None:
    start = local(2026, 10, 13, 13, 0)  # a Tuesday, summer time
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, until=dt.date(2027, 11, 9))
    found = all_occurrences(rule, start)

    assert all(o.tzinfo is UTC for o in found)
    assert {o.astimezone(TZ).time() for o in found} == {dt.time(13, 0)}
    assert {o.astimezone(TZ).weekday() for o in found} == {1}
    by_day = {o.astimezone(TZ).date(): o for o in found}
    # last Sunday of October 2026 is the 25th: 13.00 EEST = 10 UTC, then 13.00 EET = 11 UTC
    assert by_day[dt.date(2026, 10, 20)] == utc(2026, 10, 20, 10)
    assert by_day[dt.date(2026, 10, 27)] == utc(2026, 10, 27, 11)
    # last Sunday of March 2027 is the 28th
    assert by_day[dt.date(2027, 3, 23)] == utc(2027, 3, 23, 11)
    assert by_day[dt.date(2027, 3, 30)] == utc(2027, 3, 30, 10)
    # last Sunday of October 2027 is the 31st
    assert by_day[dt.date(2027, 10, 26)] == utc(2027, 10, 26, 10)
    assert by_day[dt.date(2027, 11, 2)] == utc(2027, 11, 2, 11)
    assert found[-1] == utc(2027, 11, 9, 11)  # UNTIL's day is included
    gaps = {b - a for a, b in itertools.pairwise(found)}
    assert gaps == {
        dt.timedelta(days=7),
        dt.timedelta(days=7, hours=1),
        dt.timedelta(days=6, hours=23),
    }


def test_biweekly_with_count() -> None:
    start = local(2026, 11, 24, 9, 30)
    rule = build_rule(RepeatKind.BIWEEKLY, start, TZ, count=5)
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=5"
    days = [o.astimezone(TZ).date() for o in all_occurrences(rule, start)]
    assert days == [dt.date(2026, 11, 24) + dt.timedelta(weeks=2 * i) for i in range(5)]


def test_monthly_first_tuesday() -> None:
    start = local(2026, 12, 1, 10, 0)  # first Tuesday of December
    rule = build_rule(RepeatKind.MONTHLY_NTH_WEEKDAY, start, TZ, count=4)
    assert rule == "FREQ=MONTHLY;BYDAY=1TU;COUNT=4"
    found = [o.astimezone(TZ) for o in all_occurrences(rule, start)]
    assert [o.date() for o in found] == [
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 2),
        dt.date(2027, 3, 2),
    ]
    assert {o.time() for o in found} == {dt.time(10, 0)}


def test_monthly_start_in_fifth_week_means_last_weekday() -> None:
    start = local(2026, 12, 29, 14, 0)  # fifth (last) Tuesday of December
    rule = build_rule(RepeatKind.MONTHLY_NTH_WEEKDAY, start, TZ, count=3)
    assert rule == "FREQ=MONTHLY;BYDAY=-1TU;COUNT=3"
    days = [o.astimezone(TZ).date() for o in all_occurrences(rule, start)]
    assert days == [dt.date(2026, 12, 29), dt.date(2027, 1, 26), dt.date(2027, 2, 23)]


def test_monthly_explicit_nth_must_match_start() -> None:
    start = local(2026, 12, 1, 10, 0)  # first Tuesday, not the second
    with pytest.raises(RecurrenceError) as info:
        build_rule(RepeatKind.MONTHLY_NTH_WEEKDAY, start, TZ, nth=2)
    assert info.value.reason is RuleProblem.START_NOT_IN_RULE
    with pytest.raises(RecurrenceError) as info:
        build_rule(RepeatKind.MONTHLY_NTH_WEEKDAY, start, TZ, nth=5)
    assert info.value.reason is RuleProblem.NTH_OUT_OF_RANGE


def test_count_gives_exactly_that_many() -> None:
    start = local(2027, 1, 4, 12, 0)
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, count=12)
    assert len(all_occurrences(rule, start)) == 12


def test_until_is_inclusive_of_its_local_day_and_stored_in_utc() -> None:
    start = local(2027, 5, 4, 18, 0)
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, until=dt.date(2027, 5, 25))
    assert rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270525T205959Z"  # 23.59.59 EEST
    days = [o.astimezone(TZ).date() for o in all_occurrences(rule, start)]
    assert days[-1] == dt.date(2027, 5, 25)
    assert len(days) == 4


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"count": 0}, RuleProblem.COUNT_OUT_OF_RANGE),
        ({"count": MAX_COUNT + 1}, RuleProblem.COUNT_OUT_OF_RANGE),
        ({"until": dt.date(2027, 5, 3)}, RuleProblem.UNTIL_BEFORE_START),
        ({"count": 3, "until": dt.date(2027, 6, 1)}, RuleProblem.COUNT_AND_UNTIL),
    ],
)
def test_bad_ends_are_rejected(kwargs: dict[str, object], reason: RuleProblem) -> None:
    with pytest.raises(RecurrenceError) as info:
        build_rule(RepeatKind.WEEKLY, local(2027, 5, 4, 18, 0), TZ, **kwargs)  # type: ignore[arg-type]
    assert info.value.reason is reason


def test_once_is_no_rule_and_refuses_an_end() -> None:
    start = local(2027, 5, 4, 18, 0)
    assert build_rule(RepeatKind.ONCE, start, TZ) is None
    assert all_occurrences(None, start) == [utc(2027, 5, 4, 15)]
    with pytest.raises(RecurrenceError) as info:
        build_rule(RepeatKind.ONCE, start, TZ, count=4)
    assert info.value.reason is RuleProblem.ONE_OFF_WITH_END


def test_window_is_half_open() -> None:
    start = local(2026, 11, 3, 13, 0)
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, count=4)
    first, second = utc(2026, 11, 3, 11), utc(2026, 11, 10, 11)
    assert occurrences(rule, start, first, second, TZ) == [first]
    assert occurrences(rule, start, first + dt.timedelta(seconds=1), second, TZ) == []


def test_cancelled_and_moved_occurrences() -> None:
    start = local(2026, 11, 3, 13, 0)
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, count=4)
    cancelled = [local(2026, 11, 10, 13, 0)]
    moved = {
        local(2026, 11, 17, 13, 0): local(2026, 11, 18, 15, 30),
        local(2026, 11, 25, 13, 0): local(2026, 11, 26, 9, 0),  # not an occurrence: ignored
    }
    found = expand(rule, start, ALL_START, ALL_END, TZ, cancelled=cancelled, moved=moved)
    assert [o.start.astimezone(TZ) for o in found] == [
        local(2026, 11, 3, 13, 0),
        local(2026, 11, 18, 15, 30),
        local(2026, 11, 24, 13, 0),
    ]
    assert [o.moved for o in found] == [False, True, False]
    assert found[1].recurrence_id == utc(2026, 11, 17, 11)


def test_moved_occurrence_follows_its_new_time_across_the_window() -> None:
    start = local(2026, 11, 3, 13, 0)
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, count=4)
    moved = {local(2026, 11, 24, 13, 0): local(2026, 11, 5, 10, 0)}
    window = (utc(2026, 11, 4), utc(2026, 11, 6))  # holds only the new time
    assert occurrences(rule, start, *window, TZ, moved=moved) == [utc(2026, 11, 5, 8)]
    later = (utc(2026, 11, 23), utc(2026, 11, 25))  # holds only the original time
    assert occurrences(rule, start, *later, TZ, moved=moved) == []


def test_moved_one_off() -> None:
    start = local(2026, 11, 3, 13, 0)
    moved = {start: local(2026, 11, 4, 13, 0)}
    assert all_occurrences(None, start, moved=moved) == [utc(2026, 11, 4, 11)]
    assert all_occurrences(None, start, cancelled=[start]) == []


def test_start_in_spring_gap_follows_rfc5545() -> None:
    start = local(2027, 3, 21, 3, 30)  # Sunday; next Sunday 03.30 does not exist
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, count=3)
    found = all_occurrences(rule, start)
    assert found[1] == utc(2027, 3, 28, 1, 30)  # read with the offset before the gap
    assert found[1].astimezone(TZ).time() == dt.time(4, 30)
    assert found[2].astimezone(TZ).time() == dt.time(3, 30)


def test_naive_start_is_local_wall_time() -> None:
    rule = "FREQ=WEEKLY;COUNT=2"
    assert all_occurrences(rule, dt.datetime(2026, 11, 3, 13, 0)) == all_occurrences(
        rule, local(2026, 11, 3, 13, 0)
    )


def test_naive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        occurrences(None, local(2026, 11, 3, 13), dt.datetime(2026, 1, 1), ALL_END, TZ)


def test_normalize_rule_canonical_form() -> None:
    start = local(2026, 11, 3, 13, 0)
    assert (
        normalize_rule("rrule:count=3;byday=+1tu;interval=1;freq=monthly", start, TZ)
        == "FREQ=MONTHLY;BYDAY=1TU;COUNT=3"
    )
    # a DATE until means that whole local day; a floating one is local time
    assert normalize_rule("FREQ=WEEKLY;UNTIL=20261231", start, TZ) == (
        "FREQ=WEEKLY;UNTIL=20261231T215959Z"
    )
    assert normalize_rule("FREQ=WEEKLY;UNTIL=20261124T130000", start, TZ) == (
        "FREQ=WEEKLY;UNTIL=20261124T110000Z"
    )
    built = build_rule(RepeatKind.BIWEEKLY, start, TZ, until=dt.date(2027, 2, 1))
    assert built is not None
    assert normalize_rule(built, start, TZ) == built


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=HOURLY;COUNT=3", RuleProblem.UNSUPPORTED_FREQUENCY),
        ("FREQ=SOMETIMES", RuleProblem.INVALID),
        ("COUNT=3", RuleProblem.INVALID),
        ("FREQ=WEEKLY;BYDAY=XX", RuleProblem.INVALID),
        ("FREQ=WEEKLY;COUNT=x", RuleProblem.INVALID),
        ("FREQ=WEEKLY;UNTIL=2026-12-31", RuleProblem.INVALID),
        ("FREQ=WEEKLY;FREQ=DAILY", RuleProblem.INVALID),
        ("FREQ=WEEKLY\nEXDATE:20261110T130000", RuleProblem.INVALID),
        ("FREQ=WEEKLY;BYDAY=WE", RuleProblem.START_NOT_IN_RULE),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20261231", RuleProblem.COUNT_AND_UNTIL),
        ("FREQ=WEEKLY;UNTIL=20261102", RuleProblem.UNTIL_BEFORE_START),
    ],
)
def test_normalize_rule_rejects(rule: str, reason: RuleProblem) -> None:
    with pytest.raises(RecurrenceError) as info:
        normalize_rule(rule, local(2026, 11, 3, 13, 0), TZ)
    assert info.value.reason is reason


def test_is_occurrence() -> None:
    start = local(2026, 11, 3, 13, 0)
    assert is_occurrence("FREQ=WEEKLY;COUNT=3", start, utc(2026, 11, 17, 11), TZ)
    assert not is_occurrence("FREQ=WEEKLY;COUNT=3", start, utc(2026, 11, 24, 11), TZ)
    assert is_occurrence(None, start, utc(2026, 11, 3, 11), TZ)


def test_describe_simple_rules() -> None:
    start = local(2026, 11, 3, 13, 0)
    once = describe_rule(None, start, TZ)
    assert (once.kind, once.first, once.time, once.last) == (
        RepeatKind.ONCE,
        dt.date(2026, 11, 3),
        dt.time(13, 0),
        dt.date(2026, 11, 3),
    )

    weekly = describe_rule(build_rule(RepeatKind.WEEKLY, start, TZ, count=10), start, TZ)
    assert (weekly.kind, weekly.weekday, weekly.count, weekly.last) == (
        RepeatKind.WEEKLY,
        1,
        10,
        dt.date(2027, 1, 5),
    )

    until = dt.date(2027, 1, 31)
    biweekly = describe_rule(build_rule(RepeatKind.BIWEEKLY, start, TZ, until=until), start, TZ)
    assert (biweekly.kind, biweekly.interval, biweekly.until, biweekly.last) == (
        RepeatKind.BIWEEKLY,
        2,
        until,
        dt.date(2027, 1, 26),
    )

    monthly = describe_rule("FREQ=MONTHLY;BYDAY=1TU", start, TZ)
    assert (monthly.kind, monthly.weekday, monthly.nth, monthly.count, monthly.last) == (
        RepeatKind.MONTHLY_NTH_WEEKDAY,
        1,
        1,
        None,
        None,
    )


@pytest.mark.parametrize(
    "rule",
    ["FREQ=DAILY;COUNT=5", "FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=WEEKLY;INTERVAL=3", "FREQ=YEARLY"],
)
def test_describe_other_rules_as_custom(rule: str) -> None:
    description = describe_rule(rule, local(2026, 11, 3, 13, 0), TZ)
    assert description.kind is RepeatKind.CUSTOM
    assert description.frequency == rule.split(";")[0].removeprefix("FREQ=")


@given(
    day=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 12, 31)),
    hour=st.integers(min_value=8, max_value=20),
    minute=st.sampled_from([0, 15, 30, 45]),
    kind=st.sampled_from([RepeatKind.WEEKLY, RepeatKind.BIWEEKLY, RepeatKind.MONTHLY_NTH_WEEKDAY]),
    count=st.integers(min_value=1, max_value=60),
)
def test_series_keep_wall_time_weekday_and_count(
    day: dt.date, hour: int, minute: int, kind: RepeatKind, count: int
) -> None:
    start = local(day.year, day.month, day.day, hour, minute)
    rule = build_rule(kind, start, TZ, count=count)
    found = all_occurrences(rule, start)
    assert len(found) == count
    assert found[0] == start.astimezone(UTC)
    assert found == sorted(set(found))
    wall = {o.astimezone(TZ).time() for o in found}
    assert wall == {dt.time(hour, minute)}
    assert {o.astimezone(TZ).weekday() for o in found} == {day.weekday()}


# --- cutting a series to change its time of day ---------------------------------------------


def test_split_shares_a_count_between_the_old_and_the_new_series() -> None:
    start = dt.datetime(2026, 3, 3, 13, 0)  # Tuesdays; the clocks go forward on 29.3.
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, count=10)
    assert rule is not None
    cut = dt.datetime(2026, 3, 31, 13, 0, tzinfo=TZ)
    head, tail = split_rule(rule, start, cut, dt.datetime(2026, 3, 31, 14, 30), TZ)
    assert head is not None and tail is not None
    before = occurrences(head, start, ALL_START, ALL_END, TZ)
    after = occurrences(tail, dt.datetime(2026, 3, 31, 14, 30), ALL_START, ALL_END, TZ)
    assert len(before) + len(after) == 10
    assert [m.astimezone(TZ).strftime("%d.%m. %H.%M") for m in before] == [
        "03.03. 13.00",
        "10.03. 13.00",
        "17.03. 13.00",
        "24.03. 13.00",
    ]
    assert {(m.astimezone(TZ).weekday(), m.astimezone(TZ).time()) for m in after} == {
        (1, dt.time(14, 30))  # Tuesdays at 14.30, summer time or not
    }
    assert after[0].astimezone(TZ).date() == dt.date(2026, 3, 31)


def test_split_keeps_the_last_day_of_an_until_rule_when_the_time_moves_later() -> None:
    start = dt.datetime(2026, 11, 3, 13, 0)
    rule = build_rule(RepeatKind.WEEKLY, start, TZ, until=dt.date(2026, 12, 1))
    assert rule is not None
    cut = dt.datetime(2026, 11, 17, 13, 0, tzinfo=TZ)
    head, tail = split_rule(rule, start, cut, dt.datetime(2026, 11, 17, 23, 0), TZ)
    assert head is not None and tail is not None
    after = occurrences(tail, dt.datetime(2026, 11, 17, 23, 0), ALL_START, ALL_END, TZ)
    assert [m.astimezone(TZ).day for m in after] == [17, 24, 1]
    assert len(occurrences(head, start, ALL_START, ALL_END, TZ)) == 2


def test_split_at_the_first_meeting_leaves_no_old_series() -> None:
    start = dt.datetime(2026, 11, 3, 13, 0)
    head, tail = split_rule(
        "FREQ=WEEKLY;BYDAY=TU", start, start.replace(tzinfo=TZ), dt.datetime(2026, 11, 3, 9), TZ
    )
    assert head is None
    assert tail == "FREQ=WEEKLY;BYDAY=TU"


def test_split_at_the_last_meeting_leaves_a_one_off() -> None:
    start = dt.datetime(2026, 11, 3, 13, 0)
    cut = dt.datetime(2026, 11, 10, 13, 0, tzinfo=TZ)
    head, tail = split_rule("FREQ=WEEKLY;COUNT=2", start, cut, dt.datetime(2026, 11, 10, 15), TZ)
    assert head == "FREQ=WEEKLY;UNTIL=20261110T105959Z"
    assert tail is None


def test_split_refuses_a_moment_that_is_not_a_meeting_of_the_series() -> None:
    start = dt.datetime(2026, 11, 3, 13, 0)
    with pytest.raises(RecurrenceError):
        split_rule(
            "FREQ=WEEKLY;COUNT=4",
            start,
            dt.datetime(2026, 11, 11, 13, 0, tzinfo=TZ),
            dt.datetime(2026, 11, 11, 15),
            TZ,
        )
