"""Meetings in chat: planning (incl. the seed rhythms), answers to reminders, ratings,
/omat with an .ics file, attendance, moving and cancelling — through the real dispatcher."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.cli import main
from handlers.core.types import Day, Incoming, Param, Text, When
from storage import memberships, outbox
from storage.db import Database
from tests.catalog_labels import label, lines_shown, shown
from tests.harness import Delivered
from tests.meeting_helpers import PROJECT, TZ, World, local, messages_to, world

MONDAY = local(2026, 11, 2, 10, 0)  # the meetings below are on Tuesdays at 13.00


async def take_the_unconfirmed_duration(w: World, minutes: int) -> None:
    """The content's meeting length is unconfirmed (check): offered first with its caveat,
    not taken silently."""
    coordinator = await w.coordinator()
    ask = coordinator.last
    assert ask.keys[0] == "meetings.ask_duration"
    default = ask.all_buttons().__next__()
    wanted = label("content.caveat_label", fact=Text("meetings.minutes", {"minutes": minutes}))
    assert default.label == wanted
    await coordinator.presses_token(default.token)


async def plan_womens_group(w: World) -> list[Delivered]:
    coordinator = await w.coordinator()
    await coordinator.says("/tapaamiset")
    await coordinator.presses_key("meetings.new")
    [repeat] = await coordinator.presses("Naisten ryhmä")
    rhythm = repeat.button("meetings.repeat_rhythm")
    assert rhythm is not None and "3 kuukauden" in rhythm.label
    await coordinator.presses_token(rhythm.token)
    await coordinator.says("ti 13.00")
    await take_the_unconfirmed_duration(w, 120)
    await coordinator.presses_key("meetings.use_title", title="Naisten ryhmä")
    await coordinator.says("Kirjasto, Raatihuoneenkatu 1")
    [summary] = await coordinator.presses_key("meetings.skip")
    [saved] = await coordinator.presses_key("meetings.save")
    return [summary, saved]


async def test_the_womens_group_rhythm_takes_a_few_taps(db: Database) -> None:
    async with world(db, MONDAY) as w:
        inside = [await w.participant(1), await w.participant(2)]
        outside = await w.participant(3, group="individual-support")
        summary_message, saved_message = await plan_womens_group(w)
        summary, saved = summary_message.text, saved_message.text
        assert "joka tiistai, 13 kertaa" in summary
        assert "Kesto: 120 min" in summary and "Jakso 1/4" in summary
        assert saved_message.keys[0] == "meetings.saved"
        assert "ti 3.11. klo 13.00" in saved
        assert "2 osallistujalle" in saved
        for person in inside:
            [notice] = person.new_messages()
            assert notice.keys[0] == "participant.meeting_new"
            assert shown("meeting.place", place="Kirjasto, Raatihuoneenkatu 1") in notice.text
        assert outside.new_messages() == []
        [(rule, last, first)] = await w.rows("SELECT rrule, last_start, first_start FROM meetings")
        assert rule == "FREQ=WEEKLY;COUNT=13"
        assert dt.datetime.fromisoformat(str(last)).astimezone(TZ) == local(2027, 1, 26, 13, 0)
        assert dt.datetime.fromisoformat(str(first)).astimezone(TZ) == local(2026, 11, 3, 13, 0)
        # The next period is numbered 2/4.
        coordinator = await w.coordinator()
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key("meetings.new")
        await coordinator.presses("Naisten ryhmä")
        await coordinator.presses(coordinator.last.labels[0])
        await coordinator.says("9.2.2027 13.00")
        await take_the_unconfirmed_duration(w, 120)
        await coordinator.presses_key("meetings.use_title", title="Naisten ryhmä")
        await coordinator.presses_key("meetings.skip")
        [summary2] = await coordinator.presses_key("meetings.skip")
        assert "Jakso 2/4" in summary2.text


async def test_pre_release_meetings_are_placed_before_the_release(db: Database) -> None:
    async with world(db, MONDAY) as w:
        person = await w.participant(1, group="pre-release-meetings")
        coordinator = await w.coordinator()
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key("meetings.new")
        [repeat] = await coordinator.presses("Tapaamiset ennen vapautumista")
        rhythm = repeat.button("meetings.repeat_rhythm")
        assert rhythm is not None
        await coordinator.presses_token(rhythm.token)
        [ask] = coordinator.messages()[-1:]
        assert ask.text.startswith(shown("meetings.ask_anchor", event="vapautuminen"))
        [window] = await coordinator.says("1.3.2027")
        assert "31.12.2026–30.1.2027" in window.text
        [outside] = await coordinator.says("5.2.2027 10.00")
        assert outside.keys[0] == "meetings.start_outside_window"
        await coordinator.says("7.1.2027 10.00")  # a Thursday, every other week until release
        await take_the_unconfirmed_duration(w, 60)
        await coordinator.presses_key("meetings.use_title", title="Tapaamiset ennen vapautumista")
        await coordinator.presses_key("meetings.skip")
        [summary] = await coordinator.presses_key("meetings.skip")
        biweekly = Text("meeting.rule_biweekly", {"weekday": Text("meeting.weekday_3")})
        until = shown("meeting.rule_until", rhythm=biweekly, last=Day(dt.date(2027, 2, 18)))
        assert until in summary.text
        assert "Kesto: 60 min" in summary.text
        await coordinator.presses_key("meetings.save")
        [notice] = person.new_messages()
        assert "to 7.1. klo 10.00" in notice.text


async def test_bad_answers_keep_the_coordinator_on_the_step(db: Database) -> None:
    async with world(db, MONDAY) as w:
        await w.participant(1)
        coordinator = await w.coordinator()
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key("meetings.new")
        await coordinator.presses_key("meetings.audience_all")
        await coordinator.presses_key("meetings.repeat_weekly")
        expected = {
            "31.2. 13.00": "datetime.invalid_date",
            "3.11. 25.00": "datetime.invalid_time",
            "2.11. 9.00": "datetime.in_past",
            "huomenna": "datetime.missing_time",
            "28.3.2027 3.30": "datetime.nonexistent_time",
        }
        for typed, answer in expected.items():
            [reply] = await coordinator.says(typed)
            assert reply.keys[0] == answer, (typed, reply.text)
        [end] = await coordinator.says("ke 17.30")
        assert end.keys[0] == "meetings.ask_end"
        [too_many] = await coordinator.says("501")
        assert too_many.keys == ("rule.count_out_of_range",) and "1–500" in too_many.text
        [before] = await coordinator.says("1.11.2026")
        assert before.keys[0] == "meetings.end_invalid"
        [duration] = await coordinator.says("31.12.2026")
        assert duration.keys[0] == "meetings.ask_duration"
        for bad in ("0", "abc", "1441"):
            [reply] = await coordinator.says(bad)
            assert reply.keys[0] == "meetings.duration_invalid", bad
        [title] = await coordinator.says("45")
        assert title.labels == []  # no group: no default name
        [long] = await coordinator.says("x" * 201)
        assert "enintään 200" in long.text
        await coordinator.says("Kaikkien kahvit <b>&</b>")
        await coordinator.says("https://meet.example.org/abc")
        [summary] = await coordinator.presses_key("meetings.skip")
        assert "Kaikkien kahvit <b>&</b>" in summary.text  # shown as typed, escaped
        assert "&lt;b&gt;" in summary.html
        assert shown("meeting.link", link="https://meet.example.org/abc") in summary.text
        assert "joka keskiviikko, viimeisen kerran 30.12.2026" in summary.text


async def test_reminder_buttons_answer_and_only_the_invited_may_press(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija = await w.participant(1, name="Maija")
        stranger = await w.participant(2, name="Vieras", group="individual-support")
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.advance(hours=3, minutes=1)  # Monday 13.01: the 24 h reminder is due
        delivered = await w.tick()
        [reminder] = messages_to(maija, delivered)
        assert reminder.keys == ("participant.reminder",)
        assert reminder.label_keys == [
            "participant.coming",
            "participant.not_coming",
            "participant.other_time",
        ]
        assert messages_to(stranger, delivered) == []
        # A forged token and another person's token are refused.
        [forged] = await stranger.presses_token("rsvp-made-up")
        assert forged.keys[0] == "error.old_button"
        [foreign] = await stranger.presses_token(reminder.buttons[0][0][1])
        assert foreign.keys[0] == "error.old_button"
        # In a shared chat the payload is reached, and the role check refuses the stranger.
        async with w.db.transaction() as conn:
            await outbox.enqueue(
                conn,
                chat_id="test:-100",
                user_id=None,
                html="x",
                now=w.clock(),
                buttons=[[("Tulen", f"rsvp:{occurrence}:yes")]],
            )
            cursor = await conn.execute("SELECT token FROM buttons WHERE chat_id = 'test:-100'")
            row = await cursor.fetchone()
        assert row is not None
        await w.bot.dispatcher.handle(
            Incoming(
                user_id=stranger.user_id,
                chat_id="test:-100",
                button_token=row[0],
                update_key="group-press",
                is_group_chat=True,
            )
        )
        assert await w.rows("SELECT * FROM rsvps") == []
        [yes] = await maija.presses_key("participant.coming")
        assert yes.text == shown("participant.rsvp_yes", when=When(local(2026, 11, 3, 13, 0)))
        assert await w.rows("SELECT user_id, answer FROM rsvps") == [(maija.user_id, "yes")]
        # The 2 h reminder knows she is coming and offers only "can't come after all".
        w.clock.advance(hours=22)
        [second] = messages_to(maija, await w.tick())
        assert second.keys == ("participant.reminder_confirmed",)
        assert second.label_keys == ["participant.not_coming_after_all"]
        assert coordinator.new_messages() == []


async def test_cant_come_goes_to_the_coordinator_who_offers_a_new_time(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija = await w.participant(1, name="Maija")
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.advance(hours=3, minutes=1)
        messages_to(maija, await w.tick())
        [sorry] = await maija.presses_key("participant.other_time")
        assert sorry.keys == ("participant.rsvp_other",)
        [told] = coordinator.new_messages()
        assert told.keys[0] == "notify.rsvp_other"
        assert told.text.startswith("Maija") and "Naisten ryhmä" in told.text
        kinds = await w.rows(
            "SELECT kind FROM reminders WHERE occurrence_id = ? AND state = 'pending'", occurrence
        )
        assert ("check_in",) in kinds and ("reminder",) not in kinds
        [ask] = await coordinator.presses_key("notify.offer_time")
        assert ask.keys == ("meetings.ask_new_time", "ways.hint_out") and "Maija" in ask.text
        [bad] = await coordinator.says("ensi viikolla")
        assert bad.keys[0] == "datetime.unrecognised"
        [sent] = await coordinator.says("to 5.11. 14.00")
        assert sent.text == shown("meetings.new_time_sent", when=When(local(2026, 11, 5, 14, 0)))
        [offer] = maija.new_messages()
        assert offer.keys[0] == "participant.new_time"
        assert "to 5.11. klo 14.00" in offer.text
        kinds = await w.rows(
            "SELECT kind FROM reminders WHERE occurrence_id = ? AND state = 'pending'", occurrence
        )
        assert kinds == []  # no check-in: a new time was given
        [(personal,)] = await w.rows("SELECT user_id FROM meetings WHERE user_id IS NOT NULL")
        assert personal == maija.user_id
        [ok] = await maija.presses_key("participant.coming")
        assert ok.text == shown("participant.rsvp_yes", when=When(local(2026, 11, 5, 14, 0)))


async def test_rating_accepts_only_one_to_five(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.advance(days=1, hours=6, minutes=1)  # Tuesday 16.01: ended at 15.00, +1 h
        delivered = messages_to(maija, await w.tick())
        follow_up = delivered[-1]
        assert follow_up.keys == ("participant.follow_up",)
        assert follow_up.labels[:5] == ["1", "2", "3", "4", "5"]
        assert follow_up.label_keys == [*["participant.score"] * 5, "participant.did_not_make_it"]
        # Typed answers are read by handlers/participant/replies.py ("4/5" is a 4 there).
        for bad in ("0", "6", "hyvä", "3,5"):
            [reply] = await maija.says(bad)
            assert reply.keys == ("replies.not_understood_rating",), bad
            assert reply.label_keys == follow_up.label_keys  # the options again
        assert await w.rows("SELECT * FROM ratings") == []
        [comment] = await maija.says("4")
        assert comment.keys == (
            "replies.understood_score",
            "participant.comment_prompt",
            "ways.hint_out",
        )
        [too_long] = await maija.says("a" * 501)
        assert too_long.keys == ("participant.comment_too_long",) and "500" in too_long.text
        [sign] = await maija.says("Mukava ryhmä <3")
        assert sign.keys == ("participant.sign_prompt",)
        [thanks] = await maija.presses_key("participant.sign_no")
        assert thanks.keys == ("participant.rating_thanks",)
        assert await w.rows("SELECT occurrence_id, score, comment FROM ratings") == [
            (occurrence, 4, "Mukava ryhmä <3")
        ]
        # The button works too, and changes the score; a forged score is refused.
        await maija.presses_key("participant.score", n="5")
        await maija.presses_key("participant.comment_skip")
        assert await w.rows("SELECT score FROM ratings") == [(5,)]


async def test_omat_lists_meetings_and_gives_an_ics_file(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija = await w.participant(1)
        await w.meeting(local(2026, 11, 3, 13, 0), rule="FREQ=WEEKLY;COUNT=3")
        await w.meeting(
            local(2026, 11, 5, 9, 30),
            title="Ohjauskeskustelu",
            group=None,
            user_id=maija.user_id,
            minutes=60,
        )
        await w.meeting(local(2026, 11, 4, 12, 0), title="Toisen ryhmän", group="other-group")
        [mine] = await maija.says("/omat")
        lines = [line for line in mine.text.splitlines() if line.startswith("•")]
        assert lines == [
            "• ti 3.11. klo 13.00 – Naisten ryhmä",
            "• to 5.11. klo 9.30 – Ohjauskeskustelu",
            "• ti 10.11. klo 13.00 – Naisten ryhmä",
            "• ti 17.11. klo 13.00 – Naisten ryhmä",
        ]
        [file_message] = await maija.presses_key("participant.ics_button")
        assert file_message.document is not None
        name, data = file_message.document
        assert name.endswith(".ics")
        calendar = Calendar.from_ical(data)
        events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
        starts = [e.decoded("DTSTART").astimezone(TZ) for e in events]
        assert starts == [
            local(2026, 11, 3, 13, 0),
            local(2026, 11, 5, 9, 30),
            local(2026, 11, 10, 13, 0),
            local(2026, 11, 17, 13, 0),
        ]
        assert str(events[0]["LOCATION"]) == "Kirjasto"
        assert len({str(e["UID"]) for e in events}) == 4


async def test_attendance_from_buttons_and_roles_checked_on_every_press(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija = await w.participant(1, name="Maija")
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        await coordinator.says("/tapaamiset")
        [view] = await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 3, 13, 0)), title="Naisten ryhmä"
        )
        assert "… Maija – ei vastausta" in view.text
        assert "meetings.attendance_button" not in view.label_keys  # not started yet
        w.clock.advance(days=1, hours=4)  # Tuesday 14.00
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 3, 13, 0)), title="Naisten ryhmä"
        )
        [marks] = await coordinator.presses_key("meetings.attendance_button")
        assert marks.button("meetings.mark_none", label=label("meetings.mark_none", name="Maija"))
        [present] = await coordinator.presses_key("meetings.mark_none", name="Maija")
        assert present.button("meetings.mark_attended", family="mt:mark")
        assert lines_shown("meetings.attendance", present=1, missed=0) in present.text
        [missed] = await coordinator.presses_key("meetings.mark_attended", name="Maija")
        assert missed.button("meetings.mark_missed", family="mt:mark")
        assert await w.rows("SELECT status FROM attendance") == [("missed",)]
        pending = await w.rows(
            "SELECT kind, due_at FROM reminders WHERE occurrence_id = ? AND state = 'pending'",
            occurrence,
        )
        kinds = {kind: due for kind, due in pending}
        assert "check_in" in kinds and "follow_up" not in kinds
        due = dt.datetime.fromisoformat(str(kinds["check_in"])).astimezone(TZ)
        assert due == local(2026, 11, 4, 10, 0)  # the next working day at 10.00
        # A participant cannot reach the coordinator's buttons, and a coordinator who is no
        # longer one is refused on the next press of an old button.
        [not_yours] = await maija.presses_token(missed.buttons[0][0][1])
        assert not_yours.keys[0] == "error.old_button"
        async with w.db.transaction() as conn:
            await memberships.end(conn, coordinator.user_id, PROJECT, "coordinator", w.clock())
        [refused] = await coordinator.presses_key("meetings.mark_missed", name="Maija")
        assert refused.keys == ("error.not_allowed",)
        assert await w.rows("SELECT status FROM attendance") == [("missed",)]
        # Maija gets the warm check-in on Wednesday at 10.00, with the next meeting.
        w.clock.advance(hours=20)
        [check_in] = messages_to(maija, await w.tick())
        assert check_in.keys[0] in ("participant.check_in", "participant.check_in_no_next")
        assert "väliin" not in check_in.text and "poissa" not in check_in.text


async def test_moving_and_cancelling_tell_everyone_affected(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        people = [await w.participant(1), await w.participant(2)]
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=WEEKLY;COUNT=4")
        first, second, *_ = await w.occurrence_ids(meeting)
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 10, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.move_button")
        [moved] = await coordinator.says("ke 11.11. 15.00")
        moved_to = When(local(2026, 11, 11, 15, 0))
        assert moved.text == shown("meetings.moved", when=moved_to, people=2)
        for person in people:
            [notice] = person.new_messages()
            assert "Ennen: ti 10.11. klo 13.00" in notice.text
            assert "ke 11.11. klo 15.00" in notice.text
            assert notice.label_keys[0] == "participant.coming"
        due = await w.rows(
            "SELECT due_at FROM reminders WHERE occurrence_id = ? AND kind = 'reminder'"
            " AND state = 'pending' ORDER BY due_at",
            first,
        )
        assert {dt.datetime.fromisoformat(str(d)).astimezone(TZ) for (d,) in due} == {
            local(2026, 11, 10, 15, 0),
            local(2026, 11, 11, 13, 0),
        }
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 17, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.cancel_button")
        [cancelled] = await coordinator.presses_key("meetings.yes_cancel")
        cancelled_at = When(local(2026, 11, 17, 13, 0))
        assert cancelled.text == shown("meetings.cancelled", when=cancelled_at, people=2)
        for person in people:
            [notice] = person.new_messages()
            assert notice.keys[0] == "participant.meeting_cancelled"
        assert await w.rows(
            "SELECT COUNT(*) FROM reminders WHERE occurrence_id = ? AND state = 'pending'", second
        ) == [(0,)]
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 24, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.place_button")
        [changed] = await coordinator.says("Nuorisotalo")
        assert changed.text == shown("meetings.changed", people=2)
        for person in people:
            [notice] = person.new_messages()
            assert shown("meeting.place", place="Nuorisotalo") in notice.text
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 24, 13, 0)), title="Naisten ryhmä"
        )
        [confirm] = await coordinator.presses_key("meetings.stop_button")
        assert "perutaan 3" in confirm.text  # 11.11 (moved), 24.11 and 1.12
        await coordinator.presses_key("meetings.yes_cancel")
        for person in people:
            [notice] = person.new_messages()
            assert notice.keys[0] == "participant.series_cancelled"
        assert await w.rows("SELECT COUNT(*) FROM reminders WHERE state = 'pending'") == [(0,)]
        w.clock.advance(days=40)
        assert await w.tick() == []


async def test_the_monthly_theme_day_is_the_same_weekday_each_month(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator("kaveria-ei-jateta")
        person = await w.participant(1, project="kaveria-ei-jateta", group="theme-day")
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key("meetings.new")
        [repeat] = await coordinator.presses("Teemapäivä tai työpaja")
        rhythm = repeat.button("meetings.repeat_rhythm")
        assert rhythm is not None
        await coordinator.presses_token(rhythm.token)
        [end] = await coordinator.says("ti 10.11. 10.00")  # the 2nd Tuesday of November
        assert end.keys[0] == "meetings.ask_end"
        await coordinator.says("6")
        await take_the_unconfirmed_duration(w, 240)
        await coordinator.presses_key("meetings.use_title", title="Teemapäivä tai työpaja")
        await coordinator.says("Järjestötalo")
        [summary] = await coordinator.presses_key("meetings.skip")
        second: dict[str, Param] = {"nth": Text("meeting.nth_2")}
        monthly = Text("meeting.rule_monthly", {**second, "weekday": Text("meeting.weekday_1")})
        assert shown("meeting.rule_count", rhythm=monthly, count=6) in summary.text
        assert "Kesto: 240 min" in summary.text
        await coordinator.presses_key("meetings.save")
        [notice] = person.new_messages()
        assert "ti 10.11. klo 10.00" in notice.text
        [(rule,)] = await w.rows("SELECT rrule FROM meetings")
        assert rule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"


def test_meetings_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HANKEBOT_DATABASE", str(database))
    base = ["meetings"]
    assert (
        main(
            [
                *base,
                "add",
                "--project",
                PROJECT,
                "--group",
                "womens-group",
                "--title",
                "Naisten ryhmä",
                "--start",
                "3.11.2027 13.00",
                "--duration",
                "120",
                "--repeat",
                "weekly",
                "--count",
                "13",
                "--place",
                "Kirjasto",
            ]
        )
        == 0
    )
    assert "every Wednesday, 13 times" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "otsikko;päivä;aika;kesto\nTeemapäivä;14.12.2027;10.00;240\nHuono;31.2.2027;25.00;x\n",
        encoding="utf-8",
    )
    assert (
        main([*base, "import", str(bad), "--project", "kaveria-ei-jateta", "--locale", "fi"]) == 1
    )
    problems = capsys.readouterr().err
    assert lines_shown("import.failed", count=3) in problems
    assert "Rivi 3, sarake start_date: Päivä ei kelpaa." in problems
    good = tmp_path / "good.csv"
    good.write_text(
        "title,start_date,start_time,duration_min,repeat,count,group\n"
        "Teemapäivä,14.12.2027,10.00,240,monthly,6,theme-day\n",
        encoding="utf-8",
    )
    assert main([*base, "import", str(good), "--project", "kaveria-ei-jateta"]) == 0
    assert "the second Tuesday of the month, 6 times" in capsys.readouterr().out
    calendar = tmp_path / "k.ics"
    calendar.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:abc@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
        b"DTSTART;TZID=Europe/Helsinki:20271105T093000\r\n"
        b"DTEND;TZID=Europe/Helsinki:20271105T103000\r\nSUMMARY:Ohjaus\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert main([*base, "import", str(calendar), "--project", "toimi"]) == 0
    assert main([*base, "import", str(calendar), "--project", "toimi"]) == 0  # idempotent
    assert "skipped (already imported): Ohjaus" in capsys.readouterr().out
    assert main([*base, "add", "--project", "nope", "--title", "x", "--start", "1.1.2028 10"]) == 1
    assert "no project 'nope'" in capsys.readouterr().err
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT project, grp, title, rrule FROM meetings ORDER BY id"
        ).fetchall()
    assert rows == [
        (PROJECT, "womens-group", "Naisten ryhmä", "FREQ=WEEKLY;BYDAY=WE;COUNT=13"),
        ("kaveria-ei-jateta", "theme-day", "Teemapäivä", "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"),
        ("toimi", None, "Ohjaus", None),
    ]


def test_a_meeting_entirely_in_the_past_is_refused_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: a README example dated in the past used to be accepted silently."""
    database = tmp_path / "past.sqlite3"
    monkeypatch.setenv("HANKEBOT_DATABASE", str(database))
    past = [
        "meetings",
        "add",
        "--project",
        "toimi",
        "--title",
        "Ohjaus",
        "--start",
        "5.11.2020 9.30",
    ]
    assert main(past) == 1
    assert "entirely in the past" in capsys.readouterr().err
    # a series that began in the past but goes on is fine; so is the past when confirmed
    ongoing = [*past[:-1], "5.11.2020 9.30", "--repeat", "weekly"]
    assert main(ongoing) == 0
    assert main([*past, "--allow-past"]) == 0
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM meetings").fetchone() == (2,)


async def test_coordinator_views_stay_out_of_group_chats(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        await w.participant(1, name="Maija")
        await w.meeting(local(2026, 11, 3, 13, 0))
        for number, command in enumerate(("/tapaamiset", "/kutsu", "/omat"), start=1):
            await w.bot.dispatcher.handle(
                Incoming(
                    user_id=coordinator.user_id,
                    chat_id="test:-200",
                    text=command,
                    update_key=f"group-{number}",
                    is_group_chat=True,
                )
            )
        await w.bot.worker.drain()
        group = [m for m in w.bot.transport.delivered if m.chat_id == "test:-200"]
        assert len(group) == 3
        assert all(m.keys == ("privacy.private_only",) for m in group)
        assert not any("Maija" in m.text for m in group)


async def test_changing_the_time_of_a_series_from_one_meeting_on(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        people = [await w.participant(1), await w.participant(2)]
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=WEEKLY;COUNT=6")
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 12, 1, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.cancel_button")
        await coordinator.presses_key("meetings.yes_cancel")
        for person in people:
            person.new_messages()
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 24, 13, 0)), title="Naisten ryhmä"
        )
        [ask] = await coordinator.presses_key("meetings.time_button")
        assert ask.keys == ("meetings.ask_series_time", "ways.hint_out")
        [wrong] = await coordinator.says("iltapäivällä")
        assert wrong.keys == ("meetings.time_expected",)
        [wrong_time] = await coordinator.says("25.30")
        assert wrong_time.keys[0] == "datetime.invalid_time"
        [done] = await coordinator.says("14.30")
        assert done.keys == ("meetings.series_time_changed",)
        assert "ti 24.11. klo 14.30" in done.text
        assert done.text.endswith(shown("meetings.changed", people=2).split(". ", 1)[1])
        for person in people:
            [notice] = person.new_messages()
            assert notice.keys[0] == "participant.series_time_changed"
            assert "ti 24.11. klo 14.30" in notice.text
            assert notice.label_keys[0] == "participant.coming"
        rows = await w.rows("SELECT id, rrule, dtstart_local, continues FROM meetings ORDER BY id")
        assert rows == [
            (meeting.id, "FREQ=WEEKLY;UNTIL=20261124T105959Z", "2026-11-10T13:00:00", None),
            (meeting.id + 1, "FREQ=WEEKLY;COUNT=4", "2026-11-24T14:30:00", meeting.id),
        ]
        starts = await w.rows(
            "SELECT o.start_utc, o.cancelled FROM occurrences o ORDER BY o.start_utc"
        )
        local_starts = [
            (dt.datetime.fromisoformat(str(s)).astimezone(TZ).strftime("%d.%m. %H.%M"), c)
            for s, c in starts
        ]
        assert local_starts == [  # as far as the 35 days ahead reach
            ("10.11. 13.00", 0),
            ("17.11. 13.00", 0),
            ("24.11. 14.30", 0),
            ("01.12. 14.30", 1),  # cancelled before: stays cancelled
        ]
        due = await w.rows(
            "SELECT DISTINCT r.due_at FROM reminders r JOIN occurrences o ON o.id = r.occurrence_id"
            " WHERE o.meeting_id = ? AND r.kind = 'reminder' AND r.state = 'pending'"
            " ORDER BY r.due_at",
            meeting.id + 1,
        )
        assert [dt.datetime.fromisoformat(str(d)).astimezone(TZ) for (d,) in due][:2] == [
            local(2026, 11, 23, 14, 30),
            local(2026, 11, 24, 12, 30),
        ]
        assert await w.rows(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'meeting.series_time'"
        ) == [(1,)]
        # The women's group's periods are still counted by series, not by time changes.
        assert await w.rows(
            "SELECT COUNT(*) FROM meetings WHERE continues IS NULL AND cancelled_at IS NULL"
        ) == [(1,)]


async def test_changing_the_time_from_the_first_meeting_keeps_the_series(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        person = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=WEEKLY;COUNT=3")
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 10, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.time_button")
        [done] = await coordinator.says("klo 9")
        assert "Ensimmäinen: ti 10.11. klo 9.00." in done.text
        [notice] = person.new_messages()
        assert "ti 10.11. klo 9.00" in notice.text
        assert await w.rows("SELECT id, uid, rrule, dtstart_local FROM meetings") == [
            (meeting.id, meeting.uid, "FREQ=WEEKLY;COUNT=3", "2026-11-10T09:00:00")
        ]
        starts = await w.rows("SELECT start_utc FROM occurrences ORDER BY start_utc")
        assert [dt.datetime.fromisoformat(str(s)).astimezone(TZ).hour for (s,) in starts] == [
            9,
            9,
            9,
        ]


async def test_coordinators_reach_meetings_beyond_the_first_five_weeks(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        person = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=MONTHLY;BYDAY=2TU")
        [overview] = await coordinator.says("/tapaamiset")
        assert "ti 8.12. klo 13.00" not in overview.text  # 36 days ahead
        later = overview.button("meetings.later")
        assert later is not None
        assert later.label == label("meetings.later", until=Day(dt.date(2027, 1, 11)))
        [wider] = await coordinator.presses_token(later.token)
        assert "ti 8.12. klo 13.00" in wider.text
        current, presses = wider, 1
        while "ti 9.3. klo 13.00" not in current.text:
            [current] = await coordinator.presses_key("meetings.later")
            presses += 1
        assert presses == 3  # 70, 105, then 140 days ahead
        # A meeting four months ahead can be moved; its reminders follow.
        await coordinator.presses_key(
            "meetings.open", when=When(local(2027, 3, 9, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.move_button")
        [moved] = await coordinator.says("10.3.2027 15.00")
        assert moved.text == shown("meetings.moved", when=When(local(2027, 3, 10, 15, 0)), people=1)
        [notice] = person.new_messages()[-1:]
        assert "ke 10.3. klo 15.00" in notice.text
        due = await w.rows(
            "SELECT r.due_at FROM reminders r JOIN occurrences o ON o.id = r.occurrence_id"
            " WHERE o.meeting_id = ? AND o.start_utc > '2027-03-01' AND o.start_utc < '2027-03-31'"
            " AND r.kind = 'reminder' AND r.state = 'pending' ORDER BY r.due_at",
            meeting.id,
        )
        assert [dt.datetime.fromisoformat(str(d)).astimezone(TZ) for (d,) in due] == [
            local(2027, 3, 9, 15, 0),
            local(2027, 3, 10, 13, 0),
        ]


async def test_a_series_gets_a_new_name_and_length_and_the_question_after_follows(
    db: Database,
) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        person = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=WEEKLY;COUNT=3")
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 10, 13, 0)), title="Naisten ryhmä"
        )
        [ask] = await coordinator.presses_key("meetings.length_button")
        assert ask.keys == ("meetings.ask_new_duration", "ways.hint_out") and "120 min" in ask.text
        for bad in ("puolitoista tuntia", "0", "2000"):
            [wrong] = await coordinator.says(bad)
            assert wrong.keys == ("meetings.duration_invalid",)
        [done] = await coordinator.says("90 min")
        assert done.text == shown("meetings.changed", people=1)
        [notice] = person.new_messages()
        assert "ti 10.11. klo 13.00–14.30" in notice.text
        follow_ups = await w.rows(
            "SELECT r.due_at FROM reminders r JOIN occurrences o ON o.id = r.occurrence_id"
            " WHERE o.meeting_id = ? AND r.kind = 'follow_up' AND r.state = 'pending'"
            " ORDER BY r.due_at",
            meeting.id,
        )
        assert [dt.datetime.fromisoformat(str(d)).astimezone(TZ) for (d,) in follow_ups] == [
            local(2026, 11, 10, 15, 30),  # an hour after the new end
            local(2026, 11, 17, 15, 30),
            local(2026, 11, 24, 15, 30),
        ]
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 17, 13, 0)), title="Naisten ryhmä"
        )
        [ask_title] = await coordinator.presses_key("meetings.title_button")
        assert (
            ask_title.keys == ("meetings.ask_new_title", "ways.hint_out")
            and "Naisten ryhmä" in ask_title.text
        )
        [too_long] = await coordinator.says("x" * 201)
        assert "200" in too_long.text
        await coordinator.says("Naisten ryhmä: kevät")
        [renamed] = person.new_messages()
        assert "Naisten ryhmä: kevät" in renamed.text
        assert await w.rows("SELECT title, duration_min FROM meetings") == [
            ("Naisten ryhmä: kevät", 90)
        ]
        assert await w.rows("SELECT COUNT(*) FROM audit_log WHERE action = 'meeting.change'") == [
            (2,)
        ]


async def test_a_cancelled_meeting_can_be_restored_from_the_confirmation(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        person = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=WEEKLY;COUNT=2")
        first, _ = await w.occurrence_ids(meeting)
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 10, 13, 0)), title="Naisten ryhmä"
        )
        await coordinator.presses_key("meetings.cancel_button")
        [cancelled] = await coordinator.presses_key("meetings.yes_cancel")
        assert cancelled.label_keys == ["meetings.restore_button"]
        person.new_messages()
        pending = "SELECT COUNT(*) FROM reminders WHERE occurrence_id = ? AND state = 'pending'"
        assert await w.rows(pending, first) == [(0,)]
        [restored] = await coordinator.presses_key("meetings.restore_button")
        restored_at = When(local(2026, 11, 10, 13, 0))
        assert restored.text == shown("meetings.restored", when=restored_at, people=1)
        [notice] = person.new_messages()
        assert notice.keys[0] == "participant.meeting_restored"
        assert "ti 10.11. klo 13.00–15.00" in notice.text
        assert notice.label_keys[0] == "participant.coming"
        assert await w.rows(pending, first) == [(3,)]  # 24 h and 2 h before, the question after
        # Pressed again (an old button): nothing more happens.
        [again] = await coordinator.presses_key("meetings.restore_button")
        assert again.keys[0] == "error.old_button"
        assert person.new_messages() == []


async def test_a_title_is_not_a_lone_number_and_a_typed_label_is_its_button(
    db: Database,
) -> None:
    """Issue 13 item 3: a stray "1" was saved as a meeting's title."""
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key("meetings.new")
        [repeat] = await coordinator.presses("Naisten ryhmä")
        rhythm = repeat.button("meetings.repeat_rhythm")
        assert rhythm is not None
        await coordinator.presses_token(rhythm.token)
        await coordinator.says("ti 13.00")
        await take_the_unconfirmed_duration(w, 120)
        for stray in ("1", "2.", "  3 "):
            [refused] = await coordinator.says(stray)
            assert refused.shows("meetings.title_letters"), stray
        await coordinator.says("Naisten ryhmä, kevät")
        [place] = await coordinator.says("ohita")  # the place step's "Ohita" typed
        assert place.shows("meetings.ask_note")
        [summary] = await coordinator.says("Ohita")
        assert summary.shows("meetings.summary")
        await coordinator.presses_key("meetings.save")
        assert await w.rows("SELECT title, place FROM meetings") == [("Naisten ryhmä, kevät", "")]
        await coordinator.says("/tapaamiset")
        await coordinator.presses_key(
            "meetings.open", when=When(local(2026, 11, 3, 13, 0)), title="Naisten ryhmä, kevät"
        )
        await coordinator.presses_key("meetings.title_button")
        [refused] = await coordinator.says("7")
        assert refused.shows("meetings.title_letters")
