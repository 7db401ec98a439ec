"""What every transport (console, Telegram, Matrix) provides to the application."""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from handlers.core.types import Incoming
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

Inbox = Callable[[Incoming], Awaitable[None]]
#: The core's port for events that arrived together (one ``getUpdates`` answer): handled
#: in one transaction, with the given key → value pairs (the transport's offset) written in
#: the same commit (:meth:`bot.dispatcher.Dispatcher.handle_together`).
InboxTogether = Callable[[Sequence[Incoming], Mapping[str, str]], Awaitable[None]]
#: The core's answer to "does this person's conversation take a file now?" (user id, chat
#: id). Transports ask it before they fetch a file a person sent, and fetch only on yes.
WantsFile = Callable[[str, str], Awaitable[bool]]


async def never_wants_files(user_id: str, chat_id: str) -> bool:
    """The default when a transport is built without the core's port: fetch nothing."""
    return False


# --- what happened on the platform, beyond people's messages ----------------------------------
# Transports translate and nothing more: they report these events, and the core
# (:mod:`bot.platform_events`) decides what follows (marks someone unreachable, answers,
# leaves a chat) and writes it to the database and the outbox.


@dataclass(frozen=True)
class BlockedByUser:
    """The person blocked the bot or ended their private chat with it (Telegram)."""

    user_id: str
    update_key: str | None = None


@dataclass(frozen=True)
class ChatGone:
    """The bot is not in this chat any more (it left, or was removed from a group)."""

    chat_id: str
    reason: str  # why, as an error label for the rows that will not go (never a message text)
    update_key: str | None = None


@dataclass(frozen=True)
class MemberLeft:
    """``user_id`` left (or was banned from) a chat; ``others``: how many people besides
    the bot are still in it."""

    chat_id: str
    user_id: str
    others: int
    update_key: str | None = None


@dataclass(frozen=True)
class Invited:
    """``user_id`` invited the bot to ``chat_id`` (Matrix); the core accepts (an outbox row
    of kind ``join``) or declines (kind ``leave``)."""

    chat_id: str
    user_id: str


@dataclass(frozen=True)
class Joined:
    """The bot joined a chat ``user_id`` invited it to (Matrix); ``is_group_chat`` as for
    :class:`Incoming`."""

    user_id: str
    chat_id: str
    update_key: str | None = None
    display_name: str | None = None
    is_group_chat: bool = False


@dataclass(frozen=True)
class Undecryptable:
    """A message ``user_id`` sent that the bot cannot read even after asking for its key:
    end-to-end encrypted with ``session`` (the sender's key session), sent at ``sent_at``."""

    user_id: str
    chat_id: str
    session: str
    sent_at: dt.datetime


@dataclass(frozen=True)
class MembersChanged:
    """Someone joined or was invited to a chat. ``private_with``: the one person the chat is
    now a private chat with (on Matrix: only the bot and they joined, nobody invited), or
    None when it is nobody's private chat."""

    chat_id: str
    private_with: str | None


@dataclass(frozen=True)
class ChatsSeen:
    """Every chat the bot is in on ``platform`` (after a start), each with the one person it
    is a private chat with, or None (see :class:`MembersChanged`)."""

    platform: str
    private_with: Mapping[str, str | None]


PlatformEvent = (
    BlockedByUser
    | ChatGone
    | MemberLeft
    | Invited
    | Joined
    | Undecryptable
    | MembersChanged
    | ChatsSeen
)
#: The core's port for those events (:meth:`bot.platform_events.PlatformEvents.handle`).
Report = Callable[[PlatformEvent], Awaitable[None]]


async def no_core(event: PlatformEvent) -> None:
    """The default when a transport is built without the core's port: nothing follows."""
    log.error("platform event %s not handled: no core", type(event).__name__)


async def no_core_together(batch: Sequence[Incoming], keep: Mapping[str, str]) -> None:
    """Likewise for events that arrived together: nothing is handled or kept."""
    log.error("%d events not handled: no core", len(batch))


class StartupError(RuntimeError):
    """A transport cannot start as configured (a rejected token, bad credentials).

    The message is one line for the operator, naming the setting; it never contains the
    secret itself. ``hankebot run`` prints it and exits without a traceback.
    """


@dataclass(frozen=True)
class Inbound:
    """What the core may assume about the events a transport delivers.

    ``private_chat_is_user``: on this platform a private chat's id *is* the person's id
    (Telegram: ``chat.id == from.id`` in a private chat; the console), so a private-chat
    event whose chat differs from its sender is forged and dropped. Matrix rooms have ids
    of their own. ``rate_limited``: the people writing are strangers, so each is served at
    most ``HANKEBOT_RATE_LIMIT_PER_MINUTE`` events a minute (not the local console).
    """

    private_chat_is_user: bool = False
    rate_limited: bool = True


@dataclass(frozen=True)
class Capabilities:
    """What a transport can do, declared once by the transport itself (its ``capabilities``).

    ``numbers_buttons``: buttons are shown as numbered options and a typed number presses
    one (Matrix, console); elsewhere they are the platform's own buttons (Telegram).
    ``takes_files``: people can send files and pictures, which the transport fetches when
    the conversation wants one (Telegram, Matrix).
    """

    numbers_buttons: bool = False
    takes_files: bool = False


class DeclaredTransports:
    """The core's :class:`~handlers.core.ports.TransportFacts`, from the transports'
    declarations by name; a name not declared can do nothing."""

    def __init__(self, declared: Mapping[str, Capabilities]) -> None:
        self._declared = dict(declared)

    def _of(self, transport: str) -> Capabilities:
        return self._declared.get(transport) or Capabilities()

    def takes_files(self, transport: str) -> bool:
        return self._of(transport).takes_files

    def numbers_buttons(self, transport: str) -> bool:
        return self._of(transport).numbers_buttons


class Status(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # flood control or a passing fault: try again later
    UNREACHABLE = "unreachable"  # blocked the bot, left the room: never retried
    FAILED = "failed"  # the platform refused this message: never retried


@dataclass(frozen=True)
class Delivery:
    status: Status
    platform_message_id: str | None = None
    retry_after: float | None = None  # seconds, when the platform said so
    error: str = ""  # error type only, never a message text
    # The platform's id for the row's shared file (``OutboxItem.shared_file``) when this send
    # uploaded it; the worker keeps it so that later sends pass the id, not the bytes.
    uploaded_file_id: str | None = None

    @classmethod
    def sent(cls, message_id: str | int | None, *, uploaded_file_id: str | None = None) -> Delivery:
        return cls(
            Status.SENT,
            None if message_id is None else str(message_id),
            uploaded_file_id=uploaded_file_id,
        )


@dataclass(frozen=True)
class Pacing:
    """How fast the delivery worker may send on this transport."""

    per_second: float = 1000.0  # overall messages per second
    per_chat_interval: float = 0.0  # seconds between two messages to one chat
    concurrency: int = 1  # deliveries in flight at once (to different chats)
    group_per_minute: int | None = None  # for group chats (Telegram: negative ids)


class Transport(Protocol):
    """What the delivery worker and the wiring use of a transport. Each transport class also
    declares ``capabilities`` (:class:`Capabilities`) and ``inbound`` (:class:`Inbound`),
    which the wiring hands to the core."""

    name: str
    pacing: Pacing

    async def start(self, inbox: Inbox) -> None:
        """Begin receiving; returns once receiving runs in the background."""

    async def stop(self) -> None: ...

    async def deliver(self, item: OutboxItem) -> Delivery:
        """Send one outbox row; must not raise for platform errors (return a Delivery)."""


@runtime_checkable
class ForgetsChats(Protocol):
    """A transport that keeps something of its own about a chat (Matrix: the room and its
    encryption keys). After /unohda the core asks it to forget the person's private chat;
    what that means on the platform is the transport's business."""

    async def forget_chat(self, chat_id: str, user_id: str | None) -> None:
        """Forget ``chat_id`` (a ``platform:id`` string) and ``user_id``'s keys; idempotent."""
