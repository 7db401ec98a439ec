"""The shared two-person scenarios (tests/e2e/scenarios.py) through the real dispatcher in
memory, with numbered buttons as on the console and with platform buttons as on Telegram."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.transports.base import Capabilities
from content import load_content
from storage.db import Database
from tests.e2e.memory_driver import MemoryDriver
from tests.e2e.scenarios import LOOP, TWO_PEOPLE, Loop, LoopScenario, TwoPeople
from tests.e2e.typed_world import seed_after_meeting, seed_reminder
from tests.harness import Bot, Clock
from tests.meeting_helpers import ADMIN, World


@contextlib.asynccontextmanager
async def memory_world(db: Database, numbered: bool) -> AsyncIterator[tuple[World, Clock]]:
    """A bot with the real content and an administrator, its buttons numbered (as on the
    console) or not (as on Telegram); the clock is now: scenarios type dates from today."""
    clock = Clock()
    async with Bot(
        db,
        admins=frozenset({ADMIN}),
        clock=clock,
        content=load_content(),
        capabilities=Capabilities(numbers_buttons=numbered),
    ) as bot:
        yield World(bot, clock), clock


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "buttons"])
@pytest.mark.parametrize("scenario", TWO_PEOPLE, ids=lambda s: s.__name__)
async def test_two_people(scenario: TwoPeople, numbered: bool, db: Database) -> None:
    async with memory_world(db, numbered) as (world, clock):
        participant, coordinator = world.bot.person(1), world.bot.person(2)

        async def remind() -> None:
            await seed_reminder(
                db,
                participant=participant.user_id,
                coordinator=coordinator.user_id,
                now=clock(),
            )
            await world.tick()

        await scenario(
            MemoryDriver(participant, numbered=numbered),
            MemoryDriver(coordinator, numbered=numbered),
            remind,
        )


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "buttons"])
@pytest.mark.parametrize("scenario", LOOP, ids=lambda s: s.__name__)
async def test_coordinators_close_the_loop(
    scenario: LoopScenario, numbered: bool, db: Database
) -> None:
    async with memory_world(db, numbered) as (world, clock):
        participant, coordinator = world.bot.person(1), world.bot.person(2)

        async def after_meeting(kind: str) -> None:
            await seed_after_meeting(
                db,
                participant=participant.user_id,
                coordinator=coordinator.user_id,
                kind=kind,
                now=clock(),
            )
            await world.tick()

        async def audit(action: str) -> list[tuple[object, ...]]:
            return await world.rows(
                "SELECT actor, project, subject FROM audit_log WHERE action = ? ORDER BY id",
                action,
            )

        loop = Loop(participant.user_id, coordinator.user_id, after_meeting, audit)
        await scenario(
            MemoryDriver(participant, numbered=numbered),
            MemoryDriver(coordinator, numbered=numbered),
            loop,
        )
