"""The core's inbound gate, in memory (issue 11, items 1, 11, 12).

Before an event is routed the dispatcher drops one whose private chat is not its sender's
(on platforms where a private chat's id is the person's id), and limits how many events
one person is served a minute; buttons stored per chat are capped; and the transports ask
it whether the person's conversation takes a file before they fetch one.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot.markup import html_to_plain
from bot.rate_limit import PerPersonLimit, Verdict
from bot.transports.base import Inbound
from handlers.core.context import Notice
from handlers.core.types import Incoming, Reply
from storage import buttons as button_store
from storage import conversations
from storage.db import Database
from tests.harness import Bot, Clock, Person

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
SAME_ID = {"test": Inbound(private_chat_is_user=True)}


def said(bot: Bot, key: str) -> str:
    return html_to_plain(bot.renderer.text("fi", key, {}))


async def count(db: Database, sql: str, *params: object) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(sql, params)
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def token_of(db: Database, chat_id: str, payload: str) -> str:
    """The newest button offered in ``chat_id`` for ``payload``."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT token FROM buttons WHERE chat_id = ? AND payload = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (chat_id, payload),
        )
        row = await cursor.fetchone()
    assert row is not None, f"no button {payload!r} in {chat_id}"
    return str(row[0])


# --- item 1: a private chat that is not the sender's ----------------------------------------
async def test_an_event_whose_private_chat_is_not_its_sender_is_dropped(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Bot(db, admins=frozenset({"test:1"}), inbound=SAME_ID) as bot:
        forged = Incoming(
            user_id="test:1", chat_id="test:2", text="/start salainen", update_key="u-forged"
        )
        outcome = await bot.dispatcher.handle(forged)
        await bot.worker.drain()
        assert not outcome.handled
        assert bot.transport.delivered == []
        assert await count(db, "SELECT COUNT(*) FROM users") == 0
        assert await count(db, "SELECT COUNT(*) FROM outbox") == 0
        # Only the update's id is kept, so that a re-delivery is not looked at again.
        assert await count(db, "SELECT COUNT(*) FROM processed_updates") == 1
        assert "test:1" in caplog.text and "test:2" in caplog.text
        assert "salainen" not in caplog.text and "/start" not in caplog.text
        # A group chat's id differs from its members' ids: that is not a forgery.
        group = Incoming(user_id="test:1", chat_id="test:group", text="/apua", is_group_chat=True)
        assert (await bot.dispatcher.handle(group)).handled
        # The person's own private chat is served as ever.
        [greeting] = await bot.person(1).says("/start")
        assert greeting.text.startswith(said(bot, "start.greeting").split("\n", 1)[0])


async def test_where_chat_ids_are_not_person_ids_the_check_does_not_apply(db: Database) -> None:
    """Matrix rooms have their own ids: a direct room is still a private chat."""
    rules = {"test": Inbound(private_chat_is_user=False)}
    async with Bot(db, inbound=rules) as bot:
        outcome = await bot.dispatcher.handle(
            Incoming(user_id="test:1", chat_id="test:!room", text="/start")
        )
        assert outcome.handled


# --- item 11: per-person rate limit -----------------------------------------------------------
def test_the_limit_serves_n_a_minute_warns_once_per_burst_and_forgets() -> None:
    limit = PerPersonLimit(3)
    verdicts = [limit.admit("a", START + dt.timedelta(seconds=s)) for s in range(6)]
    assert verdicts == [Verdict.SERVE] * 3 + [Verdict.WARN, Verdict.IGNORE, Verdict.IGNORE]
    assert limit.admit("b", START) is Verdict.SERVE  # someone else is not limited
    assert limit.limited("a", START + dt.timedelta(seconds=30))
    # A minute after the first served message there is room again; a new burst warns again.
    later = START + dt.timedelta(seconds=60)
    assert limit.admit("a", later) is Verdict.SERVE
    assert [limit.admit("a", later + dt.timedelta(seconds=s)) for s in (1, 2, 3)] == [
        Verdict.SERVE,
        Verdict.SERVE,
        Verdict.WARN,
    ]
    # People who went quiet are forgotten (the limiter does not grow without end).
    for number in range(5000):
        limit.admit(f"p{number}", START)
    limit.admit("last", START + dt.timedelta(hours=1))
    assert limit.tracked() < 100


async def test_a_person_sending_100_messages_a_minute_is_slowed_down(db: Database) -> None:
    clock = Clock(START)
    async with Bot(db, clock=clock, rate_limit=PerPersonLimit(20)) as bot:
        flooder, other = bot.person(1), bot.person(2)
        answers = []
        others = []
        for number in range(100):
            answers += await flooder.says(f"viesti {number}")
            if number % 25 == 0:
                others += await other.says("/apua")
            clock.advance(seconds=0.5)  # 100 messages in 50 seconds
        slow_down = said(bot, "error.slow_down")
        texts = [m.text for m in answers]
        assert texts.count(slow_down) == 1
        assert len(texts) - 1 <= 20
        assert len(others) == 4 and slow_down not in [m.text for m in others]
        # Every message was recorded as handled, so none is delivered again.
        assert await count(db, "SELECT COUNT(*) FROM processed_updates") == 104
        # After the window the person is served again.
        clock.advance(seconds=60)
        [again] = await flooder.says("/apua")
        assert again.text != slow_down and "/peru" in again.text


async def test_notices_to_a_limited_person_still_go(db: Database) -> None:
    """The bot's own messages are not messages from a person: they are never limited."""
    clock = Clock(START)
    async with Bot(db, clock=clock, rate_limit=PerPersonLimit(2)) as bot:
        person = bot.person(1)
        for _ in range(4):
            await person.says("/apua")
        async with db.transaction() as conn:
            for _ in range(3):
                await bot.dispatcher.enqueue_notice(
                    conn, Notice(person.user_id, Reply("start.greeting")), clock()
                )
        bot.worker.wake()
        await bot.worker.drain()
        greetings = [m for m in person.new_messages() if m.text == said(bot, "start.greeting")]
        assert len(greetings) == 3


# --- item 11: buttons per chat are capped ----------------------------------------------------
async def test_stored_buttons_per_chat_stay_under_the_cap(bot: Bot, db: Database) -> None:
    person, neighbour = bot.person(1), bot.person(2)
    await neighbour.says("/start")
    neighbour_buttons = await count(
        db, "SELECT COUNT(*) FROM buttons WHERE chat_id = ?", neighbour.user_id
    )
    assert neighbour_buttons > 0
    for _ in range(300):
        await person.says("/start")
    stored = await count(db, "SELECT COUNT(*) FROM buttons WHERE chat_id = ?", person.user_id)
    assert stored <= button_store.MAX_PER_CHAT
    assert (
        await count(db, "SELECT COUNT(*) FROM buttons WHERE chat_id = ?", neighbour.user_id)
        == neighbour_buttons
    )
    # The newest menu still works.
    [help_text] = await person.presses_token(await token_of(db, person.user_id, "cmd:apua"))
    assert "/peru" in help_text.text


# --- item 12: the port the transports ask before fetching a file ------------------------------
async def _at_step(db: Database, person: Person, flow: str, step: str) -> None:
    async with db.transaction() as conn:
        await conversations.save(
            conn,
            person.user_id,
            person.user_id,
            conversations.ConversationState(flow, step),
            dt.datetime.now(dt.UTC),
        )


async def test_a_file_is_wanted_only_where_the_step_takes_files(db: Database) -> None:
    async with Bot(db, inbound=SAME_ID, rate_limit=PerPersonLimit(3)) as bot:
        person = bot.person(1)
        await person.says("/start")
        assert not await bot.dispatcher.wants_file(person.user_id, person.user_id)
        await _at_step(db, person, "broadcast", "audience")
        assert not await bot.dispatcher.wants_file(person.user_id, person.user_id)
        await _at_step(db, person, "broadcast", "text")  # the announcement text takes files
        assert await bot.dispatcher.wants_file(person.user_id, person.user_id)
        # Never for a forged private chat, nor in a chat where the step is not.
        assert not await bot.dispatcher.wants_file(person.user_id, "test:2")
        # Nor for someone who is being slowed down (the event will be ignored anyway).
        for _ in range(3):
            await person.says("/apua")
        assert not await bot.dispatcher.wants_file(person.user_id, person.user_id)


async def test_a_file_sent_where_none_was_wanted_gets_the_no_file_answer(bot: Bot) -> None:
    person = bot.person(1)
    await person.says("/start")
    await bot.dispatcher.handle(
        Incoming(
            user_id=person.user_id,
            chat_id=person.user_id,
            update_key="file-1",
            refused_file="not_wanted",
        )
    )
    await bot.worker.drain()
    [answer] = person.new_messages()
    assert answer.text == said(bot, "error.no_file_here")
