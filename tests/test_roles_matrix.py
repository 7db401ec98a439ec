"""Every privileged action × every role, on the in-memory transport.

The table and the checks live in ``tests/roles_table.py``; the same table runs on Telegram
(``tests/e2e/test_roles_telegram.py``) and on Matrix (``tests/matrix/test_roles_on_matrix.py``).
Here every case gets a fresh bot and database. Adding a privileged action adds a row there.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from content import Content, load_content
from handlers.core.types import Incoming
from storage.db import Database
from tests.e2e.driver import SeenMessage
from tests.harness import Bot, Delivered, open_db
from tests.roles_table import (
    ACTIONS,
    NOT_IN_CHAT,
    Action,
    World,
    button_actions,
    check_button,
    check_typed,
    every_role,
    typed_actions,
)

NUMBERS = {
    "admin": 1,
    "coordinator": 2,
    "other_coordinator": 3,
    "participant": 4,
    "applicant": 5,
    "new_coordinator": 6,
    "old_coordinator": 7,
    **{f"p{n}": n for n in range(10, 15)},
}
GROUP = "test:-100"


def seen(message: Delivered) -> SeenMessage:
    return SeenMessage(message.text, message.labels, message.document)


class MemoryWorld(World):
    """The dispatcher, outbox and delivery worker with the in-memory transport."""

    def __init__(self, bot: Bot, db: Database) -> None:
        super().__init__(db)
        self.bot = bot
        self._update = itertools.count(1)

    def uid(self, person: str) -> str:
        return f"test:{NUMBERS[person]}"

    def dm(self, person: str) -> str:
        return self.uid(person)

    @property
    def group(self) -> str:
        return GROUP

    async def _send(
        self, who: str, chat: str, *, text: str | None = None, token: str | None = None
    ) -> list[SeenMessage]:
        before = len(self.bot.transport.delivered)
        await self.bot.dispatcher.handle(
            Incoming(
                user_id=self.uid(who),
                chat_id=chat,
                text=text,
                button_token=token,
                locale_hint="fi",
                update_key=f"u{next(self._update)}",
                is_group_chat=chat == GROUP,
            )
        )
        await self.bot.worker.drain(timeout=10)
        return [seen(m) for m in self.bot.transport.delivered[before:] if m.chat_id == chat]

    async def send_text(self, person: str, chat: str, text: str) -> list[SeenMessage]:
        return await self._send(person, chat, text=text)

    def option(self, chat: str, label: str) -> object | None:
        for message in reversed(self.bot.transport.delivered):
            if message.chat_id == chat:
                for row in message.buttons:
                    for button_label, token in row:
                        if button_label == label:
                            return token
        return None

    async def press_as(
        self, person: str, chat: str, option: object
    ) -> tuple[str, list[SeenMessage]]:
        assert isinstance(option, str)
        return chat, await self._send(person, chat, token=option)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
async def world(tmp_path: Path, content: Content) -> AsyncIterator[MemoryWorld]:
    db = await open_db(tmp_path)
    bot = Bot(db, admins=frozenset({"test:1"}), content=content)
    try:
        async with bot:
            memory = MemoryWorld(bot, db)
            await memory.populate()
            await bot.worker.drain(timeout=10)
            yield memory
    finally:
        await db.close()


def test_every_privileged_action_is_in_the_table() -> None:
    from handlers.staff.roles import KNOWN_ACTIONS

    tested = {action.name for action in ACTIONS}
    assert tested | NOT_IN_CHAT == KNOWN_ACTIONS
    ids = [action.id for action in ACTIONS]
    assert len(ids) == len(set(ids)), ids


@every_role
@typed_actions
async def test_typed(action: Action, role: str, world: MemoryWorld) -> None:
    await check_typed(world, action, role)


@every_role
@button_actions
async def test_button(action: Action, role: str, world: MemoryWorld) -> None:
    await check_button(world, action, role)
