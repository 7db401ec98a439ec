"""Sub-flows (issue 12): a flow calls another with a return point, the callers are stored
with the conversation, and the contact request exists once, as the sub-flow that "Can I
join?" and the FAQ's "ask a person" call. Buttons are found by payload, texts by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from enum import StrEnum

import pytest

from bot import maintenance
from bot.markup import html_to_plain
from handlers.applicant import contact_request
from handlers.core.context import Context
from handlers.core.flow import END, TEXT, ButtonFamily, Call, Flow, Registry, Step
from handlers.core.types import Param
from handlers.registry import build_registry
from storage import buttons, contact_requests, conversations, memberships
from storage.db import Database
from tests.applicant_chat import rows, seed_content
from tests.harness import Bot, Clock, Delivered, Person

COORDINATOR = "test:50"
PROJECT = "kaveria-ei-jateta"
ON_SUBSIDY = "labour-market-subsidy"


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
async def bot(db: Database, clock: Clock) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content(), clock=clock) as running:
        yield running


def said(bot: Bot, key: str, **params: Param) -> str:
    return html_to_plain(bot.renderer.text("fi", key, dict(params)))


async def token_of(db: Database, chat_id: str, payload: str) -> str:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT token FROM buttons WHERE chat_id = ? AND payload = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (chat_id, payload),
        )
        row = await cursor.fetchone()
    assert row is not None, f"no button {payload!r} in {chat_id}"
    return str(row[0])


async def press(db: Database, person: Person, payload: str) -> list[Delivered]:
    return await person.presses_token(await token_of(db, person.user_id, payload))


async def state_of(db: Database, person: Person) -> conversations.ConversationState | None:
    async with db.transaction() as conn:
        return await conversations.load(conn, person.user_id, person.user_id)


async def store(db: Database, person: Person, state: conversations.ConversationState) -> None:
    async with db.transaction() as conn:
        await conversations.save(
            conn, person.user_id, person.user_id, state, dt.datetime.now(dt.UTC)
        )


async def coordinator_of(bot: Bot, db: Database, project: str) -> Person:
    coordinator = bot.person(50)
    await coordinator.says("/start")
    async with db.transaction() as conn:
        await memberships.add(conn, COORDINATOR, project, "coordinator", dt.datetime.now(dt.UTC))
    coordinator.new_messages()
    return coordinator


# --- the contact request, called by two flows ------------------------------------------------


def test_the_contact_steps_exist_once() -> None:
    registry = build_registry()
    contact = registry.flows[contact_request.FLOW]
    assert sorted(contact.steps) == ["consent", "contact"]
    for caller in ("faq", "canjoin"):
        flow = registry.flows[caller]
        assert not {"contact", "consent"} & set(flow.steps)
        calls = [
            target
            for step in flow.steps.values()
            for target in step.goes_to or ()
            if isinstance(target, Call)
        ]
        assert calls == [Call(contact_request.FLOW, END)], caller


async def test_ask_a_person_runs_in_the_sub_flow_and_returns(bot: Bot, db: Database) -> None:
    coordinator = await coordinator_of(bot, db, PROJECT)
    person = bot.person()
    await person.says("Saako kaverin tuoda mukaan?")
    await press(db, person, "q:ask")
    await press(db, person, f"q:p:{PROJECT}")
    state = await state_of(db, person)
    assert state is not None and (state.flow, state.step) == ("contact", "contact")
    assert [(f.flow, f.step) for f in state.stack] == [("faq", None)]  # returns to the end
    assert state.stack[0].data["question"] == "Saako kaverin tuoda mukaan?"
    assert state.data == {"project": PROJECT, "question": "Saako kaverin tuoda mukaan?"}
    [consent] = await person.says("maija@example.org")
    assert "maija@example.org" in consent.text
    state = await state_of(db, person)
    assert state is not None and state.step == "consent" and len(state.stack) == 1
    [sent] = await press(db, person, "q:send")
    assert sent.text.startswith(said(bot, "contact.sent", days=90))
    assert sent.text.endswith(said(bot, "menu.prompt"))  # the caller ended: the menu
    assert await state_of(db, person) is None
    [stored] = await rows(db, "SELECT kind, project, contact FROM contact_requests")
    assert stored == {"kind": "question", "project": PROJECT, "contact": "maija@example.org"}
    assert len(coordinator.new_messages()) == 1


async def test_cancel_inside_the_sub_flow_ends_the_caller_too(bot: Bot, db: Database) -> None:
    person = bot.person()
    await person.says("/start")
    await press(db, person, "go:canjoin")
    await press(db, person, f"j:p:{PROJECT}")
    await person.says("35")
    await press(db, person, "j:m:Mikkeli")
    await press(db, person, f"j:o:{ON_SUBSIDY}")
    state = await state_of(db, person)
    assert state is not None and state.step == "after"
    await press(db, person, "j:contact")
    state = await state_of(db, person)
    assert state is not None and state.flow == "contact"
    assert [(f.flow, f.step) for f in state.stack] == [("canjoin", None)]
    await person.says("/peru")
    assert await state_of(db, person) is None


async def test_a_conversation_stored_at_an_old_contact_step_resumes(bot: Bot, db: Database) -> None:
    """Before the sub-flow, "contact" and "consent" were steps of faq and canjoin; a
    conversation stored there by the old version goes on in the sub-flow after an upgrade."""
    coordinator = await coordinator_of(bot, db, PROJECT)
    person = bot.person()
    await person.says("/start")
    await store(
        db,
        person,
        conversations.ConversationState(
            "faq", "contact", {"question": "Mitä maksaa?", "faq": None, "project": PROJECT}
        ),
    )
    [consent] = await person.says("040 123")
    assert "040 123" in consent.text and "Mitä maksaa?" in consent.text
    await press(db, person, "q:send")
    [stored] = await rows(db, "SELECT kind, project, question, contact FROM contact_requests")
    assert stored == {
        "kind": "question",
        "project": PROJECT,
        "question": "Mitä maksaa?",
        "contact": "040 123",
    }
    assert len(coordinator.new_messages()) == 1
    assert await state_of(db, person) is None

    # A consent button the old version sent at faq's own consent step still works.
    async with db.transaction() as conn:
        state = conversations.ConversationState(
            "faq", "consent", {"question": "Entä lapset?", "project": PROJECT, "contact": "x 1"}
        )
        now = dt.datetime.now(dt.UTC)
        await conversations.save(conn, person.user_id, person.user_id, state, now)
        old = await buttons.issue(conn, person.user_id, "q:send", ("faq", "consent"), now)
    [sent] = await person.presses_token(old)
    assert sent.text.startswith(said(bot, "contact.sent", days=90))
    assert len(await rows(db, "SELECT * FROM contact_requests")) == 2

    # The old consent step of "Can I join?": its new buttons work.
    await store(
        db,
        person,
        conversations.ConversationState(
            "canjoin", "consent", {"project": PROJECT, "others": [], "contact": "maija"}
        ),
    )
    [asked] = await person.says("mitä?")  # typed at a step of buttons
    assert asked.text.startswith(said(bot, "applicant.use_buttons")) and asked.labels
    await person.says("/kieli")
    [consent] = await press(db, person, "lang:fi")  # the question again, with its buttons
    assert "maija" in consent.text
    [declined] = await press(db, person, "q:nosend")
    assert declined.text.startswith(said(bot, "contact.not_sent"))
    assert await state_of(db, person) is None


async def test_an_abandoned_contact_request_is_forgotten_after_a_day(
    bot: Bot, db: Database, clock: Clock
) -> None:
    """The sub-flow holds what the person typed (a contact, a question): like the flows that
    call it, it is deleted when left half-way (storage.contact_requests.PERSONAL_FLOWS)."""
    person = bot.person()
    await person.says("Saako kaverin tuoda mukaan?")
    await press(db, person, "q:ask")
    await press(db, person, f"q:p:{PROJECT}")
    await person.says("maija@example.org")  # then never comes back
    state = await state_of(db, person)
    assert state is not None and state.flow == "contact"
    later = clock.now + dt.timedelta(hours=contact_requests.ABANDONED_HOURS + 1)
    await maintenance.run_once(db, later)
    assert await state_of(db, person) is None


# --- the mechanism, on flows of this test -----------------------------------------------------


class T(StrEnum):
    ASK = "ask"
    AGAIN = "again"
    WHO = "who"


HELLO = ButtonFamily("hello")


async def _ask_prompt(ctx: Context) -> None:
    ctx.reply("menu.prompt")


async def _ask_handle(ctx: Context) -> None:
    ctx.call("who", return_to=T.AGAIN, asked=ctx.text)


async def _again_prompt(ctx: Context) -> None:
    ctx.reply("cancel.done")


async def _who_prompt(ctx: Context) -> None:
    ctx.reply("contact.ask", limit=1)


async def _who_handle(ctx: Context) -> None:
    assert ctx.data == {"asked": "hei"}  # the sub-flow's own data
    ctx.finish_subflow(name=ctx.text)


async def _end(ctx: Context) -> None:
    ctx.end()


def _registry() -> Registry:
    registry = build_registry()
    registry.add_flow(
        Flow(
            "outer",
            {
                T.ASK: Step(
                    _ask_prompt, _ask_handle, accepts={TEXT}, goes_to={Call("who", T.AGAIN)}
                ),
                T.AGAIN: Step(_again_prompt, _end, accepts={TEXT}, goes_to={END}),
            },
            T.ASK,
        )
    )
    registry.add_flow(
        Flow("who", {T.WHO: Step(_who_prompt, _who_handle, accepts={TEXT}, goes_to={END})}, T.WHO)
    )
    registry.validate()
    return registry


async def test_a_sub_flow_returns_to_the_callers_step_with_its_result(db: Database) -> None:
    registry = _registry()
    async with Bot(db, registry=registry) as bot:
        person = bot.person()
        await person.says("/start")
        await store(db, person, conversations.ConversationState("outer", "ask"))
        [who] = await person.says("hei")
        # the question, then the ways back (to the caller's question) and out
        assert who.keys == ("contact.ask", "ways.hint_back")
        assert who.text.startswith(said(bot, "contact.ask", limit=1))
        state = await state_of(db, person)
        assert state is not None and (state.flow, state.step) == ("who", "who")
        assert state.stack == [
            conversations.Frame("outer", "again", {}, [conversations.Visit("ask", {})])
        ]
    # The callers are in the database: a restarted bot returns the same way.
    async with Bot(db, registry=registry) as bot:
        person = bot.person()
        person._update = 100  # the update ids of the first run are recorded as seen
        [again] = await person.says("Maija")
        assert again.keys == ("cancel.done", "ways.hint_back")  # a typed step: the ways
        state = await state_of(db, person)
        assert state is not None and (state.flow, state.step, state.stack) == (
            "outer",
            "again",
            [],
        )
        assert state.data == {"name": "Maija"}
