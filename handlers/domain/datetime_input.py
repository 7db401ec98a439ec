"""Strict parsing of dates and times typed by coordinators, Finnish style (pure).

Accepted (case-insensitive; commas and a trailing full stop after a weekday are ignored):

* dates: ``24.11.2026``, ``24.11.26`` (20xx), ``24.11.``, ``24.11`` (the next such date that
  is not in the past: this year, else next year), ``2026-11-24``;
* weekdays in Finnish, Swedish or English, short or long (``ti``, ``tiistai``, ``tiistaina``,
  ``tis``, ``tisdag``, ``tue``, ``tuesday``) meaning the next such day, and ``tänään``,
  ``huomenna``, ``ylihuomenna``, ``idag``, ``imorgon``/``i morgon``, ``today``, ``tomorrow``;
* times: ``13.00``, ``13:00``, ``13``, with an optional ``klo``/``kl``/``kello``/``klockan``/
  ``at`` before it (``klo 13.15``, ``kl. 9``); seconds ``:00`` are tolerated (spreadsheets);
* date and time together, date first: ``24.11. klo 13.00``, ``ti 13.00``, ``ti 24.11. 13``.

The words of each language are in ``messages/words/<locale>.toml`` (``[dates]``).

A token like ``13.11`` is a time after ``klo``, after a date, or when it ends a date-and-time
answer (``ti 13.11``); otherwise it is a date if such a day exists (``13.11`` alone as a date,
``13.11 10`` with a time), else a time (``25.00`` is a bad time, not a bad date).

Decisions:

* a weekday with a time means the next such day on which that moment is still ahead (on a
  Tuesday afternoon, "ti 13.00" is next week); a weekday alone may be today;
* an explicit date (with or without year) whose moment has passed is rejected as IN_PAST
  rather than moved a year ahead: it is almost surely a typing mistake;
* a local time that does not exist (03.30 on the last Sunday of March, when clocks jump
  from 03.00 to 04.00) is rejected as NONEXISTENT_TIME: silently shifting a meeting by an
  hour would be worse than asking again; a time that happens twice (03.30 on the last
  Sunday of October) means the first, summer-time instance, as in RFC 5545;
* moments more than ``max_ahead`` (default two years) ahead are rejected as TOO_FAR_AHEAD,
  which catches year typos such as 2062.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from messages.words import all_words, every

DEFAULT_MAX_AHEAD = dt.timedelta(days=2 * 366)
_MAX_LENGTH = 60

# The words of every language (messages/words/*.toml), accepted in every chat.
_WEEKDAY_NAMES: dict[str, int] = {
    word: index
    for language in all_words().values()
    for index, day in enumerate(language.dates.weekdays)
    for word in day
}
_DAY_WORDS = {
    **dict.fromkeys(every(lambda language: language.dates.today), 0),
    **dict.fromkeys(every(lambda language: language.dates.tomorrow), 1),
    **dict.fromkeys(every(lambda language: language.dates.day_after_tomorrow), 2),
}
# a phrase ("i morgon") is read as one word ("imorgon")
_RELATIVE_DAYS = {"".join(phrase.split()): days for phrase, days in _DAY_WORDS.items()}
_PHRASES = [
    (
        re.compile(r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b"),
        "".join(phrase.split()),
    )
    for phrase in _DAY_WORDS
    if " " in phrase
]
_TIME_MARKERS = {*every(lambda language: language.dates.time_markers), "@"}
_GLUED_MARKERS = (*every(lambda language: language.dates.glued_time_markers), "@")
_MARKER_PREFIX = re.compile(
    "^(" + "|".join(map(re.escape, sorted(_GLUED_MARKERS, key=len, reverse=True))) + r")(\d.*)$"
)
_FULL_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$")
_DAY_MONTH_DOT = re.compile(r"^(\d{1,2})\.(\d{1,2})\.$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:[.:](\d{2})(?:[.:]00)?)?$")


class DateTimeProblem(StrEnum):
    """Why an answer was not accepted (machine-readable)."""

    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    INVALID_DATE = "invalid_date"
    INVALID_TIME = "invalid_time"
    MISSING_DATE = "missing_date"
    MISSING_TIME = "missing_time"
    WEEKDAY_MISMATCH = "weekday_mismatch"
    IN_PAST = "in_past"
    TOO_FAR_AHEAD = "too_far_ahead"
    NONEXISTENT_TIME = "nonexistent_time"


class DateTimeInputError(ValueError):
    """An answer was rejected; ``reason`` says why."""

    def __init__(self, reason: DateTimeProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass
class _Parts:
    """What the tokens said, before it is resolved against ``now``."""

    weekday: int | None = None
    relative: int | None = None
    day_month: tuple[int, int] | None = None
    year: int | None = None
    time: dt.time | None = None

    @property
    def has_day(self) -> bool:
        return self.weekday is not None or self.relative is not None or self.day_month is not None


def parse_time(text: str) -> dt.time:
    """A time of day: ``13.00``, ``13:00``, ``13``, ``klo 13.15``."""
    tokens = _tokens(text)
    if tokens and tokens[0] in _TIME_MARKERS:
        tokens = tokens[1:]
    if len(tokens) != 1:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
    return _time_token(tokens[0])


def parse_full_date(text: str) -> dt.date:
    """A date with its year (for files): ``24.11.2026`` or ``2026-11-24``."""
    token = text.strip()
    match = _FULL_DATE.match(token)
    if match and len(match.group(3)) == 4:
        return _date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    match = _ISO_DATE.match(token)
    if match:
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)


def parse_date(
    text: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    max_ahead: dt.timedelta | None = DEFAULT_MAX_AHEAD,
) -> dt.date:
    """A day that is not in the past (today is allowed)."""
    parts = _parse_parts(text, expect_time=False)
    if parts.time is not None:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
    if not parts.has_day:
        raise DateTimeInputError(DateTimeProblem.MISSING_DATE)
    today = _aware(now).astimezone(tz).date()
    day = _resolve_day(parts, today, after=None)
    if day < today:
        raise DateTimeInputError(DateTimeProblem.IN_PAST)
    if max_ahead is not None and day > today + max_ahead:
        raise DateTimeInputError(DateTimeProblem.TOO_FAR_AHEAD)
    return day


def parse_datetime(
    text: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    max_ahead: dt.timedelta | None = DEFAULT_MAX_AHEAD,
) -> dt.datetime:
    """A future moment, as an aware datetime in ``tz``."""
    parts = _parse_parts(text, expect_time=True)
    if not parts.has_day:
        raise DateTimeInputError(DateTimeProblem.MISSING_DATE)
    if parts.time is None:
        raise DateTimeInputError(DateTimeProblem.MISSING_TIME)
    now = _aware(now)
    today = now.astimezone(tz).date()
    day = _resolve_day(parts, today, after=(parts.time, now, tz))
    moment = localize(day, parts.time, tz)
    if moment <= now:
        raise DateTimeInputError(DateTimeProblem.IN_PAST)
    if max_ahead is not None and moment > now + max_ahead:
        raise DateTimeInputError(DateTimeProblem.TOO_FAR_AHEAD)
    return moment


def localize(day: dt.date, clock: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at ``clock`` in ``tz``; a nonexistent time raises, a repeated one is the first."""
    moment = dt.datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=tz)
    round_trip = moment.astimezone(dt.UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise DateTimeInputError(DateTimeProblem.NONEXISTENT_TIME)
    return moment


def _parse_parts(text: str, *, expect_time: bool) -> _Parts:
    tokens = _tokens(text)
    parts = _Parts()
    after_marker = False
    for position, token in enumerate(tokens):
        if token in _TIME_MARKERS:
            if after_marker or parts.time is not None:
                raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
            after_marker = True
            continue
        prefer_time = expect_time and position == len(tokens) - 1
        _read_token(token, parts, after_marker=after_marker, prefer_time=prefer_time)
        after_marker = False
    if after_marker:
        raise DateTimeInputError(DateTimeProblem.MISSING_TIME)
    return parts


def _read_token(token: str, parts: _Parts, *, after_marker: bool, prefer_time: bool) -> None:
    """Add one token to ``parts``; see the module docstring for an ambiguous ``13.11``."""
    name = token.rstrip(".")
    if not after_marker and name in _WEEKDAY_NAMES:
        _set(parts, "weekday", _WEEKDAY_NAMES[name])
    elif not after_marker and token in _RELATIVE_DAYS:
        _set(parts, "relative", _RELATIVE_DAYS[token])
    elif not after_marker and (match := _FULL_DATE.match(token) or _DAY_MONTH_DOT.match(token)):
        _set_day_month(parts, int(match.group(1)), int(match.group(2)))
        if match.re is _FULL_DATE:
            year = match.group(3)
            parts.year = int(year) + (2000 if len(year) == 2 else 0)
    elif not after_marker and (match := _ISO_DATE.match(token)):
        _set_day_month(parts, int(match.group(3)), int(match.group(2)))
        parts.year = int(match.group(1))
    elif (
        not after_marker
        and (match := _DAY_MONTH.match(token))
        and parts.day_month is None
        and parts.time is None
        and not (prefer_time and _valid_time_token(token))
        and (
            _plausible_day_month(int(match.group(1)), int(match.group(2))) or not _TIME.match(token)
        )
    ):
        _set_day_month(parts, int(match.group(1)), int(match.group(2)))
    elif _TIME.match(token):
        if parts.time is not None:
            raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
        parts.time = _time_token(token)
    else:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)


def _set(parts: _Parts, field: str, value: int) -> None:
    if getattr(parts, field) is not None or parts.time is not None:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
    setattr(parts, field, value)


def _set_day_month(parts: _Parts, day: int, month: int) -> None:
    if parts.day_month is not None or parts.relative is not None or parts.time is not None:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
    if not _plausible_day_month(day, month):
        raise DateTimeInputError(DateTimeProblem.INVALID_DATE)
    parts.day_month = (day, month)


def _resolve_day(
    parts: _Parts, today: dt.date, after: tuple[dt.time, dt.datetime, ZoneInfo] | None
) -> dt.date:
    """The day the parts name; ``after`` (time, now, tz) lets a weekday skip to next week."""
    if parts.relative is not None:
        day = today + dt.timedelta(days=parts.relative)
    elif parts.day_month is not None:
        day = _day_month_date(parts.day_month, parts.year, today)
    else:
        assert parts.weekday is not None
        day = today + dt.timedelta(days=(parts.weekday - today.weekday()) % 7)
        if after is not None and day == today:
            clock, now, tz = after
            if dt.datetime.combine(day, clock, tzinfo=tz) <= now:
                day += dt.timedelta(days=7)
        return day
    if parts.weekday is not None and parts.weekday != day.weekday():
        raise DateTimeInputError(DateTimeProblem.WEEKDAY_MISMATCH)
    return day


def _day_month_date(day_month: tuple[int, int], year: int | None, today: dt.date) -> dt.date:
    day, month = day_month
    if year is not None:
        return _date(year, month, day)
    for candidate_year in range(today.year, today.year + 5):  # 29.2 may be four years off
        try:
            candidate = dt.date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise DateTimeInputError(DateTimeProblem.INVALID_DATE)


def _time_token(token: str) -> dt.time:
    match = _TIME.match(token)
    if not match:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise DateTimeInputError(DateTimeProblem.INVALID_TIME)
    return dt.time(hour, minute)


def _valid_time_token(token: str) -> bool:
    match = _TIME.match(token)
    return match is not None and int(match.group(1)) <= 23 and int(match.group(2) or 0) <= 59


def _plausible_day_month(day: int, month: int) -> bool:
    """True if the day exists in some year (29.2 does, 31.4 does not)."""
    try:
        dt.date(2000, month, day)
    except ValueError:
        return False
    return True


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DateTimeInputError(DateTimeProblem.INVALID_DATE) from exc


def _tokens(text: str) -> list[str]:
    cleaned = text.strip().lower()
    if not cleaned:
        raise DateTimeInputError(DateTimeProblem.EMPTY)
    if len(cleaned) > _MAX_LENGTH:
        raise DateTimeInputError(DateTimeProblem.UNRECOGNISED)
    cleaned = cleaned.replace(",", " ")
    for phrase, word in _PHRASES:
        cleaned = phrase.sub(word, cleaned)
    tokens: list[str] = []
    for raw in cleaned.split():
        match = _MARKER_PREFIX.match(raw)
        tokens.extend(match.groups() if match else (raw,))
    return tokens


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment
