"""Enrolment: invites by coordinators, consent before anything is stored, misuse, leaving."""

from __future__ import annotations

import json
import re

from storage import invites, outbox, users
from storage.db import Database
from tests.harness import Delivered, Person
from tests.meeting_helpers import GROUP, PROJECT, World, local, world

START = local(2026, 11, 2, 10, 0)


async def act(
    person: Person,
    *,
    text: str | None = None,
    key: str | None = None,
    name: str = "Maija Meikäläinen",
) -> list[Delivered]:
    """Like the platform does: every event carries the person's display name. With ``key``,
    the newest button whose label has that catalog key is pressed."""
    if key is None:
        return await person._send(text=text, display_name=name)
    for message in reversed(person.messages()):
        button = message.button(key)
        if button is not None:
            return await person._send(button_token=button.token, display_name=name)
    raise AssertionError(f"no button {key!r}")


async def create_invite(w: World, coordinator: Person, uses: str, days: str) -> str:
    """An invite to the women's group; ``uses`` and ``days`` are the keys of the buttons."""
    await coordinator.says("/kutsu")
    await coordinator.presses("Naisten ryhmä")
    await coordinator.presses_key(uses)
    [ready] = await coordinator.presses_key(days)
    assert ready.keys[0] == "enrol.invite_ready"
    assert "Naisten ryhmä" in ready.text
    return ready.text.split("Koodi: ")[1].split()[0]


async def stored_about(w: World, user_id: str) -> dict[str, object]:
    async with w.db.transaction() as conn:
        person = await users.get(conn, user_id)
        cursor = await conn.execute(
            "SELECT project, grp, left_at FROM memberships WHERE user_id = ?", (user_id,)
        )
        rows = [tuple(row) for row in await cursor.fetchall()]
    return {"name": person.display_name if person else None, "memberships": rows}


async def test_join_with_a_code_after_seeing_what_is_stored(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await w.coordinator()
        code = await create_invite(w, coordinator, "enrol.uses_many", "enrol.days_7")
        person = w.bot.person(1)
        [consent] = await act(person, text=f"liity {code.lower()}")
        for promised in (
            "Maija Meikäläinen",
            "tapaamisesi",
            "vastauksesi muistutuksiin",
            "arviosi",
            "12 kuukauteen",
            "/unohda",
            "Naisten ryhmä",
        ):
            assert promised in consent.text, promised
        assert consent.label_keys == ["enrol.accept", "enrol.decline"]
        # Nothing is stored before the answer.
        assert await stored_about(w, person.user_id) == {"name": None, "memberships": []}
        [hint] = await act(person, text="joo")
        assert hint.keys == ("enrol.use_buttons", "enrol.consent")  # the options again
        [welcome] = await act(person, key="enrol.accept")
        assert welcome.keys[0] == "enrol.welcome"
        assert "/omat" in welcome.text
        assert await stored_about(w, person.user_id) == {
            "name": "Maija Meikäläinen",
            "memberships": [(PROJECT, GROUP, None)],
        }
        [told] = coordinator.new_messages()
        assert told.keys[0] == "notify.joined" and told.text.startswith("Maija Meikäläinen")
        # A multi-use code works for the next person too.
        other = w.bot.person(2)
        await act(other, text=f"liity {code}", name="Toinen")
        [welcome2] = await act(other, key="enrol.accept", name="Toinen")
        assert welcome2.keys[0] == "enrol.welcome"


async def test_declining_stores_nothing(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await w.coordinator()
        code = await create_invite(w, coordinator, "enrol.uses_one", "enrol.days_1")
        person = w.bot.person(1)
        await act(person, text=f"/liity {code}")
        [declined] = await act(person, key="enrol.decline")
        assert declined.keys[0] == "enrol.declined"
        assert await stored_about(w, person.user_id) == {"name": None, "memberships": []}
        assert coordinator.new_messages() == []
        async with w.db.transaction() as conn:
            invite = await invites.find(conn, code=invites.normalise_code(code))
        assert invite is not None and invite.uses == 0  # declining does not use it up


async def test_expired_reused_and_guessed_codes_get_the_same_answer(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await w.coordinator()
        single = await create_invite(w, coordinator, "enrol.uses_one", "enrol.days_7")
        short = await create_invite(w, coordinator, "enrol.uses_many", "enrol.days_1")
        first = w.bot.person(1)
        await act(first, text=f"liity {single}")
        await act(first, key="enrol.accept")

        answers = []
        second = w.bot.person(2)
        [reused] = await act(second, text=f"liity {single}")
        answers.append(reused.text)
        [guessed] = await act(second, text="liity ABCD-EFGH")
        answers.append(guessed.text)
        w.clock.advance(days=1, seconds=1)
        [expired] = await act(second, text=f"liity {short}")
        answers.append(expired.text)
        [garbage] = await act(second, text="liity <b>x</b>")
        answers.append(garbage.text)
        assert len(set(answers)) == 1, answers
        assert garbage.keys == ("enrol.invalid",)
        project_words = ("vankila", "Naisten", "hanke ")
        assert not any(word in answers[0] for word in project_words)
        assert await stored_about(w, second.user_id) == {"name": None, "memberships": []}


async def test_guessing_is_limited_to_five_wrong_codes_an_hour(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await w.coordinator()
        code = await create_invite(w, coordinator, "enrol.uses_many", "enrol.days_30")
        person = w.bot.person(1)
        for guess in ("AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "EEEE-EEEE"):
            [wrong] = await act(person, text=f"liity {guess}")
            assert wrong.keys == ("enrol.invalid",)
        [limited] = await act(person, text=f"liity {code}")  # even the right one now
        assert limited.keys == ("enrol.too_many",)
        [limited_link] = await act(person, text="/start inv-AAAAAAAAAAAAAAAAAAAAAAAA")
        assert limited_link.keys == ("enrol.too_many",)
        w.clock.advance(hours=1, seconds=1)
        [consent] = await act(person, text=f"liity {code}")
        assert consent.label_keys == ["enrol.accept", "enrol.decline"]
        # Another person is not affected by someone else's guessing.
        other = w.bot.person(2)
        [fine] = await act(other, text=f"gå med {code}")
        assert fine.label_keys == ["enrol.accept", "enrol.decline"]


async def test_deep_link_joins_and_coordinator_on_telegram_sees_the_link(db: Database) -> None:
    async with world(db, START) as w:
        w.bot.services.extras["telegram.username"] = "hanke_bot"
        telegram_coordinator = Person(w.bot, "telegram:777", "fi")
        await telegram_coordinator.says("/start")
        async with w.db.transaction() as conn:
            from storage import memberships

            await memberships.add(conn, "telegram:777", PROJECT, "coordinator", w.clock())
        await telegram_coordinator.says("/kutsu")
        # Telegram chats are not delivered by the test transport: press by payload.
        for payload in ("g:", "u:1", "d:7"):
            rows = await w.rows(
                "SELECT token FROM buttons WHERE chat_id = 'telegram:777' AND payload = ?",
                payload,
            )
            assert rows, payload
            await telegram_coordinator.presses_token(str(rows[-1][0]))
        last_id = await _last_outbox_id(w, "telegram:777")
        async with w.db.transaction() as conn:
            item = await outbox.get(conn, last_id)
        assert item is not None  # not delivered yet: the code and the link are still in it
        link = re.search(r"https://t\.me/hanke_bot\?start=(inv-[A-Za-z0-9_-]{20,})", item.html)
        assert link is not None, item.html
        token = link.group(1)
        assert re.search(r"<code>[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}</code>", item.html)
        person = w.bot.person(3)
        [consent] = await act(person, text=f"/start {token}")
        assert consent.label_keys == ["enrol.accept", "enrol.decline"]
        await act(person, key="enrol.accept")
        # single use: the link is spent
        late = w.bot.person(4)
        [spent] = await act(late, text=f"/start {token}")
        assert spent.keys == ("enrol.invalid",)


async def _last_outbox_id(w: World, chat_id: str) -> int:
    rows = await w.rows("SELECT MAX(id) FROM outbox WHERE chat_id = ?", chat_id)
    value = rows[0][0]
    assert isinstance(value, int)
    return value


async def test_coordinator_on_other_platforms_gets_only_the_code(db: Database) -> None:
    async with world(db, START) as w:
        w.bot.services.extras["telegram.username"] = "hanke_bot"
        coordinator = await w.coordinator()
        await coordinator.says("/kutsu")
        await coordinator.presses_key("enrol.no_group")
        await coordinator.presses_key("enrol.uses_many")
        [ready] = await coordinator.presses_key("enrol.days_30")
        assert "t.me" not in ready.text and ready.keys[0] == "enrol.invite_ready"
        [revoked] = await coordinator.presses_key("enrol.revoke")
        assert revoked.keys == ("enrol.revoked",)
        code = ready.text.split("Koodi: ")[1].split()[0]
        [refused] = await act(w.bot.person(5), text=f"liity {code}")
        assert refused.keys == ("enrol.invalid",)


async def test_participants_cannot_create_or_revoke_invites(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await w.coordinator()
        code = await create_invite(w, coordinator, "enrol.uses_many", "enrol.days_7")
        participant = await w.participant(1)
        [unknown] = await participant.says("/kutsu")
        assert "/apua" in unknown.text
        revoke_token = coordinator.last.buttons[0][0][1]
        [foreign] = await participant.presses_token(revoke_token)
        assert foreign.keys[0] == "error.old_button"
        [still] = await act(w.bot.person(2), text=f"liity {code}")
        assert still.label_keys == ["enrol.accept", "enrol.decline"]


async def test_leaving_stops_reminders_and_tells_the_coordinator(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await w.coordinator()
        person = await w.participant(1, name="Maija")
        meeting = await w.meeting(local(2026, 11, 10, 13, 0), rule="FREQ=WEEKLY;COUNT=4")
        pending = await w.rows(
            "SELECT COUNT(*) FROM reminders WHERE user_id = ? AND state = 'pending'",
            person.user_id,
        )
        assert pending[0][0] != 0
        [confirm] = await person.says("/eroa")
        assert "Tukea vankilasta" in confirm.text
        [kept] = await person.presses_key("participant.leave_no")
        assert kept.keys == ("participant.leave_kept",)
        await person.says("/eroa")
        [left, question] = await person.presses_key("participant.leave_yes")
        assert left.keys == ("participant.left",)
        assert question.labels  # the optional question about what they do now
        pending = await w.rows(
            "SELECT COUNT(*) FROM reminders WHERE user_id = ? AND state = 'pending'",
            person.user_id,
        )
        assert pending[0][0] == 0
        [told] = coordinator.new_messages()
        assert told.keys == ("notify.left",) and told.text.startswith("Maija")
        w.clock.advance(days=20)
        assert [m for m in await w.tick() if m.chat_id == person.user_id] == []
        [not_in] = await person.says("/omat")
        assert not_in.keys == ("participant.not_enrolled",)
        assert meeting.id > 0


async def test_forget_removes_reminders_answers_and_ratings(db: Database) -> None:
    async with world(db, START) as w:
        person = await w.participant(1)
        meeting = await w.meeting(local(2026, 11, 3, 13, 0))
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.advance(hours=24)
        await w.tick()
        await person.presses_key("participant.coming")
        w.clock.advance(hours=6)
        await w.tick()
        await person.says("4")
        await person.says("Oli kiva")
        [export] = await person.says("/omattiedot")
        assert export.document is not None
        tables = json.loads(export.document[1])["tables"]
        assert tables["rsvps"][0]["answer"] == "yes"
        assert tables["ratings"][0]["score"] == 4
        assert tables["ratings"][0]["comment"] == "Oli kiva"
        assert tables["reminders"]
        await person.says("/unohda")
        await person.presses_key("forget.yes")
        for table in (
            "reminders",
            "rsvps",
            "ratings",
            "attendance",
            "participant_settings",
            "memberships",
        ):
            rows = await w.rows(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", person.user_id)
            assert rows[0][0] == 0, table
        # The group meeting itself stays for the others.
        assert await w.occurrence_ids(meeting) == [occurrence]


def test_unnamed_people_are_told_apart_by_the_end_of_their_own_id() -> None:
    from handlers.common.participation import short_ref

    assert short_ref("telegram:123456") == "3456"
    assert short_ref("test:7") == "7"
    # On Matrix the server is the same for everyone: the user part tells people apart.
    assert short_ref("matrix:@anna.k:example.org") == "na.k"
    assert short_ref("matrix:@bo:example.org") == "bo"
