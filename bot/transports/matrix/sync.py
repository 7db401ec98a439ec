"""Receiving on Matrix: the sync loop, the since token, and each event translated.

The transport runs its own sync loop instead of nio's ``sync_forever``: after each ``/sync``
answer it hands the batch's events to the core one by one, and only then stores the batch's
``next_batch`` token in SQLite (``kv``). A crash therefore replays at most one batch, and
every event carries ``update_key = "matrix:" + event_id``, which the core records in the
same transaction as its answer, so a replayed event is not answered twice. On the very first
start (no stored token) the history of the rooms the bot is already in is skipped. Resuming
from a stored token the first sync asks for the full room state, because nio keeps rooms
only in memory.

A person's message becomes an ``Incoming``; everything else the core must decide about is
reported as a platform event (:mod:`bot.transports.base`): the bot joined a room it was
invited to (``Joined``, answered as /start), someone left (``MemberLeft``), the bot is out
of a room (``ChatGone``), a message stays undecryptable after asking for its key and a short
wait (``Undecryptable``), someone joined or was invited (``MembersChanged``) and, after the
first sync of a start, which rooms are whose private chat (``ChatsSeen``).

Private chats. A room is a person's private chat only while exactly the bot and that person
are in it (both joined, the server's member count 2) and nobody else is invited
(:func:`is_direct_room`): only events from such a room are private. Pictures, files and voice
messages in group rooms are ignored, and audio, video and other kinds of messages are not
fetched (as on Telegram, they get the "text and buttons only" answer). An invite is
reported (``Invited``) and the core decides: it accepts only invites from the allowed
homeservers (``HANKEBOT_MATRIX_ALLOWED_SERVERS``, :mod:`bot.admission`) and ignores
events from other servers; the join or the refusal is an outbox row the transport carries
out (:mod:`bot.transports.matrix.send`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import ClientError
from nio import (
    EncryptionError,
    InviteMemberEvent,
    LocalProtocolError,
    MegolmEvent,
    RoomEncryptedMedia,
    RoomMemberEvent,
    RoomMessageEmote,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    RoomMessageUnknown,
    SyncResponse,
)

from bot.transports.base import (
    ChatGone,
    ChatsSeen,
    Invited,
    Joined,
    MemberLeft,
    MembersChanged,
    Undecryptable,
)
from bot.transports.matrix.identity import KEY_SINCE, KEY_TOKEN, TOKEN_ERRORS
from bot.transports.matrix.media import Media, media_of
from bot.transports.matrix.send import SendPart
from bot.transports.matrix.state import _Undecrypted
from handlers.core.types import Incoming
from storage import updates

log = logging.getLogger(__name__)


SYNC_TIMEOUT_MS = 30_000
#: The first sync of a fresh bot only needs room state, not history.
FIRST_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 1}}}
#: Later syncs: enough timeline that a few hours offline do not leave a gap.
SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 100}}}
#: Messages older than this when they reach the bot are not answered (as Telegram drops
#: updates after 24 hours): an answer days later would only confuse.
MAX_EVENT_AGE = dt.timedelta(hours=24)
#: How long an undecryptable message waits for its key before the person is told.
UNDECRYPTABLE_GRACE_SECONDS = 3.0


def is_direct_room(room: Any, bot_id: str, person_id: str) -> bool:
    """Whether ``room`` (nio's ``MatrixRoom``) is a private chat of the bot and ``person_id``:
    both joined, nobody else joined (by the server's count too) and nobody invited."""
    try:
        joined, invited = int(room.joined_count), int(room.invited_count)
    except (AttributeError, TypeError, ValueError):
        return False
    if joined != 2 or invited != 0:
        return False
    members = {uid for uid, user in room.users.items() if not getattr(user, "invited", False)}
    return members == {bot_id, person_id}


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> quoted`` lines a client puts before a reply's own text."""
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index == 0:
        return body
    while index < len(lines) and not lines[index].strip():
        index += 1
    return "\n".join(lines[index:])


def addressed_text(
    text: str, content: Mapping[str, Any], bot_user_id: str, bot_names: Sequence[str]
) -> str | None:
    """In a group room, the part of a message meant for the bot, or None if not addressed.

    Commands (``!`` or ``/``) and a bare option number are always meant for the bot; other
    text only when it starts with the bot's name or mentions it (``m.mentions``).
    """
    stripped = text.strip()
    if stripped[:1] in ("!", "/") or (stripped.isdigit() and len(stripped) <= 2):
        return stripped
    lowered = stripped.lower()
    for name in sorted({n for n in (bot_user_id, *bot_names) if n}, key=len, reverse=True):
        if lowered.startswith(name.lower()):
            rest = stripped[len(name) :]
            if not rest or rest[0] in ":, \t\n":
                return rest.lstrip(":, \t\n") or "/valikko"
    mentions = content.get("m.mentions")
    if isinstance(mentions, dict) and bot_user_id in (mentions.get("user_ids") or []):
        return stripped
    return None


class SyncPart(SendPart):
    """Receiving: the sync loop, and each event as an ``Incoming`` or a platform event."""

    async def _sync_loop(self) -> None:
        fresh = self._since is None  # never synced: skip the rooms' history
        first = True
        failures = 0
        while True:
            try:
                if first:
                    response = await self.client.sync(
                        timeout=0,
                        since=self._since,
                        full_state=True,
                        sync_filter=FIRST_SYNC_FILTER if fresh else SYNC_FILTER,
                    )
                else:
                    response = await self.client.sync(
                        timeout=self._poll_timeout_ms(), since=self._since, sync_filter=SYNC_FILTER
                    )
                if not isinstance(response, SyncResponse):
                    failures += 1
                    await self._sync_failed(response, failures)
                    continue
                failures = 0
                await self._handle_sync(response, history=first and fresh)
                self._since = response.next_batch
                if first:
                    await self._guard(self._find_private_chats(), "(all rooms)")
                first = False
                self._ready.set()
                self._sync_tick.set()
                self._sync_tick = asyncio.Event()
                await self._housekeeping()
                await self._retry_undecrypted()
                if not self._undecrypted:
                    # Only now: every event of the batch has been handed to the dispatcher.
                    async with self.db.transaction() as conn:
                        await updates.set_value(conn, KEY_SINCE, response.next_batch)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the loop must outlive any one failure
                failures += 1
                log.warning("matrix sync failed: %s", type(error).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))

    def _poll_timeout_ms(self) -> int:
        if not self._undecrypted:
            return SYNC_TIMEOUT_MS
        soonest = min(item.deadline for item in self._undecrypted) - time.monotonic()
        return max(100, min(SYNC_TIMEOUT_MS, int(soonest * 1000)))

    async def _sync_failed(self, response: Any, failures: int) -> None:
        code = getattr(response, "status_code", None)
        log.warning("matrix sync error: %s", code or type(response).__name__)
        if code in TOKEN_ERRORS and self.settings.matrix_password is not None:
            # The token was revoked: log in again as the same device (same keys).
            identity = await self._password_login(
                self.settings.matrix_password.get_secret_value(), self.client.device_id
            )
            self.client.access_token = identity.access_token
            if self.plain is not None:
                self.plain.access_token = identity.access_token
            async with self.db.transaction() as conn:
                await updates.set_value(conn, KEY_TOKEN, identity.access_token)
            return
        retry_ms = getattr(response, "retry_after_ms", None)
        delay = retry_ms / 1000.0 if retry_ms else min(60.0, 0.5 * 2**failures)
        await asyncio.sleep(delay)

    async def _housekeeping(self) -> None:
        """What ``sync_forever`` does between syncs: keys and queued to-device messages."""
        client = self.client
        calls: list[Any] = [client.send_to_device_messages()]
        if client.should_upload_keys:
            calls.append(client.keys_upload())
        if client.should_query_keys:
            calls.append(client.keys_query())
        if client.should_claim_keys:
            calls.append(client.keys_claim(client.get_users_for_key_claiming()))
        for result in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("matrix key maintenance: %s", type(result).__name__)

    async def _handle_sync(self, response: Any, *, history: bool) -> None:
        for room_id, info in response.rooms.invite.items():
            await self._guard(self._on_invite(room_id, info.invite_state), room_id)
        for room_id in response.rooms.leave:
            self._left.add(room_id)
            chat_gone = ChatGone(f"matrix:{room_id}", "left the room")
            await self._guard(self.report(chat_gone), room_id)
        if history:
            return
        for room_id, info in response.rooms.join.items():
            self._left.discard(room_id)
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            events = list(info.timeline.events)
            # A room the bot has just joined: what was said before it came is not for it
            # (and in an encrypted room it could not read it anyway).
            joined_at = None
            for index, event in enumerate(events):
                if self._is_own_join(event):
                    joined_at = index
            if joined_at is not None:
                events = events[joined_at:]
            for event in events:
                await self._guard(self._on_event(room, event, info.timeline.events), room_id)

    async def _guard(self, work: Any, room_id: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("matrix event in %s failed: %s", room_id, type(error).__name__)

    def _is_own_join(self, event: Any) -> bool:
        return (
            isinstance(event, RoomMemberEvent)
            and event.state_key == self.user_id
            and event.membership == "join"
            and event.prev_membership != "join"
        )

    async def _on_invite(self, room_id: str, invite_state: Sequence[Any]) -> None:
        invite = next(
            (
                e
                for e in invite_state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.user_id
                and e.membership == "invite"
            ),
            None,
        )
        if invite is None:
            return
        inviter = str(invite.sender)
        self._inviters[room_id] = inviter  # whom to greet once joined
        await self.report(Invited(f"matrix:{room_id}", f"matrix:{inviter}"))

    async def _on_event(self, room: Any, event: Any, timeline: Sequence[Any]) -> None:
        if self._is_own_join(event):
            await self._greet(room, event, timeline)
            return
        if (
            isinstance(event, RoomMemberEvent)
            and event.membership in ("join", "invite")
            and event.state_key != self.user_id
        ):
            await self._check_private(room)  # whoever it is (also from a server not allowed)
        sender = getattr(event, "sender", None)
        if not sender or sender == self.user_id:
            return  # our own messages come back in the sync (also after a restart)
        if isinstance(event, RoomMemberEvent):
            if event.membership in ("leave", "ban") and event.state_key != self.user_id:
                others = sum(1 for user in room.users if user != self.user_id)
                await self.report(
                    MemberLeft(
                        f"matrix:{room.room_id}",
                        f"matrix:{event.state_key}",
                        others,
                        update_key=f"matrix:{event.event_id}",
                    )
                )
            return
        stamp = getattr(event, "server_timestamp", 0) or 0
        age = self.clock() - dt.datetime.fromtimestamp(stamp / 1000, dt.UTC)
        if age > MAX_EVENT_AGE:
            return
        if isinstance(event, MegolmEvent):
            await self._undecryptable(room, event)
            return
        if isinstance(event, RoomMessageNotice):
            return  # notices are what bots send: never answer them (no bot loops)
        content: Mapping[str, Any] = event.source.get("content", {})
        relates = content.get("m.relates_to")
        if isinstance(relates, dict) and relates.get("rel_type") == "m.replace":
            return  # an edit of an earlier message: answering it again would confuse
        text: str | None
        media: Media | None = None
        if isinstance(event, (RoomMessageText, RoomMessageEmote)):
            text = str(event.body)
            if isinstance(relates, dict) and "m.in_reply_to" in relates:
                text = strip_reply_fallback(text)
        elif isinstance(event, (RoomMessageMedia, RoomEncryptedMedia, RoomMessageUnknown)):
            media = media_of(event)  # a file or picture is fetched below
            text = None  # audio, video, unknown: the dispatcher explains
        else:
            return  # reactions, redactions, state changes
        group = self._is_group(room, sender)
        if group:
            if text is None:
                return  # nothing in a group room takes files; pictures are not for the bot
            names = [self.user_id.split(":", 1)[0].lstrip("@")]
            own = room.users.get(self.user_id)
            if own is not None and own.display_name:
                names.append(str(own.display_name))
            text = addressed_text(text, content, self.user_id, names)
            if text is None:
                return
        incoming = Incoming(
            user_id=f"matrix:{sender}",
            chat_id=f"matrix:{room.room_id}",
            text=text,
            display_name=self._display_name(room, sender),
            update_key=f"matrix:{event.event_id}",
            is_group_chat=group,
        )
        if media is not None:
            caption = media.caption
            if caption is not None and isinstance(relates, dict) and "m.in_reply_to" in relates:
                caption = strip_reply_fallback(caption)
            incoming = await self._with_attachment(incoming, media, str(event.event_id))
            if incoming.attachment is not None:
                incoming = dataclasses.replace(incoming, text=caption)
        await self._dispatch(incoming)

    async def _greet(self, room: Any, join: Any, timeline: Sequence[Any]) -> None:
        """The bot has joined: tell the core who invited it (who is greeted as /start is)."""
        inviter = self._inviters.pop(room.room_id, None)
        if inviter is None:
            for event in timeline:
                if (
                    isinstance(event, RoomMemberEvent)
                    and event.state_key == self.user_id
                    and event.membership == "invite"
                ):
                    inviter = str(event.sender)
        if inviter is None:
            others = [u for u in room.users if u != self.user_id]
            inviter = others[0] if len(others) == 1 else None
        if inviter is None or inviter == self.user_id:
            return
        await self.report(
            Joined(
                user_id=f"matrix:{inviter}",
                chat_id=f"matrix:{room.room_id}",
                update_key=f"matrix:{join.event_id}",
                display_name=self._display_name(room, inviter),
                is_group_chat=self._is_group(room, inviter),
            )
        )

    def _is_group(self, room: Any, person: str) -> bool:
        """Not the private chat of ``person`` (see :func:`is_direct_room`)."""
        return not is_direct_room(room, self.user_id, person)

    def _private_with(self, room: Any) -> str | None:
        """The one person ``room`` is a private chat with (``matrix:@…``), or None."""
        members = [u for u, user in room.users.items() if not getattr(user, "invited", False)]
        others = [u for u in members if u != self.user_id]
        if len(others) == 1 and is_direct_room(room, self.user_id, others[0]):
            return f"matrix:{others[0]}"
        return None

    async def _check_private(self, room: Any) -> None:
        """Someone joined or was invited: the room may have stopped being a private chat."""
        await self.report(MembersChanged(f"matrix:{room.room_id}", self._private_with(room)))

    async def _find_private_chats(self) -> None:
        """After the first sync: every room the bot is in, with whom it is private (the core
        gives up home chats that are not direct rooms any more and finds them for people
        who have none)."""
        rooms: Mapping[str, Any] = self.client.rooms
        chats = {f"matrix:{room_id}": self._private_with(room) for room_id, room in rooms.items()}
        await self.report(ChatsSeen("matrix", chats))

    @staticmethod
    def _display_name(room: Any, user_id: str) -> str | None:
        member = room.users.get(user_id)
        name = getattr(member, "display_name", None) if member is not None else None
        return str(name) if name else None

    async def _dispatch(self, incoming: Incoming) -> None:
        assert self._inbox is not None
        try:
            await self._inbox(incoming)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("matrix update %s failed: %s", incoming.update_key, type(error).__name__)

    async def _undecryptable(self, room: Any, event: Any) -> None:
        """A message the bot has no key for: ask for the key, wait a moment for it to
        arrive (it often comes a sync later), then tell the person."""
        with contextlib.suppress(LocalProtocolError, ClientError, TimeoutError):
            await self.client.request_room_key(event)
        self._undecrypted.append(
            _Undecrypted(room.room_id, event, time.monotonic() + UNDECRYPTABLE_GRACE_SECONDS)
        )

    async def _retry_undecrypted(self) -> None:
        waiting, self._undecrypted = self._undecrypted, []
        for item in waiting:
            decrypted: Any = None
            with contextlib.suppress(EncryptionError, ValueError, AssertionError):
                decrypted = self.client.decrypt_event(item.event)
            room = self.client.rooms.get(item.room_id)
            if decrypted is not None and not isinstance(decrypted, MegolmEvent) and room:
                await self._guard(self._on_event(room, decrypted, ()), item.room_id)
            elif time.monotonic() >= item.deadline:
                await self._guard(self._tell_undecryptable(item), item.room_id)
            else:
                self._undecrypted.append(item)

    async def _tell_undecryptable(self, item: _Undecrypted) -> None:
        """Still no key: the core decides what the person is told (a notice sent without
        end-to-end encryption, at most one per room, key session and a few minutes)."""
        event = item.event
        stamp = int(getattr(event, "server_timestamp", 0) or 0)
        await self.report(
            Undecryptable(
                user_id=f"matrix:{event.sender}",
                chat_id=f"matrix:{item.room_id}",
                session=str(event.session_id),
                sent_at=dt.datetime.fromtimestamp(stamp / 1000, dt.UTC),
            )
        )
        log.info("matrix: undecryptable event %s in %s", event.event_id, item.room_id)
