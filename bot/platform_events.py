"""What the core does when a transport reports something other than a person's message.

Transports translate and nothing more (issue 12): a blocked bot, a room the person left, an
invite, a message that cannot be decrypted or a room that stopped being private arrives
here as an event (:mod:`bot.transports.base`), and every decision is made here, in one
transaction with the event's update id (a replayed event is not acted on twice), and
written to the database and the outbox — an answer is a catalog key rendered like every
other message, and leaving a room is an outbox row of kind ``leave`` that the transport
carries out.

=====================  ====================================================================
event                  what follows
=====================  ====================================================================
``BlockedByUser``      the person is unreachable (nothing is sent to them until they write)
``ChatGone``           rows still waiting for the chat end as unreachable, and so does the
                       person whose private chat it was
``MemberLeft``         when nobody but the bot is left: as ``ChatGone``, and the bot leaves
                       (someone not admitted leaving changes nothing)
``Invited``            from an admitted person (:mod:`bot.admission`: the allowed homeservers)
                       the bot joins, otherwise it declines: an outbox row of kind ``join``
                       or ``leave``, once while one waits
``Joined``             the person who invited the bot gets the greeting of ``/start`` (not
                       someone the bot does not admit)
``Undecryptable``      one notice per chat, key session and :data:`UNDECRYPTABLE_WINDOW`,
                       sent without end-to-end encryption (the person's app may not read
                       an encrypted one either)
``MembersChanged``     a private chat that is one no more is given up: what waits for its
                       person there is held again (:func:`bot.private_chats.chat_not_private`)
``ChatsSeen``          (after a start) private chats that are none any more are given up;
                       people without one get the one found, and what waited for them
=====================  ====================================================================
"""

from __future__ import annotations

import datetime as dt
import logging

import aiosqlite

from bot import private_chats
from bot.dispatcher import Dispatcher
from bot.i18n import normalise_locale
from bot.transports.base import (
    BlockedByUser,
    ChatGone,
    ChatsSeen,
    Invited,
    Joined,
    MemberLeft,
    MembersChanged,
    PlatformEvent,
    Undecryptable,
)
from handlers.core.types import Incoming, Reply
from storage import keyed, outbox, updates, users

log = logging.getLogger(__name__)

#: At most one "cannot decrypt" notice per chat, key session and this many seconds.
UNDECRYPTABLE_WINDOW = 600
LEFT_THE_ROOM = "left the room"


class PlatformEvents:
    """The core's port for platform events (``Report``); one per application."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.db = dispatcher.db
        self.transports = dispatcher.transports
        self.admission = dispatcher.admission

    async def handle(self, event: PlatformEvent) -> None:
        if isinstance(event, Joined):
            if not self.admission.admits(event.user_id):
                return
            await self.dispatcher.handle(
                Incoming(
                    user_id=event.user_id,
                    chat_id=event.chat_id,
                    display_name=event.display_name,
                    update_key=event.update_key,
                    is_group_chat=event.is_group_chat,
                ),
                greeting=True,
            )
            return
        now = self.dispatcher.clock()
        touched: set[str] = set()
        async with self.db.transaction() as conn:
            key = getattr(event, "update_key", None)
            if key is not None:
                if await updates.seen(conn, key):
                    return
                await updates.record(conn, key, now)
            touched = await self._decide(conn, event, now)
        if touched and self.dispatcher.on_enqueued is not None:
            self.dispatcher.on_enqueued(touched)

    async def _decide(
        self, conn: aiosqlite.Connection, event: PlatformEvent, now: dt.datetime
    ) -> set[str]:
        """Act on ``event``; returns the transports whose outbox got rows."""
        if isinstance(event, BlockedByUser):
            await users.mark_unreachable(conn, event.user_id)
            log.info("blocked by %s", event.user_id)
        elif isinstance(event, ChatGone):
            await _unreachable(conn, event.chat_id, event.reason, now)
        elif isinstance(event, MemberLeft):
            if event.others == 0 and self.admission.admits(event.user_id):
                return await self._leave(conn, event.chat_id, now)
        elif isinstance(event, Invited):
            return await self._invited(conn, event, now)
        elif isinstance(event, Undecryptable):
            return await self._undecryptable(conn, event, now)
        elif isinstance(event, MembersChanged):
            owners = await users.owners_of_chat(conn, event.chat_id)
            if any(owner != event.private_with for owner in owners):
                await private_chats.chat_not_private(conn, event.chat_id, now, self.transports)
                log.info("%s is no longer a private chat", event.chat_id)
        elif isinstance(event, ChatsSeen):
            return await self._chats_seen(conn, event, now)
        return set()

    async def _invited(
        self, conn: aiosqlite.Connection, event: Invited, now: dt.datetime
    ) -> set[str]:
        """Join when the inviter is admitted, decline otherwise; once while a row waits."""
        admitted = self.admission.admits(event.user_id)
        kind = outbox.JOIN if admitted else outbox.LEAVE
        if await outbox.waiting_kind(conn, event.chat_id, kind):
            return set()
        await outbox.enqueue(conn, chat_id=event.chat_id, user_id=None, html="", now=now, kind=kind)
        log.info("%s the invite to %s", "accepting" if admitted else "declining", event.chat_id)
        return {outbox.transport_of(event.chat_id)}

    async def _leave(self, conn: aiosqlite.Connection, chat_id: str, now: dt.datetime) -> set[str]:
        """The person left a chat where only the bot remains: stop sending, and leave."""
        await _unreachable(conn, chat_id, LEFT_THE_ROOM, now)
        await outbox.enqueue(
            conn, chat_id=chat_id, user_id=None, html="", now=now, kind=outbox.LEAVE
        )
        log.info("leaving %s: nobody else is there", chat_id)
        return {outbox.transport_of(chat_id)}

    async def _undecryptable(
        self, conn: aiosqlite.Connection, event: Undecryptable, now: dt.datetime
    ) -> set[str]:
        window = int(event.sent_at.timestamp()) // UNDECRYPTABLE_WINDOW
        digest = await keyed.hashed(conn, "undecryptable", event.chat_id, event.session, window)
        person = await users.get(conn, event.user_id)
        stored = await self.dispatcher.enqueue_reply(
            conn,
            chat_id=event.chat_id,
            user_id=event.user_id,
            locale=person.locale if person is not None else normalise_locale(None),
            replies=[Reply("matrix.undecryptable")],
            now=now,
            position=None,
            dedupe_key=f"undecryptable:{digest}",
            kind=outbox.UNENCRYPTED,
        )
        return {outbox.transport_of(event.chat_id)} if stored else set()

    async def _chats_seen(
        self, conn: aiosqlite.Connection, event: ChatsSeen, now: dt.datetime
    ) -> set[str]:
        """Give up home chats that are private no more; give people who have none the
        private chat found for them (what waited for them goes there)."""
        chats = event.private_with
        people = await users.private_chats(conn, event.platform)
        for user_id, chat in sorted(people.items()):
            if chat is not None and chat in chats and chats[chat] != user_id:
                await private_chats.chat_not_private(conn, chat, now, self.transports)
                people[user_id] = None
        released = 0
        for chat, person in sorted(chats.items()):
            if person is None or person not in people or people[person] is not None:
                continue  # nobody's, not someone the bot knows, or they have a private chat
            if await users.set_private_chat(conn, person, chat):
                people[person] = chat
                released += await private_chats.release(conn, person, chat, now, self.transports)
        return {event.platform} if released else set()


async def _unreachable(
    conn: aiosqlite.Connection, chat_id: str, reason: str, now: dt.datetime
) -> None:
    """Nothing more goes to ``chat_id``: its waiting rows end, and its person is unreachable."""
    await outbox.unreachable_chat(conn, chat_id, reason, now)
    await users.mark_chat_unreachable(conn, chat_id)
