"""The two-person scenarios of ``tests/e2e/scenarios.py`` on a real Synapse: a participant
who only types and a coordinator, each in a private room with the bot (numbered options,
typed with their numbers). The bot runs in this event loop (``bot.app.Application`` with
only Matrix), so the scenario can write the meeting into its database and wake its
scheduler, as on Telegram."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import Application
from bot.config import Settings
from tests.e2e.scenarios import TWO_PEOPLE, TwoPeople
from tests.e2e.typed_world import seed_reminder

from .matrix_bot import Human
from .synapse_server import SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.mark.parametrize("scenario", TWO_PEOPLE, ids=lambda s: s.__name__)
async def test_two_people_on_matrix(
    scenario: TwoPeople, synapse: SynapseServer, tmp_path: Path
) -> None:
    account = synapse.register_user("hankebot")
    settings = Settings(
        database=tmp_path / "bot.sqlite3",
        matrix_homeserver=synapse.url,
        matrix_user=account.user_id,
        matrix_password=account.password,
        _env_file=None,
    )
    app = Application(settings)
    task = asyncio.create_task(app.run())
    try:
        async with (
            Human(synapse, synapse.register_user("human"), None) as maija,
            Human(synapse, synapse.register_user("human"), None) as coach,
        ):
            participant = await maija.open_chat(account.user_id, encrypted=False)
            coordinator = await coach.open_chat(account.user_id, encrypted=False)

            async def remind() -> None:
                await seed_reminder(
                    app.db,
                    participant=f"matrix:{maija.user.user_id}",
                    coordinator=f"matrix:{coach.user.user_id}",
                )
                app.scheduler.wake()

            await scenario(participant, coordinator, remind)
            await participant.no_more_replies(0.3)
    finally:
        app.request_stop()
        await asyncio.wait_for(task, timeout=30)
