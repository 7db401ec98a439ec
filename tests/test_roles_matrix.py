"""Every privileged action × every role, by typed command and by a replayed button.

The table :data:`ACTIONS` declares each privileged action: who may do it, how a person does
it by typing, how an allowed person (the administrator) gets its button — in a group chat,
or in their private chat for actions that only work there — and what in the database shows
that it happened. For every role the test then

* has that person try the action by typing (their private chat), and
* has that person press the administrator's button (a replayed or forged press: in a group
  anyone can press, and a client can send any callback data),

and checks that exactly the allowed roles succeed. Adding a privileged action adds a row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from content import Content, load_content
from handlers.types import Incoming
from storage import audit, broadcasts, contact_requests, memberships, users
from storage.broadcasts import Recipient
from storage.db import Database
from tests.harness import Bot, Delivered, open_db

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
ROLES = ("admin", "coordinator", "other_coordinator", "participant", "applicant")
PERSON = {"admin": 1, "coordinator": 2, "other_coordinator": 3, "participant": 4, "applicant": 5}
NEW_COORDINATOR = "test:6"  # someone an administrator makes a coordinator
OLD_COORDINATOR = "test:7"  # a coordinator of osmari an administrator removes
GROUP = "test:-100"
ADMIN_CHAT = "test:1"
SCHEDULED, FINISHED = 1, 2  # broadcasts made in the set-up


class World:
    """A fresh database with one person per role, participants and two broadcasts."""

    def __init__(self, bot: Bot, db: Database) -> None:
        self.bot = bot
        self.db = db
        self._update = itertools.count(1)

    async def setup(self) -> None:
        async with self.db.transaction() as conn:
            for number in [*PERSON.values(), 6, 7, *range(10, 15)]:
                user_id = f"test:{number}"
                await users.touch(conn, user_id, user_id, locale="fi", now=NOW, private_chat=True)
            await memberships.add(conn, "test:2", "osmari", "coordinator", NOW)
            await memberships.add(conn, "test:3", "toimi", "coordinator", NOW)
            await memberships.add(conn, "test:4", "osmari", "participant", NOW)
            await memberships.add(conn, OLD_COORDINATOR, "osmari", "coordinator", NOW)
            for number in range(10, 15):
                await memberships.add(conn, f"test:{number}", "osmari", "participant", NOW)
            for number, send_at in ((SCHEDULED, NOW + dt.timedelta(days=1)), (FINISHED, NOW)):
                created = await broadcasts.create(
                    conn,
                    project="osmari",
                    audience="project",
                    group=None,
                    created_by="test:1",
                    report_chat=None,
                    text="x",
                    locale="fi",
                    timezone="Europe/Helsinki",
                    send_at=send_at,
                    now=NOW,
                )
                assert created == number
                people = [Recipient("test:10", "test:10", "fi", number == FINISHED)]
                await broadcasts.enqueue_recipients(
                    conn, created, people, {"fi": "x"}, send_at=send_at, now=NOW
                )
            await broadcasts.close(conn, FINISHED, "done", NOW)
            for asked in ("test:12", "test:13"):  # asked to be contacted about osmari
                await contact_requests.add(
                    conn,
                    user_id=asked,
                    project="osmari",
                    kind="join",
                    contact="040 1",
                    question=None,
                    now=NOW,
                )
            await audit.record(
                conn,
                actor="test:1",
                action="coordinator.add",
                now=NOW,
                project="osmari",
                subject=OLD_COORDINATOR,
            )

    async def send(
        self, who: str, chat: str, *, text: str | None = None, token: str | None = None
    ) -> list[Delivered]:
        before = len(self.bot.transport.delivered)
        await self.bot.dispatcher.handle(
            Incoming(
                user_id=who,
                chat_id=chat,
                text=text,
                button_token=token,
                locale_hint="fi",
                update_key=f"u{next(self._update)}",
                is_group_chat=chat == GROUP,
            )
        )
        await self.bot.worker.drain(timeout=10)
        return [m for m in self.bot.transport.delivered[before:] if m.chat_id == chat]

    async def says(self, who: str, text: str, chat: str | None = None) -> list[Delivered]:
        return await self.send(who, chat or who, text=text)

    def token(self, chat: str, label: str) -> str | None:
        """The newest button with this label in ``chat``."""
        for message in reversed(self.bot.transport.delivered):
            if message.chat_id == chat:
                for row in message.buttons:
                    for button_label, token in row:
                        if button_label == label:
                            return token
        return None

    async def presses(self, who: str, label: str, chat: str | None = None) -> list[Delivered]:
        """Press a button this person can see; nothing happens when there is none."""
        token = self.token(chat or who, label)
        if token is None:
            return []
        return await self.send(who, chat or who, token=token)

    async def audit_count(self, action: str) -> int:
        async with self.db.transaction() as conn:
            return await audit.count(conn, action)

    async def scalar(self, sql: str, *params: object) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def is_coordinator(self, user_id: str) -> bool:
        async with self.db.transaction() as conn:
            rows = await memberships.active_for(conn, user_id)
        return any(m.project == "osmari" and m.role == "coordinator" for m in rows)


Perform = Callable[[World, str], Awaitable[object]]
Obtain = Callable[[World], Awaitable[tuple[str, str | None]]]  # (chat, token)
Measure = Callable[[World], Awaitable[int]]


@dataclass(frozen=True)
class Action:
    name: str
    allowed: frozenset[str]
    by_command: Perform
    measure: Measure  # grows when the action happened
    button: Obtain | None = None
    owner_only: bool = False  # a conversation button: only the person it was shown to
    case: str = ""  # tells apart rows of the same action done another way

    @property
    def id(self) -> str:
        return f"{self.name}{'-' + self.case if self.case else ''}"


def audit_of(action: str) -> Measure:
    async def measure(world: World) -> int:
        return await world.audit_count(action)

    return measure


async def _send_announcement(world: World, who: str) -> None:
    await world.says(who, "/tiedote")
    await world.presses(who, "Osmari")  # administrators choose the project first
    await world.presses(who, "Koko hanke Osmari (6)")
    await world.says(who, "Huomenna ei ole ryhmää.")
    await world.presses(who, "Lähetä nyt")


async def _announcement_button(world: World) -> tuple[str, str | None]:
    await world.says(ADMIN_CHAT, "/tiedote", GROUP)
    await world.presses(ADMIN_CHAT, "Osmari", GROUP)
    await world.presses(ADMIN_CHAT, "Koko hanke Osmari (6)", GROUP)
    await world.says(ADMIN_CHAT, "Huomenna ei ole ryhmää.", GROUP)
    return GROUP, world.token(GROUP, "Lähetä nyt")


async def _send_to_contacts(world: World, who: str) -> None:
    await world.says(who, "/tiedote")
    await world.presses(who, "Osmari")
    await world.presses(who, "Yhteydenottoa pyytäneet: Osmari (2)")
    await world.says(who, "Uusi ryhmä alkaa.")
    await world.presses(who, "Lähetä nyt")


async def _contacts_audience_button(world: World) -> tuple[str, str | None]:
    await world.says(ADMIN_CHAT, "/tiedote", GROUP)
    await world.presses(ADMIN_CHAT, "Osmari", GROUP)
    await world.presses(ADMIN_CHAT, "Yhteydenottoa pyytäneet: Osmari (2)", GROUP)
    await world.says(ADMIN_CHAT, "Uusi ryhmä alkaa.", GROUP)
    return GROUP, world.token(GROUP, "Lähetä nyt")


async def _contact_announcements(world: World) -> int:
    return await world.scalar("SELECT COUNT(*) FROM broadcasts WHERE audience = 'contacts'")


async def _in(chat: str, world: World, steps: list[tuple[str, str]], label: str) -> str | None:
    for kind, value in steps:
        if kind == "say":
            await world.says(ADMIN_CHAT, value, chat)
        else:
            await world.presses(ADMIN_CHAT, value, chat)
    return world.token(chat, label)


def button_in(chat: str, steps: list[tuple[str, str]], label: str) -> Obtain:
    async def obtain(world: World) -> tuple[str, str | None]:
        return chat, await _in(chat, world, steps, label)

    return obtain


def typed(*lines: str, then: tuple[str, ...] = ()) -> Perform:
    async def perform(world: World, who: str) -> None:
        for line in lines:
            await world.says(who, line)
        for label in then:
            await world.presses(who, label)

    return perform


async def _invites(world: World) -> int:
    return await world.scalar("SELECT COUNT(*) FROM coordinator_invites")


async def _new_coordinator(world: World) -> int:
    return int(await world.is_coordinator(NEW_COORDINATOR))


async def _removed(world: World) -> int:
    return int(not await world.is_coordinator(OLD_COORDINATOR))


async def _announcements(world: World) -> int:
    return await world.scalar("SELECT COUNT(*) FROM broadcasts")


async def _cancelled(world: World) -> int:
    return await world.scalar(
        "SELECT COUNT(*) FROM broadcasts WHERE id = ? AND state = 'cancelled'", SCHEDULED
    )


ADMIN = frozenset({"admin"})
STAFF = frozenset({"admin", "coordinator"})
ACTIONS = [
    Action(
        "coordinator.invite",
        ADMIN,
        typed("/ohjaajakutsu osmari"),
        _invites,
        button_in(ADMIN_CHAT, [("say", "/ohjaajat")], "Kutsu ohjaaja: Osmari"),
    ),
    Action(
        "coordinator.add",
        ADMIN,
        typed(f"/lisaa_ohjaaja osmari {NEW_COORDINATOR}"),
        _new_coordinator,
    ),
    Action(
        "coordinator.remove",
        ADMIN,
        typed(f"/poista_ohjaaja osmari {OLD_COORDINATOR}"),
        _removed,
        button_in(
            ADMIN_CHAT,
            [("say", "/ohjaajat"), ("press", f"Poista {OLD_COORDINATOR} (Osmari)")],
            "Kyllä, poista oikeudet",
        ),
    ),
    Action(
        "audit.view",
        ADMIN,
        typed("/loki"),
        audit_of("audit.view"),
        button_in(ADMIN_CHAT, [("say", "/valikko")], "Tapahtumaloki"),
    ),
    Action(
        "audit.csv",
        ADMIN,
        typed("/loki csv"),
        audit_of("audit.csv"),
        button_in(ADMIN_CHAT, [("say", "/loki")], "Lataa koko loki (CSV)"),
    ),
    Action(
        "broadcast.send",
        STAFF,
        _send_announcement,
        _announcements,
        _announcement_button,
        owner_only=True,
    ),
    Action(
        "broadcast.send",
        STAFF,
        _send_to_contacts,
        _contact_announcements,
        _contacts_audience_button,
        owner_only=True,
        case="contacts",
    ),
    Action(
        "broadcast.cancel",
        STAFF,
        typed("/tiedotteet", then=(f"Peru tiedote #{SCHEDULED}",)),
        _cancelled,
        button_in(GROUP, [("say", "/tiedotteet")], f"Peru tiedote #{SCHEDULED}"),
    ),
    Action(
        "broadcast.missing_csv",
        STAFF,
        typed("/tiedotteet", then=(f"Ei saaneet tiedotetta #{FINISHED} (CSV)",)),
        audit_of("broadcast.missing_csv"),
        button_in(ADMIN_CHAT, [("say", "/tiedotteet")], f"Ei saaneet tiedotetta #{FINISHED} (CSV)"),
    ),
    Action(
        "participant.mark_left",
        STAFF,
        typed("/merkitse_lopettanut", then=("Osmari", "Osallistuja …11", "Kyllä, merkitse")),
        audit_of("participant.mark_left"),
        button_in(
            GROUP,
            [
                ("say", "/merkitse_lopettanut"),
                ("press", "Osmari"),
                ("press", "Osallistuja …11"),
            ],
            "Kyllä, merkitse",
        ),
        owner_only=True,
    ),
    Action(
        "report.view",
        STAFF,
        typed("/raportti osmari"),
        audit_of("report.view"),
        button_in(GROUP, [("say", "/raportti")], "Osmari"),
    ),
    Action(
        "report.csv",
        STAFF,
        typed("/raportti osmari csv"),
        audit_of("report.csv"),
        button_in(GROUP, [("say", "/raportti osmari")], "Lataa CSV-tiedosto"),
    ),
]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


async def world_in(tmp_path: Path, content: Content) -> tuple[World, Database, Bot]:
    db = await open_db(tmp_path)
    bot = Bot(db, admins=frozenset({ADMIN_CHAT}), content=content)
    await bot.__aenter__()
    world = World(bot, db)
    await world.setup()
    return world, db, bot


def test_every_privileged_action_is_in_the_table() -> None:
    from handlers.roles import KNOWN_ACTIONS

    tested = {action.name for action in ACTIONS}
    not_in_chat = {"coordinator.join", "broadcast.schedule"}  # covered in their own tests
    assert tested | not_in_chat == KNOWN_ACTIONS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.id)
async def test_typed_command(action: Action, role: str, tmp_path: Path, content: Content) -> None:
    world, db, bot = await world_in(tmp_path, content)
    try:
        before = await action.measure(world)
        await action.by_command(world, f"test:{PERSON[role]}")
        happened = await action.measure(world) > before
    finally:
        await bot.__aexit__()
        await db.close()
    assert happened == (role in action.allowed), (action.name, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a for a in ACTIONS if a.button is not None], ids=lambda a: a.id)
async def test_replayed_button(action: Action, role: str, tmp_path: Path, content: Content) -> None:
    assert action.button is not None
    world, db, bot = await world_in(tmp_path, content)
    try:
        chat, token = await action.button(world)
        assert token is not None, f"the administrator got no button for {action.name}"
        before = await action.measure(world)
        answer = await world.send(f"test:{PERSON[role]}", chat, token=token)
        happened = await action.measure(world) > before
    finally:
        await bot.__aexit__()
        await db.close()
    expected = role == "admin" if action.owner_only else role in action.allowed
    assert happened == expected, (action.name, role, [m.text for m in answer])
    if not expected:
        assert answer and answer[0].text.startswith(
            ("Sinulla ei ole oikeutta tähän.", "Tämä painike on vanha.")
        ), [m.text for m in answer]
