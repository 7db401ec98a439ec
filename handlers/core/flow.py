"""How conversations are declared: flows of named steps, commands, global buttons, menu.

A :class:`Flow` is data: named :class:`Step` objects, each with a ``prompt`` (what the bot
asks when the conversation arrives at the step) and a ``handle`` (what it does with the
answer). Handlers move the conversation with ``ctx.goto(step)``; the dispatcher then runs
the new step's prompt. Where a conversation stands is stored in SQLite after every
answer, so a restart resumes at the same step.

Commands and global button payloads (those that work in any state, such as a reminder's
"coming" button) are registered in a :class:`Registry`, which is also where the main menu's
entries come from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.core.context import Context, Roles

Action = Callable[["Context"], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    prompt: Action
    handle: Action
    # True: a file or picture the person sends (Incoming.attachment) reaches ``handle``, its
    # caption as ``ctx.text``; elsewhere the dispatcher answers that no file is expected.
    takes_files: bool = False


@dataclass(frozen=True)
class Flow:
    name: str
    steps: dict[str, Step]
    first: str

    def __post_init__(self) -> None:
        if self.first not in self.steps:
            raise ValueError(f"flow {self.name}: first step {self.first!r} is not a step")


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


@dataclass
class Registry:
    flows: dict[str, Flow] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    # payload prefix (text before the first ":") -> action; works from any conversation state
    global_payloads: dict[str, Action] = field(default_factory=dict)
    menu: list[MenuEntry] = field(default_factory=list)
    # free text outside any flow (the FAQ plugs in here)
    free_text: Action | None = None
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

    def add_global_payload(self, prefix: str, action: Action) -> None:
        if ":" in prefix or prefix in self.global_payloads:
            raise ValueError(f"bad or duplicate payload prefix {prefix!r}")
        self.global_payloads[prefix] = action

    def add_menu_entry(self, entry: MenuEntry) -> None:
        self.menu.append(entry)
        self.menu.sort(key=lambda e: e.order)

    def command_named(self, name: str) -> Command | None:
        lowered = name.lower()
        for command in self.commands:
            if lowered in command.all_names():
                return command
        return None
