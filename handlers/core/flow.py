"""How conversations are declared: flows of named steps, commands, global buttons, menu.

A :class:`Flow` is data: named :class:`Step` objects, each with a ``prompt`` (what the bot
asks when the conversation arrives at the step), a ``handle`` (what it does with the
answer), the inputs it ``accepts`` (typed text, a number, a date, a file, the buttons of some
:class:`ButtonFamily`) and the places it ``goes_to`` (its own flow's steps, :data:`END`,
another flow by :class:`FlowRef`, or a sub-flow by :class:`Call` that returns to a step).
Handlers move the conversation with ``ctx.goto(step)``, ``ctx.end()``, ``ctx.begin(flow)``,
``ctx.call(flow, return_to=...)`` and ``ctx.finish_subflow()``; the dispatcher then runs the
new step's prompt. Where a conversation stands (and the callers a sub-flow returns to) is
stored in SQLite after every answer, so a restart resumes at the same step.

The declarations are checked three times: :class:`Flow` refuses a step name it does not
have when it is made, :meth:`Registry.validate` (run by ``build_registry``) refuses a flow
that is not registered, a step nobody can reach, a step without declarations and a button
family that a global payload would swallow, and at run time ``ctx`` refuses a move a step
did not declare (:class:`FlowError`, a programming error) and the dispatcher answers a
typed text at a step that takes only buttons with the flow's ``use_buttons`` text.
``tests/test_flow_declarations.py`` runs every flow's declaration through these checks and
``hankebot diagrams`` draws them (``docs/flows/``).

Commands and global button payloads (those that work in any state, such as a reminder's
"coming" button) are registered in a :class:`Registry`, which is also where the main menu's
entries come from.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from handlers.core.types import Button, Param
from handlers.domain.lemmas import analyse
from messages.words import command_names

if TYPE_CHECKING:
    from handlers.core.context import Context, Roles

Action = Callable[["Context"], Awaitable[None]]


class FlowError(Exception):
    """A flow moved where its declaration does not say it may: a programming error (the
    dispatcher answers it like any other failure of a step, and the tests find it)."""


class FlowDeclarationError(ValueError):
    """A flow's declaration names something that is not there (raised at import or build)."""


class Input(Enum):
    """What a person may send at a step, besides the buttons of a :class:`ButtonFamily`."""

    TEXT = "text"
    NUMBER = "number"  # typed digits (asked without buttons on numbered transports)
    DATE = "date"  # a typed date or time
    FILE = "file"  # a file or picture (Incoming.attachment; its caption is ctx.text)


TEXT = Input.TEXT
NUMBER = Input.NUMBER
DATE = Input.DATE
FILE = Input.FILE
TYPED = frozenset({TEXT, NUMBER, DATE})


#: A check of one payload part (:meth:`ButtonFamily.parse`).
PartCheck = Callable[[str], bool]


def NONEMPTY(part: str) -> bool:
    """Any part that is not empty."""
    return bool(part)


def DIGITS(part: str) -> bool:
    """An id: ASCII digits only, few enough to fit a database integer (a forged longer one
    would fail deep in SQLite instead of being an old button)."""
    return part.isascii() and part.isdigit() and len(part) <= 18


def one_of(*choices: str) -> PartCheck:
    """One of ``choices`` exactly."""
    allowed = frozenset(choices)
    return allowed.__contains__


@dataclass(frozen=True)
class ButtonFamily:
    """A kind of button: payloads ``prefix`` or ``prefix:value…``, declared once and used
    both to build the buttons and in the steps (or global payloads) that take them, so a
    misspelt family fails at import instead of leaving a button nobody answers."""

    prefix: str

    def __post_init__(self) -> None:
        if not self.prefix or any(not part or part.isspace() for part in self.prefix.split(":")):
            raise FlowDeclarationError(f"bad button family {self.prefix!r}")

    @property
    def top(self) -> str:
        """The first part of the prefix: what global payloads are registered by."""
        return self.prefix.split(":", 1)[0]

    def payload(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(part) for part in parts)])

    def button(
        self, label_key: str, *parts: object, params: dict[str, Param] | None = None
    ) -> Button:
        return Button(label_key, self.payload(*parts), dict(params or {}))

    def matches(self, payload: str | None) -> bool:
        return payload is not None and (
            payload == self.prefix or payload.startswith(self.prefix + ":")
        )

    def value(self, payload: str | None) -> str | None:
        """What follows ``prefix:`` in ``payload`` ("" for the bare prefix); None when the
        payload is not of this family."""
        if payload is None or not self.matches(payload):
            return None
        return payload[len(self.prefix) + 1 :]

    def parse(self, payload: str | None, *shape: PartCheck) -> tuple[str, ...] | None:
        """The parts after ``prefix:``, exactly one per check in ``shape`` and each accepted
        by it; None for a payload of another family, or a forged or old one."""
        value = self.value(payload)
        if not value:
            return None
        parts = tuple(value.split(":"))
        if len(parts) != len(shape) or not all(
            ok(part) for ok, part in zip(shape, parts, strict=True)
        ):
            return None
        return parts

    def sub(self, name: str) -> ButtonFamily:
        return ButtonFamily(f"{self.prefix}:{name}")

    def __str__(self) -> str:
        return self.prefix


class End(Enum):
    """The end of a flow (the conversation ends, or a sub-flow returns to its caller)."""

    END = "[*]"


END = End.END


@dataclass(frozen=True)
class FlowRef:
    """Another flow a step may start (``ctx.begin``); the conversation does not come back."""

    name: str

    def __str__(self) -> str:
        return f"flow {self.name}"


@dataclass(frozen=True)
class Call:
    """A sub-flow a step may enter with ``ctx.call(flow, return_to=...)``: when the sub-flow
    finishes (``ctx.finish_subflow()``), the conversation goes on at ``return_to`` of the
    calling flow (its prompt runs), or ends there with :data:`END`."""

    flow: str
    return_to: str | End

    def __str__(self) -> str:
        back = "the end" if self.return_to is END else self.return_to
        return f"sub-flow {self.flow} (back to {back})"


Accepted = Input | ButtonFamily
Target = str | End | FlowRef | Call


def _frozen(items: Iterable[object] | None) -> frozenset[object] | None:
    return None if items is None else frozenset(items)


@dataclass(frozen=True)
class Step:
    """One question. ``accepts`` and ``goes_to`` are None only in ad-hoc flows of tests;
    :meth:`Registry.validate` requires them of every registered flow."""

    prompt: Action
    handle: Action
    accepts: AbstractSet[Accepted] | None = None
    goes_to: AbstractSet[Target] | None = None
    # False: arriving here forgets the answers before it (the way back, handlers/core/ways.py),
    # for a step after which earlier answers were dropped on purpose (sensitive ones).
    way_back: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "accepts", _frozen(self.accepts))
        object.__setattr__(self, "goes_to", _frozen(self.goes_to))

    @property
    def declared(self) -> bool:
        return self.accepts is not None and self.goes_to is not None

    @property
    def takes_files(self) -> bool:
        """A file or picture the person sends (Incoming.attachment) reaches ``handle``, its
        caption as ``ctx.text``; elsewhere the dispatcher answers that no file is expected."""
        return self.accepts is not None and FILE in self.accepts

    @property
    def typed(self) -> bool:
        """Typed text reaches ``handle`` (True for an undeclared step)."""
        return self.accepts is None or bool(TYPED & self.accepts)

    @property
    def families(self) -> tuple[ButtonFamily, ...]:
        accepts = self.accepts or ()
        return tuple(
            sorted((a for a in accepts if isinstance(a, ButtonFamily)), key=lambda f: f.prefix)
        )

    def takes_button(self, payload: str) -> bool:
        return self.accepts is None or any(f.matches(payload) for f in self.families)

    def may_go_to(self, target: Target) -> bool:
        return self.goes_to is None or target in self.goes_to


@dataclass(frozen=True)
class Moved:
    """Where a step of an earlier version now lives: conversations stored at the old step
    resume in the sub-flow ``call`` at its ``step`` (its data a copy of the flow's)."""

    call: Call
    step: str


@dataclass(frozen=True)
class Flow:
    name: str
    steps: Mapping[str, Step]
    first: str
    # The answer to typed text (or a button of another family) at a step that takes only
    # buttons: a catalog key saying "please use the buttons" in this flow's words.
    use_buttons: str | None = None
    # Steps other than ``first`` where ``ctx.begin(flow, at=step)`` may start the flow.
    entries: AbstractSet[str] = frozenset()
    # Steps of earlier versions (names stored in conversations) → where they live now.
    moved: Mapping[str, Moved] = field(default_factory=dict)
    # Steps where typed text is first offered as an answer to a question the bot asked
    # (``Registry.typed_answer``): steps a person is at only loosely (after an FAQ answer,
    # the score after a meeting). Elsewhere a step that takes text gets it first.
    answers_first: AbstractSet[str] = frozenset()
    # The question /peru asks before it throws away what the person has entered in this
    # flow (a catalog key), or None when there is nothing worth asking about; asked once per
    # step (handlers/common/start.py).
    confirm_cancel: Callable[[Context], str | None] | None = None
    # What the flow keeps when /peru throws it away (run before the conversation ends).
    on_cancel: Action | None = None

    END: ClassVar[End] = END

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", {str(k): v for k, v in self.steps.items()})
        object.__setattr__(self, "first", str(self.first))
        object.__setattr__(self, "entries", frozenset(str(e) for e in self.entries))
        object.__setattr__(self, "answers_first", frozenset(str(e) for e in self.answers_first))
        problems = self.problems()
        if problems:
            raise FlowDeclarationError(f"flow {self.name}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What in this flow names a step it does not have (checked when it is made)."""
        found: list[str] = []
        if self.first not in self.steps:
            found.append(f"first step {self.first!r} is not a step")
        for entry in sorted(self.entries - set(self.steps)):
            found.append(f"entry {entry!r} is not a step")
        for entry in sorted(self.answers_first - set(self.steps)):
            found.append(f"answers-first step {entry!r} is not a step")
        for name, step in self.steps.items():
            for target in sorted(step.goes_to or (), key=str):
                if isinstance(target, str) and target not in self.steps:
                    found.append(f"step {name!r} goes to {target!r}, which is not a step")
                if isinstance(target, Call) and not (
                    target.return_to is END or target.return_to in self.steps
                ):
                    found.append(f"step {name!r} returns to {target.return_to!r}, not a step")
            if step.accepts is not None and not step.typed and self.use_buttons is None:
                found.append(f"step {name!r} takes only buttons but the flow has no use_buttons")
        for old in sorted(set(self.moved) & set(self.steps)):
            found.append(f"moved step {old!r} is still a step")
        return found

    def entry_points(self) -> list[str]:
        return [self.first, *sorted(self.entries - {self.first})]

    def use_buttons_key(self) -> str:
        return self.use_buttons or "error.unknown_input"


def everyone(roles: Roles) -> bool:
    return True


@dataclass(frozen=True)
class Command:
    """A slash command; ``names`` per locale (the first Finnish name is the canonical one)."""

    names: dict[str, tuple[str, ...]]
    action: Action
    description_key: str
    visible: Callable[[Roles], bool] = everyone
    order: int = 100

    @property
    def canonical(self) -> str:
        return self.names["fi"][0]

    def all_names(self) -> set[str]:
        return {name for names in self.names.values() for name in names}


#: Commands that a bare word names also in the middle of a flow (by command id).
TYPED_IN_FLOW = ("help", "cancel", "menu")
_MAX_TYPED_COMMAND = 30


def _typed_in_flow(command: Command) -> bool:
    return any(command.names == command_names(name) for name in TYPED_IN_FLOW)


def _ascii(word: str) -> str:
    """ "hjälp" → "hjalp": command names are written without diacritics."""
    return "".join(
        char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char)
    )


@dataclass(frozen=True)
class MenuEntry:
    label_key: str
    payload: str
    visible: Callable[[Roles], bool] = everyone
    order: int = 100


@dataclass(frozen=True)
class CodeKind:
    """A kind of secret people send: a participant's invite code, a deep-link token, a
    coordinator code. :mod:`handlers.common.codes` offers a text to every kind whose ``parse``
    accepts it (the secret in its stored form, else None), after the chat and the limits of
    wrong codes are checked; ``redeem`` acts on a usable code and returns True, or returns
    False (unknown, expired, used up) without answering, so every refusal is the same."""

    name: str
    parse: Callable[[str], str | None]
    redeem: Callable[[Context, str], Awaitable[bool]]
    # The flow ``redeem`` begins (a consent question), if any: the join flow's code step
    # declares that it may go there.
    enters: str | None = None


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    # payload prefix (text before the first ":") -> action; works from any conversation state
    global_payloads: dict[str, Action] = field(default_factory=dict)
    menu: list[MenuEntry] = field(default_factory=list)
    # free text outside any flow (the FAQ plugs in here)
    free_text: Action | None = None
    # typed text read as an answer to the question the bot asked last (a reminder's "can
    # you come?"), before a flow step or free_text gets it; True when it took the text
    typed_answer: Callable[[Context], Awaitable[bool]] | None = None
    # "/start ARG" deep links: first matching handler wins (invites plug in here)
    start_arguments: list[Callable[[Context, str], Awaitable[bool]]] = field(default_factory=list)
    # the secrets people send (handlers/common/codes.py checks them all the same way)
    code_kinds: list[CodeKind] = field(default_factory=list)

    def add_flow(self, flow: Flow) -> None:
        if flow.name in self.flows:
            raise ValueError(f"flow {flow.name} registered twice")
        self.flows[flow.name] = flow

    def add_command(self, command: Command) -> None:
        taken = {name for existing in self.commands for name in existing.all_names()}
        clash = taken & command.all_names()
        if clash:
            raise ValueError(f"command names registered twice: {sorted(clash)}")
        self.commands.append(command)
        self.commands.sort(key=lambda c: c.order)

    def add_global_payload(self, prefix: str | ButtonFamily, action: Action) -> None:
        name = prefix.prefix if isinstance(prefix, ButtonFamily) else prefix
        if ":" in name or name in self.global_payloads:
            raise ValueError(f"bad or duplicate payload prefix {name!r}")
        self.global_payloads[name] = action

    def resumed_position(self, flow: str, step: str) -> tuple[str, str]:
        """Where a (flow, step) stored by an earlier version stands now: a step that moved
        into a sub-flow (:class:`Moved`) is that sub-flow's step; buttons sent there before
        an upgrade still belong to it."""
        definition = self.flows.get(flow)
        moved = definition.moved.get(step) if definition and step not in definition.steps else None
        return (moved.call.flow, moved.step) if moved else (flow, step)

    def is_global(self, payload: str) -> bool:
        return payload.split(":", 1)[0] in self.global_payloads

    def validate(self) -> None:
        """Check every flow's declarations against the others; raises
        :class:`FlowDeclarationError` naming each problem (``build_registry`` calls this)."""
        problems = self.problems()
        if problems:
            raise FlowDeclarationError("; ".join(problems))

    def problems(self) -> list[str]:
        found: list[str] = []
        for flow in self.flows.values():
            found.extend(f"flow {flow.name}: {problem}" for problem in flow.problems())
            found.extend(f"flow {flow.name}: {problem}" for problem in self._problems_of(flow))
        return found

    def _problems_of(self, flow: Flow) -> list[str]:
        found: list[str] = []
        for name, step in flow.steps.items():
            if not step.declared:
                found.append(f"step {name!r} does not declare what it accepts and where it goes")
                continue
            for target in sorted(step.goes_to or (), key=str):
                other = target.name if isinstance(target, FlowRef) else None
                other = target.flow if isinstance(target, Call) else other
                if other is not None and other not in self.flows:
                    found.append(f"step {name!r} goes to {target}, which is not registered")
                if (
                    isinstance(target, Call)
                    and other in self.flows
                    and not any(END in (s.goes_to or ()) for s in self.flows[other].steps.values())
                ):
                    found.append(f"step {name!r} calls {other}, which never returns")
            for family in step.families:
                if family.top in self.global_payloads:
                    found.append(
                        f"step {name!r} takes buttons {family}, which the global payload"
                        f" {family.top!r} answers first"
                    )
        unreachable = set(flow.steps) - self.reachable(flow)
        if unreachable and all(step.declared for step in flow.steps.values()):
            found.append(f"steps nobody can reach: {sorted(unreachable)}")
        for old, moved in flow.moved.items():
            there = self.flows.get(moved.call.flow)
            if there is None or moved.step not in there.steps:
                found.append(f"moved step {old!r} goes to {moved.call}, {moved.step!r}: no such")
        return found

    def reachable(self, flow: Flow) -> set[str]:
        """The steps of ``flow`` its entry points lead to (through sub-flows' returns)."""
        seen: set[str] = set()
        waiting = flow.entry_points()
        while waiting:
            name = waiting.pop()
            if name in seen:
                continue
            seen.add(name)
            for target in flow.steps[name].goes_to or ():
                if isinstance(target, str):
                    waiting.append(target)
                elif isinstance(target, Call) and isinstance(target.return_to, str):
                    waiting.append(target.return_to)
        return seen

    def add_menu_entry(self, entry: MenuEntry) -> None:
        self.menu.append(entry)
        self.menu.sort(key=lambda e: e.order)

    def command_typed(self, text: str, locale: str, in_flow: bool) -> Command | None:
        """The command a message of one bare word names without a slash ("apua", "Peru!",
        "hjälp" for /hjalp, "apu" for /apua by its lemma). Inside a flow only the ways
        out and help count (:data:`TYPED_IN_FLOW`); there other words are answers."""
        word = text.strip().rstrip(".!?").strip()
        if not word or len(word) > _MAX_TYPED_COMMAND or not word.replace("_", "").isalpha():
            return None
        folded = word.casefold()
        command = self.command_named(folded) or self.command_named(_ascii(folded))
        if command is None:
            lemma = analyse(folded, locale).lemma
            command = next(
                (
                    candidate
                    for candidate in self.commands
                    for names_locale, names in candidate.names.items()
                    for name in names
                    if analyse(name, names_locale).lemma == lemma
                ),
                None,
            )
        if command is None or (in_flow and not _typed_in_flow(command)):
            return None
        return command

    def command_named(self, name: str) -> Command | None:
        lowered = name.lower()
        for command in self.commands:
            if lowered in command.all_names():
                return command
        return None
