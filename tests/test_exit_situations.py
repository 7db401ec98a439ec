"""The situation on leaving: a coordinator marks a participant as left, the participant gets
one optional question, only the chosen category is stored, and the report counts it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.i18n import renderer
from content import Content, load_content
from handlers.domain.report_math import PROTECTED
from storage import audit, exit_situations, memberships, personal_data, reports, users
from storage.db import Database
from tests.catalog_labels import shown
from tests.harness import Bot, Clock, Person

START = dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC)  # 25.11. 00.30 in Helsinki
EMPLOYED = "exit.answer_employment"
ANSWERS = [  # the label keys of the question's buttons
    "exit.answer_job_searching",
    "exit.answer_education",
    "exit.answer_qualification",
    EMPLOYED,
    "exit.answer_other",
    "exit.answer_none",
]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
async def bot(db: Database, content: Content) -> AsyncIterator[Bot]:
    async with Bot(db, content=content, clock=Clock(START)) as running:
        yield running


async def setup(bot: Bot, db: Database, participants: int = 2) -> tuple[Person, list[Person]]:
    coordinator = bot.person(1)
    people = [bot.person(10 + n) for n in range(participants)]
    for person in [coordinator, *people]:
        await person.says("/start")
    async with db.transaction() as conn:
        await memberships.add(conn, coordinator.user_id, "osmari", "coordinator", START)
        for n, person in enumerate(people):
            await memberships.add(conn, person.user_id, "osmari", "participant", START)
            await users.set_display_name(conn, person.user_id, f"Osallistuja {n} <b>")
    return coordinator, people


async def mark_left(coordinator: Person, name: str) -> None:
    await coordinator.says("/merkitse_lopettanut")
    await coordinator.presses(name)
    await coordinator.presses_key("exit.confirm_yes")


async def situation(db: Database, user_id: str) -> str | None:
    async with db.transaction() as conn:
        return await exit_situations.get(conn, user_id, "osmari")


async def test_marked_participant_is_asked_and_the_answer_is_counted(
    db: Database, bot: Bot
) -> None:
    coordinator, (leaver, stays) = await setup(bot, db)
    [choose] = await coordinator.says("/merkitse_lopettanut")
    assert choose.labels[:2] == ["Osallistuja 0 <b>", "Osallistuja 1 <b>"]
    assert choose.label_keys == ["exit.person_button", "exit.person_button", "exit.cancel_button"]
    [confirm] = await coordinator.presses("Osallistuja 0 <b>")
    asked = {"name": "Osallistuja 0 <b>", "project": "Osmari"}
    assert renderer().text("fi", "exit.confirm", asked) in confirm.html  # the name escaped
    [done] = await coordinator.presses_key("exit.confirm_yes")
    assert done.text == shown("exit.marked", name="Osallistuja 0 <b>", project="Osmari")
    question = leaver.last
    assert question.keys == ("exit.ask",) and "Osmari" in question.text
    assert question.label_keys == ANSWERS
    assert not any(m.shows("exit.ask") for m in stays.messages())
    async with db.transaction() as conn:
        active = await memberships.members(conn, "osmari", "participant")
        assert await audit.count(conn, "participant.mark_left") == 1
    assert [m.user_id for m in active] == [stays.user_id]
    thanks = (await leaver.presses_key(EMPLOYED))[-1]  # after the question, new to this person
    assert thanks.keys[0] == "exit.thanks"
    assert await situation(db, leaver.user_id) == "employment"
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT * FROM exit_situations")
        [row] = [dict(r) for r in await cursor.fetchall()]
        report = await reports.build(conn, "osmari", START)
    # only the category, the project and the local date are kept
    assert row == {
        "user_id": leaver.user_id,
        "project": "osmari",
        "situation": "employment",
        "consent": 1,
        "answered_on": "2026-11-25",
    }
    results = next(s for s in report.sections if s.key == "results")
    values = {m.key: m.value for m in results.metrics}
    assert values["told"] == PROTECTED and values["result_employment"] == PROTECTED


async def test_rather_not_say_stores_nothing_and_withdraws(db: Database, bot: Bot) -> None:
    coordinator, (leaver, _) = await setup(bot, db)
    await mark_left(coordinator, "Osallistuja 0 <b>")
    await leaver.presses_key("exit.answer_other")
    assert await situation(db, leaver.user_id) == "other"
    answer = (await leaver.presses_key("exit.answer_none"))[-1]
    assert answer.keys == ("exit.declined",)
    assert await situation(db, leaver.user_id) is None


async def test_only_someone_who_left_can_answer(db: Database, bot: Bot) -> None:
    coordinator, (leaver, _) = await setup(bot, db)
    await mark_left(coordinator, "Osallistuja 0 <b>")
    async with db.transaction() as conn:  # came back before answering
        await memberships.add(conn, leaver.user_id, "osmari", "participant", START)
    refused = (await leaver.presses_key("exit.answer_job_searching"))[-1]
    assert refused.keys[0] == "exit.not_left"
    assert await situation(db, leaver.user_id) is None


async def test_marking_left_needs_the_role_at_every_step(db: Database, bot: Bot) -> None:
    coordinator, (leaver, other) = await setup(bot, db)
    [unknown] = await other.says("/merkitse_lopettanut")  # not offered to participants
    assert unknown.keys[0] == "error.unknown_command"
    await coordinator.says("/merkitse_lopettanut")
    await coordinator.presses("Osallistuja 0 <b>")
    async with db.transaction() as conn:  # rights removed while the question is on screen
        await memberships.end(conn, coordinator.user_id, "osmari", "coordinator", START)
    [refused] = await coordinator.presses_key("exit.confirm_yes")
    assert refused.keys[0] == "error.not_allowed"
    async with db.transaction() as conn:
        active = await memberships.members(conn, "osmari", "participant")
    assert leaver.user_id in [m.user_id for m in active]


async def test_wrong_input_keeps_the_step_and_no_drops_the_change(db: Database, bot: Bot) -> None:
    coordinator, (leaver, _) = await setup(bot, db)
    await coordinator.says("/merkitse_lopettanut")
    [hint] = await coordinator.says("Osallistuja 0")
    assert hint.keys == ("exit.use_buttons", "exit.choose_person")  # the options again
    await coordinator.presses("Osallistuja 0 <b>")
    [kept] = await coordinator.presses_key("exit.confirm_no")
    assert kept.keys == ("exit.kept",)
    async with db.transaction() as conn:
        active = await memberships.members(conn, "osmari", "participant")
    assert leaver.user_id in [m.user_id for m in active]


async def test_forget_removes_the_answer(db: Database, bot: Bot) -> None:
    coordinator, (leaver, _) = await setup(bot, db)
    await mark_left(coordinator, "Osallistuja 0 <b>")
    await leaver.presses_key("exit.answer_job_searching")
    async with db.transaction() as conn:
        exported = await personal_data.export(conn, leaver.user_id, leaver.user_id)
        assert exported["exit_situations"][0]["situation"] == "job_searching"
        await personal_data.delete(conn, leaver.user_id, leaver.user_id)
    assert await situation(db, leaver.user_id) is None


async def test_report_counts_categories_with_protection(db: Database) -> None:
    async with db.transaction() as conn:
        for n in range(9):
            user_id = f"test:{n}"
            await users.touch(conn, user_id, user_id, locale="fi", now=START, private_chat=True)
            choice = "employment" if n < 6 else "education" if n < 8 else "other"
            await exit_situations.record(
                conn, user_id=user_id, project="osmari", situation=choice, on=START.date()
            )
        with pytest.raises(ValueError):
            await exit_situations.record(
                conn, user_id="test:0", project="osmari", situation="free text", on=START.date()
            )
        report = await reports.build(conn, "osmari", START)
    values = {m.key: m.value for s in report.sections for m in s.metrics}
    assert values["told"] == 9
    assert values["result_employment"] == 6
    assert values["result_education"] == PROTECTED
    assert values["result_job_searching"] == 0
