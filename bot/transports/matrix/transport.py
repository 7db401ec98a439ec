"""The Matrix transport: its declarations and life cycle, put together from its parts
(identity, media, send, sync; each a class in its own module, in that order).
"""

from __future__ import annotations

import asyncio
import logging

from nio import ErrorResponse, KeysUploadError

from bot.log_safety import add_secret
from bot.transports import matrix_forget
from bot.transports.base import Capabilities, Inbound, Inbox, Pacing
from bot.transports.matrix.identity import KEY_SINCE, quiet_nio_logs
from bot.transports.matrix.sync import SyncPart
from bot.waiting import wait_event
from storage import updates

log = logging.getLogger(__name__)


#: Matrix's own pace: a bot account should have its homeserver rate limit lifted (see
#: README); these keep a burst polite when it is not. M_LIMIT_EXCEEDED still pauses all.
MATRIX_PACING = Pacing(per_second=10.0, per_chat_interval=0.2, concurrency=4)


class MatrixTransport(SyncPart):
    name = "matrix"
    capabilities = Capabilities(numbers_buttons=True, takes_files=True)
    pacing = MATRIX_PACING
    # Rooms have ids of their own: a direct room's id is never the person's id.
    inbound = Inbound(private_chat_is_user=False)

    async def start(self, inbox: Inbox) -> None:
        """Log in (or restore the stored device), upload keys, then sync in the background."""
        quiet_nio_logs()
        self._inbox = inbox
        identity = await self._identity()
        add_secret(identity.access_token)  # also one got by logging in with the password
        self.client = await self._open_client(identity)
        self.plain = self._plain_client(identity)
        self.user_id = identity.user_id
        if self.client.should_upload_keys:
            response = await self.client.keys_upload()
            if isinstance(response, KeysUploadError):
                log.error(
                    "matrix: uploading device keys failed (%s); this device may already have "
                    "keys from another client: log in with a password instead",
                    response.status_code,
                )
        async with self.db.transaction() as conn:
            self._since = await updates.get_value(conn, KEY_SINCE)
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        log.info("matrix transport started as %s (device %s)", identity.user_id, identity.device_id)

    async def stop(self) -> None:
        self._closed = True
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
            self._sync_task = None
        # Let deliveries in flight finish (they record their outcome) before closing.
        await wait_event(self._idle, 10.0)
        if self.client is not None:
            await self.client.close()
        if self.plain is not None:
            await self.plain.close()

    async def forget_chat(self, chat_id: str, user_id: str | None) -> None:
        """Leave and forget the person's direct room, then drop its keys and (unless they
        share another room with the bot) the person's device keys and Olm sessions; see
        :mod:`bot.transports.matrix_forget`. Called by the delivery worker once the farewell
        has ended; doing it again is harmless."""
        room_id = chat_id.split(":", 1)[1]
        person = user_id.split(":", 1)[1] if user_id and user_id.startswith("matrix:") else None
        self._inviters.pop(room_id, None)
        self._undecrypted = [item for item in self._undecrypted if item.room_id != room_id]
        self._left.add(room_id)
        if self.client is None:
            return
        for call in (self.client.room_leave, self.client.room_forget):
            response = await call(room_id)
            if isinstance(response, ErrorResponse):  # already left, or never there
                log.info("matrix: %s %s: %s", call.__name__, room_id, response.status_code)
        dropped = matrix_forget.drop_room_keys(self.client, room_id)
        if person is not None and not matrix_forget.shares_other_room(self.client, person, room_id):
            dropped += matrix_forget.drop_person_keys(self.client, person)
        log.info("matrix: forgot %s (%d crypto store rows)", room_id, dropped)
