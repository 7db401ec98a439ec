"""Hostile input through the fake Bot API (issue 16, "Hostile input": the shorter run).

The in-memory fuzz (tests/test_fuzz.py) walks every flow; this one sends the same kinds of
hostile input through python-telegram-bot's real HTTP stack, where the Bot API's own rules
apply (HTML entities must parse, 4 096 characters, 64-byte callback data, flood control):
long, empty, control characters, NUL, lone surrogates, HTML and Markdown, RTL marks, emoji,
numbers in every format, commands of every language with junk arguments, presses of the
buttons on offer, stale and replayed presses, forged callback data, and updates outside the
contract (a message without a chat). A fixed seed and a bounded number of inputs.

Checked: every message and every press gets an answer; the bot never makes an API call the
server refuses (400: a text that does not parse or is too long); no traceback or internal
error text is ever sent; the bot keeps answering after an update outside the contract; the
database passes ``PRAGMA integrity_check``. Prints how many inputs were tried.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Renderer
from bot.markup import html_to_plain
from tests.e2e.telegram_driver import bot_settings, running_bot
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fuzz_flows import JUNK_ARGUMENTS, LOCALES, NUMBERS, TEXTS, VALID, commands

pytestmark = pytest.mark.e2e

SEED = 16
PEOPLE = 9
INPUTS_PER_PERSON = 14
FIRST_PERSON = 70_001
ANSWER_TIMEOUT = 30.0
RENDERER = Renderer(ZoneInfo("Europe/Helsinki"))
WARM_UP = FIRST_PERSON - 1
#: The first question loads the Finnish dictionary (seconds, more on a busy machine): the
#: fuzz starts after it, so that a slow start is not counted as an unanswered input.
START_TIMEOUT = 180.0
FORGED = ["", "x", "b:" + "A" * 62, "\u00e4" * 32, "start:menu", "../../", "1' OR '1'='1"]


@dataclass
class Tried:
    inputs: int = 0
    presses: int = 0
    unanswered: list[str] = field(default_factory=list)


def _texts(rng: random.Random) -> list[str]:
    """Text messages a Telegram client can send: not empty, at most 4 096 characters."""
    names = commands()
    pool = [t for t in TEXTS + NUMBERS if t.strip() and len(t) <= 4096]
    pool += [f"/{rng.choice(names)}{rng.choice(JUNK_ARGUMENTS)}" for _ in range(20)]
    pool += VALID
    return pool


def _answers(server: FakeTelegramServer, person: int) -> int:
    """Messages in the person's chat plus answers to their presses."""
    messages = len(server.messages(person))
    answered = sum(1 for answer in server.callback_answers if answer.user_id == person)
    return messages + answered


async def _answered(
    server: FakeTelegramServer, person: int, before: int, timeout: float = ANSWER_TIMEOUT
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(server, person) > before:
            return True
        await asyncio.sleep(0.05)
    return False


async def _one_person(
    server: FakeTelegramServer, person: int, rng: random.Random, tried: Tried
) -> None:
    pool = _texts(rng)
    pressed: list[tuple[int, str]] = []
    for _ in range(INPUTS_PER_PERSON):
        before = _answers(server, person)
        offered = [
            (message.message_id, data)
            for message in server.messages(person)
            if not message.deleted
            for _, data in message.buttons
            if data is not None
        ]
        roll = rng.random()
        if offered and roll < 0.35:
            message_id, data = rng.choice(offered[-6:])  # one of the newest buttons
            server.user_presses(person, message_id, data)
            pressed.append((message_id, data))
            what = f"press {data!r}"
            tried.presses += 1
        elif pressed and roll < 0.45:
            message_id, data = rng.choice(pressed)  # stale or replayed
            server.user_presses(person, message_id, data, forge=True)
            what = f"replay {data!r}"
            tried.presses += 1
        elif roll < 0.55:
            message_id = offered[-1][0] if offered else 1
            data = rng.choice(FORGED)
            server.user_presses(person, message_id, data, forge=True)
            what = f"forged {data!r}"
            tried.presses += 1
        else:
            text = rng.choice(pool)
            server.user_sends(person, text)
            what = f"text {text[:40]!r}"
        tried.inputs += 1
        if not await _answered(server, person, before):
            tried.unanswered.append(f"{person}: {what}")


def _internal_error_texts() -> set[str]:
    return {html_to_plain(RENDERER.text(locale, "error.internal")) for locale in LOCALES}


async def test_hostile_input_through_the_bot_api(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    rng = random.Random(SEED)
    tried = Tried()
    with FakeTelegramServer() as server:
        people = [FIRST_PERSON + n for n in range(PEOPLE)]
        for index, person in enumerate(people):
            server.add_user(person, language_code=LOCALES[index % len(LOCALES)])
        # rate_limit_per_minute=0: the person-level limit has its own test and would slow
        # the fuzz into waiting (tests/test_inbound_gate.py)
        async with running_bot(bot_settings(server, database, rate_limit_per_minute=0)):
            for locale in LOCALES:
                server.add_user(WARM_UP, language_code=locale)
                before = _answers(server, WARM_UP)
                server.user_sends(WARM_UP, "mikä on flat rate?")
                assert await _answered(server, WARM_UP, before, START_TIMEOUT), "no answer"
            # Outside the contract first: a message without a chat must not stop anyone.
            server.push_update({"message": {"message_id": 1, "date": 0, "text": "/start"}})
            server.push_update({"edited_message": {"message_id": 2, "date": 0, "text": "x"}})
            await asyncio.gather(
                *(
                    _one_person(server, person, random.Random(rng.random()), tried)
                    for person in people
                )
            )
        messages = server.messages()
        # 499: the bot's own long poll, cut when it stops (not a refusal)
        refused = [
            r
            for r in server.requests
            if r.status not in (200, 429) and not (r.method == "getUpdates" and r.status == 499)
        ]
    print(
        f"\nTelegram fuzz: {tried.inputs} inputs ({tried.presses} presses) from {PEOPLE}"
        f" people, {len(messages)} messages sent, {len(tried.unanswered)} unanswered"
    )
    assert tried.inputs == PEOPLE * INPUTS_PER_PERSON
    assert not tried.unanswered, tried.unanswered
    assert not refused, [(r.method, r.status, r.description) for r in refused]
    internal = _internal_error_texts()
    shown = [m.text or m.caption or "" for m in messages]
    assert not [t for t in shown if "Traceback" in t or 'File "' in t]
    assert not [t for t in shown if t in internal]
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
