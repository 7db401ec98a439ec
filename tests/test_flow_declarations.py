"""Every flow is a checked declaration (issue 12): its steps, what each step accepts and
where it may go. One generic walk over all registered flows finds a wrong step name, a
flow that is not registered, a step nobody reaches and a move a step's code makes but its
declaration does not list; the runtime half (a move that is not declared fails, typed
text at a step that takes only buttons gets the flow's answer) runs through the
dispatcher."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType
from typing import Any

import pytest

from bot.markup import html_to_plain
from handlers.core.context import Context
from handlers.core.flow import (
    END,
    TEXT,
    ButtonFamily,
    Call,
    Flow,
    FlowDeclarationError,
    FlowRef,
    Registry,
    Step,
    Target,
)
from handlers.registry import build_registry
from storage import conversations
from storage.db import Database
from tests.harness import Bot

ROOT = Path(__file__).resolve().parent.parent


async def _nothing(ctx: Context) -> None:
    return None


# --- the declarations of every registered flow --------------------------------------------------


def test_every_registered_flow_passes_the_checks() -> None:
    registry = build_registry()  # validates
    assert registry.problems() == []
    for flow in registry.flows.values():
        for name, step in flow.steps.items():
            assert step.declared, f"{flow.name}.{name}"
        assert registry.reachable(flow) == set(flow.steps), flow.name


def test_step_names_stored_in_conversations_stay_the_same() -> None:
    """Conversations in flight resume after an upgrade: flow and step names are persisted,
    so renaming one is a migration, not a refactoring."""
    flows = {name: sorted(flow.steps) for name, flow in build_registry().flows.items()}
    assert flows == {
        "idea": sorted(
            ["applicant", "region", "groups", "actions", "continuity", "cofinancing", "employers"]
        ),
        "canjoin": ["after", "project", "question"],
        "plan": sorted(
            [
                "participants",
                "target_group",
                "job_search",
                "education",
                "qualification",
                "employment",
                "promised_employment_percent",
                "promised_education_percent",
            ]
        ),
        "reply_reason": ["ask"],
        "budget": sorted(
            [
                "model",
                "staff_mode",
                "staff_total",
                "line_title",
                "line_side",
                "line_pay_kind",
                "line_monthly",
                "line_percent",
                "line_months",
                "line_hourly",
                "line_hours",
                "lines",
                "pick_line",
                "income",
                "applicant",
                "eu",
                "eu_typed",
                "rows",
                "row_typed",
                "own",
                "own_typed",
                "split",
                "years",
                "names",
                "method",
                "weights",
                "amounts",
                "summary",
            ]
        ),
        "faq": ["answer", "project"],
        "contact": ["consent", "contact"],
        "ask": ["type"],
        "forget": ["confirm"],
        "invite": ["group", "project", "uses", "validity"],
        "enrol": ["consent"],
        "meeting_new": sorted(
            [
                "project",
                "audience",
                "person",
                "repeat",
                "anchor",
                "start",
                "end",
                "duration",
                "title",
                "place",
                "note",
                "confirm",
            ]
        ),
        "meeting_edit": ["confirm", "value"],
        "meeting_new_time": ["when"],
        "rating": ["comment", "score", "sign"],
        "leave": ["choose", "confirm"],
        "broadcast": sorted(["project", "audience", "text", "preview", "when", "confirm_time"]),
        "mark_left": ["confirm", "person", "project"],
        "join": ["code"],
        "answer": ["text"],
    }


# --- what the code of each step does, read from its source -------------------------------------


def _source_tree(function: Callable[..., Any]) -> ast.AST | None:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    return ast.parse(textwrap.dedent(source))


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    """The value of a name, ``module.name`` or ``Enum.MEMBER`` in ``scope``; None if unknown."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        return getattr(owner, node.attr, None) if owner is not None else None
    if isinstance(node, ast.Subscript):  # _NEXT[step], with step a closure's variable
        owner, key = _resolve(node.value, scope), _resolve(node.slice, scope)
        try:
            return owner[key] if owner is not None and key is not None else None
        except (KeyError, TypeError, IndexError):
            return None
    return None


def _values(node: ast.expr, scope: dict[str, Any]) -> list[Any]:
    """Both branches of ``A if c else B``; otherwise the one value (None: unknown)."""
    if isinstance(node, ast.IfExp):
        return _values(node.body, scope) + _values(node.orelse, scope)
    return [_resolve(node, scope)]


def _moves(function: Callable[..., Any], seen: set[Any] | None = None) -> Iterator[Target]:
    """The moves ``function`` and the project functions it calls make: goto, end, begin,
    call and finish_subflow on ``ctx``."""
    seen = set() if seen is None else seen
    if function in seen:
        return
    seen.add(function)
    tree = _source_tree(function)
    if tree is None:
        return
    scope: dict[str, Any] = dict(getattr(function, "__globals__", {}))
    if isinstance(function, FunctionType):
        scope.update(inspect.getclosurevars(function).nonlocals)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "ctx"
        ):
            method = target.attr
            if method == "goto" and node.args:
                for value in _values(node.args[0], scope):
                    if isinstance(value, str):
                        yield str(value)
            elif method in ("end", "finish_subflow"):
                yield END
            elif method == "begin" and node.args:
                name = _resolve(node.args[0], scope)
                if isinstance(name, str):
                    yield FlowRef(name)
            elif method == "call" and node.args:
                name = _resolve(node.args[0], scope)
                back = next((k.value for k in node.keywords if k.arg == "return_to"), None)
                for value in _values(back, scope) if back is not None else []:
                    if isinstance(name, str) and value is not None:
                        yield Call(name, value if value is END else str(value))
            continue
        called = _resolve(target, scope)
        if isinstance(called, FunctionType) and called.__module__.startswith(
            ("handlers.", "tests.")
        ):
            yield from _moves(called, seen)


def _families_sent(
    function: Callable[..., Any], seen: set[Any] | None = None
) -> Iterator[ButtonFamily]:
    """The button families ``function`` and the project functions it calls build buttons of
    (``FAMILY.button(...)``, ``FAMILY.sub("x").button(...)``)."""
    seen = set() if seen is None else seen
    if function in seen:
        return
    seen.add(function)
    tree = _source_tree(function)
    if tree is None:
        return
    scope: dict[str, Any] = dict(getattr(function, "__globals__", {}))
    if isinstance(function, FunctionType):
        scope.update(inspect.getclosurevars(function).nonlocals)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Attribute) and target.attr == "button":
            owner = target.value
            if (
                isinstance(owner, ast.Call)
                and isinstance(owner.func, ast.Attribute)
                and owner.func.attr == "sub"
                and owner.args
            ):
                base, name = _resolve(owner.func.value, scope), _resolve(owner.args[0], scope)
                family = base.sub(name) if isinstance(base, ButtonFamily) and name else None
            else:
                family = _resolve(owner, scope)
            if isinstance(family, ButtonFamily):
                yield family
            continue
        called = _resolve(target, scope)
        if isinstance(called, FunctionType) and called.__module__.startswith(
            ("handlers.", "tests.")
        ):
            yield from _families_sent(called, seen)


def _steps() -> Iterator[tuple[Flow, str, Step]]:
    for flow in build_registry().flows.values():
        for name, step in flow.steps.items():
            yield flow, name, step


@pytest.mark.parametrize(
    ("flow", "name", "step"),
    [pytest.param(*item, id=f"{item[0].name}.{item[1]}") for item in _steps()],
)
def test_every_move_a_step_makes_is_declared(flow: Flow, name: str, step: Step) -> None:
    """What a step's prompt and handle (and the functions they call) do to the conversation
    is in its ``goes_to``: a missing transition fails here, not in production."""
    assert step.goes_to is not None
    made = set(_moves(step.prompt)) | set(_moves(step.handle))
    missing = {move for move in made if move not in step.goes_to}
    assert not missing, f"{flow.name}.{name} moves to {missing} without declaring it"


def _branches(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.IfExp):
        return _branches(node.body) + _branches(node.orelse)
    return [node]


@pytest.mark.parametrize(
    ("flow", "name", "step"),
    [pytest.param(*item, id=f"{item[0].name}.{item[1]}") for item in _steps()],
)
def test_every_button_a_step_sends_is_taken(flow: Flow, name: str, step: Step) -> None:
    """A button a step's prompt or handle sends is of a global family or of one the step
    (or a step it goes to) takes: no button is sent that nobody answers."""
    registry = build_registry()
    takers = [step] + [
        flow.steps[str(target)] for target in step.goes_to or () if isinstance(target, str)
    ]
    sent = set(_families_sent(step.prompt)) | set(_families_sent(step.handle))
    nobody = {
        family.prefix
        for family in sent
        if not registry.is_global(family.prefix)
        and not any(f.matches(family.prefix) for s in takers for f in s.families)
    }
    assert not nobody, f"{flow.name}.{name} sends buttons {nobody} that no step takes"


def test_the_walk_sees_the_buttons_a_prompt_builds() -> None:
    from handlers.applicant import faq, join_check

    answer = build_registry().flows["faq"].steps["answer"]
    assert {f.prefix for f in _families_sent(answer.prompt)} >= {"q:yes", "q:no", "q:ask"}
    assert join_check.ASK_CONTACT in set(_families_sent(join_check._after_prompt))
    assert faq.PROJECT in set(_families_sent(faq._project_prompt))


def test_no_step_is_named_by_a_string_literal_in_a_goto() -> None:
    """Steps are named by their flow's enum (``ctx.goto(S.CONFIRM)``), which mypy checks."""
    found = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "goto"
                and node.args
                and any(isinstance(n, ast.Constant) for n in _branches(node.args[0]))
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_walk_sees_moves_through_helpers_and_both_branches() -> None:
    """The source walk above, on a step of this module."""
    assert set(_moves(_a_step_with_helpers)) == {"a", "b", END, FlowRef("other")}


class _Steps:
    A = "a"
    B = "b"


_OTHER = "other"


def _helper(ctx: Context) -> None:
    ctx.goto(_Steps.A if ctx.text else _Steps.B)


async def _a_step_with_helpers(ctx: Context) -> None:
    _helper(ctx)
    if ctx.payload:
        ctx.begin(_OTHER)
    ctx.end()


# --- the checks themselves -----------------------------------------------------------------------


def test_a_wrong_step_name_fails_when_the_flow_is_made() -> None:
    with pytest.raises(FlowDeclarationError, match="'confrim'"):
        Flow(
            "f",
            {"ask": Step(_nothing, _nothing, accepts={TEXT}, goes_to={"confrim"})},
            "ask",
        )
    with pytest.raises(FlowDeclarationError, match="first step"):
        Flow("f", {"ask": Step(_nothing, _nothing, accepts={TEXT}, goes_to={END})}, "asked")


def test_a_step_of_only_buttons_needs_the_flows_answer_to_typed_text() -> None:
    yes = ButtonFamily("yes")
    with pytest.raises(FlowDeclarationError, match="use_buttons"):
        Flow("f", {"ask": Step(_nothing, _nothing, accepts={yes}, goes_to={END})}, "ask")
    Flow(
        "f",
        {"ask": Step(_nothing, _nothing, accepts={yes}, goes_to={END})},
        "ask",
        use_buttons="applicant.use_buttons",
    )


def _registry_with(*flows: Flow) -> Registry:
    registry = Registry()
    for flow in flows:
        registry.add_flow(flow)
    return registry


def test_the_registry_refuses_what_one_flow_cannot_see() -> None:
    ask = Step(_nothing, _nothing, accepts={TEXT}, goes_to={FlowRef("nowhere")})
    with pytest.raises(FlowDeclarationError, match="nowhere"):
        _registry_with(Flow("f", {"ask": ask}, "ask")).validate()
    lonely = {
        "ask": Step(_nothing, _nothing, accepts={TEXT}, goes_to={END}),
        "lost": Step(_nothing, _nothing, accepts={TEXT}, goes_to={END}),
    }
    with pytest.raises(FlowDeclarationError, match="lost"):
        _registry_with(Flow("f", lonely, "ask")).validate()
    undeclared = {"ask": Step(_nothing, _nothing)}
    with pytest.raises(FlowDeclarationError, match="does not declare"):
        _registry_with(Flow("f", undeclared, "ask")).validate()
    swallowed = Step(_nothing, _nothing, accepts={TEXT, ButtonFamily("go:x")}, goes_to={END})
    registry = _registry_with(Flow("f", {"ask": swallowed}, "ask"))
    registry.add_global_payload("go", _nothing)
    with pytest.raises(FlowDeclarationError, match="global payload"):
        registry.validate()
    never_returns = Flow("sub", {"x": Step(_nothing, _nothing, accepts={TEXT}, goes_to={"x"})}, "x")
    caller = Step(_nothing, _nothing, accepts={TEXT}, goes_to={Call("sub", END)})
    with pytest.raises(FlowDeclarationError, match="never returns"):
        _registry_with(Flow("f", {"ask": caller}, "ask"), never_returns).validate()


def test_a_family_of_buttons_is_one_name_for_payloads_and_matching() -> None:
    project = ButtonFamily("j").sub("p")
    assert project.payload("kaveria") == "j:p:kaveria"
    assert project.value("j:p:kaveria") == "kaveria" and project.value("j:p:") == ""
    assert project.matches("j:p") and not project.matches("j:pp:x") and not project.matches(None)
    assert project.value("j:o:1") is None
    assert project.button("applicant.option", "x", params={"label": "X"}).payload == "j:p:x"
    for bad in ("", "j:", ":p", "j::p"):
        with pytest.raises(FlowDeclarationError):
            ButtonFamily(bad)


# --- at run time ---------------------------------------------------------------------------------


async def _at(db: Database, user_id: str, flow: str, step: str) -> None:
    async with db.transaction() as conn:
        state = conversations.ConversationState(flow, step)
        await conversations.save(conn, user_id, user_id, state, dt.datetime.now(dt.UTC))


async def test_an_undeclared_move_is_a_programming_error(db: Database) -> None:
    registry = build_registry()

    async def ask(ctx: Context) -> None:
        ctx.reply("menu.prompt")

    async def jump(ctx: Context) -> None:
        ctx.goto("done")  # declared: only "ask" and the end

    steps = {
        "ask": Step(ask, jump, accepts={TEXT}, goes_to={"ask", END}),
        "done": Step(ask, _nothing, accepts={TEXT}, goes_to={END}),
    }
    registry.add_flow(Flow("jumpy", steps, "ask"))
    async with Bot(db, registry=registry) as bot:
        person = bot.person()
        await person.says("/start")
        await _at(db, person.user_id, "jumpy", "ask")
        [answer] = await person.says("hop")
        assert answer.shows("error.internal")  # the dispatcher's answer
        async with db.transaction() as conn:
            assert await conversations.load(conn, person.user_id, person.user_id) is None


async def test_typed_text_at_a_step_of_buttons_gets_the_flows_answer(db: Database) -> None:
    async with Bot(db) as bot:
        person = bot.person()
        await person.says("/start")
        for flow, step, key in (
            ("forget", "confirm", "forget.use_buttons"),
            ("mark_left", "confirm", "exit.use_buttons"),  # /eroa's confirm takes "kyllä" now
            ("invite", "uses", "enrol.use_buttons"),
            ("meeting_new", "repeat", "meetings.use_buttons"),
        ):
            await _at(db, person.user_id, flow, step)
            [answer] = await person.says("kyllä")
            expected = html_to_plain(bot.renderer.text("fi", key, {}))
            assert answer.text.startswith(expected), (flow, step)
            # The options again, where the step's question can be asked in the state the
            # test puts there (the others need a coordinator, or a meeting being planned).
            assert bool(answer.labels) == (flow in ("forget", "invite")), (flow, step)
            async with db.transaction() as conn:
                state = await conversations.load(conn, person.user_id, person.user_id)
            assert state is not None and (state.flow, state.step) == (flow, step)
