"""/unohda leaves no trace: after it, no table, column, key or payload of the whole database
holds the person's id (with or without the platform), their chat or room id, the name their
app shows or anything they typed — for a person who used every feature, on Telegram and on
Matrix ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.transports.base import Delivery, Status
from content import load_content
from storage import invites, memberships, reminders
from storage.clock import to_text
from storage.db import Database
from storage.outbox import OutboxItem
from tests.forget_world import ACCOUNTS, Someone, needles_of, starts, traces, utc
from tests.harness import Bot, Clock
from tests.meeting_helpers import GROUP, PROJECT, World, local

START = local(2026, 11, 2, 9, 0)  # a Monday
COMMENT = "Kahvi oli liian vahvaa tänään"
CONTACT = "anna.yhteys@example.net"
QUESTION = "Voiko tapaamiseen tuoda koiran Mustin mukaan?"
TYPED = (COMMENT, CONTACT, QUESTION)


@asynccontextmanager
async def platform_world(db: Database, platform: str) -> AsyncIterator[tuple[World, Cast]]:
    accounts = ACCOUNTS[platform]
    clock = Clock(utc(START))
    bot = Bot(
        db,
        admins=frozenset({accounts["admin"].user_id}),
        clock=clock,
        content=load_content(),
    )
    bot.transport.name = platform  # the worker delivers this platform's rows
    async with bot:
        cast = Cast(
            person=Someone(bot, accounts["person"]),
            coordinator=Someone(bot, accounts["coordinator"]),
            admin=Someone(bot, accounts["admin"]),
        )
        yield World(bot, clock), cast


class Cast:
    def __init__(self, *, person: Someone, coordinator: Someone, admin: Someone) -> None:
        self.person = person
        self.coordinator = coordinator
        self.admin = admin


async def run_until(w: World, end: dt.datetime) -> None:
    """Let the scheduler do everything due up to ``end`` (a day at a time at most)."""
    end = utc(end)
    while True:
        await w.tick()
        async with w.db.transaction() as conn:
            next_due = await reminders.next_due(conn)
        if w.clock() >= end:
            return
        w.clock.now = max(min(next_due or end, w.clock() + dt.timedelta(days=1), end), w.clock())


async def occurrence_at(w: World, moment: dt.datetime) -> int:
    [(number,)] = await w.rows("SELECT id FROM occurrences WHERE start_utc = ?", to_text(moment))
    assert isinstance(number, int)
    return number


async def use_everything(w: World, cast: Cast) -> None:
    """The person asks, joins, is reminded, answers every way, is silent, rates with a
    comment, asks to talk, gets an announcement, leaves, answers the question on leaving and
    downloads their data; the coordinators get notices and buttons about them."""
    person, coordinator, admin = cast.person, cast.coordinator, cast.admin
    await admin.says("/start")
    await coordinator.says("/start")
    async with w.db.transaction() as conn:
        await memberships.add(conn, coordinator.user_id, PROJECT, "coordinator", w.clock())
        invite = await invites.create(
            conn,
            project=PROJECT,
            group=GROUP,
            max_uses=1,
            expires_at=w.clock() + dt.timedelta(days=7),
            now=w.clock(),
        )
    # A question to a person, with a contact (stored as contact_requests).
    await person.says(QUESTION)
    await person.press("q:ask")
    await person.press(f"q:p:{PROJECT}")
    await person.says(CONTACT)
    await person.press("q:send")
    # Joining with a code: the name the app shows is kept from now on.
    await person.says(f"liity {invite.code}")
    await person.press("yes")
    assert await w.rows("SELECT 1 FROM memberships WHERE user_id = ?", person.user_id)
    await w.meeting(local(2026, 11, 3, 13, 0), rule="FREQ=WEEKLY;COUNT=6", minutes=60)
    # Two meetings' reminders unanswered: the coordinator is told of the silence.
    await run_until(w, local(2026, 11, 10, 16, 0))
    assert any("vastannut" in m.text for m in coordinator.new_messages())
    # Can't come on 17.11., asks to talk at the check-in, gets a new time from the coordinator.
    await run_until(w, local(2026, 11, 16, 13, 30))
    third = await occurrence_at(w, local(2026, 11, 17, 13, 0))
    await person.press(f"rsvp:{third}:no")
    await run_until(w, local(2026, 11, 18, 11, 0))
    await person.press(starts("checkin:", ":talk"))
    await coordinator.press(starts(f"mt:newtime:{third}:"))
    await coordinator.says("20.11.2026 14.00")
    assert await w.rows("SELECT 1 FROM meetings WHERE user_id = ?", person.user_id)
    # An announcement to the whole project.
    await coordinator.says("/tiedote")
    await coordinator.press("bca:project")
    await coordinator.says("Hei kaikki, joulukuun ohjelma on valmis.")
    await coordinator.press("bc:now")
    # Wants another time on 24.11.; comes on 1.12., is marked present, rates with a comment.
    await run_until(w, local(2026, 11, 23, 13, 30))
    fourth = await occurrence_at(w, local(2026, 11, 24, 13, 0))
    await person.press(f"rsvp:{fourth}:other")
    await run_until(w, local(2026, 11, 30, 13, 30))
    fifth = await occurrence_at(w, local(2026, 12, 1, 13, 0))
    await person.press(f"rsvp:{fifth}:yes")
    await run_until(w, local(2026, 12, 1, 13, 30))
    await coordinator.says("/tapaamiset")
    await coordinator.press(f"mt:occ:{fifth}")
    await coordinator.press(f"mt:att:{fifth}")
    await coordinator.press(starts(f"mt:mark:{fifth}:"))
    assert await w.rows("SELECT 1 FROM attendance WHERE user_id = ?", person.user_id)
    await run_until(w, local(2026, 12, 1, 15, 30))
    await person.press(f"rate:{fifth}:4")
    await person.says(COMMENT)
    await person.press("yes")  # signed: the coordinators may see the name with it
    assert await w.rows("SELECT 1 FROM ratings WHERE comment = ?", COMMENT)
    # The coordinator starts a personal meeting (a button per participant) ...
    await coordinator.says("/tapaamiset")
    await coordinator.press("mt:new")
    await coordinator.press("a:one")
    assert any(p.startswith("u:") for p in await coordinator.payloads())
    # ... then marks the person as left; the person tells what they do now.
    await coordinator.says("/merkitse_lopettanut")
    await coordinator.press(lambda p: p.startswith("xu:") and p != "xu:")
    await coordinator.press("xc:yes")
    await person.press(f"exitq:{PROJECT}:employment")
    assert await w.rows("SELECT 1 FROM exit_situations WHERE user_id = ?", person.user_id)
    # The coordinator is in the middle of offering a new time for the 24.11. meeting.
    await coordinator.press(starts(f"mt:newtime:{fourth}:"))
    [export] = await person.says("/omattiedot")
    assert export.document is not None
    # A last question whose notice cannot reach the coordinator yet (it waits for a retry):
    # the coordinator's outbox row still holds what the person typed.
    refuse_chat(w, coordinator.account.chat_id)
    await person.says(QUESTION)
    await person.press("q:ask")
    await person.press(f"q:p:{PROJECT}")
    await person.says(CONTACT)
    await person.press("q:send")
    assert await w.rows("SELECT 1 FROM outbox WHERE state = 'pending' AND html LIKE ?", "%Mustin%")


def refuse_chat(w: World, chat_id: str) -> None:
    """From now on every send to ``chat_id`` fails for a while (the row waits for a retry)."""
    transport = w.bot.transport
    deliver = transport.deliver

    async def refusing(item: OutboxItem) -> Delivery:
        if item.chat_id == chat_id:
            return Delivery(Status.RETRY, error="TimedOut")
        return await deliver(item)

    transport.deliver = refusing  # type: ignore[method-assign]


@pytest.mark.parametrize("platform", ["telegram", "matrix"])
async def test_forget_leaves_no_trace_in_any_table(db: Database, platform: str) -> None:
    async with platform_world(db, platform) as (w, cast):
        await use_everything(w, cast)
        needles = needles_of(cast.person.account, *TYPED)
        assert await traces(db, needles), "the scenario should have stored the person"
        await cast.person.says("/unohda")
        [done] = await cast.person.press("forget:yes")
        assert done.keys[0] == "forget.done"
        await w.bot.worker.drain(timeout=10)
        left = await traces(db, needles)
        assert left == [], "\n".join(f"{t}.{c}: {n}" for t, c, n in left)
        # The coordinator's data is theirs: still there.
        assert await traces(db, [cast.coordinator.user_id])


async def test_what_others_hold_about_the_person_never_names_them(db: Database) -> None:
    """Coordinators' buttons about a participant and the keys of notices about them carry a
    random reference or a keyed hash, never the participant's id."""
    async with platform_world(db, "telegram") as (w, cast):
        await use_everything(w, cast)
        person = cast.person.account
        others = await w.rows(
            "SELECT payload FROM buttons WHERE chat_id != ? UNION ALL"
            " SELECT dedupe_key FROM outbox WHERE user_id != ? AND dedupe_key IS NOT NULL",
            person.chat_id,
            person.user_id,
        )
        assert others  # the coordinator got buttons and keyed notices about the person
        naming = [value for (value,) in others if person.bare_user in str(value)]
        assert naming == []
        # Every notice about the person is marked as such (and so goes with them).
        [(ref,)] = await w.rows("SELECT ref FROM person_refs WHERE user_id = ?", person.user_id)
        about = await w.rows(
            "SELECT substr(dedupe_key, 1, instr(dedupe_key, ':') - 1), about FROM outbox"
            " WHERE user_id = ? AND dedupe_key IS NOT NULL",
            cast.coordinator.user_id,
        )
        notices = [
            (kind, marked) for kind, marked in about if kind in ("silent", "talk", "contact")
        ]
        assert {kind for kind, _ in notices} == {"silent", "talk", "contact"}
        assert [kind for kind, marked in notices if marked != ref] == []
