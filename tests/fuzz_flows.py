"""Hostile input through every flow on the in-memory transport (issue 16, "Hostile input").

One example is a person (a newcomer or an administrator, in Finnish, Swedish or English) and
a sequence of inputs: hostile texts (long, empty, control characters, NUL, lone surrogates,
HTML and Markdown, RTL marks, emoji, numbers in every format), commands with junk arguments,
presses of the buttons on offer, of stale buttons from earlier messages, replays of a button
already pressed and forged tokens. After every input the invariants are checked
(:func:`check_step`); at the end of a sequence the database's integrity.

Used by tests/test_fuzz.py (bounded, fixed seed) and bench/fuzz.py (long).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from content.schema import Content
from handlers.core.types import Param
from messages import words
from storage import conversations, users
from storage.db import Database
from tests.harness import Bot, Delivered, Person

LOCALES = ("fi", "sv", "en")
INTERNAL_ERROR = "error.internal"

NUMBERS = [
    "1e309", "-0", "9" * 400, "½", "1,5 milj.", "1.5e3", "NaN", "Infinity", "-1", "0",
    "1 000 000", "12,50 €", "²", "٣", "0x10", "1_000", "10^400", "3/4", "−5", "100%",
    "1,5 milj. €", "2 t€", "99999999999999999999999999999", "0,0000001", "1e-400",
]  # fmt: skip
TEXTS = [
    "", " ", "\n", "\x00", "a\x00b", "\x07\x1b[31m", "\ud800", "x\udfffy", "\u202eabc",
    "\u200f\u200e", "<b>x</b>", "<code>x</code>", "<a href='javascript:1'>y</a>", "&amp;",
    "&", "*bold* _i_ `code`", "[x](http://a)", "😀" * 50, "👩‍👩‍👧‍👦", "y" * 3999, "a",
    "kyllä", "ei", "hei", "x" * 10_000, "ohita", "liity ABC123", "24.11.2026 klo 13.00",
    "31.2.2026", "klo 25.61", "\t\r\n", "ÅÄÖ åäö", "ñ", "🇫🇮", "\ufeff", "\u0000" * 5,
]  # fmt: skip
# Well-formed answers, so that sequences get deep into the flows between the hostile ones.
VALID = ["1000", "50000", "2", "3", "25", "40 %", "10", "1", "35", "1.1.2027", "ma 13.00",
         "Kirjasto", "Testi Ryhmä", "kyllä", "ja", "yes"]  # fmt: skip
JUNK_ARGUMENTS = ["", " x", " 1e309", " \x00", " " + "z" * 300, " <b>", " \ud800", " ../../"]


def commands() -> list[str]:
    """Every command name of every language."""
    names: set[str] = set()
    for locale in LOCALES:
        table = words.read(words.MESSAGES_DIR / "words" / f"{locale}.toml")
        for aliases in table["commands"].values():
            names.update(aliases)
    return sorted(names)


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Press:
    """The ``index``-th button among those ever offered (newest first); ``index`` beyond
    them presses nothing real: a forged token."""

    index: int


@dataclass(frozen=True)
class Forge:
    token: str


Action = Say | Press | Forge


def actions() -> st.SearchStrategy[Action]:
    command = st.builds(
        lambda name, arg: Say(f"/{name}{arg}"),
        st.sampled_from(commands()),
        st.sampled_from(JUNK_ARGUMENTS),
    )
    text = st.one_of(
        st.sampled_from(VALID),
        st.sampled_from(VALID),
        st.sampled_from(TEXTS),
        st.sampled_from(NUMBERS),
        st.text(max_size=60),
        st.text(st.characters(codec=None, categories=("Cc", "Cs", "Cf", "So", "Zs")), max_size=8),
    ).map(Say)
    newest = st.builds(Press, st.integers(min_value=0, max_value=3))
    older = st.builds(Press, st.integers(min_value=0, max_value=40))
    forge = st.builds(Forge, st.text(max_size=70))
    return st.one_of(newest, newest, newest, newest, text, text, command, older, forge)


@dataclass
class Tally:
    inputs: int = 0
    sequences: int = 0
    unanswered: list[str] = field(default_factory=list)
    positions: set[tuple[str, str]] = field(default_factory=set)  # (flow, step) reached
    keys: set[str] = field(default_factory=set)  # catalog keys of the messages seen


class LocaleLog:
    """Which languages texts were rendered in (wraps the harness's renderer)."""

    def __init__(self, bot: Bot) -> None:
        self.seen: list[str] = []
        renderer = bot.renderer
        original = renderer.text

        def text(locale: str, key: str, params: Mapping[str, Param] | None = None) -> str:
            self.seen.append(locale)
            return original(locale, key, params)

        renderer.text = text  # type: ignore[method-assign]


async def check_step(
    bot: Bot,
    person: Person,
    fresh: list[Delivered],
    rendered: list[str],
    what: str,
    tally: Tally,
) -> None:
    """The invariants after one input."""
    for message in fresh:
        tally.keys.update(message.keys)
        assert INTERNAL_ERROR not in message.keys, (what, message.keys)
        assert "Traceback" not in message.html, what
    async with bot.db.transaction() as conn:
        person_row = await users.get(conn, person.user_id)
        state = await conversations.load(conn, person.user_id, person.user_id)
        cursor = await conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        row = await cursor.fetchone()
        pending = row[0] if row else 0
    assert pending == 0, (what, pending)
    if person_row is not None:
        locale = person_row.locale
        assert set(rendered) <= {locale, person.locale}, (what, rendered, locale)
        person.locale = locale
    if state is not None:
        tally.positions.add((state.flow, state.step))
        flow = bot.registry.flows.get(state.flow)
        assert flow is not None, (what, state.flow)
        assert state.step in flow.steps, (what, state.flow, state.step)
        for frame in state.stack:
            caller = bot.registry.flows.get(frame.flow)
            assert caller is not None, (what, frame.flow)
            assert frame.step is None or frame.step in caller.steps, (what, frame)


async def run_sequence(
    content: Content, locale: str, admin: bool, sequence: list[Action], tally: Tally
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "fuzz.sqlite3")
        try:
            user = "test:1"
            bot = Bot(db, content=content, admins=frozenset({user}) if admin else frozenset())
            log = LocaleLog(bot)
            async with bot:
                person = bot.person(1, locale)
                fresh = await person.says("/start")
                pressed: list[str] = []
                for action in sequence:
                    offered = [
                        b.token for m in reversed(person.messages()) for b in m.all_buttons()
                    ]
                    log.seen.clear()
                    if isinstance(action, Say):
                        what = f"says {action.text[:40]!r}"
                        fresh = await person.says(action.text)
                    elif isinstance(action, Press) and action.index < len(offered):
                        token = offered[action.index]
                        what = f"presses #{action.index}"
                        fresh = await person.presses_token(token)
                        pressed.append(token)
                    elif isinstance(action, Press) and pressed:
                        what = "replays a pressed button"
                        fresh = await person.presses_token(pressed[action.index % len(pressed)])
                    else:
                        token = action.token if isinstance(action, Forge) else "forged"
                        what = f"forges {token[:20]!r}"
                        fresh = await person.presses_token(token)
                    tally.inputs += 1
                    if not fresh:
                        tally.unanswered.append(what)
                    await check_step(bot, person, fresh, list(log.seen), what, tally)
            async with db.transaction() as conn:
                cursor = await conn.execute("PRAGMA integrity_check")
                check = await cursor.fetchone()
                cursor = await conn.execute("PRAGMA foreign_key_check")
                broken = await cursor.fetchall()
            assert check is not None and check[0] == "ok"
            assert not broken, [tuple(r) for r in broken]
        finally:
            await db.close()
    tally.sequences += 1


def run(content: Content, locale: str, admin: bool, sequence: list[Action], tally: Tally) -> None:
    asyncio.run(run_sequence(content, locale, admin, sequence, tally))
