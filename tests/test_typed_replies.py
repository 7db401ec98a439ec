"""Typed answers to the bot's questions through the real dispatcher (issue 13 item 1): a
participant who only types is recorded as the buttons would record them, told what was
understood (with an undo), asked before a typed reason reaches the coordinator; unclear
answers are asked back and other text goes on to the FAQ as before."""

from __future__ import annotations

import datetime as dt

from bot.transports.base import Capabilities
from content import load_content
from handlers.core.types import When
from storage import memberships
from storage.db import Database
from tests.catalog_labels import shown
from tests.harness import Bot, Clock, Person
from tests.meeting_helpers import ADMIN, PROJECT, World, local, messages_to, world

MONDAY = local(2026, 11, 2, 10, 0)  # the meeting is on Tuesday 3.11. at 13.00
REMINDER_DUE = {"hours": 3, "minutes": 1}  # Monday 13.01: the 24 h reminder


async def _reminded(w: World, number: int = 1, name: str = "Maija") -> tuple[Person, int]:
    person = await w.participant(number, name=name)
    meeting = await w.meeting(local(2026, 11, 3, 13, 0))
    [occurrence] = await w.occurrence_ids(meeting)
    w.clock.advance(**REMINDER_DUE)
    [reminder] = messages_to(person, await w.tick())
    assert reminder.keys == ("participant.reminder",)
    return person, occurrence


async def test_a_participant_who_only_types_reaches_the_coordinator_and_a_new_time(
    db: Database,
) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija, occurrence = await _reminded(w)
        [answer] = await maija.says("en pääse, olen kipeä")
        assert answer.keys == (
            "replies.understood_no",
            "participant.rsvp_no",
            "replies.reason_ask",
            "ways.hint_out",
        )
        assert answer.payloads[0] == f"undo:rsvp:{occurrence}:no:-"
        assert await w.rows("SELECT answer FROM rsvps") == [("no",)]
        [told] = coordinator.new_messages()
        assert told.keys[0] == "notify.rsvp_no"  # what the button sends, and no more
        assert "kipeä" not in told.text
        [sent] = await maija.says("joo")
        assert sent.keys == ("replies.reason_sent",)
        [reason] = coordinator.new_messages()
        assert reason.keys == ("notify.rsvp_reason",) and "olen kipeä" in reason.text
        await coordinator.presses_key("notify.offer_time")
        await coordinator.says("to 5.11. 14.00")
        [offer] = maija.new_messages()
        assert offer.keys[0] == "participant.new_time"
        [accepted] = await maija.says("käy")
        assert accepted.keys == ("replies.understood_yes", "participant.rsvp_yes")
        assert accepted.text.endswith(
            shown("participant.rsvp_yes", when=When(local(2026, 11, 5, 14, 0)))
        )
        rows = await w.rows("SELECT occurrence_id, answer FROM rsvps ORDER BY occurrence_id")
        assert rows[0] == (occurrence, "no") and rows[1][1] == "yes" and len(rows) == 2


async def test_a_reason_stays_with_the_person_who_says_no(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija, _ = await _reminded(w)
        await maija.says("en pääse, lapsi on kipeä")
        coordinator.new_messages()
        [kept] = await maija.says("älä kerro")
        assert kept.keys == ("replies.reason_kept",)
        assert coordinator.new_messages() == []
        # A plain "can't come" asks nothing.
        [plain] = await maija.says("en pääse")
        assert plain.keys == ("replies.understood_no", "participant.rsvp_no")


async def test_undo_takes_a_typed_answer_back_and_asks_again(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija, occurrence = await _reminded(w)
        await maija.says("voisko siirtää")
        assert await w.rows("SELECT answer FROM rsvps") == [("other",)]
        coordinator.new_messages()
        [undone] = await maija.presses_key("replies.undo_button")
        assert undone.keys == ("replies.undone", "participant.reminder")
        assert await w.rows("SELECT * FROM rsvps") == []
        [told] = coordinator.new_messages()
        assert told.keys == ("notify.rsvp_undone",)
        kinds = await w.rows(
            "SELECT kind FROM reminders WHERE occurrence_id = ? AND state = 'pending'", occurrence
        )
        assert ("reminder",) in kinds and ("check_in",) not in kinds
        # The same button twice is an old button.
        [again] = await maija.presses_key("replies.undo_button")
        assert again.keys == ("error.old_button",)


async def test_unclear_answers_are_asked_back_and_questions_go_to_the_faq(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija, occurrence = await _reminded(w)
        [unclear] = await maija.says("tulen ehkä")
        assert unclear.keys == ("replies.not_understood_rsvp",)
        assert unclear.payloads == [
            f"rsvp:{occurrence}:yes",
            f"rsvp:{occurrence}:no",
            f"rsvp:{occurrence}:other",
        ]
        [faq] = await maija.says("mikä on flat rate?")
        assert faq.keys[0] == "faq.answer"
        # "ei" now answers nothing: the FAQ's buttons came after the reminder.
        await maija.says("ei")
        assert await w.rows("SELECT * FROM rsvps") == []
        # A plain "can't come" still answers the reminder.
        [answer] = await maija.says("en pääse")
        assert answer.keys == ("replies.understood_no", "participant.rsvp_no")
        assert await w.rows("SELECT answer FROM rsvps") == [("no",)]


async def test_a_typed_rating_and_its_undo(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.advance(days=1, hours=6, minutes=1)  # Tuesday 16.01: the question after it
        messages_to(maija, await w.tick())
        [rated] = await maija.says("neljä")
        assert rated.keys == (
            "replies.understood_score",
            "participant.comment_prompt",
            "ways.hint_out",
        )
        assert await w.rows("SELECT occurrence_id, score FROM ratings") == [(occurrence, 4)]
        [undone] = await maija.presses_key("replies.undo_button")
        assert undone.keys == ("replies.undone", "participant.follow_up", "ways.hint_out")
        assert await w.rows("SELECT * FROM ratings") == []
        [unclear] = await maija.says("hyvin")
        assert unclear.keys == ("replies.not_understood_rating",)
        [missed] = await maija.says("en päässyt paikalle")
        assert missed.keys == ("replies.understood_missed", "participant.missed_ok")
        check_in = "SELECT COUNT(*) FROM reminders WHERE kind = 'check_in' AND state = 'pending'"
        assert await w.rows(check_in) == [(1,)]
        [undone] = await maija.presses_key("replies.undo_button")
        assert undone.keys == ("replies.undone", "participant.follow_up", "ways.hint_out")
        assert await w.rows(check_in) == [(0,)]
        await maija.says("5/5")
        assert await w.rows("SELECT score FROM ratings") == [(5,)]


async def test_a_meeting_can_be_answered_later_from_omat(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        [mine] = await maija.says("/omat")
        assert mine.payloads[0] == f"omat:answer:{occurrence}"
        [question] = await maija.presses_key(
            "participant.mine_answer", when=When(local(2026, 11, 3, 13, 0))
        )
        assert question.keys == ("participant.reminder",)
        [answer] = await maija.says("tuun")
        assert answer.keys == ("replies.understood_yes", "participant.rsvp_yes")
        assert await w.rows("SELECT answer FROM rsvps") == [("yes",)]


async def test_leaving_and_the_question_after_it_are_answered_by_typing(db: Database) -> None:
    async with world(db, MONDAY) as w:
        maija = await w.participant(1)
        await maija.says("/eroa")
        [unclear] = await maija.says("en tiedä")
        assert unclear.keys == ("participant.use_buttons",)
        [kept] = await maija.says("en lähde")
        assert kept.keys == ("participant.leave_kept",)
        await maija.says("/eroa")
        left = await maija.says("joo lähden")
        assert [m.keys[0] for m in left] == ["participant.left", "exit.ask"], [m.keys for m in left]
        async with w.db.transaction() as conn:
            assert not await memberships.active_for(conn, maija.user_id)
        [answer] = await maija.says("opiskelen")
        assert answer.keys == ("replies.understood_choice", "exit.thanks")
        assert await w.rows("SELECT project, situation FROM exit_situations") == [
            (PROJECT, "education")
        ]


async def test_numbers_belong_to_the_latest_question_only(db: Database) -> None:
    clock = Clock(MONDAY.astimezone(dt.UTC))
    numbered = Capabilities(numbers_buttons=True)
    async with Bot(
        db, admins=frozenset({ADMIN}), clock=clock, content=load_content(), capabilities=numbered
    ) as bot:
        w = World(bot, clock)
        coordinator = await w.coordinator()
        maija, _ = await _reminded(w)
        [faq] = await maija.says("mikä on flat rate?")
        assert faq.keys[0] == "faq.answer"
        await maija.says("2")  # the FAQ's second option, not the reminder's "can't come"
        assert await w.rows("SELECT * FROM rsvps") == []
        [answer] = await maija.says("en pääse, olen kipeä")
        assert answer.label_keys == [
            "replies.undo_button",
            "replies.reason_yes",
            "replies.reason_no",
        ]
        coordinator.new_messages()
        [kept] = await maija.says("3")
        assert kept.keys == ("replies.reason_kept",)
        assert coordinator.new_messages() == []
        assert await w.rows("SELECT answer FROM rsvps") == [("no",)]


async def test_the_check_in_is_answered_by_typing(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator = await w.coordinator()
        maija = await w.participant(1, name="Maija")
        meeting = await w.meeting(local(2026, 11, 3, 13, 0), rule="FREQ=WEEKLY;COUNT=3")
        first, second, _ = await w.occurrence_ids(meeting)
        w.clock.advance(**REMINDER_DUE)
        messages_to(maija, await w.tick())
        await maija.says("en pääse")
        coordinator.new_messages()
        w.clock.advance(days=1, hours=21)  # Wednesday 10.01: the check-in
        [check_in] = messages_to(maija, await w.tick())
        assert check_in.keys[0] == "participant.check_in"
        [unclear] = await maija.says("kyllä")  # coming, or wanting to talk?
        assert unclear.keys == ("replies.not_understood_choice",)
        assert unclear.payloads == [f"rsvp:{second}:yes", f"checkin:{first}:talk"]
        [talk] = await maija.says("haluaisin jutella ohjaajan kanssa")
        assert talk.keys == ("replies.understood_talk", "participant.talk_requested")
        [told] = coordinator.new_messages()
        assert told.keys == ("notify.wants_to_talk",)
        [undone] = await maija.presses_key("replies.undo_button")
        assert undone.keys == ("replies.talk_undone",)
        [withdrawn] = coordinator.new_messages()
        assert withdrawn.keys == ("notify.talk_withdrawn",)
        [coming] = await maija.says("tuun ensi kerralla")
        assert coming.keys == ("replies.understood_yes", "participant.rsvp_yes")
        assert await w.rows("SELECT occurrence_id, answer FROM rsvps ORDER BY 1") == [
            (first, "no"),
            (second, "yes"),
        ]
