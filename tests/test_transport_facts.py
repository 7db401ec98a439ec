"""One source for what each transport can do (issue 12): the transports declare it
(``bot.transports.base.Capabilities``), the wiring hands it to the core as a port
(``handlers.core.ports.TransportFacts``), and the dispatcher, the scheduler, held messages
and the flows ask it instead of naming platforms."""

from __future__ import annotations

import datetime as dt

from bot import private_chats
from bot.transports import every_transport
from bot.transports.base import Capabilities, DeclaredTransports, Inbound
from bot.transports.console import ConsoleTransport
from bot.transports.matrix import MatrixTransport
from bot.transports.telegram import TelegramTransport
from handlers.core.types import Incoming
from storage import buttons as button_store
from storage import conversations, held_notices, memberships, users
from storage.db import Database
from tests.harness import Bot, Delivered, Person

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def test_each_transport_declares_what_it_can_do() -> None:
    facts = every_transport()
    assert [facts.numbers_buttons(name) for name in ("console", "telegram", "matrix")] == [
        True,
        False,
        True,
    ]
    assert [facts.takes_files(name) for name in ("console", "telegram", "matrix")] == [
        False,
        True,
        True,
    ]
    # the table is the transports' own declarations, nothing added
    for transport in (ConsoleTransport, TelegramTransport, MatrixTransport):
        assert facts.numbers_buttons(transport.name) == transport.capabilities.numbers_buttons
        assert facts.takes_files(transport.name) == transport.capabilities.takes_files
    assert not facts.takes_files("elsewhere") and not facts.numbers_buttons("elsewhere")


async def _press_payload(bot: Bot, person: Person, payload: str) -> list[Delivered]:
    """Press the button of the latest message whose payload is ``payload``."""
    async with bot.db.transaction() as conn:
        for message in reversed(person.messages()):
            for row in message.buttons:
                for _, token in row:
                    target = await button_store.resolve(conn, person.user_id, token)
                    if target is not None and target.payload == payload:
                        break
                else:
                    continue
                break
            else:
                continue
            break
        else:
            raise AssertionError(f"no button {payload!r}")
    return await person.presses_token(token)


async def _announcement_prompt(db: Database, capabilities: Capabilities) -> tuple[Bot, str]:
    async with Bot(db, capabilities=capabilities) as bot:
        coordinator = bot.person(1)
        await coordinator.says("/start")
        async with db.transaction() as conn:
            await memberships.add(conn, coordinator.user_id, "osmari", "coordinator", NOW)
            # somebody to send to (an audience of nobody is refused before the text)
            await users.touch(conn, "test:2", "test:2", locale="fi", now=NOW, private_chat=True)
            await memberships.add(conn, "test:2", "osmari", "participant", NOW)
        await coordinator.says("/tiedote")
        [prompt] = await _press_payload(bot, coordinator, "bca:project")
        return bot, prompt.html


async def test_the_announcement_mentions_files_where_the_transport_takes_them(
    db: Database,
) -> None:
    bot, prompt = await _announcement_prompt(db, Capabilities(takes_files=True))
    assert bot.renderer.text("fi", "broadcast.file_hint") in prompt


async def test_no_file_hint_where_the_transport_takes_no_files(db: Database) -> None:
    bot, prompt = await _announcement_prompt(db, Capabilities(takes_files=False))
    assert bot.renderer.text("fi", "broadcast.file_hint") not in prompt
    async with db.transaction() as conn:
        state = await conversations.load(conn, "test:1", "test:1")
    assert state is not None and state.step == "text"  # the prompt for the text, no hint


async def test_released_messages_keep_their_keyboard_where_buttons_are_numbered(
    db: Database,
) -> None:
    for numbered in (True, False):
        facts = DeclaredTransports({"test": Capabilities(numbers_buttons=numbered)})
        user, chat = f"test:{int(numbered)}", f"test:room{int(numbered)}"
        async with db.transaction() as conn:
            await users.touch(conn, user, chat, locale="fi", now=NOW, private_chat=False)
            await held_notices.hold(
                conn, user_id=user, html="odottaa", now=NOW, buttons=[[("Tulen", "rsvp:yes")]]
            )
            assert await private_chats.release(conn, user, chat, NOW, facts) == 1
            token = await button_store.numbered_token(conn, chat, 1)
        assert (token is not None) == numbered


async def test_the_core_judges_which_chat_is_a_private_chat(db: Database) -> None:
    """A transport's word decides: where a private chat's id is the person's id (Telegram),
    another chat is no private chat of theirs; elsewhere (Matrix) a private room with its
    own id is; a chat on another platform never is."""

    async def home_after(rules: Inbound, user: str, chat: str) -> str | None:
        async with Bot(db, inbound={"test": rules}) as bot:
            await bot.dispatcher.handle(Incoming(user_id=user, chat_id=chat, text="/apua"))
        async with db.transaction() as conn:
            person = await users.get(conn, user)
        return person.home_chat_id if person is not None else None

    assert await home_after(Inbound(private_chat_is_user=True), "test:1", "test:2") is None
    assert await home_after(Inbound(private_chat_is_user=True), "test:3", "test:3") == "test:3"
    assert await home_after(Inbound(private_chat_is_user=False), "test:4", "test:!r") == "test:!r"
    assert await home_after(Inbound(private_chat_is_user=False), "test:5", "other:5") is None
