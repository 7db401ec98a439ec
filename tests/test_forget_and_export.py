"""/unohda's farewell, a coordinator's /unohda (roles, announcements, administrators told),
stale buttons afterwards, and /omattiedot's readable summary beside the JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.delivery import DeliveryWorker
from bot.i18n import Renderer
from bot.markup import html_to_plain
from content import load_content
from handlers.core.types import Day, Incoming, Param, Text
from storage import broadcasts, memberships, outbox, users
from storage.db import Database
from tests.forget_world import ACCOUNTS, Someone, needles_of, starts, traces, utc
from tests.harness import Bot, Clock
from tests.meeting_helpers import GROUP, PROJECT, TZ, World, local

START = local(2026, 11, 2, 9, 0)
RENDER = Renderer(TZ)
ANNOUNCEMENT = "Joulujuhla siirtyy, kertoo Olli"


def text(key: str, **params: Param) -> str:
    """A catalog text in Finnish as the person reads it (plain, no markup)."""
    return html_to_plain(RENDER.text("fi", key, params))


@asynccontextmanager
async def telegram_world(db: Database) -> AsyncIterator[tuple[World, Someone, Someone, Someone]]:
    accounts = ACCOUNTS["telegram"]
    clock = Clock(utc(START))
    bot = Bot(
        db, admins=frozenset({accounts["admin"].user_id}), clock=clock, content=load_content()
    )
    bot.transport.name = "telegram"
    async with bot:
        w = World(bot, clock)
        person = Someone(bot, accounts["person"])
        coordinator = Someone(bot, accounts["coordinator"])
        admin = Someone(bot, accounts["admin"])
        for someone in (admin, coordinator, person):
            await someone.says("/start")
        async with db.transaction() as conn:
            now = w.clock()
            await memberships.add(conn, coordinator.user_id, PROJECT, "coordinator", now)
            await users.set_display_name(conn, person.user_id, person.account.name)
            await memberships.add(conn, person.user_id, PROJECT, "participant", now, GROUP)
        for someone in (admin, coordinator, person):
            someone.new_messages()
        yield w, person, coordinator, admin


# --- the farewell ------------------------------------------------------------------------
async def test_the_farewell_survives_a_restart_and_is_then_deleted(db: Database) -> None:
    async with telegram_world(db) as (w, person, _, _):
        await person.says("/unohda")
        async with w.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT token FROM buttons WHERE chat_id = ? AND payload = 'forget:yes'",
                (person.account.chat_id,),
            )
            [(yes,)] = await cursor.fetchall()
        # The bot dies right after the confirmation is committed, before the farewell leaves.
        await w.bot.worker.stop()
        await w.bot.dispatcher.handle(
            Incoming(
                user_id=person.user_id,
                chat_id=person.account.chat_id,
                button_token=yes,
                update_key="telegram:update:999001",
            )
        )
        [(waiting,)] = await w.rows("SELECT COUNT(*) FROM outbox WHERE farewell = 1")
        assert waiting == 1
        restarted = DeliveryWorker(w.db, w.bot.transport, clock=w.clock)
        restarted.start()
        try:
            await restarted.drain(timeout=10)
        finally:
            await restarted.stop()
        [farewell] = person.new_messages()
        assert farewell.text.startswith(text("forget.done"))
        assert text("forget.again") in farewell.text
        assert await w.rows("SELECT * FROM outbox WHERE chat_id = ?", person.account.chat_id) == []
        assert w.bot.transport.forgotten_chats == [(person.account.chat_id, person.user_id)]
        assert await traces(w.db, needles_of(person.account)) == []


async def test_a_coordinators_old_button_about_a_forgotten_person_is_an_old_button(
    db: Database,
) -> None:
    async with telegram_world(db) as (w, person, coordinator, _):
        meeting = await w.meeting(local(2026, 11, 2, 10, 0), minutes=60)
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.now = utc(local(2026, 11, 2, 10, 30))
        await coordinator.says("/tapaamiset")
        await coordinator.press(f"mt:occ:{occurrence}")
        await coordinator.press(f"mt:att:{occurrence}")
        [mark] = [p for p in await coordinator.payloads() if p.startswith("mt:mark:")]
        await person.says("/unohda")
        await person.press("forget:yes")
        # The button row itself stays (it names nobody); pressing it finds nobody.
        assert mark in await coordinator.payloads()
        [stale] = await coordinator.press(mark)
        assert stale.text.startswith(text("error.old_button"))
        assert await w.rows("SELECT * FROM attendance") == []


# --- a coordinator uses /unohda ------------------------------------------------------------
async def test_a_coordinator_is_told_what_ends_and_the_administrators_hear_of_it(
    db: Database,
) -> None:
    async with telegram_world(db) as (w, person, coordinator, admin):
        await coordinator.says("/tiedote")
        await coordinator.press("bca:project")
        await coordinator.says(ANNOUNCEMENT)
        await coordinator.press("bc:later")
        await coordinator.says("24.11.2026 13.00")
        await coordinator.press("bc:schedule")
        async with w.db.transaction() as conn:
            [scheduled] = await broadcasts.open_by(conn, coordinator.user_id)
        assert scheduled.state == "scheduled"
        await admin.says("/ohjaajat")  # a button per coordinator, in the admin's chat
        admin.new_messages()
        coordinator.new_messages()

        [confirm] = await coordinator.says("/unohda")
        name = "Tukea vankilasta vapautuville ja päihdekuntoutuksesta kotiutuville"
        for line in (
            text("forget.coordinator_roles", projects=name),
            text("forget.coordinator_announcements", count=1),
            text("forget.coordinator_alone", projects=name),
        ):
            assert line in confirm.text
        [done] = await coordinator.press("forget:yes")
        assert done.text.startswith(text("forget.done"))

        async with w.db.transaction() as conn:
            cancelled = await broadcasts.get(conn, scheduled.id)
        assert cancelled is not None and cancelled.state == "cancelled"
        assert cancelled.created_by is not None and cancelled.created_by.startswith("poistettu-")
        [(state, html)] = await w.rows(
            "SELECT state, html FROM outbox WHERE dedupe_key LIKE 'bc:%:r:%' AND user_id = ?",
            person.user_id,
        )
        assert (state, html) == ("cancelled", "")  # the participant will not get it
        actions = await w.rows("SELECT actor, action FROM audit_log ORDER BY id")
        assert ("broadcast.cancel",) in [(action,) for _, action in actions]
        assert all(str(actor).startswith("poistettu-") for actor, _ in actions)
        [told] = admin.new_messages()
        assert told.text == text(
            "notify.coordinator_forgot_alone",
            project=name,
            cancelled=Text("notify.coordinator_forgot_cancelled", {"count": 1}),
        )
        left = await traces(w.db, needles_of(coordinator.account, ANNOUNCEMENT))
        assert left == [], left
        assert await w.rows("SELECT * FROM memberships WHERE role = 'coordinator'") == []


# --- /omattiedot ---------------------------------------------------------------------------
async def test_mydata_reads_first_and_leaves_other_people_out(db: Database) -> None:
    async with telegram_world(db) as (w, person, coordinator, _):
        meeting = await w.meeting(local(2026, 11, 2, 10, 0), minutes=60)
        [occurrence] = await w.occurrence_ids(meeting)
        w.clock.now = utc(local(2026, 11, 2, 10, 30))
        await coordinator.says("/tapaamiset")
        await coordinator.press(f"mt:occ:{occurrence}")
        await coordinator.press(f"mt:att:{occurrence}")
        await coordinator.press(starts(f"mt:mark:{occurrence}:"))  # audited, with its actor
        async with w.db.transaction() as conn:  # a message still on its way to the person
            await outbox.enqueue(
                conn,
                chat_id=person.account.chat_id,
                user_id=person.user_id,
                html="Muista <b>eväät</b> huomenna",
                now=w.clock(),
                not_before=w.clock() + dt.timedelta(hours=5),
            )

        await person.says("Voiko ryhmään tulla kesken kauden?")  # asked from a person:
        await person.press("q:ask")
        await person.press(f"q:p:{PROJECT}")
        await person.says("040 765 4321")
        await person.press("q:send")  # a contact request, and a notice about them
        [export] = await person.says("/omattiedot")
        today = Day(local(2026, 11, 2).date())
        project = "Tukea vankilasta vapautuville ja päihdekuntoutuksesta kotiutuville"
        for line in (
            text("mydata.line_account", since=today, language=Text("language.fi")),
            text("mydata.line_name", name=person.account.name),
            text(
                "mydata.line_participant",
                project=project,
                group=Text("mydata.group_part", {"group": "Naisten ryhmä"}),
                since=today,
            ),
            text("mydata.line_answers", answers=0, marks=1, ratings=0, comments=0),
            text("mydata.line_queued", count=1),
            text("mydata.line_audit", count=1),
            text("mydata.line_contacts", count=1, days=90, next=Day(local(2027, 1, 31).date())),
            text("mydata.line_notices", count=1),
        ):
            assert line in export.text, line
        assert export.shows("mydata.summary")  # until when, as bot/maintenance.py does it

        assert export.document is not None
        data = json.loads(export.document[1])
        assert data["user_id"] == person.user_id
        [entry] = data["tables"]["audit_log"]
        assert entry["action"] == "attendance.mark" and entry["subject"] == person.user_id
        assert entry["actor"] is None  # the coordinator is someone else
        waiting = [r for r in data["tables"]["outbox"] if r["state"] == "pending"]
        assert [r["text"] for r in waiting] == ["Muista eväät huomenna"]
        [notice] = data["tables"]["notices_about_you"]
        assert notice["state"] == "sent" and set(notice) == {"state", "created_at", "sent_at"}
        assert coordinator.user_id not in export.document[1].decode("utf-8")


async def test_privacy_says_what_forget_cannot_remove(db: Database) -> None:
    async with telegram_world(db) as (_, person, _, _):
        await person.says("/tietosuoja")
        [more] = await person.press("privacy:more")
        assert text("privacy.cannot_remove") in more.text


async def test_forgotten_text_is_not_left_in_the_database_files(db: Database) -> None:
    """Not only the tables: the database file and its write-ahead log hold no copy of what
    was deleted (SQLite's deleted cells and old WAL frames would otherwise keep it)."""
    async with telegram_world(db) as (_, person, _, _):
        question = "Saako Musti-koiran ottaa mukaan ryhmään?"
        contact = "musti.omistaja@example.net"
        await person.says(question)
        await person.press("q:ask")
        await person.press(f"q:p:{PROJECT}")
        await person.says(contact)
        await person.press("q:send")
        await person.says("/unohda")
        await person.press("forget:yes")
        needles = [person.account.name, question, contact, person.user_id]
        files = [Path(str(db.path)), Path(f"{db.path}-wal")]
        raw = b"".join(path.read_bytes() for path in files if path.exists())
        left = [needle for needle in needles if needle.encode("utf-8") in raw]
        assert left == []
