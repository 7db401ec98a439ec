"""Events handled together (one getUpdates answer, one commit): each stays its own."""

from __future__ import annotations

import datetime as dt

import aiosqlite
import pytest

from bot.dispatcher import Dispatcher
from handlers.core.types import Incoming
from storage import updates
from storage.db import Database
from tests.harness import Bot


def start_of(number: int) -> Incoming:
    person = f"test:{number}"
    return Incoming(
        user_id=person, chat_id=person, text="/start", update_key=f"{person}:1", locale_hint="fi"
    )


async def test_an_event_that_fails_leaves_the_others_and_the_offset(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = Dispatcher._serve

    async def failing_for_two(
        self: Dispatcher,
        conn: aiosqlite.Connection,
        incoming: Incoming,
        now: dt.datetime,
        greeting: bool,
    ) -> tuple[set[str], bool]:
        if incoming.user_id == "test:2":
            await updates.set_value(conn, "half-written", "yes")
            raise RuntimeError("a broken database row")
        return await served(self, conn, incoming, now, greeting)

    monkeypatch.setattr(Dispatcher, "_serve", failing_for_two)
    async with Bot(db) as bot:
        outcomes = await bot.dispatcher.handle_together(
            [start_of(1), start_of(2), start_of(3)], keep={"telegram:offset": "4"}
        )
        await bot.worker.drain(timeout=10)
        one, three = bot.person(1), bot.person(3)
        assert one.messages() and three.messages()
        assert not bot.person(2).messages()
    assert [o.handled for o in outcomes] == [True, False, True]
    async with db.read() as conn:
        assert await updates.get_value(conn, "telegram:offset") == "4"
        assert await updates.get_value(conn, "half-written") is None  # undone with its event
        assert not await updates.seen(conn, "test:2:1")  # so it is handled when it comes again
        assert await updates.seen(conn, "test:1:1") and await updates.seen(conn, "test:3:1")


async def test_an_event_that_comes_twice_in_one_batch_is_handled_once(db: Database) -> None:
    async with Bot(db) as bot:
        outcomes = await bot.dispatcher.handle_together([start_of(1), start_of(1)], keep={})
        await bot.worker.drain(timeout=10)
        assert len(bot.person(1).messages()) == len(
            [o for o in outcomes if o.handled and not o.duplicate]
        )
    assert [o.duplicate for o in outcomes] == [False, True]
