"""Updates that arrive together are committed together (issue 17), and nothing waits for a
button press's acknowledgement.

One getUpdates answer is handled in one write transaction: each update in its own
savepoint, the Telegram offset in the same commit (so it moves only with what it covers).
What the bot does is seen in SQLite's own statement trace, not in timings.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.e2e.telegram_driver import TelegramDriver, bot_settings, running_bot
from tests.fakes.telegram_api import FakeTelegramServer

PEOPLE = range(7301, 7307)


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as fake:
        yield fake


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the bot's database connection runs, in order."""
    seen: list[str] = []
    opened = Database.open.__func__  # type: ignore[attr-defined]

    async def traced(cls: type[Database], /, *args: object, **kwargs: object) -> Database:
        db: Database = await opened(cls, *args, **kwargs)
        await db._conn.set_trace_callback(seen.append)
        return db

    monkeypatch.setattr(Database, "open", classmethod(traced))
    return seen


def transactions(statements: list[str]) -> list[list[str]]:
    """The statements grouped by write transaction (BEGIN IMMEDIATE … COMMIT)."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for statement in statements:
        if statement == "BEGIN IMMEDIATE":
            current = []
        elif statement == "COMMIT" and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current.append(statement)
    return found


def touches(transaction: list[str], table: str) -> bool:
    return any(table in statement for statement in transaction)


def writes_offset(transaction: list[str]) -> bool:
    return any("INTO kv" in s and "'telegram:offset'" in s for s in transaction)


async def test_updates_that_arrive_together_are_committed_in_one_transaction(
    server: FakeTelegramServer, tmp_path: Path, statements: list[str]
) -> None:
    people = [TelegramDriver(server, number) for number in PEOPLE]
    for person in people:  # all waiting before the bot polls: one getUpdates answer
        await person.send("/start")
    async with running_bot(bot_settings(server, tmp_path / "bot.sqlite3")):
        for person in people:
            await person.replies()
        await server.async_wait_for_updates_consumed()
    recorded = [t for t in transactions(statements) if touches(t, "INTO processed_updates")]
    assert len(recorded) == 1, [len(t) for t in recorded]
    [batch] = recorded
    assert sum("INTO processed_updates" in s for s in batch) == len(people)
    # The offset is written in that same commit, after the updates it covers.
    offsets = [i for i, s in enumerate(batch) if writes_offset([s])]
    assert offsets and offsets[-1] > max(
        i for i, s in enumerate(batch) if "INTO processed_updates" in s
    )
    offset_writes = [t for t in transactions(statements) if writes_offset(t)]
    assert offset_writes == [batch]


async def test_a_slow_acknowledgement_does_not_hold_up_the_next_people(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """answerCallbackQuery answered slowly: the presses after it are handled meanwhile."""
    people = [TelegramDriver(server, number) for number in PEOPLE[:3]]
    async with running_bot(bot_settings(server, tmp_path / "bot.sqlite3")):
        for person in people:
            await person.send("/start")
            await person.replies()
        server.method_delays["answerCallbackQuery"] = 4.0
        for person in people:
            [*_, menu] = server.messages(person.user_id)
            [(_, data), *_] = [button for button in menu.buttons if button[1] is not None]
            assert data is not None
            server.user_presses(person.user_id, menu.message_id, data)
        for person in people:
            await person.replies()
        answered_before_replies = len(server.callback_answers)
        while len(server.callback_answers) < len(people):
            await asyncio.sleep(0.1)
    # Before: each press waited for its own acknowledgement before the next was handled,
    # so the third reply came only after two acknowledgements.
    assert answered_before_replies == 0
    assert sorted(a.user_id for a in server.callback_answers) == sorted(PEOPLE[:3])


async def test_being_removed_from_a_group_after_a_message_there_is_seen_after_it(
    server: FakeTelegramServer, tmp_path: Path
) -> None:
    """/start in a group, then the bot is removed from it, both in one getUpdates answer:
    the removal is acted on after the message, so the reply waiting for the group ends
    unsent ('unreachable') instead of going to a group the bot has left."""
    database = tmp_path / "bot.sqlite3"
    group, member = -9001, 7402
    server.add_user(member)
    server.add_group(group)
    server.group_message(group, member, "/start")
    server.push_update(
        {
            "my_chat_member": {
                "chat": {"id": group, "type": "group", "title": "Testiryhmä"},
                "from": {"id": member, "is_bot": False, "first_name": "Testi"},
                "date": 0,
                "old_chat_member": {"status": "member", "user": bot_user(server)},
                "new_chat_member": {"status": "left", "user": bot_user(server)},
            }
        }
    )
    async with running_bot(bot_settings(server, database)):
        await server.async_wait_for_updates_consumed()
        states = await settled_states(database, f"telegram:{group}")
    assert states == ["unreachable"]


def bot_user(server: FakeTelegramServer) -> dict[str, object]:
    return {"id": server.bot_id, "is_bot": True, "first_name": "Hankebot"}


async def settled_states(database: Path, chat: str, timeout: float = 20.0) -> list[str]:
    """The chat's outbox rows' states once none is pending any more."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with sqlite3.connect(database) as conn:
            states = [
                row[0]
                for row in conn.execute("SELECT state FROM outbox WHERE chat_id = ?", (chat,))
            ]
        if states and "pending" not in states:
            return states
        assert asyncio.get_running_loop().time() < deadline, states
        await asyncio.sleep(0.1)
