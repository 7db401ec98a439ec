"""Every secret a person sends passes one gate: private chats only, limits first, one answer.

Participant invite codes (typed), deep-link tokens (``/start inv-…``) and coordinator codes
(``OHJ-…``) are refused in group chats with one neutral answer and never looked up there;
in a private chat the per-person and the global limit are checked before any code is
looked up; every refusal of a code looks the same; codes and tokens are stored only as
keyed hashes. Buttons are pressed by payload, answers compared with rendered catalog keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.markup import html_to_plain
from content import load_content
from handlers.core.types import Incoming
from storage import memberships
from storage.db import Database
from tests.catalog_labels import label
from tests.harness import Bot, Clock, Delivered, Person
from tests.meeting_helpers import ADMIN, COORDINATOR, PROJECT, World, local, world

START = local(2026, 11, 2, 10, 0)
CODE = re.compile(r"\b(?:[A-Z0-9]{4}-){1,3}[A-Z0-9]{4}\b")
COORDINATOR_CODE = re.compile(r"\bOHJ(?:-[A-Z0-9]{4}){2,3}\b")
TOKEN = re.compile(r"start=(inv-[A-Za-z0-9_-]+)")


# --- helpers ---------------------------------------------------------------------------------
def text_of(w: World, key: str, **params: object) -> str:
    return html_to_plain(w.bot.renderer.text("fi", key, params))  # type: ignore[arg-type]


TELEGRAM_ADMIN = "telegram:99"


@asynccontextmanager
async def telegram_world(db: Database) -> AsyncIterator[World]:
    """Everyone on Telegram: the in-memory transport delivers ``telegram:`` chats and the
    bot knows its name, so that invites come with a deep link."""
    clock = Clock(START.astimezone(dt.UTC))
    admins = frozenset({TELEGRAM_ADMIN})
    async with Bot(db, admins=admins, clock=clock, content=load_content()) as bot:
        bot.transport.name = "telegram"
        bot.services.extras["telegram.username"] = "hanke_bot"
        yield World(bot, clock)


def guess(number: int) -> str:
    """A made-up participant code (a different one for every number)."""
    return "GGGG-HHHH-" + "".join("ABCDEFGHJK"[int(digit)] for digit in f"{number:04d}")


async def press_payload(w: World, person: Person, payload: str) -> list[Delivered]:
    rows = await w.rows(
        "SELECT token FROM buttons WHERE chat_id = ? AND payload = ? ORDER BY rowid",
        person.user_id,
        payload,
    )
    assert rows, (payload, [m.text[:40] for m in person.messages()])
    return await person.presses_token(str(rows[-1][0]))


async def coordinator_on(w: World, platform: str = "test") -> Person:
    person = Person(w.bot, f"{platform}:{COORDINATOR}", "fi")
    await person.says("/start")
    async with w.db.transaction() as conn:
        await memberships.add(conn, person.user_id, PROJECT, "coordinator", w.clock())
    person.new_messages()
    return person


async def participant_invite(w: World, coordinator: Person) -> tuple[str, str | None]:
    """A many-use invite for 30 days: the code and (on Telegram) the deep-link token."""
    await coordinator.says("/kutsu")
    await press_payload(w, coordinator, "g:")
    await press_payload(w, coordinator, "u:many")
    [ready] = await press_payload(w, coordinator, "d:30")
    code = CODE.search(ready.text)
    assert code is not None, ready.text
    token = TOKEN.search(ready.html)
    return code.group(0), token.group(1) if token else None


async def coordinator_code(w: World, admin: Person) -> tuple[str, str]:
    """A coordinator code made by the administrator: the code and its whole answer."""
    made = (await admin.says(f"/ohjaajakutsu {PROJECT}"))[-1]  # after any earlier notices
    found = COORDINATOR_CODE.search(made.text)
    assert found is not None, made.text
    return found.group(0), made.html


async def is_coordinator(w: World, user_id: str) -> bool:
    async with w.db.transaction() as conn:
        rows = await memberships.active_for(conn, user_id)
    return any(m.role == "coordinator" and m.project == PROJECT for m in rows)


async def in_consent(w: World, user_id: str) -> bool:
    rows = await w.rows(
        "SELECT COUNT(*) FROM conversations WHERE user_id = ? AND flow = 'enrol'", user_id
    )
    return rows[0][0] == 1


class Group:
    """A group chat the bot is in; everyone can write there."""

    def __init__(self, w: World, chat_id: str) -> None:
        self.w = w
        self.chat_id = chat_id
        self._update = 0

    async def says(self, user_id: str, text: str) -> list[Delivered]:
        self._update += 1
        before = len(self.w.bot.transport.delivered)
        await self.w.bot.dispatcher.handle(
            Incoming(
                user_id=user_id,
                chat_id=self.chat_id,
                text=text,
                locale_hint="fi",
                update_key=f"{self.chat_id}:{self._update}",
                is_group_chat=True,
            )
        )
        await self.w.bot.worker.drain(timeout=10)
        return [m for m in self.w.bot.transport.delivered[before:] if m.chat_id == self.chat_id]


async def dump(db: Database) -> str:
    """Every value of every row of every table, blobs decoded, one per line."""
    values: list[str] = []
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [str(row[0]) for row in await cursor.fetchall()]
        for table in tables:
            cursor = await conn.execute(f'SELECT * FROM "{table}"')
            for row in await cursor.fetchall():
                for value in tuple(row):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    values.append(f"{table}: {value}")
    return "\n".join(values)


def needles(secret: str) -> set[str]:
    """The secret as people might type it or a program might store it."""
    bare = secret.replace("-", "")
    return {form.casefold() for form in (secret, bare, secret.removeprefix("inv-"))}


# --- the limiter comes first -------------------------------------------------------------------
async def test_a_limited_person_with_a_valid_coordinator_code_stays_an_applicant(
    db: Database,
) -> None:
    async with world(db, START) as w:
        admin = Person(w.bot, ADMIN, "fi")
        code, _ = await coordinator_code(w, admin)
        guesser = w.bot.person(1)
        for guess in ("AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB", "OHJ-CCCC-CCCC-CCCC", "DDDD", "x"):
            [wrong] = await guesser.says(f"/liity {guess}")
            assert wrong.text == text_of(w, "enrol.invalid"), guess
        for attempt in (f"/liity {code}", f"/start {code}", f"liity {code.lower()}"):
            [limited] = await guesser.says(attempt)
            assert limited.text == text_of(w, "enrol.too_many"), attempt
            assert not await is_coordinator(w, guesser.user_id)
        # The code was not used up: after the hour it works.
        w.clock.advance(hours=1, seconds=1)
        await guesser.says(f"/liity {code}")
        assert await is_coordinator(w, guesser.user_id)


async def test_a_burst_of_wrong_codes_from_many_accounts_pauses_everyones_attempts(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with world(db, START) as w:
        coordinator = await coordinator_on(w)
        code, _ = await participant_invite(w, coordinator)
        guesses = [guess(n) for n in range(30)]
        for number, wrong_code in enumerate(guesses, start=100):
            await w.bot.person(number).says(f"liity {wrong_code}")  # one wrong code per account
        latecomer = w.bot.person(31)
        [paused] = await latecomer.says(f"liity {code}")
        assert not await in_consent(w, latecomer.user_id), paused.text
        answer = paused.text
        assert answer not in (text_of(w, "enrol.invalid"),)
        # The same kind answer for every kind of code, valid or not, for everyone.
        admin = Person(w.bot, ADMIN, "fi")
        coordinator_secret, _ = await coordinator_code(w, admin)
        for attempt in (f"/liity {coordinator_secret}", "/liity ZZZZ-ZZZZ-ZZZZ", f"/start {code}"):
            [same] = await latecomer.says(attempt)
            assert same.text == answer, attempt
        assert not await is_coordinator(w, latecomer.user_id)
        # It is logged, with counts only: no codes, no people.
        paused_lines = [r.getMessage() for r in caplog.records if "paused" in r.getMessage()]
        assert paused_lines, [r.getMessage() for r in caplog.records]
        assert any("30" in line for line in paused_lines), paused_lines
        every_line = "\n".join(r.getMessage() for r in caplog.records).casefold()
        for secret in (code, coordinator_secret, *guesses):
            for form in needles(secret):
                assert form not in every_line, form
        assert not any("test:" in line for line in paused_lines), paused_lines
        # A while later (the 10 minutes' window has passed) the right code works again,
        # and the latecomer has no wrong codes of their own.
        w.clock.advance(minutes=11)
        [consent] = await latecomer.says(f"liity {code}")
        assert await in_consent(w, latecomer.user_id), consent.text


async def test_a_restart_keeps_both_limits(tmp_path: Path) -> None:
    path = tmp_path / "restart.sqlite3"
    first = await Database.open(path)
    try:
        async with world(first, START) as w:
            coordinator = await coordinator_on(w)
            code, _ = await participant_invite(w, coordinator)
            guesser = w.bot.person(7)
            for number in range(5):
                await guesser.says(f"liity {guess(1000 + number)}")
            for number in range(100, 125):  # 25 more wrong codes: 30 from everyone
                await w.bot.person(number).says(f"liity {guess(number)}")
    finally:
        await first.close()
    later = START + dt.timedelta(minutes=2)
    second = await Database.open(path)
    try:
        async with world(second, later) as w:
            latecomer = w.bot.person(31)
            [paused] = await latecomer.says(f"liity {code}")
            assert not await in_consent(w, latecomer.user_id), paused.text
            w.clock.advance(minutes=11)  # the burst is over; the guesser's hour is not
            [consent] = await latecomer.says(f"liity {code}")
            assert await in_consent(w, latecomer.user_id), consent.text
            guesser = w.bot.person(7)
            guesser._update = 100  # its update ids before the restart are remembered as seen
            [limited] = await guesser.says(f"liity {code}")
            assert limited.text == text_of(w, "enrol.too_many")
    finally:
        await second.close()


# --- one answer wherever a code is refused ------------------------------------------------------
async def test_expired_used_and_guessed_codes_of_every_kind_get_one_answer(db: Database) -> None:
    async with world(db, START) as w:
        admin = Person(w.bot, ADMIN, "fi")
        used, _ = await coordinator_code(w, admin)
        await w.bot.person(1).says(f"/liity {used}")
        assert await is_coordinator(w, "test:1")
        expired, _ = await coordinator_code(w, admin)
        w.clock.advance(days=7, seconds=1)
        answers: dict[str, str] = {}
        person = w.bot.person(2)
        for name, attempt in (
            ("used coordinator code", f"/liity {used}"),
            ("expired coordinator code", f"/liity {expired}"),
            ("guessed coordinator code", "/liity OHJ-ABCD-EFGH-JKLM"),
            ("guessed participant code", "liity ABCD-EFGH-JKLM"),
        ):
            [answer] = await person.says(attempt)
            answers[name] = answer.text
        assert set(answers.values()) == {text_of(w, "enrol.invalid")}, answers
        assert not await is_coordinator(w, person.user_id)


async def test_in_a_group_every_code_gets_one_answer_and_still_works_in_private(
    db: Database,
) -> None:
    async with telegram_world(db) as w:
        coordinator = await coordinator_on(w, "telegram")
        code, token = await participant_invite(w, coordinator)
        assert token is not None
        admin = Person(w.bot, TELEGRAM_ADMIN, "fi")
        await admin.says("/start")
        coordinator_secret, _ = await coordinator_code(w, admin)
        group = Group(w, "telegram:-100")
        person = "telegram:5"
        answers: dict[str, str] = {}
        for name, attempt in (
            ("valid code", f"/liity {code}"),
            ("valid code typed", f"liity {code.lower()}"),
            ("valid code by link", f"/start {token}"),
            ("valid coordinator code", f"/liity {coordinator_secret}"),
            ("coordinator code by link", f"/start {coordinator_secret}"),
            ("invalid code", "/liity ABCD-EFGH-JKLM"),
            ("invalid token", "/start inv-AAAAAAAAAAAAAAAAAAAAAAAA"),
            ("invalid coordinator code", "/liity OHJ-ABCD-EFGH-JKLM"),
            ("not a code", "/liity <b>hei</b>"),
            ("asking for the code", "/liity"),
        ):
            [answer] = await group.says(person, attempt)
            answers[name] = answer.html
        assert len(set(answers.values())) == 1, answers
        assert html_to_plain(answers["valid code"]) == text_of(w, "codes.private_only")
        assert not await is_coordinator(w, person)
        assert await w.rows("SELECT COUNT(*) FROM invite_failures") == [(0,)]
        # Nothing was used up and no wrong code counted: in private all of them work.
        private = Person(w.bot, person, "fi")
        await private.says(f"/start {token}")
        assert await in_consent(w, person)
        await private.says("/peru")
        await private.says(f"liity {code}")
        assert await in_consent(w, person)
        await private.says("/peru")
        await private.says(f"/liity {coordinator_secret}")
        assert await is_coordinator(w, person)


async def test_invites_are_made_only_in_private_chats(db: Database) -> None:
    async with world(db, START) as w:
        coordinator = await coordinator_on(w)
        group = Group(w, "test:-100")
        private_only = {text_of(w, "privacy.private_only"), text_of(w, "coord.private_only")}
        for who, attempt in (
            (coordinator.user_id, "/kutsu"),
            (ADMIN, "/ohjaajakutsu"),
            (ADMIN, f"/ohjaajakutsu {PROJECT}"),
            (ADMIN, "/ohjaajakutsu ei-tallaista"),
        ):
            [answer] = await group.says(who, attempt)
            assert answer.text in private_only, (attempt, answer.text)
            assert answer.buttons == [], attempt
        rows = await w.rows("SELECT COUNT(*) FROM coordinator_invites")
        assert rows[0][0] == 0
        rows = await w.rows("SELECT COUNT(*) FROM invites")
        assert rows[0][0] == 0


# --- stored only as keyed hashes, strong enough ---------------------------------------------------
async def test_no_code_or_token_is_stored_in_clear(db: Database) -> None:
    async with telegram_world(db) as w:
        coordinator = await coordinator_on(w, "telegram")
        code, token = await participant_invite(w, coordinator)
        assert token is not None
        admin = Person(w.bot, TELEGRAM_ADMIN, "fi")
        await admin.says("/start")
        used, made = await coordinator_code(w, admin)
        assert f"https://t.me/hanke_bot?start={used.replace('-', '')}" in made
        unused, _ = await coordinator_code(w, admin)
        joining = Person(w.bot, "telegram:5", "fi")
        await joining.says(f"/start {token}")
        await press_payload(w, joining, "yes")
        await Person(w.bot, "telegram:6", "fi").says(f"liity {code}")
        await Person(w.bot, "telegram:7", "fi").says(f"/start {used.replace('-', '')}")
        assert await is_coordinator(w, "telegram:7")
        await Group(w, "telegram:-100").says("telegram:8", f"/liity {unused}")
        everything = (await dump(w.db)).casefold()
        for secret in (code, token, used, unused):
            for form in needles(secret):
                assert form not in everything, (secret, form)


def test_codes_are_sixty_bits_in_groups_people_can_type() -> None:
    from storage import coordinator_invites, invites

    participant = invites.format_code(invites.new_code())
    coordinator = coordinator_invites.display(coordinator_invites.new_code())
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", participant), participant
    assert re.fullmatch(r"OHJ-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", coordinator), coordinator
    assert len(invites.CODE_ALPHABET) == 32 and invites.CODE_LENGTH == 12  # 12 × 5 = 60 bits
    assert not set("IO01") & set(invites.CODE_ALPHABET)
    # Any case, spaces and dashes: the same code.
    bare = participant.replace("-", "")
    for typed in (participant.lower(), f" {bare[:6]} {bare[6:]} ", bare):
        assert invites.normalise_code(typed) == bare, typed
    assert coordinator_invites.normalise(coordinator.lower().replace("-", " ")) is not None


async def test_old_plain_codes_are_hashed_by_the_migration(tmp_path: Path) -> None:
    """A database from before the keyed hashes: participant invites keep working (hashed);
    coordinator codes stored as unsalted SHA-256 can no longer be used."""
    from storage.db import migration_scripts

    path = tmp_path / "old.sqlite3"
    now = START.astimezone(dt.UTC)
    stamp = now.isoformat(timespec="microseconds")
    later = (now + dt.timedelta(days=5)).isoformat(timespec="microseconds")
    old_coordinator = "OHJK7QMP3XA"
    with sqlite3.connect(path) as conn:
        for version, _, sql in migration_scripts():
            if version > 9:
                break
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        conn.execute(
            "INSERT INTO invites (project, grp, code, token, max_uses, expires_at, created_at)"
            " VALUES (?, NULL, 'K7QMP3XA', 'inv-OldTokenOldTokenOldToken', NULL, ?, ?)",
            (PROJECT, later, stamp),
        )
        conn.execute(
            "INSERT INTO coordinator_invites (code_hash, project, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (hashlib.sha256(old_coordinator.encode()).hexdigest(), PROJECT, ADMIN, stamp, later),
        )
        conn.execute(
            "INSERT INTO coordinator_invites (code_hash, project, created_by, created_at,"
            " expires_at, used_by, used_at) VALUES (?, ?, ?, ?, ?, 'test:3', ?)",
            (hashlib.sha256(b"OHJAAAAAAAA").hexdigest(), PROJECT, ADMIN, stamp, later, stamp),
        )
    db = await Database.open(path)
    try:
        everything = (await dump(db)).casefold()
        for secret in ("K7QMP3XA", "inv-OldTokenOldTokenOldToken"):
            for form in needles(secret):
                assert form not in everything, form
        assert hashlib.sha256(old_coordinator.encode()).hexdigest() not in everything
        async with world(db, START) as w:
            [consent] = await w.bot.person(1).says("liity k7qm-p3xa")
            assert await in_consent(w, "test:1"), consent.text
            await w.bot.person(2).says("/start inv-OldTokenOldTokenOldToken")
            assert await in_consent(w, "test:2")
            [refused] = await w.bot.person(4).says("/liity OHJ-K7QM-P3XA")
            assert refused.text == text_of(w, "enrol.invalid")
            assert not await is_coordinator(w, "test:4")
            used = await w.rows("SELECT used_by FROM coordinator_invites WHERE used_by IS NOT NULL")
            assert used == [("test:3",)]  # who became a coordinator with an old code stays
    finally:
        await db.close()


async def test_a_queued_code_is_emptied_when_its_chat_becomes_unreachable(db: Database) -> None:
    """The message that shows a code is emptied when it is delivered or fails; also when the
    person blocked the bot while it was still waiting behind another message."""
    from storage import outbox

    now = START.astimezone(dt.UTC)
    shown = "Koodi: <code>K7QM-P3XA-9HTD</code>"
    async with db.transaction() as conn:
        await outbox.enqueue(conn, chat_id="test:1", user_id="test:1", html="Hei", now=now)
        await outbox.enqueue(
            conn,
            chat_id="test:1",
            user_id="test:1",
            html=shown,
            now=now,
            buttons=[[(label("enrol.revoke"), "inv:revoke:1")]],
        )
        await outbox.unreachable_chat(conn, "test:1", "Forbidden", now)
    everything = (await dump(db)).casefold()
    for form in needles("K7QM-P3XA-9HTD"):
        assert form not in everything, form


async def test_a_question_at_the_code_prompt_leaves_it_and_is_no_wrong_code(db: Database) -> None:
    """Issue 13 item 3: text that is clearly not a code (a question, several words) leaves
    the /liity prompt and is answered as free text; it never counts as a wrong code."""
    async with world(db, local(2026, 11, 2, 10, 0)) as w:
        person = w.bot.person(7)
        await person.says("/start")
        for question in ["mikä on flat rate?", "en tiedä mikä koodi", "Mitä omarahoitus on?"] * 2:
            [prompt] = await person.says("/liity")
            assert prompt.keys == ("enrol.ask_code", "ways.hint_out")
            answer = await person.says(question)
            shown = [key for message in answer for key in message.keys]
            assert "enrol.invalid" not in shown and "enrol.too_many" not in shown, shown
            assert await w.rows("SELECT flow FROM conversations WHERE flow = 'join'") == []
        assert await w.rows("SELECT * FROM code_failures_recent") == []
        # A mistyped code (one word) is still a wrong code, and the prompt stays.
        await person.says("/liity")
        [wrong] = await person.says("K7QM-P3XA")
        assert wrong.keys == ("enrol.invalid",)
        assert await w.rows("SELECT flow FROM conversations") == [("join",)]
