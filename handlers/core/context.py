"""What a handler sees and can do while it answers one incoming event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from content.schema import Content
from handlers.core.flow import Registry
from handlers.core.ports import Rendering, TransportFacts
from handlers.core.types import Button, Document, Incoming, NotAllowed, Param, Reply
from storage.audit import DEFAULT_RETENTION_DAYS as DEFAULT_AUDIT_RETENTION_DAYS
from storage.conversations import ConversationState
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
    def begin(self, flow: str, **data: Any) -> None:
        """Start ``flow`` at its first step (its prompt runs after this handler)."""
        definition = self.services.registry.flows[flow]
        self.state = ConversationState(flow=flow, step=definition.first, data=dict(data))
        self.next_step = definition.first

    def goto(self, step: str) -> None:
        if self.state is None:
            raise RuntimeError("goto outside a conversation")
        if step not in self.services.registry.flows[self.state.flow].steps:
            raise KeyError(f"flow {self.state.flow} has no step {step!r}")
        self.state.step = step
        self.next_step = step

    def end(self) -> None:
        self.state = None
        self.next_step = None

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
