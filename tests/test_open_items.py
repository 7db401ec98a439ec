"""Issue 15 item 2: coordinators answer from the bot. A can't-come note and a "wants to talk"
reach the coordinators with buttons to reply in the bot or mark it handled; the reply goes
through the outbox to that person, signed with the coordinator's display name, and is
audited; /avoimet lists what is open; a weekly reminder goes once; every press checks the
role (payloads can be forged)."""

from __future__ import annotations

import datetime as dt

from bot.scheduler import ReminderScheduler
from storage import buttons, memberships, open_items, users
from storage.db import Database
from tests.harness import Delivered, Person
from tests.meeting_helpers import World, local, messages_to, world

MONDAY = local(2026, 11, 2, 10, 0)  # the meeting is on Tuesday at 13.00


def newest_with(person: Person, key: str) -> Delivered:
    return next(m for m in reversed(person.messages()) if m.shows(key))


def oi_token(message: Delivered, action: str) -> str:
    found = [b for b in message.all_buttons() if (b.payload or "").startswith(f"oi:{action}:")]
    assert found, message.label_keys
    return found[0].token


async def _cant_come(w: World) -> tuple[Person, Person, int]:
    """Maija answers "can't come" to her reminder; the coordinator is told."""
    coordinator = await w.coordinator()
    async with w.db.transaction() as conn:
        await users.set_display_name(conn, coordinator.user_id, "Anna")
    maija = await w.participant(1, name="Maija")
    meeting = await w.meeting(local(2026, 11, 3, 13, 0))
    [occurrence] = await w.occurrence_ids(meeting)
    w.clock.advance(hours=3, minutes=1)  # the reminder 24 h before
    messages_to(maija, await w.tick())
    await maija.presses_payload(f"rsvp:{occurrence}:no")
    return coordinator, maija, occurrence


async def test_wants_to_talk_then_the_coordinator_replies(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator, maija, occurrence = await _cant_come(w)
        note = newest_with(coordinator, "notify.rsvp_no")
        assert note.button("notify.offer_time")  # proposing a time is still there
        oi_token(note, "reply")
        # the check-in on the next working day at 10.00 has "I'd like to talk"
        w.clock.advance(days=1, hours=21)  # Wednesday 10.01
        messages_to(maija, await w.tick())
        await maija.presses_payload(f"checkin:{occurrence}:talk")
        talk = newest_with(coordinator, "notify.wants_to_talk")
        await coordinator.presses_token(oi_token(talk, "reply"))
        assert newest_with(coordinator, "open.reply_prompt")
        [refused] = await coordinator.says("x" * 1001)
        assert refused.keys[0] == "open.reply_too_long"  # the step stays
        await coordinator.says("Soitan sinulle huomenna <b>klo 10</b>.")
        assert newest_with(coordinator, "open.reply_sent")
        await w.bot.worker.drain(timeout=10)
        got = newest_with(maija, "open.reply_to_you")
        assert "Soitan sinulle huomenna &lt;b&gt;klo 10&lt;/b&gt;." in got.html
        assert "— Anna" in got.text
        [entry] = await w.rows(
            "SELECT actor, action, subject FROM audit_log WHERE action = 'open_item.reply'"
        )
        assert entry == (coordinator.user_id, "open_item.reply", maija.user_id)
        kinds = await w.rows("SELECT kind, handled_at IS NOT NULL FROM open_items ORDER BY id")
        assert kinds == [("cant_come", 0), ("talk", 1)]


async def test_a_forged_press_from_another_project_does_nothing(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator, _, _ = await _cant_come(w)
        token = oi_token(newest_with(coordinator, "notify.rsvp_no"), "done")
        other = w.bot.person(60)
        await other.says("/start")
        async with w.db.transaction() as conn:
            await memberships.add(conn, other.user_id, "osmari", "coordinator", w.clock())
        [replayed] = await other.presses_token(token)  # a token is its chat's only
        assert replayed.keys[0] == "error.old_button"
        # a payload forged in the other coordinator's own chat: the role is checked
        [(item_id,)] = await w.rows("SELECT id FROM open_items")
        for action in ("done", "reply"):
            async with w.db.transaction() as conn:
                forged = await buttons.issue(
                    conn, other.user_id, f"oi:{action}:{item_id}", None, w.clock()
                )
            [refused] = await other.presses_token(forged)
            assert refused.keys[0] == "error.not_allowed"
        assert await w.rows("SELECT handled_at FROM open_items") == [(None,)]
        assert await w.rows("SELECT COUNT(*) FROM conversations WHERE flow = 'answer'") == [(0,)]
        # and a coordinator whose role ended is refused on the next press
        async with w.db.transaction() as conn:
            await memberships.end(
                conn,
                coordinator.user_id,
                "vapautuvien-ja-kotiutuvien-tuki",
                "coordinator",
                w.clock(),
            )
        coordinator.new_messages()
        ended = await coordinator.presses_token(token)
        assert ended[0].keys[0] == "error.not_allowed"
        assert await w.rows("SELECT handled_at FROM open_items") == [(None,)]


async def test_open_list_mark_handled_and_the_weekly_reminder(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator, _, _ = await _cant_come(w)
        coordinator.new_messages()
        listed = await coordinator.says("/avoimet")
        assert listed[0].keys == ("open.header", "open.item_cant_come")
        assert "Maija" in listed[0].text
        # a week later, in the daytime, one reminder; not again on the next pass or restart
        w.clock.advance(days=7, hours=1)
        first = messages_to(coordinator, await w.tick())
        assert [m.keys[0] for m in first] == ["open.weekly_reminder"]
        assert messages_to(coordinator, await w.tick()) == []
        restarted = ReminderScheduler(w.db, w.bot.dispatcher, clock=w.clock, wake_on_change=False)
        await restarted.tick()
        await w.bot.worker.drain(timeout=10)
        assert coordinator.new_messages() == []
        # marked handled: gone from the list, audited, never reminded again
        await coordinator.presses_token(oi_token(listed[0], "done"))
        assert coordinator.messages()[-1].shows("open.marked_handled")
        assert (await coordinator.says("/avoimet"))[0].shows("open.none")
        [entry] = await w.rows("SELECT action FROM audit_log WHERE action = 'open_item.handled'")
        assert entry == ("open_item.handled",)
        w.clock.advance(days=8)
        assert messages_to(coordinator, await w.tick()) == []
        async with w.db.transaction() as conn:
            assert await open_items.next_reminder_at(conn) is None


async def test_no_weekly_reminder_at_night(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator, _, _ = await _cant_come(w)
        coordinator.new_messages()
        w.clock.advance(days=7, hours=10)  # 23.01 local
        assert messages_to(coordinator, await w.tick()) == []
        w.clock.advance(hours=10)
        assert [m.keys[0] for m in messages_to(coordinator, await w.tick())] == [
            "open.weekly_reminder"
        ]
        assert dt.timedelta(days=7) == open_items.REMIND_EVERY
