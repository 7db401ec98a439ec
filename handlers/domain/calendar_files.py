"""Meetings to and from files: .ics export/import and a CSV import (pure, bytes/str in/out).

Export (``icalendar`` writes CRLF lines, folding and escaping):

* :func:`series_to_ics` — one VEVENT per series with RRULE and EXDATE, one override VEVENT
  (same UID, RECURRENCE-ID) per moved occurrence, and a VTIMEZONE for the zone;
* :func:`occurrences_to_ics` — one VEVENT per occurrence in a window (a participant's own
  schedule); cancelled occurrences are left out. The UID of an occurrence is derived from
  the series UID and its *original* start, so a moved meeting updates the same calendar
  entry instead of adding a second one.

Times are written as local time with ``TZID`` (e.g. ``Europe/Helsinki``). The link goes both
to ``URL`` and to the end of ``DESCRIPTION`` (many phone calendars ignore ``URL``); the group
goes to ``X-HANKEBOT-GROUP``. ``DTSTAMP`` is the injected ``now``.

The writers never fail on what the database holds: control characters (which RFC 5545 does
not allow) are left out of every text, a line break is kept as an escaped ``\n``, a link
that is not a valid web link (:mod:`handlers.domain.links`; a newline in one used to stop the
whole file) is left out, a duration outside 0–24 h is written as the default hour, and a
series whose rule cannot be read is written as its first meeting only.

Import raises :class:`MeetingImportError` listing *every* problem (all-or-nothing, so a
fixed file can simply be sent again). A link must be a valid web link
(:func:`handlers.domain.links.parse_link`); in an .ics file a ``URL`` of another kind
(``message://`` from a phone's mail app) is left out, an ``http(s)`` one that is not valid is
a problem. :func:`parse_ics` reads one-off and RRULE events,
EXDATEs and moved/cancelled overrides; all-day events, RDATEs and several RRULEs are refused;
an event without an end lasts :data:`DEFAULT_DURATION`. Problems are numbered by event
(1 = the first VEVENT).

CSV columns (:func:`parse_meetings_csv`): a header row, then one meeting per row; the row
number of a problem is the spreadsheet row (the header is row 1). Separator ``,``, ``;`` or
tab, detected from the header. Finnish and Swedish header names are accepted too.

==============  ===========================  ==============================================
column          aliases (fi / sv)            value
==============  ===========================  ==============================================
title*          otsikko, nimi / titel        text, at most 200 characters
start_date*     päivä, pvm / datum           ``24.11.2026`` or ``2026-11-24``
start_time*     aika, klo / tid              ``13.00``, ``13:00``, ``13``
duration_min    kesto / längd                whole minutes 1–1440, default 60
repeat          toisto / upprepning          empty/once, weekly, biweekly, monthly (the
                                             start's weekday, e.g. 2nd Tuesday; a 5th week
                                             means the last), fi/sv words too, or an RRULE
                                             (``FREQ=...``)
count           kertoja / antal              number of meetings (not with until)
until           asti / till                  last day, ``31.5.2027`` (not with count)
place           paikka / plats               text
link            linkki / länk                ``https://...``
note            lisätieto / anteckning       text
group           ryhmä / grupp                a group key of the project
==============  ===========================  ==============================================

(* = required.) Past meetings are not rejected here; that is the calling flow's choice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.domain import links
from handlers.domain.datetime_input import (
    DateTimeInputError,
    DateTimeProblem,
    localize,
    parse_full_date,
    parse_time,
)
from handlers.domain.recurrence import (
    MAX_COUNT,
    UTC,
    RecurrenceError,
    RepeatKind,
    RuleProblem,
    as_local,
    build_rule,
    describe_rule,
    expand,
    is_occurrence,
    normalize_rule,
)
from handlers.domain.whole_numbers import CountInputError, is_digits, parse_count
from messages.words import all_words

if TYPE_CHECKING:  # icalendar is imported where a calendar is made or read (idle RSS, issue 17)
    from icalendar import Calendar, Event

PRODID = "-//hankebot//hankebot//FI"
GROUP_PROPERTY = "X-HANKEBOT-GROUP"
DEFAULT_DURATION = dt.timedelta(minutes=60)
MAX_DURATION = dt.timedelta(hours=24)
MAX_LENGTHS = {"title": 200, "place": 200, "link": links.MAX_LENGTH, "note": 2000, "group": 100}


@dataclass(frozen=True)
class MeetingSpec:
    """A meeting or a series, as read from or written to a file.

    ``start`` is aware, in the project's zone; ``rule`` is a canonical RRULE value (see
    :func:`handlers.domain.recurrence.normalize_rule`) or ``None`` for a one-off. ``cancelled`` and
    the first items of ``moved`` are original starts of occurrences.
    """

    title: str
    start: dt.datetime
    duration: dt.timedelta = DEFAULT_DURATION
    rule: str | None = None
    place: str = ""
    link: str = ""
    note: str = ""
    group: str = ""
    uid: str = ""
    cancelled: tuple[dt.datetime, ...] = ()
    moved: tuple[tuple[dt.datetime, dt.datetime], ...] = ()

    @property
    def moved_map(self) -> dict[dt.datetime, dt.datetime]:
        return dict(self.moved)


class ImportReason(StrEnum):
    """What is wrong with a row or an event."""

    NOT_A_CALENDAR = "not_a_calendar"
    EMPTY_FILE = "empty_file"
    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    DUPLICATE_COLUMN = "duplicate_column"
    EXTRA_VALUES = "extra_values"
    MISSING_VALUE = "missing_value"
    TOO_LONG = "too_long"
    BAD_DATE = "bad_date"
    BAD_TIME = "bad_time"
    BAD_DURATION = "bad_duration"
    BAD_REPEAT = "bad_repeat"
    BAD_COUNT = "bad_count"
    BAD_UNTIL = "bad_until"
    BAD_RULE = "bad_rule"
    RULE_WITH_END = "rule_with_end"
    BAD_LINK = "bad_link"
    BAD_START = "bad_start"
    BAD_END = "bad_end"
    ALL_DAY_EVENT = "all_day_event"
    UNSUPPORTED_RECURRENCE = "unsupported_recurrence"


@dataclass(frozen=True)
class ImportProblem:
    """One problem: the row (CSV) or event number (.ics), the column and the cause if known."""

    row: int
    reason: ImportReason
    column: str | None = None
    cause: RuleProblem | DateTimeProblem | None = None


class MeetingImportError(ValueError):
    """A file could not be imported; ``problems`` lists everything that is wrong."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems: tuple[ImportProblem, ...] = tuple(problems)


# --- export ---------------------------------------------------------------------------


def occurrence_uid(series_uid: str, recurrence_id: dt.datetime) -> str:
    """A stable UID for one occurrence: the series UID plus its original start in UTC."""
    stamp = recurrence_id.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    local, at, domain = series_uid.partition("@")
    return f"{local}-{stamp}{at}{domain}"


def series_to_ics(
    meetings: Sequence[MeetingSpec],
    *,
    tz: ZoneInfo,
    now: dt.datetime,
    calendar_name: str | None = None,
) -> bytes:
    """A calendar with each series as RRULE + EXDATE + overrides; every meeting needs a UID."""
    calendar = _new_calendar(calendar_name)
    last_days: list[dt.date] = []
    meetings = [_readable(meeting, tz) for meeting in meetings]
    for meeting in meetings:
        _require_uid(meeting)
        first = as_local(meeting.start, tz)
        moved = meeting.moved_map
        cancelled = {c.astimezone(UTC) for c in meeting.cancelled}
        if meeting.rule is None:
            rid = first.astimezone(UTC)
            if rid not in cancelled:
                start = moved.get(rid, first)
                calendar.add_component(_event(meeting, start, meeting.uid, now, tz))
                last_days.append(start.astimezone(tz).date())
            continue
        master = _event(meeting, first, meeting.uid, now, tz)
        from icalendar import vRecur

        master.add("rrule", vRecur.from_ical(meeting.rule))
        if meeting.cancelled:
            master.add("exdate", [c.astimezone(tz) for c in sorted(meeting.cancelled)])
        calendar.add_component(master)
        for rid, new_start in sorted(moved.items()):
            if rid.astimezone(UTC) in cancelled or not is_occurrence(meeting.rule, first, rid, tz):
                continue
            override = _event(meeting, new_start, meeting.uid, now, tz)
            override.add("recurrence-id", rid.astimezone(tz))
            calendar.add_component(override)
            last_days.append(new_start.astimezone(tz).date())
        last = describe_rule(meeting.rule, first, tz).last
        last_days.append(last or first.date() + dt.timedelta(days=5 * 366))
    return _finish(calendar, meetings, last_days, tz)


def occurrences_to_ics(
    meetings: Sequence[MeetingSpec],
    *,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    tz: ZoneInfo,
    now: dt.datetime,
    calendar_name: str | None = None,
) -> bytes:
    """A calendar with one VEVENT per occurrence in ``[start_utc, end_utc)``."""
    calendar = _new_calendar(calendar_name)
    last_days: list[dt.date] = []
    meetings = [_readable(meeting, tz) for meeting in meetings]
    for meeting in meetings:
        _require_uid(meeting)
        found = expand(
            meeting.rule,
            meeting.start,
            start_utc,
            end_utc,
            tz,
            cancelled=meeting.cancelled,
            moved=meeting.moved_map,
        )
        for occ in found:
            uid = occurrence_uid(meeting.uid, occ.recurrence_id)
            calendar.add_component(_event(meeting, occ.start, uid, now, tz))
            last_days.append(occ.start.astimezone(tz).date())
    return _finish(calendar, meetings, last_days, tz)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def ics_text(text: str) -> str:
    """``text`` as an .ics TEXT value can hold it: line breaks as ``\\n`` (icalendar escapes
    them), no control characters, nothing that is not UTF-8."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.encode("utf-8", "replace").decode("utf-8")


def _one_line(text: str) -> str:
    """An .ics value icalendar does not escape (``X-`` properties, the UID): one line."""
    return " ".join(ics_text(text).split())


def _readable(meeting: MeetingSpec, tz: ZoneInfo) -> MeetingSpec:
    """``meeting`` as stored, made writable: clean texts, a valid link or none, a duration
    of 0–24 h, a rule that can be read or none (then only the first meeting is written)."""
    rule = meeting.rule
    if rule is not None:
        from icalendar import vRecur

        try:
            describe_rule(rule, as_local(meeting.start, tz), tz)
            vRecur.from_ical(rule)
        except (RecurrenceError, ValueError):
            rule = None
    duration = meeting.duration
    if not dt.timedelta(0) <= duration <= MAX_DURATION:
        duration = DEFAULT_DURATION
    link = meeting.link.strip()
    return replace(
        meeting,
        title=ics_text(meeting.title),
        place=ics_text(meeting.place),
        note=ics_text(meeting.note),
        group=_one_line(meeting.group),
        uid=_one_line(meeting.uid),
        link=link if links.is_valid_link(link) else "",
        duration=duration,
        rule=rule,
    )


def _new_calendar(name: str | None) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name and _one_line(name):
        calendar.add("x-wr-calname", _one_line(name))
    return calendar


def _event(
    meeting: MeetingSpec, start: dt.datetime, uid: str, now: dt.datetime, tz: ZoneInfo
) -> Event:
    begin = start.astimezone(tz)
    end = (begin.astimezone(UTC) + meeting.duration).astimezone(tz)
    from icalendar import Event

    description = "\n\n".join(part for part in (meeting.note, meeting.link) if part)
    event = Event.new(
        uid=uid,
        summary=meeting.title,
        start=begin,
        end=end,
        stamp=now.astimezone(UTC),
        location=meeting.place or None,
        description=description or None,
        url=meeting.link or None,
    )
    if meeting.group:
        event.add(GROUP_PROPERTY, meeting.group)
    return event


def _finish(
    calendar: Calendar, meetings: Sequence[MeetingSpec], last_days: list[dt.date], tz: ZoneInfo
) -> bytes:
    if meetings:
        first_year = min(m.start.astimezone(tz).year for m in meetings)
        last_year = max([*(day.year for day in last_days), first_year])
        calendar.add_missing_timezones(
            first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
        )
    data: bytes = calendar.to_ical()
    return data


def _require_uid(meeting: MeetingSpec) -> None:
    if not meeting.uid:
        raise ValueError("a meeting needs a uid to be exported")


# --- .ics import ----------------------------------------------------------------------


def parse_ics(data: bytes, *, tz: ZoneInfo) -> list[MeetingSpec]:
    """Meetings from an .ics file; floating times are read in ``tz``."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise MeetingImportError([ImportProblem(0, ImportReason.NOT_A_CALENDAR)]) from exc
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise MeetingImportError([ImportProblem(0, ImportReason.NOT_A_CALENDAR)])
    problems: list[ImportProblem] = []
    masters: list[tuple[int, Event]] = []
    overrides: dict[str, list[tuple[int, Event]]] = {}
    for number, event in enumerate(calendar.events, start=1):
        if "RECURRENCE-ID" in event:
            overrides.setdefault(str(event.get("UID", "")), []).append((number, event))
        else:
            masters.append((number, event))
    specs: list[MeetingSpec] = []
    master_uids = {str(event.get("UID", "")) for _, event in masters}
    for number, event in masters:
        spec = _read_event(number, event, overrides.get(str(event.get("UID", "")), []), tz)
        if isinstance(spec, MeetingSpec):
            if not _is_cancelled(event):
                specs.append(spec)
        else:
            problems.extend(spec)
    for uid, orphans in overrides.items():
        if uid in master_uids:
            continue
        for number, event in orphans:
            spec = _read_event(number, event, [], tz)
            if isinstance(spec, list):
                problems.extend(spec)
            elif not _is_cancelled(event):
                rid = _moment(event.get("RECURRENCE-ID").dt, tz)
                specs.append(replace(spec, uid=occurrence_uid(uid, rid)))
    if problems:
        raise MeetingImportError(sorted(problems, key=lambda p: p.row))
    return specs


def _read_event(
    number: int, event: Event, overrides: list[tuple[int, Event]], tz: ZoneInfo
) -> MeetingSpec | list[ImportProblem]:
    problems: list[ImportProblem] = []

    def problem(reason: ImportReason, column: str, cause: RuleProblem | None = None) -> None:
        problems.append(ImportProblem(number, reason, column, cause))

    title = str(event.get("SUMMARY", "")).strip()
    if not title:
        problem(ImportReason.MISSING_VALUE, "SUMMARY")
    start = _event_start(event, tz)
    if isinstance(start, ImportReason):
        problem(start, "DTSTART")
        return problems
    duration = _event_duration(event, start)
    if duration is None:
        problem(ImportReason.BAD_END, "DTEND")
    rule = None
    if event.rdates or len(event.rrules) > 1:
        problem(ImportReason.UNSUPPORTED_RECURRENCE, "RRULE")
    elif event.rrules:
        try:
            rule = normalize_rule(event.rrules[0].to_ical().decode(), start, tz)
        except RecurrenceError as exc:
            problem(ImportReason.BAD_RULE, "RRULE", exc.reason)
    link = str(event.get("URL", "")).strip()
    if not links.looks_like_link(link):
        link = ""  # message://, mailto: and the like: not a meeting link
    elif not links.is_valid_link(link):
        problem(ImportReason.BAD_LINK, "URL")
    note = str(event.get("DESCRIPTION", "")).strip()
    if link and note.endswith(link):
        note = note.removesuffix(link).rstrip()
    cancelled = [_moment(value, tz, start) for value in event.exdates]
    moved: list[tuple[dt.datetime, dt.datetime]] = []
    for override_number, override in overrides:
        rid = _moment(override.get("RECURRENCE-ID").dt, tz, start)
        if _is_cancelled(override):
            cancelled.append(rid)
            continue
        new_start = _event_start(override, tz)
        if isinstance(new_start, ImportReason):
            problems.append(ImportProblem(override_number, new_start, "DTSTART"))
        else:
            moved.append((rid, new_start))
    fields = {"title": title, "place": str(event.get("LOCATION", "")).strip(), "note": note}
    fields["group"] = str(event.get(GROUP_PROPERTY, "")).strip()
    for name, value in fields.items():
        if len(value) > MAX_LENGTHS[name]:
            problem(ImportReason.TOO_LONG, name)
    if problems or duration is None:
        return problems
    return MeetingSpec(
        title=title,
        start=start,
        duration=duration,
        rule=rule,
        place=fields["place"],
        link=link,
        note=note,
        group=fields["group"],
        uid=str(event.get("UID", "")).strip(),
        cancelled=tuple(sorted(set(cancelled))),
        moved=tuple(sorted(moved)),
    )


def _event_start(event: Event, tz: ZoneInfo) -> dt.datetime | ImportReason:
    try:
        value = event.start
    except ValueError:
        return ImportReason.BAD_START
    if not isinstance(value, dt.datetime):
        return ImportReason.ALL_DAY_EVENT
    return _moment(value, tz)


def _event_duration(event: Event, start: dt.datetime) -> dt.timedelta | None:
    try:
        if "DTEND" in event:
            end = event.end
            if not isinstance(end, dt.datetime):
                return None
            duration = end.astimezone(UTC) - start.astimezone(UTC)
        elif "DURATION" in event:
            duration = event.duration
        else:
            return DEFAULT_DURATION
    except ValueError:
        return None
    return duration if dt.timedelta(0) <= duration <= MAX_DURATION else None


def _moment(value: dt.date, tz: ZoneInfo, start: dt.datetime | None = None) -> dt.datetime:
    """An aware local datetime from an .ics value; a DATE takes the start's time of day."""
    if not isinstance(value, dt.datetime):
        clock = start.astimezone(tz).time() if start is not None else dt.time()
        value = dt.datetime.combine(value, clock)
    return as_local(value, tz)


def _is_cancelled(event: Event) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


# --- CSV import -----------------------------------------------------------------------

COLUMNS = (
    "title",
    "start_date",
    "start_time",
    "duration_min",
    "repeat",
    "count",
    "until",
    "place",
    "link",
    "note",
    "group",
)
REQUIRED_COLUMNS = ("title", "start_date", "start_time")
# Column names and repeat words of every language: messages/words/*.toml ([calendar]).
_COLUMN_ALIASES: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "rrule": "repeat",
    **{
        alias: column
        for language in all_words().values()
        for column, aliases in language.calendar.columns.items()
        for alias in aliases
    },
}
_REPEAT_KINDS = {
    "once": RepeatKind.ONCE,
    "weekly": RepeatKind.WEEKLY,
    "biweekly": RepeatKind.BIWEEKLY,
    "monthly": RepeatKind.MONTHLY_NTH_WEEKDAY,
}
_REPEAT_WORDS: dict[str, RepeatKind] = {
    "": RepeatKind.ONCE,
    **{
        word: _REPEAT_KINDS[kind]
        for language in all_words().values()
        for kind, repeat_words in language.calendar.repeat.items()
        for word in repeat_words
    },
}


@dataclass
class _Row:
    """Problems found in one CSV row so far."""

    number: int
    problems: list[ImportProblem] = field(default_factory=list)

    def add(
        self,
        reason: ImportReason,
        column: str | None,
        cause: RuleProblem | DateTimeProblem | None = None,
    ) -> None:
        self.problems.append(ImportProblem(self.number, reason, column, cause))


def parse_meetings_csv(text: str, *, tz: ZoneInfo) -> list[MeetingSpec]:
    """Meetings from CSV text with the columns in the module docstring."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise MeetingImportError([ImportProblem(1, ImportReason.EMPTY_FILE)])
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    header = next(reader)
    columns = _read_header(header)
    specs: list[MeetingSpec] = []
    problems: list[ImportProblem] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = _Row(number)
        extra = cells[len(columns) :]
        if any(cell.strip() for cell in extra):
            row.add(ImportReason.EXTRA_VALUES, None)
        values = {name: "" for name in COLUMNS}
        values.update(
            {name: cell.strip() for name, cell in zip(columns, cells, strict=False) if name}
        )
        spec = _read_row(values, row, tz)
        problems.extend(row.problems)
        if spec is not None and not row.problems:
            specs.append(spec)
    if problems:
        raise MeetingImportError(problems)
    return specs


def _delimiter(text: str) -> str:
    header = text.splitlines()[0]
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_header(header: Sequence[str]) -> list[str | None]:
    problems: list[ImportProblem] = []
    columns: list[str | None] = []
    for cell in header:
        raw = cell.strip()
        key = "_".join(raw.lower().replace("-", " ").split())
        name = _COLUMN_ALIASES.get(key) or _COLUMN_ALIASES.get(key.replace("_", " "))
        if not raw:
            columns.append(None)
        elif name is None:
            problems.append(ImportProblem(1, ImportReason.UNKNOWN_COLUMN, raw))
            columns.append(None)
        elif name in columns:
            problems.append(ImportProblem(1, ImportReason.DUPLICATE_COLUMN, name))
            columns.append(None)
        else:
            columns.append(name)
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append(ImportProblem(1, ImportReason.MISSING_COLUMN, name))
    if problems:
        raise MeetingImportError(problems)
    return columns


def _read_row(values: Mapping[str, str], row: _Row, tz: ZoneInfo) -> MeetingSpec | None:
    for name in REQUIRED_COLUMNS:
        if not values[name]:
            row.add(ImportReason.MISSING_VALUE, name)
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            row.add(ImportReason.TOO_LONG, name)
    link = values["link"]
    if link and len(link) <= links.MAX_LENGTH and not links.is_valid_link(link):
        row.add(ImportReason.BAD_LINK, "link")
    start = _row_start(values, row, tz)
    duration = _row_duration(values["duration_min"], row)
    rule = _row_rule(values, start, row, tz) if start is not None else None
    if start is None or duration is None or row.problems:
        return None
    return MeetingSpec(
        title=values["title"],
        start=start,
        duration=duration,
        rule=rule,
        place=values["place"],
        link=link,
        note=values["note"],
        group=values["group"],
    )


def _row_start(values: Mapping[str, str], row: _Row, tz: ZoneInfo) -> dt.datetime | None:
    day = clock = None
    if values["start_date"]:
        try:
            day = parse_full_date(values["start_date"])
        except DateTimeInputError as exc:
            row.add(ImportReason.BAD_DATE, "start_date", exc.reason)
    if values["start_time"]:
        try:
            clock = parse_time(values["start_time"])
        except DateTimeInputError as exc:
            row.add(ImportReason.BAD_TIME, "start_time", exc.reason)
    if day is None or clock is None:
        return None
    try:
        return localize(day, clock, tz)
    except DateTimeInputError as exc:
        row.add(ImportReason.BAD_TIME, "start_time", exc.reason)
        return None


def _row_duration(value: str, row: _Row) -> dt.timedelta | None:
    if not value:
        return DEFAULT_DURATION
    try:
        minutes = parse_count(value, minimum=1, maximum=MAX_DURATION // dt.timedelta(minutes=1))
    except CountInputError:
        row.add(ImportReason.BAD_DURATION, "duration_min")
        return None
    return dt.timedelta(minutes=minutes)


def _row_rule(values: Mapping[str, str], start: dt.datetime, row: _Row, tz: ZoneInfo) -> str | None:
    repeat = " ".join(values["repeat"].lower().split())
    count: int | None = None
    until: dt.date | None = None
    if values["count"]:
        if not is_digits(values["count"]):
            row.add(ImportReason.BAD_COUNT, "count")
        elif len(values["count"].lstrip("0")) > len(str(MAX_COUNT)):  # 5 000 digits, say
            row.add(ImportReason.BAD_RULE, "count", RuleProblem.COUNT_OUT_OF_RANGE)
            return None
        else:
            count = int(values["count"])
    if values["until"]:
        try:
            until = parse_full_date(values["until"])
        except DateTimeInputError as exc:
            row.add(ImportReason.BAD_UNTIL, "until", exc.reason)
    try:
        if "freq=" in repeat:
            if values["count"] or values["until"]:
                row.add(ImportReason.RULE_WITH_END, "repeat")
                return None
            return normalize_rule(values["repeat"], start, tz)
        kind = _REPEAT_WORDS.get(repeat)
        if kind is None:
            row.add(ImportReason.BAD_REPEAT, "repeat")
            return None
        return build_rule(kind, start, tz, count=count, until=until)
    except RecurrenceError as exc:
        row.add(ImportReason.BAD_RULE, _RULE_COLUMNS.get(exc.reason, "repeat"), exc.reason)
        return None


_RULE_COLUMNS = {
    RuleProblem.COUNT_OUT_OF_RANGE: "count",
    RuleProblem.UNTIL_BEFORE_START: "until",
    RuleProblem.COUNT_AND_UNTIL: "count",
    RuleProblem.TOO_LONG: "count",
}
