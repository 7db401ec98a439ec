"""Finnish-style date and time answers: accepted forms, errors, DST gaps and folds."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handlers.domain.datetime_input import (
    DateTimeInputError,
    DateTimeProblem,
    localize,
    parse_date,
    parse_datetime,
    parse_full_date,
    parse_time,
)

TZ = ZoneInfo("Europe/Helsinki")
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=TZ)  # Tuesday noon


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13.00", dt.time(13, 0)),
        ("13:00", dt.time(13, 0)),
        ("13", dt.time(13, 0)),
        ("9", dt.time(9, 0)),
        ("klo 13.15", dt.time(13, 15)),
        ("klo13.15", dt.time(13, 15)),
        ("kl. 9.05", dt.time(9, 5)),
        ("KLO 0.00", dt.time(0, 0)),
        ("13:00:00", dt.time(13, 0)),
        (" 23.59 ", dt.time(23, 59)),
    ],
)
def test_times(text: str, expected: dt.time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("24.00", DateTimeProblem.INVALID_TIME),
        ("13.60", DateTimeProblem.INVALID_TIME),
        ("25", DateTimeProblem.INVALID_TIME),
        ("13.5", DateTimeProblem.UNRECOGNISED),
        ("1300", DateTimeProblem.UNRECOGNISED),
        ("iltapäivällä", DateTimeProblem.UNRECOGNISED),
        ("13.00 14.00", DateTimeProblem.UNRECOGNISED),
        ("", DateTimeProblem.EMPTY),
        ("   ", DateTimeProblem.EMPTY),
    ],
)
def test_bad_times(text: str, reason: DateTimeProblem) -> None:
    with pytest.raises(DateTimeInputError) as info:
        parse_time(text)
    assert info.value.reason is reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24.11.2026", dt.date(2026, 11, 24)),
        ("24.11.26", dt.date(2026, 11, 24)),
        ("2026-11-24", dt.date(2026, 11, 24)),
        ("24.11.", dt.date(2026, 11, 24)),  # today is not in the past
        ("24.11", dt.date(2026, 11, 24)),
        ("23.11.", dt.date(2027, 11, 23)),  # yesterday: the next such date
        ("1.1", dt.date(2027, 1, 1)),
        ("13.11", dt.date(2027, 11, 13)),
        ("29.2.", dt.date(2028, 2, 29)),
        ("ti", dt.date(2026, 11, 24)),
        ("tiistai", dt.date(2026, 11, 24)),
        ("tisdag", dt.date(2026, 11, 24)),
        ("Tuesday", dt.date(2026, 11, 24)),
        ("ke", dt.date(2026, 11, 25)),
        ("maanantaina", dt.date(2026, 11, 30)),
        ("mån", dt.date(2026, 11, 30)),
        ("su.", dt.date(2026, 11, 29)),
        ("huomenna", dt.date(2026, 11, 25)),
        ("i morgon", dt.date(2026, 11, 25)),
        ("today", dt.date(2026, 11, 24)),
        ("ke 25.11.", dt.date(2026, 11, 25)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert parse_date(text, now=NOW, tz=TZ) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31.2.", DateTimeProblem.INVALID_DATE),
        ("31.2.2027", DateTimeProblem.INVALID_DATE),
        ("31.4", DateTimeProblem.INVALID_DATE),
        ("0.5.", DateTimeProblem.INVALID_DATE),
        ("29.2.2027", DateTimeProblem.INVALID_DATE),
        ("23.11.2026", DateTimeProblem.IN_PAST),
        ("24.11.2030", DateTimeProblem.TOO_FAR_AHEAD),
        ("ma 25.11.", DateTimeProblem.WEEKDAY_MISMATCH),
        ("ti 13.00", DateTimeProblem.UNRECOGNISED),
        ("joskus", DateTimeProblem.UNRECOGNISED),
        ("ti ke", DateTimeProblem.UNRECOGNISED),
        ("", DateTimeProblem.EMPTY),
    ],
)
def test_bad_dates(text: str, reason: DateTimeProblem) -> None:
    with pytest.raises(DateTimeInputError) as info:
        parse_date(text, now=NOW, tz=TZ)
    assert info.value.reason is reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24.11. klo 13.00", local(2026, 11, 24, 13, 0)),
        ("24.11.2026 13:00", local(2026, 11, 24, 13, 0)),
        ("25.11 9", local(2026, 11, 25, 9, 0)),
        ("13.11 10", local(2027, 11, 13, 10, 0)),
        ("ti 13.00", local(2026, 11, 24, 13, 0)),  # still ahead today
        ("ti 11.00", local(2026, 12, 1, 11, 0)),  # passed today: next week
        ("ti 13.15", local(2026, 11, 24, 13, 15)),  # after a weekday 13.15 is a time
        ("tiistai klo 13", local(2026, 11, 24, 13, 0)),
        ("tisdag kl 13", local(2026, 11, 24, 13, 0)),
        ("tuesday at 13:00", local(2026, 11, 24, 13, 0)),
        ("pe, klo 9", local(2026, 11, 27, 9, 0)),
        ("ti 1.12. klo 10", local(2026, 12, 1, 10, 0)),
        ("huomenna klo 8.30", local(2026, 11, 25, 8, 30)),
        ("imorgon kl. 8", local(2026, 11, 25, 8, 0)),
        ("tänään 12.01", local(2026, 11, 24, 12, 1)),
    ],
)
def test_date_and_time(text: str, expected: dt.datetime) -> None:
    parsed = parse_datetime(text, now=NOW, tz=TZ)
    assert parsed == expected
    assert parsed.tzinfo is TZ


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("24.11. klo 11.00", DateTimeProblem.IN_PAST),  # today, but already passed
        ("tänään 12.00", DateTimeProblem.IN_PAST),  # exactly now is not ahead
        ("24.11.2025 13", DateTimeProblem.IN_PAST),
        ("31.2. klo 10", DateTimeProblem.INVALID_DATE),
        ("31.2", DateTimeProblem.INVALID_DATE),
        ("1.12. klo 25", DateTimeProblem.INVALID_TIME),
        ("25.00", DateTimeProblem.INVALID_TIME),
        ("13.00", DateTimeProblem.MISSING_DATE),
        ("klo 13", DateTimeProblem.MISSING_DATE),
        ("tiistai", DateTimeProblem.MISSING_TIME),
        ("24.11.", DateTimeProblem.MISSING_TIME),
        ("1.12. klo", DateTimeProblem.MISSING_TIME),
        ("ma 1.12. 10", DateTimeProblem.WEEKDAY_MISMATCH),
        ("24.11.2062 10", DateTimeProblem.TOO_FAR_AHEAD),
        ("13.00 ti", DateTimeProblem.UNRECOGNISED),
        ("1.12. klo 10 11", DateTimeProblem.UNRECOGNISED),
        ("ensi viikolla", DateTimeProblem.UNRECOGNISED),
        ("1.12. " + "x" * 80, DateTimeProblem.UNRECOGNISED),
    ],
)
def test_bad_date_and_time(text: str, reason: DateTimeProblem) -> None:
    with pytest.raises(DateTimeInputError) as info:
        parse_datetime(text, now=NOW, tz=TZ)
    assert info.value.reason is reason


def test_max_ahead_can_be_lifted() -> None:
    far = parse_datetime("24.11.2062 10", now=NOW, tz=TZ, max_ahead=None)
    assert far == local(2062, 11, 24, 10, 0)


def test_spring_gap_time_is_rejected() -> None:
    # last Sunday of March 2027: clocks jump from 03.00 to 04.00
    with pytest.raises(DateTimeInputError) as info:
        parse_datetime("28.3.2027 klo 3.30", now=NOW, tz=TZ)
    assert info.value.reason is DateTimeProblem.NONEXISTENT_TIME
    assert parse_datetime("28.3.2027 klo 4.00", now=NOW, tz=TZ) == dt.datetime(
        2027, 3, 28, 1, 0, tzinfo=dt.UTC
    )


def test_autumn_fold_time_means_the_first_instance() -> None:
    # last Sunday of October 2027: 03.00–04.00 happens twice; the first is summer time
    parsed = parse_datetime("31.10.2027 klo 3.30", now=NOW, tz=TZ)
    assert parsed.astimezone(dt.UTC) == dt.datetime(2027, 10, 31, 0, 30, tzinfo=dt.UTC)
    assert parsed.utcoffset() == dt.timedelta(hours=3)


def test_localize_directly() -> None:
    with pytest.raises(DateTimeInputError):
        localize(dt.date(2026, 3, 29), dt.time(3, 0), TZ)
    assert localize(dt.date(2026, 3, 29), dt.time(2, 59), TZ).utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("24.11.2026", dt.date(2026, 11, 24)), ("2026-11-24", dt.date(2026, 11, 24))],
)
def test_full_dates(text: str, expected: dt.date) -> None:
    assert parse_full_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("24.11.", DateTimeProblem.UNRECOGNISED),
        ("24.11.26", DateTimeProblem.UNRECOGNISED),
        ("31.2.2027", DateTimeProblem.INVALID_DATE),
        ("2027-02-31", DateTimeProblem.INVALID_DATE),
    ],
)
def test_full_dates_need_a_real_date_with_year(text: str, reason: DateTimeProblem) -> None:
    with pytest.raises(DateTimeInputError) as info:
        parse_full_date(text)
    assert info.value.reason is reason


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_date("24.11.", now=dt.datetime(2026, 11, 24), tz=TZ)


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2026, 11, 24, 12, 1), max_value=dt.datetime(2027, 11, 23, 23, 59)
    ),
    style=st.sampled_from(["{d}.{m}.{y} klo {H}.{M}", "{d}.{m}. {H}:{M}", "{d}.{m} kl {H}.{M}"]),
)
def test_typed_future_moments_parse_back(moment: dt.datetime, style: str) -> None:
    wall = moment.replace(second=0, microsecond=0)
    assume(wall.replace(tzinfo=TZ).astimezone(dt.UTC).astimezone(TZ).replace(tzinfo=None) == wall)
    text = style.format(d=wall.day, m=wall.month, y=wall.year, H=wall.hour, M=f"{wall.minute:02d}")
    assert parse_datetime(text, now=NOW, tz=TZ) == wall.replace(tzinfo=TZ)


@given(days=st.integers(min_value=0, max_value=6), hour=st.integers(min_value=0, max_value=23))
def test_weekday_names_give_the_next_such_moment(days: int, hour: int) -> None:
    target = NOW.date() + dt.timedelta(days=days)
    name = ["ma", "ti", "ke", "to", "pe", "la", "su"][target.weekday()]
    parsed = parse_datetime(f"{name} {hour}", now=NOW, tz=TZ)
    assert parsed > NOW
    assert parsed - NOW <= dt.timedelta(days=7)
    assert parsed.weekday() == target.weekday()
    assert parsed.hour == hour
