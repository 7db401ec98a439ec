"""Every multi-step flow has a way back and a way out (issue 13 item 3, "Done when").

One generic walk, driven by the flow declarations of the registry: it enters a flow the
way its people do (:data:`ENTRIES`, the only per-flow part), and at every step answers with
what the step declares it takes (the buttons of its families on offer, typed answers where
it takes text), looking for a move to a step of the flow it has not seen. For every such
move from step P to step S it proves:

- the question at S, where it takes typed text, ends with the line naming the ways back
  and out (``ways.hint_back``); at the first step it names the way out (``ways.hint_out``);
- the back word (``takaisin``) returns to P with P's data as it was, and asks P again;
- the same answer then leads to S again (the walk goes on from there);

and at the first step that back says there is nothing before it, and at the deepest step
reached that ``/peru`` ends the conversation. A move into a sub-flow is followed too (back
from its first question leads to the caller's question), so a flow that is only ever a
sub-flow (:data:`VIA`) is walked through its caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from handlers.core.flow import Call, Flow, Registry
from handlers.registry import build_registry
from storage import conversations
from storage.db import Database
from tests.harness import Delivered, Person
from tests.meeting_helpers import World, local, messages_to, world

MONDAY = local(2026, 11, 2, 10, 0)
OTHER_PROJECT = "osmari"
#: Flows whose first question the scheduler sends, not a prompt the person asked for: no
#: hint line there (the person did not start anything to get out of).
SENT = {"rating"}
BACK = "takaisin"
HINTS = ("ways.hint_back", "ways.hint_out")

Enter = Callable[[World], Awaitable[Person]]


async def _person(w: World, number: int = 1, *, participant: bool = False) -> Person:
    """One Person object per number and world (update ids must not repeat on re-entry)."""
    people: dict[int, Person] = w.__dict__.setdefault("_walk_people", {})
    if number not in people:
        if participant:
            people[number] = await w.participant(number)
        else:
            people[number] = w.bot.person(number)
            await people[number].says("/start")
    return people[number]


async def _menu(w: World, key: str) -> Person:
    person = await _person(w)
    await person.says("/valikko")
    await person.presses_key(key)
    return person


async def _coordinator_says(w: World, text: str) -> Person:
    coordinator = await w.coordinator()
    count = w.__dict__["_walk_entries"] = w.__dict__.get("_walk_entries", 0) + 1
    await _person(w, count, participant=True)  # one more each time (mark_left marks one)
    await coordinator.says(text)
    return coordinator


async def _new_meeting(w: World) -> Person:
    coordinator = await w.coordinator()
    await coordinator.says("/tapaamiset")
    await coordinator.presses_key("meetings.new")
    return coordinator


async def _rating(w: World) -> Person:
    maija = await _person(w, 1, participant=True)
    if "_walk_meeting" not in w.__dict__:
        w.__dict__["_walk_meeting"] = await w.meeting(local(2026, 11, 3, 13, 0))
        w.clock.advance(days=1, hours=6, minutes=1)  # the question after the meeting
        messages_to(maija, await w.tick())
    return maija


async def _leave(w: World) -> Person:
    maija = await _person(w, 1, participant=True)
    if "_walk_second" not in w.__dict__:  # in two projects: the first question is which
        w.__dict__["_walk_second"] = await w.participant(1, project=OTHER_PROJECT)
    await maija.says("/eroa")
    return maija


async def _faq(w: World) -> Person:
    person = await _person(w)
    await person.says("Mitä omarahoitus tarkoittaa?")
    return person


#: How each flow is entered (the conversation is then at one of its steps).
ENTRIES: dict[str, Enter] = {
    "idea": lambda w: _menu(w, "menu.idea"),
    "canjoin": lambda w: _menu(w, "menu.join"),
    "budget": lambda w: _menu(w, "menu.budget"),
    "plan": lambda w: _menu(w, "menu.plan_check"),
    "faq": _faq,
    "invite": lambda w: _coordinator_says(w, "/kutsu"),
    "meeting_new": _new_meeting,
    "rating": _rating,
    "leave": _leave,
    "broadcast": lambda w: _coordinator_says(w, "/tiedote"),
    "mark_left": lambda w: _coordinator_says(w, "/merkitse_lopettanut"),
}
#: Flows that are only ever entered as a sub-flow: walked through the caller named here.
VIA = {"contact": "canjoin"}

#: Typed answers tried, in this order, at a step that takes text (after its buttons).
TYPED = [
    "Testiryhmä",
    "35",
    "1000",
    "40",
    "12",
    "2",
    "1.12.2026",
    "13.00",
    "ti 1.12.2026 klo 13.00",
    "15.00",
    "Hei kaikki, tapaaminen on tiistaina.",
    "040 123 4567",
    "Mikkeli",
    "2026, 2027",
    "50, 50",
    "4",
    "kyllä",
]
MAX_TRIES = 40  # answers tried at one step before the walk stops there


@dataclass(frozen=True)
class Answer:
    text: str | None = None
    payload: str | None = None

    async def give(self, person: Person) -> list[Delivered]:
        if self.text is not None:
            return await person.says(self.text)
        assert self.payload is not None
        return await person.presses_payload(self.payload)


@dataclass
class Walk:
    """What one walk proved: the moves (flow, from step, to step) whose way back worked."""

    backs: set[tuple[str, str, str, str]] = field(default_factory=set)  # from flow, step, to
    hints: set[tuple[str, str]] = field(default_factory=set)
    firsts: set[str] = field(default_factory=set)  # flows where back at the start said so
    outs: set[str] = field(default_factory=set)  # flows /peru left


def multi_step_flows(registry: Registry) -> set[str]:
    """The flows where one question leads to another (of the flow, or of a sub-flow it
    calls); a flow of separate one-question entries (meeting_edit) has no step before."""
    return {
        name
        for name, flow in registry.flows.items()
        if any(
            (isinstance(target, str) and target != step) or isinstance(target, Call)
            for step, definition in flow.steps.items()
            for target in definition.goes_to or ()
        )
    }


async def state_of(person: Person) -> conversations.ConversationState | None:
    async with person.bot.db.transaction() as conn:
        return await conversations.load(conn, person.user_id, person.user_id)


def keys(messages: list[Delivered]) -> list[str]:
    return [key for message in messages for key in message.keys]


def question_keys(messages: list[Delivered]) -> list[str]:
    """The keys of the question asked, without the ways' own lines."""
    return [key for key in keys(messages) if not key.startswith("ways.")]


def candidates(flow: Flow, step: str, person: Person, registry: Registry) -> list[Answer]:
    """What the step declares it takes: its buttons in the newest message, then typed text."""
    definition = flow.steps[step]
    found: list[Answer] = []
    last = person.messages()[-1] if person.messages() else None
    for button in last.all_buttons() if last is not None else ():
        payload = button.payload
        if payload is None or registry.is_global(payload) or not definition.takes_button(payload):
            continue
        found.append(Answer(payload=payload))
    if definition.typed:
        found.extend(Answer(text=text) for text in TYPED)
    return found[:MAX_TRIES]


def _at(state: conversations.ConversationState | None) -> tuple[str, str] | None:
    return None if state is None else (state.flow, state.step)


async def walk(w: World, name: str, walk: Walk) -> None:
    registry = w.bot.registry
    person = await ENTRIES[name](w)
    arrived = [person.last]  # the first question (the helpers above have read it)
    state = await state_of(person)
    assert state is not None and state.flow == name, (name, _at(state), keys(arrived))
    depth = len(state.stack)
    # Where the flow is entered there is nothing to go back to: say so, stay.
    if registry.flows[name].steps[state.step].typed and name not in SENT:
        assert keys(arrived)[-1] in HINTS, (name, state.step, keys(arrived))
        walk.hints.add((name, state.step))
    said = await person.says(BACK)
    assert "ways.no_back" in keys(said), (name, state.step, keys(said))
    again = await state_of(person)
    assert again is not None and (again.flow, again.step, again.data) == (
        state.flow,
        state.step,
        state.data,
    )
    walk.firsts.add(name)
    if name not in SENT:  # (the scheduler asks once: /peru is tried at the end there)
        # The way out, from the first question; then in again.
        out = await person.says("/peru")
        assert "cancel.done" in keys(out) and await state_of(person) is None, keys(out)
        walk.outs.add(name)
        person = await ENTRIES[name](w)
        arrived = [person.last]
        entered = await state_of(person)
        assert entered is not None and _at(entered) == _at(state), (name, _at(entered))
        state = entered
    seen = {(state.flow, state.step)}
    path: list[Answer] = []  # the moves from the entry to where the walk stands
    leaving: set[tuple[str, str, Answer]] = set()  # answers that ended the flow there
    while True:
        flow = registry.flows[state.flow]
        moved = None
        for answer in candidates(flow, state.step, person, registry):
            if (state.flow, state.step, answer) in leaving:
                continue
            reply = await answer.give(person)
            after = await state_of(person)
            same_level = after is not None and len(after.stack) == len(state.stack)
            within = same_level and after is not None and after.flow == state.flow
            sub_flow = after is not None and len(after.stack) == len(state.stack) + 1
            if not within and not sub_flow:
                # The answer ended the flow (saved, sent, left): enter again, replay the way.
                leaving.add((state.flow, state.step, answer))
                person = await ENTRIES[name](w)
                arrived = [person.last]
                for step_answer in path:
                    arrived = await step_answer.give(person)
                replayed = await state_of(person)
                if _at(replayed) != _at(state):
                    await _out(person, name, walk)  # the flow cannot be entered again
                    return
                assert replayed is not None
                state = replayed
                continue
            assert after is not None
            if (after.flow, after.step, after.data) == (state.flow, state.step, state.data):
                continue  # not taken: the conversation stayed where it was
            if (after.flow, after.step) in seen:
                # Back is also the undo of a move the walk does not want.
                undo = await person.says(BACK)
                assert "ways.went_back" in keys(undo), (_at(state), answer, keys(undo))
                restored = await state_of(person)
                assert restored is not None and (restored.step, restored.data) == (
                    state.step,
                    state.data,
                ), (_at(state), answer)
                continue
            moved = (answer, after, reply)
            break
        if moved is None:
            break
        answer, after, reply = moved
        here, there = _at(state), _at(after)
        assert here is not None and there is not None
        # The question at the new step names the ways back and out.
        fresh = not after.back and not (after.stack and after.stack[-1].back)
        if registry.flows[after.flow].steps[after.step].typed:
            hint = "ways.hint_out" if fresh else "ways.hint_back"
            assert keys(reply)[-1] == hint, (here, there, keys(reply))
            walk.hints.add(there)
        if fresh:
            # Nothing to go back to, and the question said so: a step after which the answers
            # before were dropped on purpose (way_back=False), or one a global answer began
            # afresh (a rating typed or pressed is recorded at once, with its undo).
            back = await person.says(BACK)
            assert "ways.no_back" in keys(back), (here, there, keys(back))
            assert _at(await state_of(person)) == there
            walk.backs.add((*here, *there))
            arrived, state = reply, after
            path.append(answer)
            seen.add(there)
            continue
        # Back: the step before, with its data as it was, asked again.
        back = await person.says(BACK)
        returned = await state_of(person)
        assert returned is not None, (here, there)
        assert (returned.flow, returned.step, returned.data) == (
            state.flow,
            state.step,
            state.data,
        ), (here, there)
        assert keys(back)[0] == "ways.went_back", (here, there, keys(back))
        assert question_keys(back)[-1:] == question_keys(arrived)[-1:], (here, there)
        walk.backs.add((*here, *there))
        # The same answer leads there again; the walk goes on from there.
        arrived = await answer.give(person)
        state_now = await state_of(person)
        assert _at(state_now) == there, (here, there, answer, _at(state_now))
        assert state_now is not None
        state = state_now
        path.append(answer)
        seen.add(there)
        if len(state.stack) < depth:
            break
    await _out(person, name, walk)


async def _out(person: Person, name: str, walk: Walk) -> None:
    """The way out, from where the walk stands."""
    if await state_of(person) is not None:
        out = await person.says("/peru")
        if "cancel.confirm_budget" in keys(out):  # a budget with figures asks once first
            out = await person.says("/peru")
        assert "cancel.done" in keys(out), keys(out)
        assert await state_of(person) is None
        walk.outs.add(name)


@pytest.mark.parametrize("name", sorted(ENTRIES))
async def test_every_multi_step_flow_has_a_way_back_and_out(db: Database, name: str) -> None:
    proved = Walk()
    async with world(db, MONDAY) as w:
        await walk(w, name, proved)
    print(name, sorted(proved.backs))  # what was walked (pytest -s shows it)
    walked = {name} | {flow for flow, caller in VIA.items() if caller == name}
    for flow in walked:
        assert any(flow in (move[0], move[2]) for move in proved.backs), (flow, proved)
    assert name in proved.firsts and name in proved.outs, proved


def test_the_walk_knows_how_to_enter_every_multi_step_flow() -> None:
    """A new multi-step flow needs its entry here (or a caller in VIA) to be walked."""
    assert set(ENTRIES) | set(VIA) == multi_step_flows(build_registry())
    assert set(VIA.values()) <= set(ENTRIES)
