"""Reminders, follow-ups and check-ins over time, end to end through storage, the scheduler and
the outbox, with an injected clock: offsets, quiet hours, DST, restarts, silence, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.scheduler import ReminderScheduler
from handlers.common import planning
from storage import meetings as meeting_store
from storage import reminders
from storage.db import Database
from tests.catalog_labels import label, shown
from tests.harness import Delivered
from tests.meeting_helpers import TZ, World, local, messages_to, world

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


async def run_until(w: World, end: dt.datetime) -> list[tuple[dt.datetime, Delivered]]:
    """Jump from one due moment to the next (as the one APScheduler job does) until ``end``;
    returns each delivered message with the local time it was sent at."""
    sent: list[tuple[dt.datetime, Delivered]] = []
    end = end.astimezone(dt.UTC)
    while True:
        for message in await w.tick():
            sent.append((w.clock().astimezone(TZ), message))
        async with w.db.transaction() as conn:
            next_due = await reminders.next_due(conn)
        # At most a day at a time, so that the horizon of occurrences is extended.
        step = min(next_due or end, w.clock() + DAY, end)
        if w.clock() >= end:
            return sent
        w.clock.now = max(step, w.clock())


def kinds(sent: list[tuple[dt.datetime, Delivered]], user_id: str) -> list[tuple[str, str]]:
    """(local time "ma 13.00", catalog key of the first text) of what one person got."""
    out = []
    for moment, message in sent:
        if message.chat_id == user_id:
            weekday = ("ma", "ti", "ke", "to", "pe", "la", "su")[moment.weekday()]
            out.append((f"{weekday} {moment.day}.{moment.month}. {moment:%H.%M}", message.keys[0]))
    return out


REMINDER = "participant.reminder"
FOLLOW_UP = "participant.follow_up"
CHECK_IN = "participant.check_in"
SILENCE = "participant.silence"


async def test_default_offsets_and_the_follow_up(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 10, 0)) as w:
        maija = await w.participant(1)
        await w.meeting(local(2026, 11, 5, 13, 0), minutes=120)
        sent = await run_until(w, local(2026, 11, 6, 12, 0))
        assert kinds(sent, maija.user_id) == [
            ("ke 4.11. 13.00", REMINDER),
            ("to 5.11. 11.00", REMINDER),
            ("to 5.11. 16.00", FOLLOW_UP),
        ]


async def test_per_participant_offsets_including_off(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 10, 0)) as w:
        soon = await w.participant(1)
        silent = await w.participant(2)
        await w.set_offsets(soon.user_id, (dt.timedelta(minutes=30),))
        await w.set_offsets(silent.user_id, ())
        await w.meeting(local(2026, 11, 5, 13, 0), minutes=60)
        sent = await run_until(w, local(2026, 11, 5, 14, 30))
        assert kinds(sent, soon.user_id) == [("to 5.11. 12.30", REMINDER)]
        assert kinds(sent, silent.user_id) == []


async def test_nobody_is_reminded_at_night(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 10, 0)) as w:
        early = await w.participant(1)
        earlier = await w.participant(2, group="pre-release-meetings")
        late = await w.participant(3, group="individual-support")
        await w.meeting(local(2026, 11, 3, 8, 30))  # 2 h before is 06.30: moved to 08.00
        await w.meeting(local(2026, 11, 4, 8, 15), group="pre-release-meetings")
        await w.meeting(local(2026, 11, 5, 22, 0), group="individual-support", minutes=30)
        sent = await run_until(w, local(2026, 11, 7, 12, 0))
        # Planned on Monday 10.00: 24 h before (08.30) had passed, so only the 2 h one.
        assert kinds(sent, early.user_id)[:1] == [("ti 3.11. 08.00", REMINDER)]
        assert kinds(sent, earlier.user_id)[:2] == [
            ("ti 3.11. 08.15", REMINDER),
            ("ti 3.11. 20.00", REMINDER),  # 08.00 would be under 30 min before 08.15
        ]
        assert kinds(sent, late.user_id) == [
            ("ke 4.11. 20.00", REMINDER),  # 24 h before is 22.00: the evening before
            ("to 5.11. 20.00", REMINDER),
            ("pe 6.11. 08.00", FOLLOW_UP),  # ended 22.30: +1 h is at night
        ]
        for moment, _ in sent:
            assert dt.time(8, 0) <= moment.time() < dt.time(21, 0), moment


async def test_check_in_after_cant_come_on_the_next_working_day(db: Database) -> None:
    async with world(db, local(2026, 12, 21, 9, 0)) as w:
        maija = await w.participant(1)
        await w.meeting(local(2026, 12, 23, 12, 0))  # Wednesday before Christmas
        await w.meeting(local(2027, 1, 5, 12, 0))  # the next one
        messages_to(maija, await w.tick())
        w.clock.now = local(2026, 12, 22, 12, 0).astimezone(dt.UTC)
        messages_to(maija, await w.tick())
        [sorry] = await maija.presses_key("participant.not_coming")
        assert sorry.keys[0] == "participant.rsvp_no"
        sent = await run_until(w, local(2026, 12, 29, 12, 0))
        got = kinds(sent, maija.user_id)
        # No 2 h reminder, no follow-up; the check-in skips Christmas and the weekend.
        assert got == [("ma 28.12. 10.00", CHECK_IN)]
        check_in = next(m for _, m in sent if m.chat_id == maija.user_id)
        assert "ti 5.1. klo 12.00" in check_in.text
        assert check_in.label_keys == ["participant.coming", "participant.want_to_talk"]


async def test_weekly_meeting_stays_at_13_across_both_dst_changes(db: Database) -> None:
    async with world(db, local(2026, 10, 12, 9, 0)) as w:
        maija = await w.participant(1)
        await w.set_offsets(maija.user_id, (2 * HOUR,))
        autumn = await w.meeting(local(2026, 10, 20, 13, 0), rule="FREQ=WEEKLY;COUNT=3")
        spring = await w.meeting(local(2027, 3, 23, 13, 0), rule="FREQ=WEEKLY;COUNT=3")
        sent = await run_until(w, local(2027, 4, 8, 12, 0))
        reminders_sent = [(t, m) for t, m in sent if m.keys[0] == REMINDER]
        assert [f"{t:%d.%m. %H.%M}" for t, _ in reminders_sent] == [
            "20.10. 11.00",
            "27.10. 11.00",
            "03.11. 11.00",
            "23.03. 11.00",
            "30.03. 11.00",
            "06.04. 11.00",
        ]
        assert all("klo 13.00" in m.text for _, m in reminders_sent)
        utc_hours = [t.astimezone(dt.UTC).hour for t, _ in reminders_sent]
        assert utc_hours == [8, 9, 9, 9, 8, 8]
        async with w.db.transaction() as conn:
            starts = [
                o.start
                for meeting in (autumn, spring)
                for o in await meeting_store.future_occurrences(conn, meeting.id, local(2026, 1, 1))
            ]
        assert [s.astimezone(TZ).hour for s in starts] == [13] * 6
        assert [s.astimezone(dt.UTC).hour for s in starts] == [10, 11, 11, 11, 10, 10]


async def test_open_ended_series_keep_coming_beyond_the_horizon(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 9, 0)) as w:
        maija = await w.participant(1)
        await w.set_offsets(maija.user_id, (2 * HOUR,))
        await w.meeting(local(2026, 11, 4, 12, 0), rule="FREQ=WEEKLY")
        sent = await run_until(w, local(2027, 1, 31, 12, 0))
        reminders_sent = [t for t, m in sent if m.keys[0] == REMINDER]
        assert len(reminders_sent) == 13  # 4.11.2026 … 27.1.2027, every Wednesday
        assert {t.weekday() for t in reminders_sent} == {2}


async def test_after_a_restart_late_reminders_are_sent_once_or_recorded_missed(
    db: Database,
) -> None:
    async with world(db, local(2026, 11, 2, 9, 0)) as w:
        maija = await w.participant(1)
        missed_one = await w.participant(2, group="individual-support")
        await w.meeting(local(2026, 11, 3, 13, 0))
        await w.meeting(local(2026, 11, 3, 11, 0), group="individual-support")
        # The bot is down from Monday 09.00 until Tuesday 12.00.
        w.clock.now = local(2026, 11, 3, 12, 0).astimezone(dt.UTC)
        restarted = ReminderScheduler(w.db, w.bot.dispatcher, clock=w.clock, wake_on_change=False)
        await restarted.tick()
        await w.bot.worker.drain()
        fresh = maija.new_messages()
        assert [m.keys[0] for m in fresh] == [REMINDER]  # one, not the 24 h and 2 h both
        assert missed_one.new_messages() == []
        states = await w.rows(
            "SELECT r.user_id, r.offset_s, r.state FROM reminders r WHERE kind = 'reminder'"
            " ORDER BY r.user_id, r.offset_s"
        )
        assert states == [
            (maija.user_id, 7200, "sent"),
            (maija.user_id, 86400, "skipped"),
            (missed_one.user_id, 7200, "missed"),
            (missed_one.user_id, 86400, "missed"),
        ]
        # Another restart (or a second scheduler) sends nothing again.
        again = ReminderScheduler(w.db, w.bot.dispatcher, clock=w.clock, wake_on_change=False)
        await again.tick()
        await w.bot.worker.drain()
        assert maija.new_messages() == []


async def test_a_reminder_missed_at_night_waits_for_the_morning(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 18, 0)) as w:
        maija = await w.participant(1)
        await w.meeting(local(2026, 11, 3, 20, 30), minutes=30)  # 24 h reminder: Mon 20.30
        # Down from 18.00 until 03.00; at 03.00 the 24 h reminder is hours late.
        w.clock.now = local(2026, 11, 3, 3, 0).astimezone(dt.UTC)
        assert messages_to(maija, await w.tick()) == []
        sent = await run_until(w, local(2026, 11, 3, 21, 30))
        assert kinds(sent, maija.user_id) == [
            ("ti 3.11. 08.00", REMINDER),
            ("ti 3.11. 18.30", REMINDER),
        ]


async def test_two_schedulers_at_once_still_send_each_reminder_once(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 9, 0)) as w:
        people = [await w.participant(n) for n in range(1, 21)]
        await w.meeting(local(2026, 11, 3, 13, 0))
        w.clock.now = local(2026, 11, 2, 13, 0).astimezone(dt.UTC)
        other = ReminderScheduler(w.db, w.bot.dispatcher, clock=w.clock, wake_on_change=False)
        await asyncio.gather(w.scheduler.tick(), other.tick(), w.scheduler.tick())
        await w.bot.worker.drain()
        for person in people:
            assert [m.keys[0] for m in person.new_messages()] == [REMINDER]
        rows = await w.rows("SELECT COUNT(*), COUNT(DISTINCT dedupe_key) FROM outbox")
        assert rows[0][0] == rows[0][1] == 20


async def test_a_moved_meeting_does_not_repeat_a_sent_reminder(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 9, 0)) as w:
        maija = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        w.clock.now = local(2026, 11, 2, 13, 0).astimezone(dt.UTC)
        assert len(messages_to(maija, await w.tick())) == 1  # the 24 h one
        w.clock.now = local(2026, 11, 2, 15, 0).astimezone(dt.UTC)
        ids = await w.occurrence_ids(meeting)
        async with w.db.transaction() as conn:
            found = await meeting_store.occurrence(conn, ids[0])
            assert found is not None
            occurrence, stored = found
            new_start = local(2026, 11, 3, 14, 0).astimezone(dt.UTC)
            await meeting_store.move_occurrence(conn, occurrence, stored, new_start)
            moved = await meeting_store.occurrence(conn, ids[0])
            assert moved is not None
            await planning.replan_occurrence(conn, moved[0], stored, now=w.clock(), tz=TZ)
        sent = await run_until(w, local(2026, 11, 3, 18, 0))
        assert kinds(sent, maija.user_id) == [
            ("ti 3.11. 12.00", REMINDER),  # only the 2 h one for the new start
            ("ti 3.11. 17.00", FOLLOW_UP),
        ]


async def test_three_unanswered_reminders_bring_one_gentle_message(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 9, 0)) as w:
        coordinator = await w.coordinator()
        maija = await w.participant(1, name="Maija")
        await w.meeting(local(2026, 11, 3, 13, 0), rule="FREQ=WEEKLY;COUNT=4", minutes=60)
        sent = await run_until(w, local(2026, 11, 10, 16, 0))
        got = kinds(sent, maija.user_id)
        assert got == [
            ("ma 2.11. 13.00", REMINDER),
            ("ti 3.11. 11.00", REMINDER),
            ("ti 3.11. 15.00", FOLLOW_UP),  # two reminders so far: still the question
            ("ma 9.11. 13.00", REMINDER),
            ("ti 10.11. 11.00", REMINDER),
            ("ti 10.11. 15.00", SILENCE),  # the gentle note instead
        ]
        gentle = [m for _, m in sent if m.chat_id == maija.user_id][-1]
        assert gentle.keys == (SILENCE,) and "/omat" in gentle.text
        [told] = coordinator.new_messages()
        assert told.keys[0] == "notify.silent" and told.text.startswith("Maija")
        # Only once: the next meeting brings the usual follow-up question, not a second note.
        sent = await run_until(w, local(2026, 11, 17, 16, 0))
        assert kinds(sent, maija.user_id)[-1] == ("ti 17.11. 15.00", FOLLOW_UP)
        assert coordinator.new_messages() == []


async def test_each_person_is_reminded_in_their_own_language(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 10, 0)) as w:
        finnish = await w.participant(1)
        swedish = await w.participant(2, locale="sv")
        english = await w.participant(3, locale="en")
        await w.meeting(local(2026, 11, 3, 13, 0))
        w.clock.now = local(2026, 11, 2, 13, 0).astimezone(dt.UTC)
        delivered = await w.tick()
        [fi] = messages_to(finnish, delivered)
        [sv] = messages_to(swedish, delivered)
        [en] = messages_to(english, delivered)
        heading = {
            locale: shown("participant.reminder", locale, card="").split("\n")[0]
            for locale in ("fi", "sv", "en")
        }
        assert fi.keys == (REMINDER,) and fi.text.startswith(heading["fi"])
        assert "ti 3.11. klo 13.00" in fi.text
        assert sv.keys == (REMINDER,) and sv.text.startswith(heading["sv"])
        assert "kl. 13.00" in sv.text
        assert sv.labels == [
            label(key, "sv")
            for key in ("participant.coming", "participant.not_coming", "participant.other_time")
        ]
        assert en.keys == (REMINDER,) and en.text.startswith(heading["en"])
        assert "at 13:00" in en.text
