"""Meeting links (issue 11 item 13): validated strictly wherever one is typed or imported,
and a participant's .ics file is written whatever the database holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from bot.cli import main
from handlers.domain.calendar_files import (
    ImportProblem,
    ImportReason,
    MeetingImportError,
    MeetingSpec,
    occurrences_to_ics,
    parse_ics,
    parse_meetings_csv,
    series_to_ics,
)
from handlers.domain.links import MAX_LENGTH, LinkInputError, LinkProblem, parse_link
from storage.db import Database
from tests.applicant_chat import conversation
from tests.catalog_labels import shown
from tests.meeting_helpers import PROJECT, TZ, World, local, world
from tests.payloads import press_payload

MONDAY = local(2026, 11, 2, 10, 0)
TEAMS = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
    + "N2E" * 30
    + "%40thread.v2/0?context=%7b%22Tid%22%3a%22"
    + "a1b2" * 20
    + "%22%7d"
)
GOOD = [
    "https://meet.example.fi/abc",
    "http://meet.example.fi",
    "HTTPS://Meet.Example.fi/a?b=c#d",
    "https://kylä.fi/tapaaminen",
    "https://10.0.0.1:8443/x",
    "https://[2001:db8::1]/x",
    "  https://meet.example.fi/abc  ",
    TEAMS,
]
BAD = [
    ("", LinkProblem.EMPTY),
    ("https://meet.example.fi/abc\nhttps://evil.example", LinkProblem.SPACE),
    ("https://meet.example.fi/a b", LinkProblem.SPACE),
    ("https://meet.example.fi/a\tb", LinkProblem.SPACE),
    ("https://meet.example.fi/\x00", LinkProblem.SPACE),
    ("https://meet.example.fi/\u202egpj.exe", LinkProblem.SPACE),
    ("https://meet.example.fi/\u200b", LinkProblem.SPACE),
    ("https://meet.example.fi/" + "a" * MAX_LENGTH, LinkProblem.TOO_LONG),
    ("ftp://meet.example.fi/x", LinkProblem.SCHEME),
    ("javascript:alert(1)", LinkProblem.SCHEME),
    ("https:/meet.example.fi", LinkProblem.SCHEME),
    ("meet.example.fi/abc", LinkProblem.SCHEME),
    ("https://", LinkProblem.HOST),
    ("https://localhost/x", LinkProblem.HOST),
    ("https://meet/x", LinkProblem.HOST),
    ("https://good.example@evil.example/x", LinkProblem.HOST),
    ("https://meet.example.fi:99999/x", LinkProblem.HOST),
    ("https://meet.example.fi:port/x", LinkProblem.HOST),
    ("https://-meet.example.fi/x", LinkProblem.HOST),
    ("https://meet..example.fi/x", LinkProblem.HOST),
]


@pytest.mark.parametrize("text", GOOD)
def test_good_links_are_taken_as_typed(text: str) -> None:
    assert parse_link(text) == text.strip()


@pytest.mark.parametrize(("text", "reason"), BAD)
def test_bad_links_are_refused_with_a_reason(text: str, reason: LinkProblem) -> None:
    with pytest.raises(LinkInputError) as caught:
        parse_link(text)
    assert caught.value.reason is reason


@given(st.text(max_size=600))
def test_any_text_is_a_link_or_a_link_error(text: str) -> None:
    try:
        link = parse_link(text)
    except LinkInputError:
        return
    assert link.lower().startswith(("http://", "https://")) and len(link) <= MAX_LENGTH
    assert link.isprintable() and not any(ch.isspace() for ch in link)


@given(st.from_regex(r"\Ahttps://[a-z]{1,10}\.example\.fi/[a-z0-9/?=&%-]{0,40}\Z"))
def test_ordinary_links_are_accepted(text: str) -> None:
    assert parse_link(text) == text


# --- typed in chat ---------------------------------------------------------------------------


async def new_meeting_at_place_step(w: World) -> None:
    coordinator = await w.coordinator()
    await coordinator.says("/tapaamiset")
    await press_payload(w.db, coordinator, "mt:new")
    await press_payload(w.db, coordinator, "a:all")
    await press_payload(w.db, coordinator, "r:once")
    await coordinator.says("ti 13.00")
    await press_payload(w.db, coordinator, "min:60")
    await coordinator.says("Ohjaus")
    coordinator.new_messages()


# (the dispatcher drops control characters from what is typed before any step sees it)
@pytest.mark.parametrize(
    "link", [text for text, _ in BAD if text.startswith("https://") and "\x00" not in text]
)
async def test_a_bad_link_keeps_the_new_meetings_place_step(db: Database, link: str) -> None:
    async with world(db, MONDAY) as w:
        await new_meeting_at_place_step(w)
        coordinator = await w.coordinator()
        before = await conversation(db, coordinator.user_id)
        assert before is not None and before[:2] == ("meeting_new", "place")
        [answer] = await coordinator.says(link)
        expected = w.bot.renderer.plain("fi", "meetings.link_invalid", {"limit": MAX_LENGTH})
        assert answer.text == expected
        assert await conversation(db, coordinator.user_id) == before


async def test_a_long_good_link_is_saved_and_a_place_stays_a_place(db: Database) -> None:
    async with world(db, MONDAY) as w:
        await new_meeting_at_place_step(w)
        coordinator = await w.coordinator()
        await coordinator.says(TEAMS)
        state = await conversation(db, coordinator.user_id)
        assert state is not None and state[:2] == ("meeting_new", "note")
        assert state[2]["link"] == TEAMS and state[2]["place"] == ""
        await new_meeting_at_place_step(w)
        await coordinator.says("Kirjasto, https://kirjasto.example.fi")
        state = await conversation(db, coordinator.user_id)
        assert state is not None and state[2]["place"] == "Kirjasto, https://kirjasto.example.fi"


async def test_a_bad_link_keeps_the_place_change_step(db: Database) -> None:
    async with world(db, MONDAY) as w:
        await w.participant(1)
        await w.meeting(local(2026, 11, 10, 13, 0))
        coordinator = await w.coordinator()
        await coordinator.says("/tapaamiset")
        await press_payload(w.db, coordinator, "mt:occ:")
        await press_payload(w.db, coordinator, "mt:place:")
        before = await conversation(db, coordinator.user_id)
        assert before is not None and before[:2] == ("meeting_edit", "value")
        coordinator.new_messages()
        [answer] = await coordinator.says("https://meet.example.fi/abc\nhttps://evil.example")
        expected = w.bot.renderer.plain("fi", "meetings.link_invalid", {"limit": MAX_LENGTH})
        assert answer.text == expected
        assert await conversation(db, coordinator.user_id) == before
        assert await w.rows("SELECT link FROM meetings") == [("",)]
        await coordinator.says("https://meet.example.fi/abc")
        assert await w.rows("SELECT place, link FROM meetings") == [
            ("Kirjasto", "https://meet.example.fi/abc")
        ]


# --- the participant's .ics file -------------------------------------------------------------


async def test_the_ics_file_is_written_whatever_is_stored(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija = await w.participant(1)
        first = await w.meeting(local(2026, 11, 10, 13, 0), title="Naisten\x01 ryhmä")
        second = await w.meeting(local(2026, 11, 11, 10, 0), rule="FREQ=WEEKLY;COUNT=3")
        async with db.transaction() as conn:
            await conn.execute(
                "UPDATE meetings SET link = ?, place = ?, note = ? WHERE id = ?",
                (
                    "https://meet.example.fi/abc\nhttps://evil.example",
                    "Kirjasto\r\nkerros 2\x00",
                    "Tuo\x1b kahvikuppi",
                    first.id,
                ),
            )
            await conn.execute(
                "UPDATE meetings SET rrule = 'FREQ=WEEKLY;COUNT=abc', link = ? WHERE id = ?",
                ("https://meet.example.fi/ok", second.id),
            )
        await maija.says("/omat")
        [file] = await press_payload(db, maija, "omat:ics")
        assert file.document is not None and file.document[0] == shown("file.meetings") + ".ics"
        calendar = Calendar.from_ical(file.document[1])
        events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
        assert set(events) == {"Naisten ryhmä"}  # the unreadable series: its first meeting
        [broken, readable] = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
        assert "URL" not in broken and "evil" not in str(broken.get("DESCRIPTION", ""))
        assert str(broken["LOCATION"]) == "Kirjasto\nkerros 2"
        assert str(broken["DESCRIPTION"]) == "Tuo kahvikuppi"
        assert str(readable["URL"]) == "https://meet.example.fi/ok"
        for line in file.document[1].split(b"\r\n"):
            assert not any(byte < 0x20 and byte != 0x09 for byte in line), line


def test_the_writers_take_any_stored_texts_and_durations() -> None:
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    weird = MeetingSpec(
        title="\x00\x07",
        start=local(2026, 11, 24, 13, 0),
        duration=dt.timedelta(days=-1),
        rule="FREQ=NOPE",
        place="\ud800",
        link="javascript:alert(1)",
        note="a\rb",
        group="g\x0b",
        uid="u@h",
    )
    for data in (
        occurrences_to_ics(
            [weird], start_utc=now, end_utc=now + dt.timedelta(days=60), tz=TZ, now=now
        ),
        series_to_ics([weird], tz=TZ, now=now, calendar_name="x\ny\x00"),
    ):
        [event] = Calendar.from_ical(data).walk("VEVENT")
        assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=1)
        assert "URL" not in event and "RRULE" not in event
        assert str(event["DESCRIPTION"]) == "a\nb" and str(event["LOCATION"]) == "?"


# --- imported ---------------------------------------------------------------------------------


def test_csv_import_refuses_bad_links() -> None:
    text = (
        "title;start_date;start_time;link\n"
        "Hyvä;1.12.2026;10.00;https://meet.example.fi/abc\n"  # row 2
        'Rivinvaihto;1.12.2026;10.00;"https://meet.example.fi/abc\nx"\n'  # row 3
        "Väli;1.12.2026;10.00;https://meet.example.fi/a b\n"  # row 4
        "Isäntä;1.12.2026;10.00;https://meet/x\n"  # row 5
        "Ohjaus;1.12.2026;10.00;https://meet.example.fi/\x01\n"  # row 6
    )
    with pytest.raises(MeetingImportError) as caught:
        parse_meetings_csv(text, tz=TZ)
    assert list(caught.value.problems) == [
        ImportProblem(row, ImportReason.BAD_LINK, "link") for row in (3, 4, 5, 6)
    ]


def ics(*lines: str) -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN"]
    return "\r\n".join([*head, *lines, "END:VCALENDAR", ""]).encode()


def test_ics_import_refuses_a_bad_web_link_and_leaves_out_other_kinds() -> None:
    event = ["BEGIN:VEVENT", "UID:a@x", "SUMMARY:Ohjaus", "DTSTART:20261201T100000"]
    with pytest.raises(MeetingImportError) as caught:
        parse_ics(ics(*event, "URL:https://meet.example.fi/a b", "END:VEVENT"), tz=TZ)
    assert list(caught.value.problems) == [ImportProblem(1, ImportReason.BAD_LINK, "URL")]
    [spec] = parse_ics(ics(*event, "URL:message://abc", "END:VEVENT"), tz=TZ)
    assert spec.link == ""
    [spec] = parse_ics(ics(*event, "URL:https://meet.example.fi/abc", "END:VEVENT"), tz=TZ)
    assert spec.link == "https://meet.example.fi/abc"


def test_cli_refuses_a_bad_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HANKEBOT_DATABASE", str(tmp_path / "db.sqlite3"))
    base = ["meetings", "add", "--project", PROJECT, "--title", "x", "--start", "1.12.2027 10"]
    assert main([*base, "--link", "https://meet.example.fi/abc\nhttps://evil.example"]) == 1
    err = capsys.readouterr().err
    assert "--link must be one whole web address" in err and "Traceback" not in err
    assert main([*base, "--link", "https://meet.example.fi/abc"]) == 0
