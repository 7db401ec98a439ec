"""Every privileged action × every role on Telegram: the table of ``tests/roles_table.py``
through PTB's real HTTP stack and the fake Bot API server.

Each role is a Telegram user with a private chat; all of them are in one group chat. A
button press is a ``callback_query``: in the group anyone can press the administrator's
inline button, and into someone else's private chat a modified client can send any
callback data (``forge=True``): such a press (``chat.id != from.id`` in a private chat) is
dropped without an answer. One bot serves the module; every case starts from the same
database (``tests/e2e/roles_world.py``).

Below the table, what it does not show: a button's data pressed in another chat is an old
button there, and the person made coordinator is told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from bot.app import Application
from tests.catalog_labels import shown
from tests.e2e.driver import SeenMessage
from tests.e2e.roles_world import AppWorld
from tests.e2e.telegram_driver import bot_settings, running_bot, seen
from tests.fakes.telegram_api import FakeTelegramServer
from tests.roles_table import (
    PEOPLE,
    Action,
    button_actions,
    check_button,
    check_typed,
    every_role,
    typed_actions,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

NUMBERS = {
    "admin": 701,
    "coordinator": 702,
    "other_coordinator": 703,
    "participant": 704,
    "applicant": 705,
    "new_coordinator": 706,
    "old_coordinator": 707,
    **{f"p{n}": 700 + n for n in range(10, 15)},
}
GROUP = -500


def number(chat: str) -> int:
    return int(chat.removeprefix("telegram:"))


class TelegramWorld(AppWorld):
    """The role table on Telegram (see the module docstring)."""

    drops_presses_forged_into_private_chats = True

    def __init__(self, app: Application, server: FakeTelegramServer) -> None:
        super().__init__(app)
        self.server = server
        self.marks: dict[int, int] = {}  # chat → newest bot message id before this case

    def uid(self, person: str) -> str:
        return f"telegram:{NUMBERS[person]}"

    def dm(self, person: str) -> str:
        return self.uid(person)

    @property
    def group(self) -> str:
        return f"telegram:{GROUP}"

    def newest(self, chat: int) -> int:
        messages = self.server.messages(chat)
        return messages[-1].message_id if messages else 0

    def mark_chats(self) -> None:
        for chat in [*(NUMBERS[p] for p in PEOPLE), GROUP]:
            self.marks[chat] = self.newest(chat)

    async def answered(self, chat: int, before: int, update_id: int) -> list[SeenMessage]:
        await self.settle(f"telegram:{update_id}")
        return [seen(m) for m in self.server.messages(chat) if m.message_id > before]

    async def send_text(self, person: str, chat: str, text: str) -> list[SeenMessage]:
        where, who = number(chat), NUMBERS[person]
        before = self.newest(where)
        if where == GROUP:
            update_id = self.server.group_message(GROUP, who, text)
        else:
            assert where == who, "people write only in their own private chat"
            update_id = self.server.user_sends(who, text)
        return await self.answered(where, before, update_id)

    def option(self, chat: str, label: str) -> object | None:
        where = number(chat)
        for message in reversed(self.server.messages(where)):
            if message.message_id <= self.marks.get(where, 0):
                break
            for text, data in message.buttons:
                if text == label and data is not None:
                    return message.message_id, data
        return None

    async def press_as(
        self, person: str, chat: str, option: object
    ) -> tuple[str, list[SeenMessage]]:
        assert isinstance(option, tuple)
        message_id, data = option
        where, who = number(chat), NUMBERS[person]
        before = self.newest(where)
        # Into someone else's private chat only a modified client can press.
        forge = where > 0 and where != who
        update_id = self.server.user_presses(who, message_id, data, forge=forge, chat_id=where)
        return chat, await self.answered(where, before, update_id)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTelegramServer]:
    # Flood control is the bot's own business (tests/e2e/test_telegram.py); here it would
    # only make the ~240 cases slow.
    with FakeTelegramServer(flood_control=False) as fake:
        for person, user_id in NUMBERS.items():
            fake.add_user(user_id, first_name=person)
        fake.add_group(GROUP)
        yield fake


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def telegram_world(
    server: FakeTelegramServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TelegramWorld]:
    settings = bot_settings(
        server,
        tmp_path_factory.mktemp("roles-telegram") / "bot.sqlite3",
        admins=frozenset({f"telegram:{NUMBERS['admin']}"}),
        telegram_per_chat_interval=0,
        telegram_messages_per_second=1000,
        telegram_group_per_minute=100_000,
        # The table walks every action as every role within seconds, far faster than any
        # person types: no per-person limit here (tests/test_inbound_gate.py tests it).
        rate_limit_per_minute=0,
    )
    async with running_bot(settings) as app:
        await server.async_wait_until(lambda: server.waiting_long_polls, 30, what="polling")
        world = TelegramWorld(app, server)
        await world.populate()
        yield world


@pytest_asyncio.fixture(loop_scope="module")
async def world(telegram_world: TelegramWorld) -> TelegramWorld:
    await telegram_world.reset()
    return telegram_world


@every_role
@typed_actions
async def test_typed(action: Action, role: str, world: TelegramWorld) -> None:
    await check_typed(world, action, role)


@every_role
@button_actions
async def test_button(action: Action, role: str, world: TelegramWorld) -> None:
    await check_button(world, action, role)


async def test_button_data_is_old_in_another_chat(world: TelegramWorld) -> None:
    """The administrator's private audit button, forged into the group by a participant."""
    await world.says("admin", "/loki")
    option = world.option(world.dm("admin"), world.text("audit.csv_button"))
    assert isinstance(option, tuple)
    message_id, data = option
    before = world.newest(GROUP)
    update_id = world.server.user_presses(
        NUMBERS["participant"], message_id, data, forge=True, chat_id=GROUP
    )
    [old] = await world.answered(GROUP, before, update_id)
    assert old.text.startswith(world.text("error.old_button").split(".")[0]), old.text
    assert await world.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.csv'") == 0


async def test_the_new_coordinator_is_told(world: TelegramWorld) -> None:
    new = NUMBERS["new_coordinator"]
    before = world.newest(new)
    [added] = await world.says("admin", f"/lisaa_ohjaaja osmari {world.uid('new_coordinator')}")
    assert added.text == shown("coord.added", name=world.uid("new_coordinator"), project="Osmari")
    [notice] = [m for m in world.server.messages(new) if m.message_id > before]
    assert notice.text == shown("coord.added_notice", project="Osmari")
