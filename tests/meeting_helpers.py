"""Shared set-up for the participant, meeting and reminder tests: a bot with the real content,
an injected clock, the reminder scheduler, a coordinator and enrolled participants."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from bot.scheduler import ReminderScheduler
from content import load_content
from handlers.common import planning
from storage import memberships, participants, users
from storage.db import Database
from storage.meetings import HORIZON, Meeting
from tests.harness import Bot, Clock, Delivered, Person

TZ = ZoneInfo("Europe/Helsinki")
PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
GROUP = "womens-group"
ADMIN = "test:99"
COORDINATOR = 50


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


class World:
    """A bot, its clock and scheduler, and helpers to set up people and meetings."""

    def __init__(self, bot: Bot, clock: Clock) -> None:
        self.bot = bot
        self.clock = clock
        self.scheduler = ReminderScheduler(
            bot.db,
            bot.dispatcher,
            clock=clock,
            on_enqueued=lambda _: bot.worker.wake(),
            wake_on_change=False,
        )
        self._coordinator: Person | None = None

    @property
    def db(self) -> Database:
        return self.bot.db

    async def tick(self) -> list[Delivered]:
        """Let the scheduler do what is due now and deliver it; returns what was delivered."""
        before = len(self.bot.transport.delivered)
        await self.scheduler.tick()
        await self.bot.worker.drain(timeout=10)
        return self.bot.transport.delivered[before:]

    async def coordinator(self, project: str = PROJECT) -> Person:
        """The coordinator (one Person object: update ids must not repeat)."""
        if self._coordinator is not None:
            return self._coordinator
        person = self._coordinator = self.bot.person(COORDINATOR)
        await person.says("/start")
        async with self.db.transaction() as conn:
            await memberships.add(conn, person.user_id, project, "coordinator", self.clock())
        person.new_messages()
        return person

    async def participant(
        self,
        number: int,
        *,
        name: str | None = None,
        group: str | None = GROUP,
        project: str = PROJECT,
        locale: str = "fi",
    ) -> Person:
        """A person enrolled directly in the database (the invite flow has its own tests)."""
        person = self.bot.person(number, locale)
        now = self.clock()
        async with self.db.transaction() as conn:
            await users.touch(
                conn, person.user_id, person.user_id, locale=locale, now=now, private_chat=True
            )
            await users.set_display_name(conn, person.user_id, name or f"Osallistuja {number}")
            await memberships.add(conn, person.user_id, project, "participant", now, group)
            await planning.replan_person(conn, person.user_id, project, now=now, tz=TZ)
        return person

    async def meeting(
        self,
        start: dt.datetime,
        *,
        rule: str | None = None,
        title: str = "Naisten ryhmä",
        group: str | None = GROUP,
        user_id: str | None = None,
        minutes: int = 120,
        project: str = PROJECT,
        place: str = "Kirjasto",
    ) -> Meeting:
        now = self.clock()
        async with self.db.transaction() as conn:
            meeting = await planning.create(
                conn,
                project=project,
                group=group,
                user_id=user_id,
                title=title,
                start_local=start,
                rule=rule,
                duration=dt.timedelta(minutes=minutes),
                place=place,
                tz=TZ,
                now=now,
            )
            await planning.materialize_and_plan(conn, meeting, now + HORIZON, now=now, tz=TZ)
        return meeting

    async def occurrence_ids(self, meeting: Meeting) -> list[int]:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT id FROM occurrences WHERE meeting_id = ? ORDER BY start_utc", (meeting.id,)
            )
            return [row[0] for row in await cursor.fetchall()]

    async def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return [tuple(row) for row in await cursor.fetchall()]

    async def set_offsets(self, user_id: str, offsets: tuple[dt.timedelta, ...]) -> None:
        async with self.db.transaction() as conn:
            await participants.set_own_offsets(conn, user_id, PROJECT, offsets)
            await planning.replan_person(conn, user_id, PROJECT, now=self.clock(), tz=TZ)


@asynccontextmanager
async def world(db: Database, start: dt.datetime) -> AsyncIterator[World]:
    clock = Clock(start.astimezone(dt.UTC))
    async with Bot(db, admins=frozenset({ADMIN}), clock=clock, content=load_content()) as bot:
        yield World(bot, clock)


def messages_to(person: Person, delivered: list[Delivered]) -> list[Delivered]:
    """What the scheduler just sent this person (and marks their messages as seen)."""
    fresh = person.new_messages()
    return [m for m in fresh if any(m is d for d in delivered)]
