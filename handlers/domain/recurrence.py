"""Meeting series as RFC 5545 RRULEs in local wall-clock time (pure, no I/O).

A series is a first start (``dtstart``, wall-clock time in the project's zone) and an RRULE
value such as ``FREQ=WEEKLY;BYDAY=TU;COUNT=10``, or no rule for a one-off meeting. The rule is
expanded by python-dateutil against the *local* start, so a weekly 13:00 meeting stays at
13:00 across the daylight-saving changes (last Sundays of March and October in Finland) and
its UTC time moves instead.

Conventions (those of RFC 5545 §3.3.5, so that .ics files agree with us):

* a wall time that happens twice (autumn fold) means its first instance (summer time);
* a wall time that does not exist (spring gap) is read with the offset before the gap, so
  03.30 on the last Sunday of March becomes 04.30 summer time;
* ``UNTIL`` is stored in UTC (``...Z``), as RFC 5545 requires when DTSTART has a time zone;
  an ``UNTIL`` given as a date means the whole of that local day (inclusive);
* a series' start must itself be one of the rule's occurrences;
* ``COUNT`` is 1–:data:`MAX_COUNT` and ``INTERVAL`` 1–:data:`MAX_INTERVAL`, in digits.

A series has at most one meeting a day and reaches at most :data:`MAX_SPAN` past its first
meeting (issue 11: ``FREQ=DAILY;BYHOUR=0,…,23;BYMINUTE=0,…,59;BYSECOND=0,…,59`` asked for
86 400 meetings a day). So a FREQ below DAILY is refused, and so is a list in BYHOUR,
BYMINUTE or BYSECOND (one value is fine: it must agree with the start anyway); a rule like
``FREQ=WEEKLY;BYDAY=MO,WE`` or ``FREQ=MONTHLY;BYMONTHDAY=1,15`` still gives several meetings
a week or a month, on different days. Every expansion stops at the span, so no rule can make
one walk through more than ~3 650 days (dateutil otherwise walks to the year 9999 looking
for meetings a COUNT still asks for); a COUNT that does not fit in the span is refused.
These checks apply to stored rules too: an old rule that breaks them is never expanded.

Cancelled occurrences (EXDATE) and moved ones (RECURRENCE-ID overrides) are passed in as
data, keyed by the occurrence's *original* start (an aware datetime; compared as instants).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from handlers.domain.whole_numbers import CountInputError, is_digits, parse_count

UTC = dt.UTC

#: Longest series a COUNT may ask for (a weekly meeting over the whole 2021–2027 period fits).
MAX_COUNT = 500
#: How far past its first meeting a series reaches (meetings later than this do not exist).
MAX_SPAN_YEARS = 10
MAX_SPAN = dt.timedelta(days=3653)
#: Parts that would give several meetings a day if they listed several values.
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
#: Largest INTERVAL (every 1 000th day, week, month or year is already no series at all).
MAX_INTERVAL = 1000

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SUPPORTED_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_PART_ORDER = (
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYSETPOS",
    "BYHOUR",
    "BYMINUTE",
    "BYSECOND",
    "WKST",
    "COUNT",
    "UNTIL",
)
_NTH_DAY = re.compile(r"^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_DATE = re.compile(r"^\d{8}$")
_UNTIL_LOCAL = re.compile(r"^\d{8}T\d{6}$")
_UNTIL_UTC = re.compile(r"^\d{8}T\d{6}Z$")


class RepeatKind(StrEnum):
    """The simple choices a coordinator makes; CUSTOM is any other (imported) rule."""

    ONCE = "once"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY_NTH_WEEKDAY = "monthly_nth_weekday"
    CUSTOM = "custom"


class RuleProblem(StrEnum):
    """Why a rule cannot be accepted (machine-readable; the caller picks the sentence)."""

    INVALID = "invalid"
    UNSUPPORTED_FREQUENCY = "unsupported_frequency"
    COUNT_AND_UNTIL = "count_and_until"
    COUNT_OUT_OF_RANGE = "count_out_of_range"
    UNTIL_BEFORE_START = "until_before_start"
    NTH_OUT_OF_RANGE = "nth_out_of_range"
    START_NOT_IN_RULE = "start_not_in_rule"
    ONE_OFF_WITH_END = "one_off_with_end"
    SEVERAL_A_DAY = "several_a_day"
    TOO_LONG = "too_long"


class RecurrenceError(ValueError):
    """A rule was rejected; ``reason`` says why."""

    def __init__(self, reason: RuleProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series: its original start (the RECURRENCE-ID) and actual start."""

    recurrence_id: dt.datetime  # aware UTC, where the rule put it
    start: dt.datetime  # aware UTC, where it really is (differs when moved)

    @property
    def moved(self) -> bool:
        return self.start != self.recurrence_id


@dataclass(frozen=True)
class RuleDescription:
    """A rule as data for display; the lead renders it per language."""

    kind: RepeatKind
    first: dt.date
    time: dt.time  # local wall-clock time
    weekday: int | None = None  # 0 = Monday, for WEEKLY/BIWEEKLY/MONTHLY_NTH_WEEKDAY
    nth: int | None = None  # 1..4 or -1 (last), for MONTHLY_NTH_WEEKDAY
    interval: int = 1
    frequency: str | None = None  # the RRULE FREQ, None for ONCE
    count: int | None = None
    until: dt.date | None = None  # last local day allowed by UNTIL
    last: dt.date | None = None  # local day of the last occurrence of a finite series


def as_local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time in ``tz``: naive values are read as local, aware ones converted.

    The result has ``fold=0`` (first instance of an ambiguous time) and no microseconds.
    """
    local = moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
    return local.replace(fold=0, microsecond=0)


def build_rule(
    kind: RepeatKind,
    dtstart_local: dt.datetime,
    tz: ZoneInfo,
    *,
    count: int | None = None,
    until: dt.date | None = None,
    nth: int | None = None,
) -> str | None:
    """The RRULE value for one of the simple choices, or ``None`` for a one-off meeting.

    ``until`` is the last local day (inclusive). For MONTHLY_NTH_WEEKDAY, ``nth`` (1..4 or
    -1 for the last) defaults to the start's position in its month; a start in the fifth
    week becomes "last". Raises :class:`RecurrenceError`.
    """
    first = as_local(dtstart_local, tz)
    if kind is RepeatKind.ONCE:
        if count not in (None, 1) or until is not None:
            raise RecurrenceError(RuleProblem.ONE_OFF_WITH_END)
        return None
    weekday = _WEEKDAYS[first.weekday()]
    if kind is RepeatKind.WEEKLY:
        parts = ["FREQ=WEEKLY", f"BYDAY={weekday}"]
    elif kind is RepeatKind.BIWEEKLY:
        parts = ["FREQ=WEEKLY", "INTERVAL=2", f"BYDAY={weekday}"]
    elif kind is RepeatKind.MONTHLY_NTH_WEEKDAY:
        position = (first.day - 1) // 7 + 1
        if nth is None:
            nth = -1 if position == 5 else position
        if nth not in (1, 2, 3, 4, -1):
            raise RecurrenceError(RuleProblem.NTH_OUT_OF_RANGE)
        parts = ["FREQ=MONTHLY", f"BYDAY={nth}{weekday}"]
    else:
        raise RecurrenceError(RuleProblem.INVALID)
    if count is not None:
        parts.append(f"COUNT={count}")
    if until is not None:
        parts.append(f"UNTIL={_format_utc(_end_of_local_day(until, tz))}")
    return normalize_rule(";".join(parts), first, tz)


def normalize_rule(rule: str, dtstart_local: dt.datetime, tz: ZoneInfo) -> str:
    """Validate any RRULE value (e.g. from an .ics file) and return its canonical form.

    Accepts an optional ``RRULE:`` prefix; orders the parts, drops ``INTERVAL=1``, and
    rewrites ``UNTIL`` in UTC. Raises :class:`RecurrenceError`.
    """
    first = as_local(dtstart_local, tz)
    parts = _split(rule)
    _check_at_most_daily(parts)
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(RuleProblem.COUNT_AND_UNTIL)
    if "COUNT" in parts:
        if not is_digits(parts["COUNT"]):
            raise RecurrenceError(RuleProblem.INVALID)
        try:
            count = parse_count(parts["COUNT"], minimum=1, maximum=MAX_COUNT)
        except CountInputError as error:
            raise RecurrenceError(RuleProblem.COUNT_OUT_OF_RANGE) from error
        parts["COUNT"] = str(count)
    if "INTERVAL" in parts:
        try:
            parts["INTERVAL"] = str(parse_count(parts["INTERVAL"], minimum=1, maximum=MAX_INTERVAL))
        except CountInputError as error:
            raise RecurrenceError(RuleProblem.INVALID) from error
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"], tz)
        if until < first.astimezone(UTC):
            raise RecurrenceError(RuleProblem.UNTIL_BEFORE_START)
        parts["UNTIL"] = _format_utc(until)
    if parts.get("INTERVAL") == "1":
        del parts["INTERVAL"]
    if "BYDAY" in parts:
        parts["BYDAY"] = ",".join(d.lstrip("+") for d in parts["BYDAY"].split(","))
    canonical = ";".join(f"{key}={parts[key]}" for key in _PART_ORDER if key in parts)
    parsed = _parse(canonical, first, tz)
    if next(iter(parsed), None) != first:
        raise RecurrenceError(RuleProblem.START_NOT_IN_RULE)
    if parsed.count is not None and parsed.total() < parsed.count:
        raise RecurrenceError(RuleProblem.TOO_LONG)
    return canonical


def check_rule(rule: str) -> None:
    """Refuse a rule that could give more than one meeting a day (no start needed: for
    content templates). Raises :class:`RecurrenceError`."""
    _check_at_most_daily(_split(rule))


def expand(
    rule: str | None,
    dtstart_local: dt.datetime,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    tz: ZoneInfo,
    *,
    cancelled: Collection[dt.datetime] = (),
    moved: Mapping[dt.datetime, dt.datetime] | None = None,
) -> list[Occurrence]:
    """The occurrences whose actual start is in ``[start_utc, end_utc)``, sorted by start.

    ``cancelled`` and the keys of ``moved`` are original starts; a key that is not an
    occurrence of the rule (e.g. left over from an edited series) is ignored.
    """
    _require_aware(start_utc, end_utc)
    first = as_local(dtstart_local, tz)
    gone = {_utc(moment) for moment in cancelled}
    overrides = {_utc(old): _utc(new) for old, new in (moved or {}).items()}
    parsed = None if rule is None else _parse(rule, first, tz)
    found: list[Occurrence] = []
    for original in _originals(parsed, first, end_utc, overrides):
        rid = original.astimezone(UTC)
        if rid in gone:
            continue
        start = overrides.get(rid, rid)
        if start_utc <= start < end_utc:
            found.append(Occurrence(recurrence_id=rid, start=start))
    found.sort(key=lambda occ: (occ.start, occ.recurrence_id))
    return found


def occurrences(
    rule: str | None,
    dtstart_local: dt.datetime,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    tz: ZoneInfo,
    *,
    cancelled: Collection[dt.datetime] = (),
    moved: Mapping[dt.datetime, dt.datetime] | None = None,
) -> list[dt.datetime]:
    """Actual starts (aware UTC) in ``[start_utc, end_utc)``; see :func:`expand`."""
    found = expand(rule, dtstart_local, start_utc, end_utc, tz, cancelled=cancelled, moved=moved)
    return [occ.start for occ in found]


def is_occurrence(
    rule: str | None, dtstart_local: dt.datetime, moment: dt.datetime, tz: ZoneInfo
) -> bool:
    """True if ``moment`` (aware) is an original start of the series."""
    first = as_local(dtstart_local, tz)
    if rule is None:
        return _utc(moment) == first.astimezone(UTC)
    return _utc(moment) in _parse(rule, first, tz)


def split_rule(
    rule: str,
    dtstart_local: dt.datetime,
    at: dt.datetime,
    new_start_local: dt.datetime,
    tz: ZoneInfo,
) -> tuple[str | None, str | None]:
    """Cut a series at its original start ``at`` so the rest can start at ``new_start_local``.

    Returns ``(head, tail)``: ``head`` is the rule for the meetings before ``at`` (``None``
    when there are none), ``tail`` the rule for ``at`` and after, anchored at the new start
    (``None`` when only one meeting is left). A COUNT is shared between the two; an UNTIL
    moves to the end of its local day so a later time of day does not lose the last
    meeting. BYHOUR/BYMINUTE/BYSECOND are dropped from the tail: its DTSTART gives the time.
    Raises :class:`RecurrenceError` when ``at`` is not an original start of the rule.
    """
    first = as_local(dtstart_local, tz)
    at_utc = _utc(at)
    parsed = _parse(rule, first, tz)
    if at_utc not in parsed:
        raise RecurrenceError(RuleProblem.START_NOT_IN_RULE)
    parts = _split(rule)
    before = 0
    for original in parsed:
        if original >= at_utc:
            break
        before += 1
    head = None
    if before:
        head_parts = {k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")}
        head_parts["UNTIL"] = _format_utc(at_utc - dt.timedelta(seconds=1))
        head = normalize_rule(";".join(f"{k}={v}" for k, v in head_parts.items()), first, tz)
    tail_parts = {k: v for k, v in parts.items() if k not in ("BYHOUR", "BYMINUTE", "BYSECOND")}
    if "COUNT" in tail_parts:
        left = int(tail_parts["COUNT"]) - before
        if left == 1:
            return head, None
        tail_parts["COUNT"] = str(left)
    if "UNTIL" in tail_parts:
        last_day = _parse_until(tail_parts["UNTIL"], tz).astimezone(tz).date()
        tail_parts["UNTIL"] = _format_utc(_end_of_local_day(last_day, tz))
    new_first = as_local(new_start_local, tz)
    tail = normalize_rule(";".join(f"{k}={v}" for k, v in tail_parts.items()), new_first, tz)
    if "UNTIL" in tail_parts and _parse(tail, new_first, tz).total() == 1:
        return head, None
    return head, tail


def describe_rule(rule: str | None, dtstart_local: dt.datetime, tz: ZoneInfo) -> RuleDescription:
    """Structured description of a series for display."""
    first = as_local(dtstart_local, tz)
    if rule is None:
        return RuleDescription(
            kind=RepeatKind.ONCE, first=first.date(), time=first.time(), last=first.date()
        )
    parts = _split(rule)
    parsed = _parse(rule, first, tz)
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    until = _parse_until(parts["UNTIL"], tz).astimezone(tz).date() if "UNTIL" in parts else None
    last = None
    if count is not None or until is not None:
        final = None
        for final in parsed:  # noqa: B007 - only the last one is wanted
            pass
        last = None if final is None else final.astimezone(tz).date()
    interval = int(parts.get("INTERVAL", "1"))
    kind, weekday, nth = _classify(parts, first, interval)
    return RuleDescription(
        kind=kind,
        first=first.date(),
        time=first.time(),
        weekday=weekday,
        nth=nth,
        interval=interval,
        frequency=parts["FREQ"],
        count=count,
        until=until,
        last=last,
    )


def _classify(
    parts: Mapping[str, str], first: dt.datetime, interval: int
) -> tuple[RepeatKind, int | None, int | None]:
    simple = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST"} == set()
    byday = parts.get("BYDAY")
    match = _NTH_DAY.match(byday) if byday and "," not in byday else None
    if not simple or (byday is not None and match is None):
        return RepeatKind.CUSTOM, None, None
    day_nth = int(match.group(1)) if match and match.group(1) else None
    weekday = _WEEKDAYS.index(match.group(2)) if match else first.weekday()
    if parts["FREQ"] == "WEEKLY" and day_nth is None and weekday == first.weekday():
        if interval == 1:
            return RepeatKind.WEEKLY, weekday, None
        if interval == 2:
            return RepeatKind.BIWEEKLY, weekday, None
    if parts["FREQ"] == "MONTHLY" and interval == 1 and day_nth in (1, 2, 3, 4, -1):
        return RepeatKind.MONTHLY_NTH_WEEKDAY, weekday, day_nth
    return RepeatKind.CUSTOM, None, None


def _originals(
    parsed: _Series | None,
    first: dt.datetime,
    end_utc: dt.datetime,
    overrides: Mapping[dt.datetime, dt.datetime],
) -> Iterator[dt.datetime]:
    """Original starts that could land in the window: those before its end, plus moved ones."""
    if parsed is None:
        candidates = [first]
    else:
        candidates = []
        for original in parsed:
            if original >= end_utc:
                break
            candidates.append(original)
    seen = {moment.astimezone(UTC) for moment in candidates}
    yield from candidates
    for rid in sorted(overrides):
        if rid in seen:
            continue
        if rid == first.astimezone(UTC) if parsed is None else rid in parsed:
            yield rid


@dataclass(frozen=True)
class _Series:
    """A parsed rule: dateutil's rrule bounded by :data:`MAX_SPAN`, and the COUNT applied
    here (dateutil would walk on to the year 9999 for a COUNT not yet reached)."""

    rule: rrule
    count: int | None

    def __iter__(self) -> Iterator[dt.datetime]:
        if self.count is None:
            return iter(self.rule)
        return itertools.islice(self.rule, self.count)

    def __contains__(self, moment: object) -> bool:
        for original in self:
            if original == moment:
                return True
            if isinstance(moment, dt.datetime) and original > moment:
                return False
        return False

    def total(self) -> int:
        return sum(1 for _ in self)


def _check_at_most_daily(parts: Mapping[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError(RuleProblem.INVALID)
    if freq not in _SUPPORTED_FREQS:
        if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
            raise RecurrenceError(RuleProblem.UNSUPPORTED_FREQUENCY)
        raise RecurrenceError(RuleProblem.INVALID)
    if any("," in parts.get(name, "") for name in _TIME_PARTS):
        raise RecurrenceError(RuleProblem.SEVERAL_A_DAY)


def _parse(rule: str, first: dt.datetime, tz: ZoneInfo) -> _Series:
    """A dateutil rule anchored at the aware local ``first``; UNTIL is rewritten in UTC and
    never later than :data:`MAX_SPAN` after ``first``. Refuses what :func:`check_rule` does."""
    parts = _split(rule)
    _check_at_most_daily(parts)
    count = None
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit():
            raise RecurrenceError(RuleProblem.INVALID)
        count = int(parts.pop("COUNT"))
    reach = first.astimezone(UTC) + MAX_SPAN
    if "UNTIL" in parts:
        reach = min(reach, _parse_until(parts["UNTIL"], tz))
    parts["UNTIL"] = _format_utc(reach)
    text = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        parsed = rrulestr(text, dtstart=first)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError(RuleProblem.INVALID) from exc
    if not isinstance(parsed, rrule):
        raise RecurrenceError(RuleProblem.INVALID)
    return _Series(parsed, count)


def _split(rule: str) -> dict[str, str]:
    text = rule.strip().upper().removeprefix("RRULE:")
    if not text or "\n" in text:
        raise RecurrenceError(RuleProblem.INVALID)
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value or key not in _PART_ORDER or key in parts:
            raise RecurrenceError(RuleProblem.INVALID)
        parts[key] = value
    return parts


def _parse_until(value: str, tz: ZoneInfo) -> dt.datetime:
    try:
        if _UNTIL_UTC.match(value):
            return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if _UNTIL_LOCAL.match(value):
            local = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")
            return local.replace(tzinfo=tz).astimezone(UTC)
        if _UNTIL_DATE.match(value):
            return _end_of_local_day(dt.datetime.strptime(value, "%Y%m%d").date(), tz)
    except ValueError as exc:
        raise RecurrenceError(RuleProblem.INVALID) from exc
    raise RecurrenceError(RuleProblem.INVALID)


def _end_of_local_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return next_midnight.astimezone(UTC) - dt.timedelta(seconds=1)


def _format_utc(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _utc(moment: dt.datetime) -> dt.datetime:
    _require_aware(moment)
    return moment.astimezone(UTC)


def _require_aware(*moments: dt.datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("an aware datetime is required")
