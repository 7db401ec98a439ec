"""What a handler sees and can do while it answers one incoming event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from content.schema import Content
from handlers.core.flow import (
    END,
    ButtonFamily,
    Call,
    End,
    FlowError,
    FlowRef,
    Registry,
    Step,
    Target,
)
from handlers.core.ports import Rendering, TransportFacts
from handlers.core.types import Button, Document, Incoming, InvalidInput, NotAllowed, Param, Reply
from storage.audit import DEFAULT_RETENTION_DAYS as DEFAULT_AUDIT_RETENTION_DAYS
from storage.conversations import ConversationState, Frame
from storage.users import User


@dataclass(frozen=True)
class Roles:
    """A person's roles at this moment (recomputed for every incoming event)."""

    is_admin: bool = False
    coordinator_of: frozenset[str] = frozenset()
    participant_of: frozenset[str] = frozenset()

    @property
    def is_coordinator(self) -> bool:
        return bool(self.coordinator_of)

    @property
    def is_participant(self) -> bool:
        return bool(self.participant_of)

    def may_coordinate(self, project: str) -> bool:
        return self.is_admin or project in self.coordinator_of


@dataclass(frozen=True)
class Services:
    """Long-lived things handlers may use; no platform code in here."""

    registry: Registry
    timezone: ZoneInfo
    admins: frozenset[str]
    rendering: Rendering  # catalog texts (bot.i18n.Renderer)
    content: Content | None = None  # None only in tests that need no content
    audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS  # HANKEBOT_AUDIT_RETENTION_DAYS
    extras: dict[str, Any] = field(default_factory=dict)
    # What the transports can do; None until the dispatcher fills in every transport the
    # application has (the wiring passes the running ones).
    transports: TransportFacts | None = None

    @property
    def transport_facts(self) -> TransportFacts:
        assert self.transports is not None, "the dispatcher fills in the transports"
        return self.transports


@dataclass(frozen=True)
class Notice:
    """A message to someone other than the sender (e.g. a coordinator), in their language."""

    user_id: str
    reply: Reply
    dedupe_key: str | None = None
    not_before: dt.datetime | None = None
    # Whom the notice is about when that is someone else than its reader (a participant a
    # coordinator is told of): /unohda of that person deletes the notice, sent or not.
    about: str | None = None


def resume(registry: Registry, state: ConversationState | None) -> ConversationState | None:
    """A stored conversation as this version's flows have it: one stored at a step that has
    moved into a sub-flow (:class:`~handlers.core.flow.Moved`) goes on there, returning to
    its flow as the step's caller would have."""
    flow = registry.flows.get(state.flow) if state is not None else None
    if state is None or flow is None or state.step in flow.steps or state.step not in flow.moved:
        return state
    moved = flow.moved[state.step]
    back = moved.call.return_to
    frame = Frame(state.flow, None if back is END else str(back), dict(state.data), state.back)
    return ConversationState(
        flow=moved.call.flow, step=moved.step, data=dict(state.data), stack=[*state.stack, frame]
    )


class Context:
    """One incoming event being handled: read the input, reply, move the conversation."""

    def __init__(
        self,
        *,
        incoming: Incoming,
        user: User,
        roles: Roles,
        conn: aiosqlite.Connection,
        services: Services,
        state: ConversationState | None,
        now: dt.datetime,
        text: str | None = None,
        payload: str | None = None,
        args: str = "",
    ) -> None:
        self.incoming = incoming
        self.user = user
        self.roles = roles
        self.conn = conn
        self.services = services
        self.state = state
        self.now = now
        self.text = text
        self.payload = payload
        self.args = args
        self.replies: list[Reply] = []
        self.notices: list[Notice] = []
        self.next_step: str | None = None
        # The step whose prompt or handle is running (set by the dispatcher): its ``goes_to``
        # says where the conversation may move. None while a command or global button runs.
        self.running: tuple[str, str] | None = None
        self.prompted = False  # a step's question was asked during this event
        self.forgotten = False
        # Transports whose delivery workers should look at the outbox right after the
        # commit, for rows a step wrote itself (a broadcast's recipients), not as replies.
        self.wake: set[str] = set()

    # --- input ---------------------------------------------------------------------------
    @property
    def locale(self) -> str:
        return self.user.locale

    @property
    def data(self) -> dict[str, Any]:
        """The current flow's own data (saved with the conversation)."""
        if self.state is None:
            raise RuntimeError("no conversation in progress")
        return self.state.data

    # --- output --------------------------------------------------------------------------
    def reply(
        self,
        key: str,
        *,
        buttons: Sequence[Sequence[Button]] = (),
        document: Document | None = None,
        **params: Param,
    ) -> None:
        self.replies.append(
            Reply(
                key=key,
                params=dict(params),
                buttons=tuple(tuple(row) for row in buttons),
                document=document,
            )
        )

    def notify(
        self,
        user_id: str,
        key: str,
        *,
        buttons: Sequence[Sequence[Button]] = (),
        dedupe_key: str | None = None,
        about: str | None = None,
        **params: Param,
    ) -> None:
        """A message to ``user_id``'s private chat; ``about`` as in :class:`Notice`."""
        reply = Reply(key=key, params=dict(params), buttons=tuple(tuple(r) for r in buttons))
        self.notices.append(
            Notice(user_id=user_id, reply=reply, dedupe_key=dedupe_key, about=about)
        )

    # --- moving the conversation ---------------------------------------------------------
    def _step_running(self) -> Step | None:
        if self.running is None:
            return None
        flow = self.services.registry.flows.get(self.running[0])
        return flow.steps.get(self.running[1]) if flow else None

    def _moving(self, target: Target) -> None:
        """Refuse a move the running step does not declare (a programming error)."""
        step = self._step_running()
        if step is not None and not step.may_go_to(target):
            assert self.running is not None
            flow, name = self.running
            raise FlowError(f"flow {flow}: step {name} does not declare a move to {target}")

    def _arrive(self, flow: str, step: str) -> None:
        assert self.state is not None
        self.state.step = step
        self.next_step = step
        if self.running is not None:
            self.running = (flow, step)  # a move made next counts from where we arrived

    def begin(self, flow: str, *, at: str | None = None, **data: Any) -> None:
        """Start ``flow`` at its first step, or at one of its ``entries`` (its prompt runs
        after this handler). Callers of a sub-flow in progress are dropped."""
        definition = self.services.registry.flows[flow]
        step = definition.first if at is None else str(at)
        if step != definition.first and step not in definition.entries:
            raise FlowError(f"flow {flow} cannot be entered at {step!r}")
        self._moving(FlowRef(flow))
        self.state = ConversationState(flow=flow, step=step, data=dict(data))
        self.running = (flow, step)
        self.next_step = step

    def goto(self, step: str) -> None:
        if self.state is None:
            raise RuntimeError("goto outside a conversation")
        step = str(step)
        if step not in self.services.registry.flows[self.state.flow].steps:
            raise KeyError(f"flow {self.state.flow} has no step {step!r}")
        self._moving(step)
        self._arrive(self.state.flow, step)

    def end(self) -> None:
        """End the conversation (a sub-flow's callers too)."""
        if self.state is not None:
            self._moving(END)
        self.state = None
        self.next_step = None
        self.running = None

    def call(self, flow: str, *, return_to: str | End, **data: Any) -> None:
        """Enter the sub-flow ``flow`` with ``data``; when it finishes
        (:meth:`finish_subflow`), this flow goes on at ``return_to`` or ends with END."""
        if self.state is None:
            raise RuntimeError("call outside a conversation")
        back: str | End = return_to if return_to is END else str(return_to)
        caller = self.services.registry.flows[self.state.flow]
        if isinstance(back, str) and back not in caller.steps:
            raise KeyError(f"flow {caller.name} has no step {back!r}")
        self._moving(Call(flow, back))
        definition = self.services.registry.flows[flow]
        frame = Frame(
            self.state.flow, None if back is END else str(back), self.state.data, self.state.back
        )
        self.state = ConversationState(
            flow=flow,
            step=definition.first,
            data=dict(data),
            stack=[*self.state.stack, frame],
        )
        self.running = (flow, definition.first)
        self.next_step = definition.first

    @property
    def in_subflow(self) -> bool:
        return self.state is not None and bool(self.state.stack)

    def finish_subflow(self, **result: Any) -> None:
        """Return from a sub-flow to its caller (``result`` is added to the caller's data);
        the caller's step prompts again, or the conversation ends when it was called with
        ``return_to=END``. Outside a sub-flow this ends the conversation."""
        if self.state is None or not self.state.stack:
            self.end()
            return
        self._moving(END)
        *outer, frame = self.state.stack
        if frame.step is None:
            self.running = None
            self.state = None
            self.next_step = None
            return
        self.state = ConversationState(
            flow=frame.flow,
            step=frame.step,
            data={**frame.data, **result},
            stack=outer,
            back=frame.back,
        )
        self.next_step = frame.step
        if self.running is not None:
            self.running = (frame.flow, frame.step)

    # --- buttons -------------------------------------------------------------------------
    def use_buttons(self) -> InvalidInput:
        """``raise ctx.use_buttons()``: a button this step does not know (or typed text
        where only buttons do): the flow's "please use the buttons" answer."""
        flow = self.services.registry.flows.get(self.state.flow) if self.state else None
        return InvalidInput(flow.use_buttons_key() if flow else "error.unknown_input")

    def button(self, family: ButtonFamily) -> str:
        """The value of the pressed button of ``family`` ("" for the bare family), or
        :meth:`use_buttons` raised when the person typed or pressed something else."""
        value = family.value(self.payload)
        if value is None:
            raise self.use_buttons()
        return value

    def pressed(self, family: ButtonFamily) -> bool:
        return family.matches(self.payload)

    # --- roles ---------------------------------------------------------------------------
    def require_admin(self) -> None:
        if not self.roles.is_admin:
            raise NotAllowed("admin")

    def require_coordinator(self, project: str | None = None) -> None:
        allowed = (
            self.roles.may_coordinate(project)
            if project
            else (self.roles.is_admin or self.roles.is_coordinator)
        )
        if not allowed:
            raise NotAllowed("coordinator")
