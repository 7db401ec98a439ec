"""Sending on Matrix: one outbox row, one ``room_send``.

A row of kind ``message`` is one ``m.notice`` (HTML ``formatted_body`` plus a plain
``body``; buttons become numbered lines that the dispatcher maps back, commands are shown
as ``!name``) or one ``m.file``/``m.image`` (:mod:`bot.transports.matrix.media`); a long
text is split into several notices. A row of kind ``unencrypted`` is one notice sent
through the plain client (nio's ``room_send`` encrypts in an encrypted room whenever the
client has an olm machine); a row of kind ``leave`` leaves the room. The transaction id is
derived from the outbox row id, so a resend after a crash is deduplicated by the homeserver.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import logging
import re
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import ClientError
from nio import (
    EncryptionError,
    ErrorResponse,
    JoinedRoomsResponse,
    JoinResponse,
    LocalProtocolError,
    OlmTrustError,
    RoomSendResponse,
    SendRetryError,
)

from bot.markup import html_to_plain, split_html
from bot.transports.base import Delivery, Status
from bot.transports.matrix.media import MediaPart
from bot.transports.matrix.state import error_delivery
from bot.waiting import wait_event
from storage.outbox import JOIN, LEAVE, UNENCRYPTED, OutboxItem

log = logging.getLogger(__name__)


HTML_FORMAT = "org.matrix.custom.html"
#: How long ``deliver`` waits for a just-joined room to appear in a sync.
ROOM_WAIT_SECONDS = 10.0
#: Keep one event well under the 64 KiB limit (HTML and plain text both travel).
MAX_PART_BYTES = 24_000
MAX_PART_CHARS = 8_000
_PRE = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)


def matrix_html(markup: str) -> str:
    """Telegram-subset HTML as Matrix HTML: newlines become ``<br>`` (not inside ``<pre>``)."""
    parts = _PRE.split(markup)
    return "".join(
        part if part.startswith("<pre>") else part.replace("\n", "<br>") for part in parts
    )


@functools.cache
def _command_pattern(names: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w/.:~-])/({alternatives})(?![\w/])")


def bang_commands(markup: str, names: frozenset[str]) -> str:
    """``/apua`` → ``!apua`` for the bot's own commands: Element (and other clients) take a
    leading ``/`` for their own commands, so texts show the form that works on Matrix.
    Links and paths are left alone (a command must not follow a letter, digit or ``/``)."""
    if not names:
        return markup
    return _command_pattern(names).sub(r"!\1", markup)


def render_message(markup: str, labels: Sequence[str], hint: str = "") -> tuple[str, str]:
    """The plain ``body`` and the HTML ``formatted_body`` of one message.

    Buttons become numbered options ``1. label`` in both; ``hint`` (already rendered HTML
    from the catalog) follows them.
    """
    body = html_to_plain(markup)
    formatted = matrix_html(markup)
    if labels:
        plain_options = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))
        html_options = "<br>".join(
            f"{n}. {html.escape(label, quote=False)}" for n, label in enumerate(labels, 1)
        )
        if hint:
            plain_options += "\n" + html_to_plain(hint)
            html_options += "<br>" + matrix_html(hint)
        body = f"{body}\n\n{plain_options}" if body else plain_options
        formatted = f"{formatted}<br><br>{html_options}" if formatted else html_options
    return body, formatted


def notice_content(body: str, formatted: str) -> dict[str, Any]:
    return {"msgtype": "m.notice", "body": body, "format": HTML_FORMAT, "formatted_body": formatted}


def edit_content(target_event_id: str, body: str, formatted: str) -> dict[str, Any]:
    """An ``m.replace`` edit of an earlier notice (with the fallback clients show)."""
    content = notice_content(f"* {body}", f"* {formatted}")
    content["m.new_content"] = notice_content(body, formatted)
    content["m.relates_to"] = {"rel_type": "m.replace", "event_id": target_event_id}
    return content


class _RoomNotReady(Exception):
    """A room the bot is in but has not seen in a sync yet."""


class SendPart(MediaPart):
    """Sending: one outbox row becomes one ``room_send`` (or leaving a room)."""

    async def deliver(self, item: OutboxItem) -> Delivery:
        if self._closed:
            return Delivery(Status.RETRY, error="Stopping")
        if not await self._wait_ready():
            return Delivery(Status.RETRY, error="NotReady")
        self._in_flight += 1
        self._idle.clear()
        try:
            return await self._deliver(item)
        except _RoomNotReady:
            return Delivery(Status.RETRY, error="RoomNotSynced")
        except (ClientError, TimeoutError, OSError) as error:
            return Delivery(Status.RETRY, error=type(error).__name__)
        except (LocalProtocolError, SendRetryError, OlmTrustError, EncryptionError) as error:
            return Delivery(Status.RETRY, error=type(error).__name__)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _wait_ready(self, timeout: float = 60.0) -> bool:
        if self._ready.is_set():
            return True
        return await wait_event(self._ready, timeout)

    async def _deliver(self, item: OutboxItem) -> Delivery:
        item = dataclasses.replace(item, html=bang_commands(item.html, self.commands))
        room_id = item.platform_chat
        if item.kind == LEAVE:
            return await self._leave(room_id)
        if item.kind == JOIN:
            return await self._join(room_id)
        room = await self._room(room_id)
        if room is None:
            return Delivery(Status.UNREACHABLE, error="not in room")
        tx = f"{self.txn_prefix}-{item.id}"
        if item.kind == UNENCRYPTED:
            if self.plain is None:  # never through the encrypting client instead
                return Delivery(Status.RETRY, error="NoPlainClient")
            # The transaction id is the row's, so a resend after a crash is deduplicated.
            body, formatted = render_message(item.html, [], "")
            return await self._send(room_id, notice_content(body, formatted), tx, self.plain)
        labels = [button.label for row in item.buttons for button in row]
        hint = item.options_hint if labels else ""
        if item.edit_of is not None and item.edit_target_message_id is not None:
            body, formatted = render_message(item.html, labels, hint)
            return await self._send(
                room_id, edit_content(item.edit_target_message_id, body, formatted), tx
            )
        if item.document is not None:
            return await self._send_file(room, item, labels, hint, tx)
        parts = self._parts(item.html)
        result = Delivery(Status.FAILED, error="empty")
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            body, formatted = render_message(part, labels if last else [], hint if last else "")
            result = await self._send(
                room_id, notice_content(body, formatted), tx if index == 0 else f"{tx}-{index}"
            )
            if result.status is not Status.SENT:
                return result
        return result

    @staticmethod
    def _parts(markup: str) -> list[str]:
        if len(markup.encode("utf-8")) * 2 <= MAX_PART_BYTES:
            return [markup]
        return split_html(markup, MAX_PART_CHARS)

    async def _leave(self, room_id: str) -> Delivery:
        """Leave the room (an outbox row of kind ``leave``: the core decided it)."""
        self._left.add(room_id)
        self._inviters.pop(room_id, None)
        response = await self.client.room_leave(room_id)
        if isinstance(response, ErrorResponse):  # already left, or never there
            log.info("matrix: room_leave %s: %s", room_id, response.status_code)
        return Delivery.sent(None)

    async def _join(self, room_id: str) -> Delivery:
        """Join the room (an outbox row of kind ``join``: the core accepted the invite); a
        refusal is retried by the delivery worker like any send."""
        response = await self.client.join(room_id)
        if isinstance(response, JoinResponse):
            self._left.discard(room_id)
            log.info("matrix: joined %s", room_id)
            return Delivery.sent(None)
        return error_delivery(response)

    async def _send(
        self, room_id: str, content: dict[str, Any], tx: str, client: Any = None
    ) -> Delivery:
        """``room_send`` through nio's public API (``client``: :attr:`plain` for a notice
        that must not be encrypted; otherwise the syncing client, which encrypts)."""
        response = await (self.client if client is None else client).room_send(
            room_id,
            "m.room.message",
            content,
            tx_id=tx,
            ignore_unverified_devices=True,
        )
        if isinstance(response, RoomSendResponse):
            return Delivery.sent(str(response.event_id))
        return error_delivery(response)

    async def _send_file(
        self, room: Any, item: OutboxItem, labels: Sequence[str], hint: str, tx: str
    ) -> Delivery:
        document = item.document
        assert document is not None
        content = await self._upload(room, document)
        if isinstance(content, Delivery):
            return content
        if item.html.strip() or labels:
            # The text travels as the file's caption (``body`` differs from ``filename``).
            body, formatted = render_message(item.html, labels, hint)
            content.update(body=body, format=HTML_FORMAT, formatted_body=formatted)
        return await self._send(room.room_id, content, tx)

    async def _room(self, room_id: str) -> Any:
        """The nio room, waiting briefly for a just-joined one; None if the bot is not in it."""
        if room_id in self._left:
            return None
        deadline = time.monotonic() + ROOM_WAIT_SECONDS
        while True:
            room = self.client.rooms.get(room_id)
            if room is not None:
                return room
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await wait_event(self._sync_tick, remaining)
        joined = await self.client.joined_rooms()
        if isinstance(joined, JoinedRoomsResponse) and room_id not in joined.rooms:
            return None
        raise _RoomNotReady
