"""Calendar files: .ics export and import round trips, foreign .ics files, CSV import."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handlers.domain.calendar_files import (
    DEFAULT_DURATION,
    ImportProblem,
    ImportReason,
    MeetingImportError,
    MeetingSpec,
    occurrence_uid,
    occurrences_to_ics,
    parse_ics,
    parse_meetings_csv,
    series_to_ics,
)
from handlers.domain.datetime_input import DateTimeProblem
from handlers.domain.recurrence import RepeatKind, RuleProblem, build_rule, occurrences

TZ = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC
NOW = dt.datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
YEAR = (NOW, NOW + dt.timedelta(days=366))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def weekly_series() -> MeetingSpec:
    start = local(2026, 10, 13, 13, 0)
    return MeetingSpec(
        title="Naisten ryhmä; kevät, jakso 1",
        start=start,
        duration=dt.timedelta(minutes=90),
        rule=build_rule(RepeatKind.WEEKLY, start, TZ, count=8),
        place="Mikkeli, Porrassalmenkatu 1",
        link="https://meet.example.org/naiset",
        note="Ota mukaan\nkahvikuppi",
        group="naiset",
        uid="series-1@hankebot.example",
        cancelled=(local(2026, 10, 20, 13, 0),),
        moved=((local(2026, 11, 3, 13, 0), local(2026, 11, 4, 14, 0)),),
    )


def one_off() -> MeetingSpec:
    return MeetingSpec(
        title="Henkilökohtainen ohjaus",
        start=local(2027, 3, 30, 9, 0),
        uid="single-2@hankebot.example",
    )


def starts(spec: MeetingSpec) -> list[dt.datetime]:
    return occurrences(
        spec.rule, spec.start, *YEAR, TZ, cancelled=spec.cancelled, moved=spec.moved_map
    )


def ics(*lines: str) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN", *lines, "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode()


def problems_of(excinfo: pytest.ExceptionInfo[MeetingImportError]) -> list[ImportProblem]:
    return list(excinfo.value.problems)


# --- export ---------------------------------------------------------------------------


def test_series_round_trip_gives_the_same_meetings() -> None:
    meetings = [weekly_series(), one_off()]
    data = series_to_ics(meetings, tz=TZ, now=NOW, calendar_name="Hankebot")
    parsed = parse_ics(data, tz=TZ)
    assert parsed == meetings
    assert [starts(m) for m in parsed] == [starts(m) for m in meetings]


def test_series_file_is_valid_for_phone_calendars() -> None:
    data = series_to_ics([weekly_series()], tz=TZ, now=NOW)
    text = data.decode()
    lines = text.split("\r\n")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in lines)
    for needed in ("VERSION:2.0", "PRODID:-//hankebot//hankebot//FI", "TZID:Europe/Helsinki"):
        assert needed in lines
    assert "DTSTART;TZID=Europe/Helsinki:20261013T130000" in lines
    assert "DTEND;TZID=Europe/Helsinki:20261013T143000" in lines
    assert "EXDATE;TZID=Europe/Helsinki:20261020T130000" in lines
    assert "RECURRENCE-ID;TZID=Europe/Helsinki:20261103T130000" in lines
    assert "SUMMARY:Naisten ryhmä\\; kevät\\, jakso 1" in lines
    assert "DTSTAMP:20260901T080000Z" in lines
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


def test_occurrence_export_has_one_event_each_with_stable_uids() -> None:
    series = weekly_series()
    data = occurrences_to_ics([series], start_utc=YEAR[0], end_utc=YEAR[1], tz=TZ, now=NOW)
    parsed = parse_ics(data, tz=TZ)
    assert [p.start for p in parsed] == starts(series)
    assert all(p.rule is None and p.duration == series.duration for p in parsed)
    assert parsed[0].uid == "series-1-20261013T100000Z@hankebot.example"
    moved = next(p for p in parsed if p.start == local(2026, 11, 4, 14, 0))
    assert moved.uid == occurrence_uid(series.uid, local(2026, 11, 3, 13, 0))
    assert len({p.uid for p in parsed}) == len(parsed) == 7
    again = occurrences_to_ics([series], start_utc=YEAR[0], end_utc=YEAR[1], tz=TZ, now=NOW)
    assert again == data


def test_export_needs_uids() -> None:
    with pytest.raises(ValueError, match="uid"):
        series_to_ics([MeetingSpec(title="x", start=local(2027, 1, 5, 10, 0))], tz=TZ, now=NOW)


def test_dst_changes_in_an_exported_series() -> None:
    start = local(2027, 3, 16, 13, 0)
    series = MeetingSpec(
        title="Valmennus",
        start=start,
        rule=build_rule(RepeatKind.WEEKLY, start, TZ, until=dt.date(2027, 4, 6)),
        uid="dst@hankebot.example",
    )
    data = occurrences_to_ics([series], start_utc=YEAR[0], end_utc=YEAR[1], tz=TZ, now=NOW)
    lines = data.decode().split("\r\n")
    event_starts = [line for line in lines if line.startswith("DTSTART;TZID=Europe/Helsinki:")]
    assert [line[-6:] for line in event_starts] == ["130000"] * 4
    parsed = parse_ics(data, tz=TZ)
    assert [p.start.astimezone(UTC).hour for p in parsed] == [11, 11, 10, 10]


# --- .ics import ----------------------------------------------------------------------


def test_foreign_ics_with_floating_utc_and_date_values() -> None:
    data = ics(
        "BEGIN:VEVENT",
        "UID:a@phone",
        "SUMMARY:Työhönvalmennus",
        "DTSTART:20261020T130000",
        "DURATION:PT45M",
        "RRULE:FREQ=WEEKLY;UNTIL=20261110",
        "EXDATE;VALUE=DATE:20261027",
        "URL:message://not-a-web-link",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:b@phone",
        "SUMMARY:Ura-agentti",
        "DTSTART:20261021T080000Z",
        "LOCATION:Joensuu",
        "END:VEVENT",
    )
    first, second = parse_ics(data, tz=TZ)
    assert first.start == local(2026, 10, 20, 13, 0)
    assert first.duration == dt.timedelta(minutes=45)
    assert first.rule == "FREQ=WEEKLY;UNTIL=20261110T215959Z"
    assert first.cancelled == (local(2026, 10, 27, 13, 0),)
    assert first.link == ""
    assert [o.astimezone(TZ).day for o in starts(first)] == [20, 3, 10]
    assert second.start == local(2026, 10, 21, 11, 0)
    assert second.duration == DEFAULT_DURATION
    assert second.place == "Joensuu"


def test_cancelled_events_and_overrides() -> None:
    data = ics(
        "BEGIN:VEVENT",
        "UID:s@phone",
        "SUMMARY:Ryhmä",
        "DTSTART;TZID=Europe/Helsinki:20261020T130000",
        "DTEND;TZID=Europe/Helsinki:20261020T140000",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:s@phone",
        "RECURRENCE-ID;TZID=Europe/Helsinki:20261027T130000",
        "STATUS:CANCELLED",
        "SUMMARY:Ryhmä",
        "DTSTART;TZID=Europe/Helsinki:20261027T130000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:gone@phone",
        "STATUS:CANCELLED",
        "SUMMARY:Peruttu",
        "DTSTART;TZID=Europe/Helsinki:20261020T100000",
        "END:VEVENT",
    )
    (series,) = parse_ics(data, tz=TZ)
    assert series.cancelled == (local(2026, 10, 27, 13, 0),)
    assert [o.astimezone(TZ).day for o in starts(series)] == [20, 3]


def test_bad_events_are_all_reported_with_their_numbers() -> None:
    data = ics(
        "BEGIN:VEVENT",
        "UID:ok",
        "SUMMARY:Hyvä",
        "DTSTART:20261020T130000Z",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:allday",
        "SUMMARY:Koko päivä",
        "DTSTART;VALUE=DATE:20261021",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:hourly",
        "DTSTART:20261022T130000Z",
        "RRULE:FREQ=HOURLY;COUNT=3",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:rdate",
        "SUMMARY:Lisäpäivä",
        "DTSTART:20261023T130000Z",
        "RDATE:20261030T130000Z",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:backwards",
        "SUMMARY:Väärin päin",
        "DTSTART:20261024T130000Z",
        "DTEND:20261024T120000Z",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:nostart",
        "SUMMARY:Ei alkua",
        "END:VEVENT",
    )
    with pytest.raises(MeetingImportError) as info:
        parse_ics(data, tz=TZ)
    assert problems_of(info) == [
        ImportProblem(2, ImportReason.ALL_DAY_EVENT, "DTSTART"),
        ImportProblem(3, ImportReason.MISSING_VALUE, "SUMMARY"),
        ImportProblem(3, ImportReason.BAD_RULE, "RRULE", RuleProblem.UNSUPPORTED_FREQUENCY),
        ImportProblem(4, ImportReason.UNSUPPORTED_RECURRENCE, "RRULE"),
        ImportProblem(5, ImportReason.BAD_END, "DTEND"),
        ImportProblem(6, ImportReason.BAD_START, "DTSTART"),
    ]


@pytest.mark.parametrize("data", [b"", b"hello", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n"])
def test_not_a_calendar(data: bytes) -> None:
    with pytest.raises(MeetingImportError) as info:
        parse_ics(data, tz=TZ)
    assert problems_of(info) == [ImportProblem(0, ImportReason.NOT_A_CALENDAR)]


def test_empty_calendar_has_no_meetings() -> None:
    assert parse_ics(ics(), tz=TZ) == []


# --- CSV import -----------------------------------------------------------------------

GOOD_CSV_FI = (
    "\ufeffOtsikko;Päivä;Aika;Kesto;Toisto;Kertoja;Asti;Paikka;Linkki;Lisätieto;Ryhmä\r\n"
    "Naisten ryhmä;13.10.2026;13.00;90;viikoittain;12;;Mikkeli;;;naiset\r\n"
    "Teemapäivä;2026-12-01;klo 10;;kuukausittain;;31.5.2027;Kaveri-tila;;Kahvit;\r\n"
    ";;;;;;;;;;\r\n"
    "Ohjaus;24.11.2026;9:30;45;;;;;https://meet.example.org/x;;\r\n"
)


def test_good_finnish_csv() -> None:
    group, theme, talk = parse_meetings_csv(GOOD_CSV_FI, tz=TZ)
    assert group == MeetingSpec(
        title="Naisten ryhmä",
        start=local(2026, 10, 13, 13, 0),
        duration=dt.timedelta(minutes=90),
        rule="FREQ=WEEKLY;BYDAY=TU;COUNT=12",
        place="Mikkeli",
        group="naiset",
    )
    assert theme.rule == "FREQ=MONTHLY;BYDAY=1TU;UNTIL=20270531T205959Z"
    assert theme.duration == DEFAULT_DURATION
    assert theme.note == "Kahvit"
    assert talk.start == local(2026, 11, 24, 9, 30)
    assert talk.rule is None
    assert talk.link == "https://meet.example.org/x"


def test_english_csv_with_commas_and_a_raw_rrule() -> None:
    text = (
        "title,start_date,start_time,duration_min,repeat,place\n"
        '"Coaching, group A",3.11.2026,14:00,60,FREQ=WEEKLY;INTERVAL=2;COUNT=3,"Joensuu"\n'
    )
    (spec,) = parse_meetings_csv(text, tz=TZ)
    assert spec.title == "Coaching, group A"
    assert spec.rule == "FREQ=WEEKLY;INTERVAL=2;COUNT=3"
    assert [o.astimezone(TZ).day for o in starts(spec)] == [3, 17, 1]


def test_csv_reports_every_bad_row_with_its_number() -> None:
    text = (
        "title;start_date;start_time;duration_min;repeat;count;until;link\n"
        "Hyvä;1.12.2026;10.00;60;;;;\n"  # row 2: fine
        "Paha päivä;31.2.2027;10.00;60;;;;\n"  # row 3
        "Paha aika;1.12.2026;25.00;60;;;;\n"  # row 4
        "Outo toisto;1.12.2026;10.00;60;joskus;;;\n"  # row 5
        "Molemmat;1.12.2026;10.00;60;weekly;5;31.12.2026;\n"  # row 6
        "Linkki;1.12.2026;10.00;60;;;;ftp://x.example\n"  # row 7
        ";1.12.2026;10.00;0;;;;\n"  # row 8: no title, zero minutes
        "Kesäaika;28.3.2027;3.30;60;;;;\n"  # row 9: the clock skips 03.00–04.00
        "Kerran;1.12.2026;10.00;60;once;3;;\n"  # row 10
        "Sääntö;1.12.2026;10.00;60;FREQ=WEEKLY;4;;\n"  # row 11
        "Liikaa;1.12.2026;10.00;60;weekly;999;;\n"  # row 12
        "Lisää;1.12.2026;10.00;60;;;;;ylimääräinen\n"  # row 13
    )
    with pytest.raises(MeetingImportError) as info:
        parse_meetings_csv(text, tz=TZ)
    assert problems_of(info) == [
        ImportProblem(3, ImportReason.BAD_DATE, "start_date", DateTimeProblem.INVALID_DATE),
        ImportProblem(4, ImportReason.BAD_TIME, "start_time", DateTimeProblem.INVALID_TIME),
        ImportProblem(5, ImportReason.BAD_REPEAT, "repeat"),
        ImportProblem(6, ImportReason.BAD_RULE, "count", RuleProblem.COUNT_AND_UNTIL),
        ImportProblem(7, ImportReason.BAD_LINK, "link"),
        ImportProblem(8, ImportReason.MISSING_VALUE, "title"),
        ImportProblem(8, ImportReason.BAD_DURATION, "duration_min"),
        ImportProblem(9, ImportReason.BAD_TIME, "start_time", DateTimeProblem.NONEXISTENT_TIME),
        ImportProblem(10, ImportReason.BAD_RULE, "repeat", RuleProblem.ONE_OFF_WITH_END),
        ImportProblem(11, ImportReason.RULE_WITH_END, "repeat"),
        ImportProblem(12, ImportReason.BAD_RULE, "count", RuleProblem.COUNT_OUT_OF_RANGE),
        ImportProblem(13, ImportReason.EXTRA_VALUES, None),
    ]


def test_csv_header_problems() -> None:
    with pytest.raises(MeetingImportError) as info:
        parse_meetings_csv("title;start_date;palce;title\nA;1.12.2026;x;y\n", tz=TZ)
    assert problems_of(info) == [
        ImportProblem(1, ImportReason.UNKNOWN_COLUMN, "palce"),
        ImportProblem(1, ImportReason.DUPLICATE_COLUMN, "title"),
        ImportProblem(1, ImportReason.MISSING_COLUMN, "start_time"),
    ]


@pytest.mark.parametrize("text", ["", "\ufeff", "  \n"])
def test_empty_csv(text: str) -> None:
    with pytest.raises(MeetingImportError) as info:
        parse_meetings_csv(text, tz=TZ)
    assert problems_of(info) == [ImportProblem(1, ImportReason.EMPTY_FILE)]


def test_header_only_csv_has_no_meetings() -> None:
    assert parse_meetings_csv("title,start_date,start_time\n", tz=TZ) == []


def test_csv_meetings_survive_an_ics_round_trip() -> None:
    specs = parse_meetings_csv(GOOD_CSV_FI, tz=TZ)
    with_uids = [
        MeetingSpec(**{**spec.__dict__, "uid": f"m{i}@hankebot.example"})
        for i, spec in enumerate(specs)
    ]
    assert parse_ics(series_to_ics(with_uids, tz=TZ, now=NOW), tz=TZ) == with_uids
