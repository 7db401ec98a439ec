"""The shared two-person scenarios (tests/e2e/scenarios.py) through the real dispatcher in
memory, with numbered buttons as on the console and with platform buttons as on Telegram."""

from __future__ import annotations

import pytest

from bot.transports.base import Capabilities
from content import load_content
from storage.db import Database
from tests.e2e.memory_driver import MemoryDriver
from tests.e2e.scenarios import TWO_PEOPLE, TwoPeople
from tests.e2e.typed_world import seed_reminder
from tests.harness import Bot, Clock
from tests.meeting_helpers import ADMIN, World


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "buttons"])
@pytest.mark.parametrize("scenario", TWO_PEOPLE, ids=lambda s: s.__name__)
async def test_two_people(scenario: TwoPeople, numbered: bool, db: Database) -> None:
    capabilities = Capabilities(numbers_buttons=numbered)
    clock = Clock()  # now: the scenario types dates relative to today
    async with Bot(
        db,
        admins=frozenset({ADMIN}),
        clock=clock,
        content=load_content(),
        capabilities=capabilities,
    ) as bot:
        world = World(bot, clock)
        participant, coordinator = bot.person(1), bot.person(2)

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
