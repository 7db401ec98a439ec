"""Every privileged action × every role on Matrix: the table of ``tests/roles_table.py``
against a real Synapse.

Each role is a registered Matrix user (registered once per session) with a plain private
room with the bot; all five and the bot are in one group room. The bot runs in this event
loop (``bot.app.Application`` with only Matrix configured), so one bot serves the module
and every case starts from the same database (``tests/e2e/roles_world.py``). Buttons are
numbered options ("1. label") and a press is typing the number: in the group anyone can type
the number of the administrator's latest options; a private room cannot be written in by
anyone else, so a "forged" press there is the same number typed in one's own private room,
where it is one's own option of that number or, with none offered, a question. Commands are
typed with ``!`` as Matrix users do, and other text in the group starts with the bot's name,
as the bot answers only that there.

The people the actions are about (new and old coordinator, participants) are not Matrix
accounts; their private chat is one "sink" room where the bot's notices to them land.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
import pytest_asyncio
from nio import (
    Event,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomSendResponse,
)

from bot.app import Application
from bot.config import Settings
from bot.transports.base import Pacing
from bot.transports.matrix import MatrixTransport
from tests.e2e.driver import SeenMessage
from tests.e2e.roles_world import SETTLE_TIMEOUT, AppWorld
from tests.roles_table import (
    ROLES,
    TARGETS,
    Action,
    button_actions,
    check_button,
    check_typed,
    every_role,
    typed_actions,
)

from .matrix_bot import Human, parse_options
from .synapse_server import MatrixUser, SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

#: The shared Synapse lifts rate limits; the bot's own pause of 0.2 s between two messages
#: to one room would only double the time of the ~240 cases.
FAST = Pacing(per_second=1000.0, per_chat_interval=0.0, concurrency=4)


@dataclass(frozen=True)
class Accounts:
    bot: MatrixUser
    sink: MatrixUser
    people: dict[str, MatrixUser]


@pytest.fixture(scope="session")
def accounts(synapse: SynapseServer) -> Accounts:
    return Accounts(
        bot=synapse.register_user("hankebot"),
        sink=synapse.register_user("sink"),
        people={role: synapse.register_user(role.replace("_", "-")) for role in ROLES},
    )


def seen_event(event: Event) -> SeenMessage:
    content = event.source.get("content", {})
    body = str(content.get("body", ""))
    file = None
    if isinstance(event, RoomMessageMedia):
        name = str(content.get("filename") or body)
        file = (name, b"")
        if body == name:
            body = ""  # a file without caption
    text, labels = parse_options(body)
    return SeenMessage(text=text, labels=labels, file=file)


class MatrixWorld(AppWorld):
    """The role table on Matrix (see the module docstring)."""

    presses_reach_other_chats = False
    # Matrix accounts have display names (the user part by default), so the participants
    # here are named, as real ones would be.
    named_participants = True

    def __init__(
        self,
        app: Application,
        accounts: Accounts,
        humans: dict[str, Human],
        rooms: dict[str, str],
        group_room: str,
        sink_room: str,
    ) -> None:
        super().__init__(app)
        self.accounts = accounts
        self.humans = humans
        self.rooms = rooms  # role → private room id
        self.group_room = group_room
        self.sink_room = sink_room
        self.bot_id = accounts.bot.user_id
        self.bot_name = self.bot_id.split(":", 1)[0].lstrip("@")
        self.messages: dict[str, list[SeenMessage]] = {room: [] for room in self._observed()}
        self.event_ids: set[str] = set()
        self.marks: dict[str, int] = {}
        for role, room in [*rooms.items(), ("admin", group_room)]:
            humans[role].client.add_event_callback(
                self._watcher(room), (RoomMessageNotice, RoomMessageMedia)
            )

    def _observed(self) -> list[str]:
        return [*self.rooms.values(), self.group_room]

    def _watcher(self, room_id: str) -> Callable[[MatrixRoom, Event], None]:
        def on_event(room: MatrixRoom, event: Event) -> None:
            if room.room_id != room_id or event.sender != self.bot_id:
                return
            self.event_ids.add(event.event_id)
            relates = event.source.get("content", {}).get("m.relates_to") or {}
            if relates.get("rel_type") != "m.replace":  # an edit changes an older message
                self.messages[room_id].append(seen_event(event))

        return on_event

    def uid(self, person: str) -> str:
        if person in TARGETS:
            return f"matrix:@{person.replace('_', '-')}:localhost"
        return f"matrix:{self.accounts.people[person].user_id}"

    def dm(self, person: str) -> str:
        return f"matrix:{self.sink_room if person in TARGETS else self.rooms[person]}"

    @property
    def group(self) -> str:
        return f"matrix:{self.group_room}"

    def mark_chats(self) -> None:
        self.marks = {room: len(messages) for room, messages in self.messages.items()}

    async def settle(self, update_key: str | None) -> None:
        await super().settle(update_key)
        expected = await self.delivered_since([f"matrix:{room}" for room in self._observed()])
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not self.event_ids.issuperset(expected):
            for human in self.humans.values():
                human.check_alive()
            assert time.monotonic() < deadline, "the bot's messages did not reach the people"
            await asyncio.sleep(0.01)

    async def send_text(self, person: str, chat: str, text: str) -> list[SeenMessage]:
        room = chat.removeprefix("matrix:")
        if text.startswith("/"):
            text = "!" + text[1:]  # what Matrix users type (Element keeps "/" for itself)
        elif room == self.group_room and not text.isdigit():
            text = f"{self.bot_name}: {text}"  # the bot answers only what is meant for it
        before = len(self.messages[room])
        response = await self.humans[person].client.room_send(
            room, "m.room.message", {"msgtype": "m.text", "body": text}
        )
        assert isinstance(response, RoomSendResponse), response
        await self.settle(f"matrix:{response.event_id}")
        return self.messages[room][before:]

    def option(self, chat: str, label: str) -> object | None:
        """The number of ``label`` in the room's latest options (only those can be typed)."""
        room = chat.removeprefix("matrix:")
        for message in reversed(self.messages[room][self.marks.get(room, 0) :]):
            if message.labels:
                return message.labels.index(label) + 1 if label in message.labels else None
        return None

    def has_options(self, chat: str) -> bool:
        room = chat.removeprefix("matrix:")
        return any(message.labels for message in self.messages[room][self.marks.get(room, 0) :])

    async def press_as(
        self, person: str, chat: str, option: object
    ) -> tuple[str, list[SeenMessage]]:
        assert isinstance(option, int)
        if chat not in (self.group, self.dm(person)):
            chat = self.dm(person)  # nobody can write in someone else's private room
        return chat, await self.send_text(person, chat, str(option))


async def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def fast_matrix_pacing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MatrixTransport, "pacing", FAST)
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def matrix_world(
    synapse: SynapseServer,
    accounts: Accounts,
    fast_matrix_pacing: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MatrixWorld]:
    settings = Settings(
        database=tmp_path_factory.mktemp("roles-matrix") / "bot.sqlite3",
        matrix_homeserver=synapse.url,
        matrix_user=accounts.bot.user_id,
        matrix_password=accounts.bot.password,
        admins=frozenset({f"matrix:{accounts.people['admin'].user_id}"}),
        # The table walks every action as every role within seconds, far faster than any
        # person types: no per-person limit here (tests/test_inbound_gate.py tests it).
        rate_limit_per_minute=0,
        _env_file=None,
    )
    app = Application(settings)
    task = asyncio.create_task(app.run())
    async with AsyncExitStack() as stack:
        humans = {
            role: await stack.enter_async_context(Human(synapse, user, None))
            for role, user in accounts.people.items()
        }
        rooms = {}
        for role, human in humans.items():
            chat = await human.open_chat(accounts.bot.user_id, encrypted=False)
            rooms[role] = chat.room_id
        admin = humans["admin"].client
        created = await admin.room_create(
            name="Osmarin väki",
            invite=[accounts.bot.user_id, *(accounts.people[r].user_id for r in ROLES[1:])],
        )
        assert isinstance(created, RoomCreateResponse), created
        group_room = created.room_id
        for role in ROLES[1:]:
            await humans[role].client.join(group_room)
        sink = synapse.request(
            "POST",
            "/_matrix/client/v3/createRoom",
            {"name": "sink", "invite": [accounts.bot.user_id]},
            access_token=accounts.sink.access_token,
        )["room_id"]
        # The bot has joined both rooms when it has greeted there.
        world = MatrixWorld(app, accounts, humans, rooms, group_room, sink)
        greeted = "SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND chat_id IN (?, ?)"
        deadline = time.monotonic() + 30
        while await world.scalar(greeted, world.group, f"matrix:{sink}") < 2:
            assert time.monotonic() < deadline, "the bot did not greet in the group and sink"
            await asyncio.sleep(0.05)
        await _wait_for(
            lambda: (
                group_room in admin.rooms and len(admin.rooms[group_room].users) == len(ROLES) + 1
            ),
            "everyone in the group",
        )
        world.outbox_mark = await world.last_outbox_id()  # the greetings came before watching
        await world.populate()
        yield world
    app.request_stop()
    await asyncio.wait_for(task, timeout=30)


@pytest_asyncio.fixture(loop_scope="module")
async def world(matrix_world: MatrixWorld) -> MatrixWorld:
    await matrix_world.reset()
    return matrix_world


@every_role
@typed_actions
async def test_typed(action: Action, role: str, world: MatrixWorld) -> None:
    await check_typed(world, action, role)


@every_role
@button_actions
async def test_button(action: Action, role: str, world: MatrixWorld) -> None:
    await check_button(world, action, role)
