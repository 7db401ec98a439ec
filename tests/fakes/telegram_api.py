"""A fake Telegram Bot API server for end-to-end tests.

The server speaks enough of the real Bot API over real HTTP that python-telegram-bot's own
HTTP stack (httpx) can talk to it::

    with FakeTelegramServer() as server:
        bot = telegram.Bot(server.token, base_url=server.base_url,
                           base_file_url=server.base_file_url)

Requests arrive as ``POST {url}/bot{TOKEN}/{method}`` with form-urlencoded, multipart or JSON
bodies (query strings work too).  The server runs an aiohttp application on 127.0.0.1 with a
random free port, in its own thread with its own event loop, so the bot under test may run in
the test's event loop or in a separate process.  Every control and inspection method is
thread-safe; the ``wait_*`` helpers block the calling thread, the ``async_wait_*`` variants poll
with :func:`asyncio.sleep` and are meant for async tests.

Files: an upload (multipart) gets a fresh ``file_id``; ``sendDocument``/``sendPhoto`` also
take a ``file_id`` string (form field or JSON) of a file of the same kind, as the real API
does, and refuse an unknown one with 400 "wrong file identifier/HTTP URL specified" and one
of the other kind with "type of file mismatch".  :meth:`FakeTelegramServer.uploads` lists
the uploads (re-sends by ``file_id`` are not uploads), and
:meth:`FakeTelegramServer.invalidate_file_ids` makes the ids given so far unusable, as a new
bot token would.

Simulated people are driven with :meth:`FakeTelegramServer.user_sends`,
:meth:`FakeTelegramServer.user_presses`, :meth:`FakeTelegramServer.block` and friends, which
queue updates that the bot fetches with ``getUpdates`` (or that are POSTed to its webhook).

Deliberate deviations from the real service (documented so tests are read correctly):

* HTML is parsed by a port of tdlib's ``parse_html`` (the parser behind the Bot API).  Real
  Telegram keeps a bare ``&`` that does not start an entity as a literal character; this fake
  rejects it by default (``strict_ampersand=True``) so that unescaped user text is caught in
  tests.  Pass ``strict_ampersand=False`` for the real, lenient behaviour.
* Only ``parse_mode`` ``HTML`` (or none) is implemented; Markdown modes are rejected.
* Flood control is a deterministic model of the documented limits (30 sends/s overall,
  1 send/s per private chat, 20 sends/min per group); the real service is fuzzier.
* Leading/trailing whitespace is not trimmed from stored texts (only checked for emptiness).
* ``user_sends_document(..., served_size=N)`` makes a file whose download is longer than the
  size the message and getFile declare (streamed in chunks, without Content-Length), to test
  that a bot stops reading at its own limit; :meth:`FakeTelegramServer.downloads` records how
  many bytes each download wrote before the bot hung up.  Real Telegram never lies so.

As the real API: an unknown token answers 401 "Unauthorized" (also for file downloads), and
a ``secret_token`` given to setWebhook is sent as the ``X-Telegram-Bot-Api-Secret-Token``
header of every update POSTed to the webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import mimetypes
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "BotMessage",
    "CallbackAnswer",
    "DownloadRecord",
    "FakeTelegramServer",
    "FakeTelegramTimeout",
    "HtmlParseError",
    "MessageVersion",
    "ParsedText",
    "RequestRecord",
    "SentFile",
    "UploadRecord",
    "WebhookDelivery",
    "fake_telegram",
    "fake_telegram_factory",
    "parse_html",
    "utf16_len",
]

JSONDict = dict[str, Any]
Keyboard = list[list[tuple[str, str | None]]]
T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-TOKEN"
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_ERR_TOO_LONG = "Bad Request: message is too long"
_ERR_CAPTION_TOO_LONG = "Bad Request: message caption is too long"
_ERR_EMPTY = "Bad Request: message text is empty"
_ERR_CHAT_NOT_FOUND = "Bad Request: chat not found"
_ERR_BLOCKED = "Forbidden: bot was blocked by the user"
_ERR_BUTTON_DATA = "Bad Request: BUTTON_DATA_INVALID"
_ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_ERR_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_ERR_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_ERR_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_ERR_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"

# Update types delivered when allowed_updates was never given or was an empty list.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


# --------------------------------------------------------------------------------------------
# Text handling
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram counts limits and offsets in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class HtmlParseError(ValueError):
    """Raised by :func:`parse_html`; ``str(exc)`` is tdlib's reason text."""


@dataclass(frozen=True)
class ParsedText:
    """Plain text and Bot API ``MessageEntity`` dicts (UTF-16 offsets) after parsing."""

    text: str
    entities: list[JSONDict]


_SPACE = frozenset(b" \t\r\n\v\0")
_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_NAMED_ENTITIES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def _is_alpha(c: int) -> bool:
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Port of tdlib ``decode_html_entity``: ``(code point, new position)``; 0 = no entity."""
    n = len(data)

    def at(k: int) -> int:
        return data[k] if k < n else 0

    end = pos + 1
    res = 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while _is_hex(at(end)):
                res = res * 16 + int(chr(at(end)), 16)
                end += 1
                if res >= 0x10FFFF:
                    return 0, pos
        else:
            while _is_digit(at(end)):
                res = res * 10 + at(end) - 0x30
                end += 1
                if res >= 0x10FFFF:
                    return 0, pos
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(at(end)):
            end += 1
        res = _NAMED_ENTITIES.get(data[pos + 1 : end], 0)
        if res == 0:
            return 0, pos
    if at(end) == ord(";"):
        return res, end + 1
    return res, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    byte_pos: int


def parse_html(html: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram-flavoured HTML like the Bot API does (a port of tdlib's ``parse_html``).

    Raises :class:`HtmlParseError` with tdlib's reason (e.g. ``Unsupported start tag "x" at
    byte offset 3``).  Byte offsets are offsets into the UTF-8 encoded input.  With
    ``strict_ampersand`` a ``&`` that does not start an entity is an error (real Telegram keeps
    it as a literal character).
    """
    data = html.encode("utf-8", "surrogatepass")
    n = len(data)

    def at(k: int) -> int:
        return data[k] if k < n else 0

    def is_space(c: int) -> bool:
        return c in _SPACE

    out = bytearray()
    entities: list[JSONDict] = []
    nested: list[_OpenTag] = []
    utf16 = 0
    i = 0
    while i < n:
        c = data[i]
        if c == ord("&"):
            code, new_i = _decode_html_entity(data, i)
            if code != 0:
                utf16 += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8", "surrogatepass")
                i = new_i
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {i}; write it as "&amp;" '
                    "(the fake is stricter than Telegram here)"
                )
        if c != ord("<"):
            if (c & 0xC0) != 0x80:  # first byte of a UTF-8 sequence
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            # start tag
            while not is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in _ALLOWED_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while i < n and is_space(at(i)):
                    i += 1
                if at(i) == ord(">"):
                    break
                attr_begin = i
                while not is_space(at(i)) and at(i) not in (ord("="), ord(">")):
                    i += 1
                attr_name = data[attr_begin:i].decode("utf-8", "replace")
                if not attr_name:
                    raise HtmlParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while i < n and is_space(at(i)):
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        argument = "expandable"
                        continue
                    raise HtmlParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while i < n and is_space(at(i)):
                    i += 1
                if i >= n:
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in (ord("'"), ord('"')):
                    token_begin = i
                    while _is_alpha(at(i)) or _is_digit(at(i)) or at(i) in (ord("."), ord("-")):
                        i += 1
                    value = data[token_begin:i].decode("utf-8", "replace").lower()
                    if not is_space(at(i)) and at(i) != ord(">"):
                        raise HtmlParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    value_bytes = bytearray()
                    while i < n and at(i) != quote:
                        if at(i) == ord("&"):
                            code, new_i = _decode_html_entity(data, i)
                            if code != 0:
                                value_bytes += chr(code).encode("utf-8", "surrogatepass")
                                i = new_i
                                continue
                        value_bytes.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = value_bytes.decode("utf-8", "replace")
                if i >= n:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            nested.append(_OpenTag(tag, argument, utf16, len(out)))
            i += 1  # skip '>'
            continue

        # end tag
        if not nested:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        while not is_space(at(i)) and at(i) != ord(">"):
            i += 1
        end_name = data[begin + 2 : i].decode("utf-8", "replace").lower()
        while i < n and is_space(at(i)):
            i += 1
        if at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        top = nested[-1]
        if end_name and end_name != top.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.name}>", '
                f'found "</{end_name}>"'
            )
        nested.pop()
        if utf16 <= top.utf16_offset:
            continue
        offset, length = top.utf16_offset, utf16 - top.utf16_offset
        if top.name in _SIMPLE_ENTITY_TYPES:
            entities.append(
                {"type": _SIMPLE_ENTITY_TYPES[top.name], "offset": offset, "length": length}
            )
        elif top.name == "tg-emoji":
            if not top.argument.isdigit() or int(top.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": top.argument,
                }
            )
        elif top.name == "a":
            url = top.argument or bytes(out[top.byte_pos :]).decode("utf-8", "replace")
            if url:
                entities.append(
                    {"type": "text_link", "offset": offset, "length": length, "url": url}
                )
        elif top.name == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": offset, "length": length})
        elif top.name == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and last["offset"] == offset
                and last["length"] == length
                and top.argument
            ):
                last["language"] = top.argument
            else:
                entity: JSONDict = {"type": "code", "offset": offset, "length": length}
                if top.argument:
                    entity["language"] = top.argument
                entities.append(entity)
        elif top.name == "blockquote":
            kind = "expandable_blockquote" if top.argument == "expandable" else "blockquote"
            entities.append({"type": kind, "offset": offset, "length": length})
    if nested:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    try:
        text = bytes(out).decode("utf-8")
    except UnicodeDecodeError:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(text, entities)


_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")


def _command_entities(text: str) -> list[JSONDict]:
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


class FakeTelegramTimeout(AssertionError, TimeoutError):
    """A ``wait_*`` helper gave up; the message says what was received instead."""


@dataclass
class SentFile:
    """A file the bot uploaded (or a user sent).  ``caption`` is the parsed plain caption."""

    filename: str
    data: bytes
    mime_type: str | None
    file_id: str
    file_unique_id: str
    caption: str | None = None
    kind: str = "document"  # "document" or "photo": a file_id is re-sent only as its kind
    # A file whose download is longer than it says: the message and getFile declare
    # ``len(data)``, the download streams this many bytes (chunked, no Content-Length).
    served_size: int | None = None


@dataclass
class MessageVersion:
    """An earlier state of an edited bot message."""

    text: str | None
    html: str | None
    parse_mode: str | None
    entities: list[JSONDict]
    keyboard: Keyboard
    caption: str | None
    replaced_at: float


@dataclass
class BotMessage:
    """A message the bot sent, as currently stored by the fake server.

    ``text`` is the parsed plain text of a text message (``None`` for media), ``caption`` the
    parsed caption of a media message, ``html`` the raw text/caption exactly as sent and
    ``keyboard`` the inline keyboard as rows of ``(text, callback_data)`` (``callback_data`` is
    ``None`` for URL and other non-callback buttons).  ``edits`` holds the earlier versions,
    oldest first.  ``sent_at`` is :func:`time.monotonic` of the send.
    """

    message_id: int
    chat_id: int
    method: str
    date: int
    sent_at: float
    text: str | None
    html: str | None
    parse_mode: str | None
    entities: list[JSONDict]
    keyboard: Keyboard
    reply_markup: JSONDict | None
    caption: str | None = None
    document: SentFile | None = None
    photo: SentFile | None = None
    edits: list[MessageVersion] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """All inline buttons, row by row."""
        return [button for row in self.keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [text for text, _ in self.buttons]

    def callback_data_for(self, button_text: str) -> str:
        """The callback data of the button labelled ``button_text`` (AssertionError if none)."""
        for text, data in self.buttons:
            if text == button_text and data is not None:
                return data
        raise AssertionError(
            f"message {self.message_id} in chat {self.chat_id} has no callback button "
            f"{button_text!r}; buttons: {self.buttons!r}"
        )


@dataclass(frozen=True)
class RequestRecord:
    """One Bot API call as the server saw it; ``time`` is :func:`time.monotonic`."""

    method: str
    chat_id: int | str | None
    status: int
    time: float
    params: Mapping[str, Any]
    description: str | None = None


@dataclass(frozen=True)
class UploadRecord:
    """File bytes the bot uploaded (multipart) to ``sendDocument``/``sendPhoto``, whether or
    not the send then succeeded; ``time`` is :func:`time.monotonic`."""

    method: str
    chat_id: int | str | None
    filename: str
    size: int
    time: float


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float


@dataclass(frozen=True)
class DownloadRecord:
    """One file download (``GET /file/bot<token>/<path>``); ``bytes_sent`` counts the bytes
    the server wrote before the download ended, ``complete`` whether all of them went."""

    file_id: str
    size: int  # what the download would serve in full
    bytes_sent: int
    complete: bool
    time: float


@dataclass(frozen=True)
class WebhookDelivery:
    update_id: int
    url: str
    status: int | None  # None when the connection failed
    error: str | None
    time: float


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class _Upload:
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class _User:
    user_id: int
    first_name: str
    language_code: str | None
    last_name: str | None = None
    username: str | None = None
    blocked: bool = False

    def to_json(self) -> JSONDict:
        out: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class _Chat:
    chat_id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    last_message_id: int = 0

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def to_json(self) -> JSONDict:
        out: JSONDict = {"id": self.chat_id, "type": self.type}
        if self.title is not None:
            out["title"] = self.title
        if self.first_name is not None:
            out["first_name"] = self.first_name
        if self.username is not None:
            out["username"] = self.username
        return out


@dataclass
class _PendingCallback:
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answered: bool = False


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class _FloodControl:
    """Sliding-window model of Telegram's documented send limits."""

    def __init__(
        self,
        overall_per_second: int,
        per_chat_interval: float,
        group_per_minute: int,
        private_per_interval: int,
    ) -> None:
        self.overall_per_second = overall_per_second
        self.per_chat_interval = per_chat_interval
        self.group_per_minute = group_per_minute
        self.private_per_interval = private_per_interval
        self._overall: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    def _chat_limit(self, chat_id: int) -> tuple[float, int] | None:
        if chat_id > 0 and self.per_chat_interval > 0 and self.private_per_interval > 0:
            return self.per_chat_interval, self.private_per_interval
        if chat_id < 0 and self.group_per_minute > 0:
            return 60.0, self.group_per_minute
        return None

    @staticmethod
    def _prune(window: deque[float], span: float, now: float) -> None:
        while window and window[0] <= now - span:
            window.popleft()

    def retry_after(self, chat_id: int, now: float) -> int | None:
        waits: list[float] = []
        if self.overall_per_second > 0:
            self._prune(self._overall, 1.0, now)
            if len(self._overall) >= self.overall_per_second:
                waits.append(self._overall[-self.overall_per_second] + 1.0 - now)
        limit = self._chat_limit(chat_id)
        if limit is not None:
            span, cap = limit
            window = self._per_chat.setdefault(chat_id, deque())
            self._prune(window, span, now)
            if len(window) >= cap:
                waits.append(window[-cap] + span - now)
        if not waits:
            return None
        return max(1, math.ceil(max(waits)))

    def record(self, chat_id: int, now: float) -> None:
        self._overall.append(now)
        self._per_chat.setdefault(chat_id, deque()).append(now)

    def reset(self) -> None:
        self._overall.clear()
        self._per_chat.clear()


class _Params:
    """Request parameters from query string, form, multipart or JSON, with Bot API coercions."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or isinstance(value, _Upload):
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def get_int(self, name: str, error: str | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(float(str(value)))
        except ValueError:
            raise _ApiError(400, error or f'Bad Request: invalid parameter "{name}"') from None

    def get_float(self, name: str) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _ApiError(400, f'Bad Request: invalid parameter "{name}"') from None

    def get_bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def get_json(self, name: str, error: str | None = None) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise _ApiError(
                    400, error or f"Bad Request: can't parse {name} JSON object"
                ) from None
        return value

    def upload(self, name: str) -> _Upload | str | None:
        value = self.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.raw.get(value[len("attach://") :])
        if isinstance(value, _Upload | str):
            return value
        return None

    def loggable(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.raw.items():
            if isinstance(value, _Upload):
                out[key] = f"<file {value.filename!r}, {len(value.data)} bytes>"
            else:
                out[key] = value
        return out


_CANONICAL_METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getChat",
    "getFile",
    "logOut",
    "close",
)
_METHOD_BY_LOWER = {name.lower(): name for name in _CANONICAL_METHODS}
_SEND_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)
_NON_CALLBACK_BUTTON_FIELDS = (
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "pay",
    "callback_game",
    "copy_text",
)


def _parse_reply_markup(raw: Any) -> tuple[JSONDict | None, Keyboard]:
    """Validate ``reply_markup`` like Telegram; returns (markup, inline keyboard rows)."""
    if raw is None:
        return None, []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _ApiError(400, _ERR_MARKUP) from None
    if not isinstance(raw, dict):
        raise _ApiError(400, _ERR_MARKUP)
    if "inline_keyboard" not in raw:
        if any(key in raw for key in ("keyboard", "remove_keyboard", "force_reply")):
            return raw, []
        raise _ApiError(400, _ERR_MARKUP)
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
    keyboard: Keyboard = []
    for row in rows:
        out_row: list[tuple[str, str | None]] = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _ApiError(
                    400,
                    'Bad Request: can\'t parse inline keyboard button: Field "text" must be '
                    "of type String",
                )
            text = button["text"]
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8", "surrogatepass")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _ApiError(400, _ERR_BUTTON_DATA)
                out_row.append((text, data))
            elif any(key in button for key in _NON_CALLBACK_BUTTON_FIELDS):
                url = button.get("url")
                if url is not None and not re.match(r"(?i)(https?|tg)://\S+$", str(url)):
                    raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                out_row.append((text, None))
            else:
                raise _ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed "
                    "in the inline keyboard",
                )
        keyboard.append(out_row)
    return raw, keyboard


def _inline_rows(markup: JSONDict | None) -> list[Any] | None:
    if markup is None or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    return rows if rows else None


def _update_type(update: Mapping[str, Any]) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


def _json_body(
    ok: bool,
    *,
    result: Any = None,
    code: int = 200,
    description: str = "",
    parameters: JSONDict | None = None,
) -> JSONDict:
    if ok:
        return {"ok": True, "result": result}
    body: JSONDict = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegramServer:
    """Fake Bot API server.  See the module docstring for the big picture.

    Flood-control parameters: at most ``overall_per_second`` sends in any 1 s window, at most
    ``private_per_interval`` sends per private chat in any ``per_chat_interval`` seconds and at
    most ``group_per_minute`` sends per group chat (negative id) in any 60 s.  Sends are
    sendMessage, sendDocument, sendPhoto, editMessageText and editMessageReplyMarkup; a
    limited call answers 429 with ``parameters.retry_after`` and is not recorded.  A limit of
    0 disables that limit; ``flood_control=False`` disables all of them.

    Like Telegram, editMessageText/editMessageReplyMarkup without ``reply_markup`` remove the
    inline keyboard, and an edit that changes nothing answers 400 "message is not modified".
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "hankebot_test_bot",
        bot_first_name: str = "Hankebot",
        flood_control: bool = True,
        overall_per_second: int = 30,
        per_chat_interval: float = 1.0,
        group_per_minute: int = 20,
        private_per_interval: int = 1,
        strict_ampersand: bool = True,
        webhook_retry_delay: float = 0.1,
        webhook_timeout: float = 5.0,
        first_update_id: int = 10_001,
        flood_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        # what the flood limits count time by; a test may stop it to check the limits
        # themselves without depending on how fast the machine sends
        self._flood_clock = flood_clock
        try:
            self.bot_id = int(token.split(":", 1)[0])
        except ValueError:
            self.bot_id = 123456
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_ampersand = strict_ampersand
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._flood_enabled = flood_control
        self._flood = _FloodControl(
            overall_per_second, per_chat_interval, group_per_minute, private_per_interval
        )

        self._users: dict[int, _User] = {}
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[tuple[int, int], BotMessage] = {}
        self._message_order: list[BotMessage] = []
        self._updates: list[JSONDict] = []
        self._all_updates: list[JSONDict] = []
        self._dropped_updates: list[JSONDict] = []
        self._next_update_id = first_update_id
        self._confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._polls_waiting = 0
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_deliveries: list[WebhookDelivery] = []
        self._requests: list[RequestRecord] = []
        self._callback_queries: dict[str, _PendingCallback] = {}
        self._callback_answers: list[CallbackAnswer] = []
        self._commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._files: dict[str, SentFile] = {}
        self._uploads: list[UploadRecord] = []
        self._downloads: list[DownloadRecord] = []
        self._id_counter = itertools.count(1)

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._update_event: asyncio.Event | None = None
        self._closing = False
        self._port: int | None = None
        self._start_error: BaseException | None = None
        # Called (in the server's thread, with the lock held) with each new message the bot
        # sent, after it is stored and before the bot gets the answer: a test may kill the bot
        # there, at the worst moment for the bot (Telegram has the message, the bot does not
        # know). Set it with :attr:`on_message`.
        self.on_message: Callable[[BotMessage], None] | None = None
        # Seconds the server waits before answering a method (by Bot API method name): a
        # slow platform, for tests that check the bot does not wait on what it need not.
        self.method_delays: dict[str, float] = {}

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (only valid after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("FakeTelegramServer is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url`` (``{url}/bot``)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url`` (``{url}/file/bot``)."""
        return f"{self.url}/file/bot"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> FakeTelegramServer:
        if self.running:
            return self
        ready = threading.Event()
        self._closing = False
        self._start_error = None
        self._thread = threading.Thread(
            target=self._thread_main, args=(ready,), name="fake-telegram-api", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("FakeTelegramServer did not start within 10 s")
        if self._start_error is not None:
            raise RuntimeError("FakeTelegramServer failed to start") from self._start_error
        return self

    def stop(self) -> None:
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None or loop is None or stop_event is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(stop_event.set)
        thread.join(15)
        self._thread = None
        self._port = None

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _thread_main(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._serve(ready))
        except BaseException as exc:  # pragma: no cover - reported through start()
            self._start_error = exc
            ready.set()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        self._update_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        try:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._port = int(runner.addresses[0][1])
        except BaseException as exc:
            self._start_error = exc
            ready.set()
            await runner.cleanup()
            return
        ready.set()
        try:
            await self._stop_event.wait()
        finally:
            with self._lock:
                self._closing = True
                self._webhook = None
            self._wake()
            task = self._webhook_task
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await runner.cleanup()
            self._loop = None

    # ---------------------------------------------------------------- notification plumbing

    def _wake(self) -> None:
        """Runs on the server loop: release long polls and the webhook worker."""
        event = self._update_event
        self._update_event = asyncio.Event()
        if event is not None:
            event.set()

    def _changed(self) -> None:
        """Caller holds the lock: wake sync waiters and the server loop."""
        self._cond.notify_all()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake)

    # ---------------------------------------------------------------- simulated people

    def add_user(
        self,
        user_id: int,
        first_name: str = "Testi",
        language_code: str | None = "fi",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> None:
        """Register a private-chat user (chat id == user id) who has started the bot."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        with self._lock:
            self._users[user_id] = _User(user_id, first_name, language_code, last_name, username)
            chat = self._chats.get(user_id)
            if chat is None:
                self._chats[user_id] = _Chat(
                    user_id, "private", first_name=first_name, username=username
                )
            else:
                chat.first_name = first_name
                chat.username = username

    def add_group(self, chat_id: int, title: str = "Testiryhmä") -> None:
        """Register a group chat (negative id) the bot is a member of."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        with self._lock:
            self._chats.setdefault(chat_id, _Chat(chat_id, "group", title=title))

    def _user(self, user_id: int) -> _User:
        user = self._users.get(user_id)
        if user is None:
            self.add_user(user_id)
            user = self._users[user_id]
        return user

    def _user_message(self, user: _User, chat: _Chat, fields: Mapping[str, Any]) -> int:
        if user.blocked and chat.chat_id == user.user_id:
            # Writing to a bot you blocked means unblocking it first (the "Restart" button).
            self._set_blocked(user, False)
        message: JSONDict = {
            "message_id": chat.next_message_id(),
            "from": user.to_json(),
            "chat": chat.to_json(),
            "date": int(time.time()),
        }
        message.update(fields)
        return self._push_update_locked({"message": message})

    def user_sends(self, user_id: int, text: str) -> int:
        """The user writes ``text`` to the bot in their private chat.  Returns the update_id."""
        with self._lock:
            user = self._user(user_id)
            fields: JSONDict = {"text": text}
            entities = _command_entities(text)
            if entities:
                fields["entities"] = entities
            return self._user_message(user, self._chats[user_id], fields)

    def user_sends_sticker(self, user_id: int, emoji: str = "👍") -> int:
        """The user sends a sticker (a message without text)."""
        with self._lock:
            user = self._user(user_id)
            uid = f"sticker{next(self._id_counter)}"
            sticker = {
                "file_id": f"CAAC{uid}",
                "file_unique_id": uid,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
            }
            return self._user_message(user, self._chats[user_id], {"sticker": sticker})

    def user_sends_document(
        self,
        user_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        served_size: int | None = None,
    ) -> int:
        """The user sends a file; the bot can fetch it with getFile and download it.

        With ``served_size`` the file lies about its size: the message and getFile say
        ``len(data)``, the download streams ``served_size`` bytes (see :meth:`downloads`).
        """
        with self._lock:
            user = self._user(user_id)
            stored = self._store_file(filename, data, mime_type, caption)
            stored.served_size = served_size
            fields: JSONDict = {"document": self._document_json(stored)}
            if caption:
                fields["caption"] = caption
            return self._user_message(user, self._chats[user_id], fields)

    def user_sends_raw(self, user_id: int, fields: Mapping[str, Any]) -> int:
        """The user sends a message with arbitrary extra fields (location, contact, ...)."""
        with self._lock:
            user = self._user(user_id)
            return self._user_message(user, self._chats[user_id], dict(fields))

    def group_message(self, chat_id: int, user_id: int, text: str) -> int:
        """``user_id`` writes ``text`` in group ``chat_id`` (the group is created if needed)."""
        with self._lock:
            self.add_group(chat_id)
            user = self._user(user_id)
            fields: JSONDict = {"text": text}
            entities = _command_entities(text)
            if entities:
                fields["entities"] = entities
            return self._user_message(user, self._chats[chat_id], fields)

    def push_update(self, payload: Mapping[str, Any]) -> int:
        """Queue an arbitrary update (``update_id`` is assigned); returns the update_id."""
        with self._lock:
            return self._push_update_locked(dict(payload))

    def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        forge: bool = False,
        chat_id: int | None = None,
    ) -> int:
        """The user presses an inline button of bot message ``message_id``.

        Unless ``forge`` is true the message must exist, not be deleted and currently carry a
        button with exactly this ``callback_data`` (otherwise AssertionError).  ``forge=True``
        sends arbitrary data, as a modified client could.  ``chat_id`` defaults to the user's
        private chat.  Returns the update_id.
        """
        with self._lock:
            user = self._user(user_id)
            target_chat = user_id if chat_id is None else chat_id
            chat = self._chats.get(target_chat)
            if chat is None:
                raise AssertionError(f"chat {target_chat} does not exist")
            msg = self._messages.get((target_chat, message_id))
            if not forge:
                if msg is None:
                    raise AssertionError(
                        f"bot sent no message {message_id} in chat {target_chat}; sent: "
                        f"{[m.message_id for m in self._message_order if m.chat_id == target_chat]}"
                    )
                if msg.deleted:
                    raise AssertionError(f"message {message_id} in chat {target_chat} is deleted")
                if callback_data not in [data for _, data in msg.buttons]:
                    raise AssertionError(
                        f"message {message_id} in chat {target_chat} has no button with "
                        f"callback_data {callback_data!r}; keyboard: {msg.keyboard!r}"
                    )
            if msg is not None and not msg.deleted:
                message_json = self._message_json(msg)
            else:
                message_json = {"chat": chat.to_json(), "message_id": message_id, "date": 0}
            query_id = str(4_000_000_000_000 + next(self._id_counter))
            self._callback_queries[query_id] = _PendingCallback(
                user_id, target_chat, message_id, callback_data
            )
            return self._push_update_locked(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user.to_json(),
                        "message": message_json,
                        "chat_instance": str(abs(hash((self.bot_id, target_chat)))),
                        "data": callback_data,
                    }
                }
            )

    def press_button(self, user_id: int, button_text: str, *, message_id: int | None = None) -> int:
        """Press the callback button labelled ``button_text`` on the newest (or the given)
        non-deleted bot message in the user's private chat that has it."""
        with self._lock:
            candidates = [
                m
                for m in reversed(self._message_order)
                if m.chat_id == user_id
                and not m.deleted
                and (message_id is None or m.message_id == message_id)
            ]
            for msg in candidates:
                for text, data in msg.buttons:
                    if text == button_text and data is not None:
                        return self.user_presses(user_id, msg.message_id, data)
            raise AssertionError(
                f"no bot message in chat {user_id} has a callback button {button_text!r}; "
                f"keyboards: {[(m.message_id, m.keyboard) for m in candidates]!r}"
            )

    def block(self, user_id: int) -> int:
        """The user blocks the bot: a my_chat_member update (new status "kicked"); later sends
        to them answer 403.  Returns the update_id."""
        with self._lock:
            return self._set_blocked(self._user(user_id), True)

    def unblock(self, user_id: int) -> int:
        with self._lock:
            return self._set_blocked(self._user(user_id), False)

    def _set_blocked(self, user: _User, blocked: bool) -> int:
        user.blocked = blocked
        bot_user = self._bot_user_json()
        kicked: JSONDict = {"status": "kicked", "user": bot_user, "until_date": 0}
        member: JSONDict = {"status": "member", "user": bot_user}
        return self._push_update_locked(
            {
                "my_chat_member": {
                    "chat": self._chats[user.user_id].to_json(),
                    "from": user.to_json(),
                    "date": int(time.time()),
                    "old_chat_member": member if blocked else kicked,
                    "new_chat_member": kicked if blocked else member,
                }
            }
        )

    def _push_update_locked(self, body: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, **body}
        self._updates.append(update)
        self._all_updates.append(update)
        self._changed()
        return update_id

    # ---------------------------------------------------------------- inspection

    def messages(
        self, chat_id: int | None = None, *, include_deleted: bool = True
    ) -> list[BotMessage]:
        """Snapshots of the bot's messages in send order (optionally for one chat)."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._message_order
                if (chat_id is None or m.chat_id == chat_id) and (include_deleted or not m.deleted)
            ]

    def sent_since(self, position: int) -> list[tuple[int, float]]:
        """``(chat_id, sent_at)`` of the bot's messages from ``position`` on in send order:
        cheap enough to poll under load (no copies of the messages; bench/conversation.py)."""
        with self._lock:
            return [(m.chat_id, m.sent_at) for m in self._message_order[position:]]

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        with self._lock:
            msg = self._messages.get((chat_id, message_id))
            if msg is None:
                raise AssertionError(f"bot sent no message {message_id} in chat {chat_id}")
            return copy.deepcopy(msg)

    def last_message(self, chat_id: int) -> BotMessage:
        """The bot's most recently sent message in ``chat_id`` (AssertionError if none)."""
        with self._lock:
            for m in reversed(self._message_order):
                if m.chat_id == chat_id:
                    return copy.deepcopy(m)
        raise AssertionError(f"the bot has sent no messages to chat {chat_id}")

    def _describe_chat(self, chat_id: int | None) -> str:
        msgs = self.messages(chat_id)
        if not msgs:
            return "nothing"
        lines = [
            f"  #{m.message_id} chat={m.chat_id} {m.method}: "
            f"{m.text if m.text is not None else m.caption!r}"
            f"{' [deleted]' if m.deleted else ''} keyboard={m.keyboard!r}"
            for m in msgs
        ]
        return f"{len(msgs)} message(s):\n" + "\n".join(lines)

    def _describe_errors(self) -> str:
        failed = [r for r in self.requests if r.status != 200]
        if not failed:
            return ""
        tail = "\n".join(
            f"  {r.method} chat={r.chat_id} -> {r.status} {r.description}" for r in failed[-10:]
        )
        return f"\nfailed API calls (last 10):\n{tail}"

    def _messages_after(self, chat_id: int, after_message_id: int) -> list[BotMessage]:
        return [m for m in self.messages(chat_id) if m.message_id > after_message_id]

    def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 10.0, *, after_message_id: int = 0
    ) -> list[BotMessage]:
        """Block until the bot has sent at least ``count`` messages (deleted ones included) to
        ``chat_id`` with id > ``after_message_id``; returns them all.  Raises
        :class:`FakeTelegramTimeout` listing what was received."""

        def ready() -> list[BotMessage] | None:
            msgs = self._messages_after(chat_id, after_message_id)
            return msgs if len(msgs) >= count else None

        return self.wait_until(
            ready, timeout, what=f"{count} bot message(s) in chat {chat_id}", chat_id=chat_id
        )

    async def async_wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 10.0, *, after_message_id: int = 0
    ) -> list[BotMessage]:
        """Async variant of :meth:`wait_for_messages` (polls, never blocks the event loop)."""

        def ready() -> list[BotMessage] | None:
            msgs = self._messages_after(chat_id, after_message_id)
            return msgs if len(msgs) >= count else None

        return await self.async_wait_until(
            ready, timeout, what=f"{count} bot message(s) in chat {chat_id}", chat_id=chat_id
        )

    def _timeout(self, what: str, timeout: float, chat_id: int | None) -> FakeTelegramTimeout:
        return FakeTelegramTimeout(
            f"timed out after {timeout} s waiting for {what}; received "
            f"{self._describe_chat(chat_id)}{self._describe_errors()}"
        )

    def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 10.0,
        *,
        what: str = "condition",
        chat_id: int | None = None,
    ) -> T:
        """Block until ``predicate()`` returns something truthy and return it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout(what, timeout, chat_id)
                self._cond.wait(min(remaining, 0.05))

    async def async_wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 10.0,
        *,
        what: str = "condition",
        chat_id: int | None = None,
    ) -> T:
        """Async variant of :meth:`wait_until`; polls with :func:`asyncio.sleep`."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise self._timeout(what, timeout, chat_id)
            await asyncio.sleep(0.01)

    def wait_for_updates_consumed(self, timeout: float = 10.0) -> None:
        """Block until every queued update was fetched and confirmed (or delivered)."""
        self.wait_until(lambda: not self.pending_updates(), timeout, what="updates consumed")

    async def async_wait_for_updates_consumed(self, timeout: float = 10.0) -> None:
        await self.async_wait_until(
            lambda: not self.pending_updates(), timeout, what="updates consumed"
        )

    @property
    def requests(self) -> list[RequestRecord]:
        """Every API call so far (method, chat_id, HTTP status, monotonic time, params)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, method: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self._requests if r.method.lower() == method.lower()]

    def uploads(self) -> list[UploadRecord]:
        """Every file upload by the bot, oldest first (sends by ``file_id`` are not here)."""
        with self._lock:
            return list(self._uploads)

    def downloads(self) -> list[DownloadRecord]:
        """Every file download by the bot, oldest first (getFile calls are in requests)."""
        with self._lock:
            return list(self._downloads)

    @property
    def upload_count(self) -> int:
        with self._lock:
            return len(self._uploads)

    @property
    def uploaded_bytes(self) -> int:
        with self._lock:
            return sum(upload.size for upload in self._uploads)

    @property
    def count_by_status(self) -> Counter[int]:
        with self._lock:
            return Counter(r.status for r in self._requests)

    @property
    def count_429(self) -> int:
        return self.count_by_status[429]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._callback_answers)

    @property
    def commands(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Commands set with setMyCommands keyed by ``(scope, language_code)``.  ``scope`` is
        e.g. ``"default"``, ``"all_private_chats"`` or ``"chat:123"``; language ``""`` = all."""
        with self._lock:
            return {key: list(value) for key, value in self._commands.items()}

    def commands_for(
        self, language_code: str = "", scope: str = "default"
    ) -> list[tuple[str, str]] | None:
        with self._lock:
            value = self._commands.get((scope, language_code))
            return None if value is None else list(value)

    @property
    def bot_texts(self) -> dict[tuple[str, str], str]:
        """Values set with setMyName/setMyDescription/setMyShortDescription keyed by
        ``(method, language_code)``."""
        with self._lock:
            return dict(self._bot_texts)

    def pending_updates(self) -> list[JSONDict]:
        """Updates queued but not yet confirmed by getUpdates offset (or delivered by webhook)."""
        with self._lock:
            return copy.deepcopy(self._updates)

    @property
    def all_updates(self) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(self._all_updates)

    @property
    def waiting_long_polls(self) -> int:
        """How many getUpdates calls are currently parked waiting for an update."""
        with self._lock:
            return self._polls_waiting

    @property
    def confirmed_offset(self) -> int:
        """The highest positive ``offset`` the bot passed to getUpdates (0 = none yet)."""
        with self._lock:
            return self._confirmed_offset

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._webhook_deliveries)

    @property
    def webhook_url(self) -> str | None:
        with self._lock:
            return self._webhook.url if self._webhook else None

    def is_blocked(self, user_id: int) -> bool:
        with self._lock:
            user = self._users.get(user_id)
            return bool(user and user.blocked)

    def file(self, file_id: str) -> SentFile:
        with self._lock:
            return copy.deepcopy(self._files[file_id])

    def invalidate_file_ids(self, *file_ids: str) -> None:
        """Stop accepting these file_ids (all given so far when none are named), as after a
        change of the bot's token: sending or fetching one answers 400."""
        with self._lock:
            for file_id in file_ids or list(self._files):
                self._files.pop(file_id, None)

    # ---------------------------------------------------------------- flood control knobs

    @property
    def flood_control(self) -> bool:
        with self._lock:
            return self._flood_enabled

    @flood_control.setter
    def flood_control(self, enabled: bool) -> None:
        with self._lock:
            self._flood_enabled = enabled
            self._flood.reset()

    def reset_flood_control(self) -> None:
        """Forget every recorded send (e.g. between phases of a test)."""
        with self._lock:
            self._flood.reset()

    # ---------------------------------------------------------------- HTTP layer

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise _ApiError(400, "Bad Request: JSON request body must be an object")
            params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = _Upload(value.filename, value.file.read(), value.content_type)
                else:
                    params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return await self._handle_file(request)
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)/?", path)
        if match is None:
            return web.json_response(
                _json_body(False, code=404, description="Not Found"), status=404
            )
        token, method_name = match.groups()
        method = _METHOD_BY_LOWER.get(method_name.lower(), method_name)
        started = time.monotonic()
        params = _Params({})
        status, body = 200, _json_body(True)
        try:
            try:
                params = _Params(await self._read_params(request))
            finally:
                chat_ref = self._peek_chat(params)
            if token != self.token:
                raise _ApiError(401, "Unauthorized")
            if method_name.lower() not in _METHOD_BY_LOWER:
                raise _ApiError(404, "Not Found")
            result = await self._dispatch(method, params)
            body = _json_body(True, result=result)
        except _ApiError as err:
            status = err.code
            body = _json_body(
                False, code=err.code, description=err.description, parameters=err.parameters
            )
        except asyncio.CancelledError:
            self._log(method, chat_ref, 499, started, params, "client disconnected")
            raise
        except Exception as exc:  # a bug in the fake: make it visible, not a bare 500
            status = 500
            body = _json_body(
                False, code=500, description=f"Internal Server Error (fake server bug): {exc!r}"
            )
        self._log(
            method,
            chat_ref,
            status,
            started,
            params,
            None if status == 200 else body["description"],
        )
        return web.json_response(body, status=status)

    @staticmethod
    def _peek_chat(params: _Params) -> int | str | None:
        value = params.raw.get("chat_id")
        if value is None or isinstance(value, _Upload):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)

    def _log(
        self,
        method: str,
        chat_id: int | str | None,
        status: int,
        started: float,
        params: _Params,
        description: str | None,
    ) -> None:
        with self._lock:
            self._requests.append(
                RequestRecord(method, chat_id, status, started, params.loggable(), description)
            )
            self._changed()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        prefix = f"/file/bot{self.token}/"
        if not request.path.startswith(prefix):
            return web.json_response(
                _json_body(False, code=401, description="Unauthorized"), status=401
            )
        file_path = request.path[len(prefix) :]
        with self._lock:
            found = [s for s in self._files.values() if self._file_path(s) == file_path]
        if not found:
            return web.json_response(
                _json_body(False, code=404, description="Not Found"), status=404
            )
        stored = found[0]
        content_type = stored.mime_type or "application/octet-stream"
        if stored.served_size is None:
            self._record_download(stored, len(stored.data), len(stored.data), True)
            return web.Response(body=stored.data, content_type=content_type)
        # A body longer than declared, streamed until the reader hangs up.
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"\0" * 65536
        sent = 0
        complete = False
        try:
            while sent < stored.served_size:
                part = chunk[: stored.served_size - sent]
                await response.write(part)
                sent += len(part)
            await response.write_eof()
            complete = True
        except ConnectionError:
            pass
        finally:
            self._record_download(stored, stored.served_size, sent, complete)
        return response

    def _record_download(self, stored: SentFile, size: int, sent: int, complete: bool) -> None:
        with self._lock:
            self._downloads.append(
                DownloadRecord(stored.file_id, size, sent, complete, time.monotonic())
            )
            self._changed()

    async def _dispatch(self, method: str, p: _Params) -> Any:
        if method == "getUpdates":
            return await self._api_get_updates(p)
        handler = getattr(self, "_api_" + re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower())
        delay = self.method_delays.get(method, 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        with self._lock:
            result = handler(p)
            self._changed()
            return result

    # ---------------------------------------------------------------- helpers for methods

    def _bot_user_json(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_for(self, p: _Params, *, for_send: bool) -> _Chat:
        raw = p.raw.get("chat_id")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _ApiError(400, _ERR_CHAT_NOT_FOUND) from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _ApiError(400, _ERR_CHAT_NOT_FOUND)
        user = self._users.get(chat_id)
        if for_send and chat.type == "private" and user is not None and user.blocked:
            raise _ApiError(403, _ERR_BLOCKED)
        return chat

    def _format(
        self,
        raw: str | None,
        parse_mode: str | None,
        entities: Any,
        *,
        caption: bool,
    ) -> ParsedText:
        limit = MAX_CAPTION_LENGTH if caption else MAX_MESSAGE_LENGTH
        if raw is None or raw == "":
            if caption:
                return ParsedText("", [])
            raise _ApiError(400, _ERR_EMPTY)
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise _ApiError(400, "Bad Request: strings must be encoded in UTF-8") from None
        mode = (parse_mode or "").strip().lower()
        if mode == "html":
            try:
                parsed = parse_html(raw, strict_ampersand=self.strict_ampersand)
            except HtmlParseError as err:
                raise _ApiError(400, f"Bad Request: can't parse entities: {err}") from None
        elif mode in ("markdown", "markdownv2"):
            raise _ApiError(
                400, f"Bad Request: parse_mode {parse_mode} is not implemented by the fake server"
            )
        elif mode:
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        else:
            given = entities if isinstance(entities, list) else []
            parsed = ParsedText(raw, [e for e in given if isinstance(e, dict)])
        if not caption and not parsed.text.strip():
            raise _ApiError(400, _ERR_EMPTY)
        if utf16_len(parsed.text) > limit:
            raise _ApiError(400, _ERR_CAPTION_TOO_LONG if caption else _ERR_TOO_LONG)
        return parsed

    def _check_flood(self, chat_id: int) -> None:
        if not self._flood_enabled:
            return
        retry = self._flood.retry_after(chat_id, self._flood_clock())
        if retry is not None:
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _record_send(self, chat_id: int) -> None:
        if self._flood_enabled:
            self._flood.record(chat_id, self._flood_clock())

    def _store_file(
        self,
        filename: str,
        data: bytes,
        mime_type: str | None,
        caption: str | None,
        kind: str = "document",
    ) -> SentFile:
        n = next(self._id_counter)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        prefix = "AgACAgFAKE" if kind == "photo" else "BQACAgFAKE"
        stored = SentFile(
            filename, data, mime, f"{prefix}{n:08d}", f"AgADFAKE{n:06d}", caption, kind
        )
        self._files[stored.file_id] = stored
        return stored

    @staticmethod
    def _file_path(stored: SentFile) -> str:
        return f"documents/{stored.file_unique_id}"

    @staticmethod
    def _document_json(stored: SentFile) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.filename,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }

    def _message_json(self, msg: BotMessage) -> JSONDict:
        out: JSONDict = {
            "message_id": msg.message_id,
            "from": self._bot_user_json(),
            "chat": self._chats[msg.chat_id].to_json(),
            "date": msg.date,
        }
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.document is not None:
            out["document"] = self._document_json(msg.document)
        if msg.photo is not None:
            out["photo"] = [
                {
                    "file_id": msg.photo.file_id,
                    "file_unique_id": msg.photo.file_unique_id,
                    "width": 320,
                    "height": 320,
                    "file_size": len(msg.photo.data),
                }
            ]
        if msg.caption:
            out["caption"] = msg.caption
            if msg.entities:
                out["caption_entities"] = msg.entities
        rows = _inline_rows(msg.reply_markup)
        if rows is not None:
            out["reply_markup"] = {"inline_keyboard": rows}
        return out

    def _new_message(
        self,
        chat: _Chat,
        method: str,
        *,
        text: str | None,
        html: str | None,
        parse_mode: str | None,
        entities: list[JSONDict],
        markup: JSONDict | None,
        keyboard: Keyboard,
        caption: str | None = None,
        document: SentFile | None = None,
        photo: SentFile | None = None,
    ) -> JSONDict:
        msg = BotMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.chat_id,
            method=method,
            date=int(time.time()),
            sent_at=time.monotonic(),
            text=text,
            html=html,
            parse_mode=parse_mode,
            entities=entities,
            keyboard=keyboard,
            reply_markup=markup,
            caption=caption,
            document=document,
            photo=photo,
        )
        self._messages[(chat.chat_id, msg.message_id)] = msg
        self._message_order.append(msg)
        if self.on_message is not None:
            self.on_message(msg)
        return self._message_json(msg)

    def _target_message(self, p: _Params, chat: _Chat, missing: str) -> BotMessage:
        if p.has("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        message_id = p.get_int("message_id", "Bad Request: message identifier is not specified")
        if message_id is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        msg = self._messages.get((chat.chat_id, message_id))
        if msg is None or msg.deleted:
            raise _ApiError(400, missing)
        return msg

    @staticmethod
    def _snapshot_version(msg: BotMessage) -> MessageVersion:
        return MessageVersion(
            text=msg.text,
            html=msg.html,
            parse_mode=msg.parse_mode,
            entities=copy.deepcopy(msg.entities),
            keyboard=copy.deepcopy(msg.keyboard),
            caption=msg.caption,
            replaced_at=time.monotonic(),
        )

    # ---------------------------------------------------------------- API methods

    def _api_get_me(self, p: _Params) -> JSONDict:
        return {
            **self._bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_log_out(self, p: _Params) -> bool:
        return True

    def _api_close(self, p: _Params) -> bool:
        return True

    def _api_send_message(self, p: _Params) -> JSONDict:
        chat = self._chat_for(p, for_send=True)
        raw_text = p.get_str("text")
        parse_mode = p.get_str("parse_mode") or None
        parsed = self._format(raw_text, parse_mode, p.get_json("entities"), caption=False)
        markup, keyboard = _parse_reply_markup(p.get_json("reply_markup", _ERR_MARKUP))
        self._check_flood(chat.chat_id)
        self._record_send(chat.chat_id)
        return self._new_message(
            chat,
            "sendMessage",
            text=parsed.text,
            html=raw_text,
            parse_mode=parse_mode,
            entities=parsed.entities,
            markup=markup,
            keyboard=keyboard,
        )

    def _send_file(self, p: _Params, method: str, field_name: str) -> JSONDict:
        upload = p.upload(field_name)
        if isinstance(upload, _Upload):  # the bytes came over the wire, whatever follows
            self._uploads.append(
                UploadRecord(
                    method,
                    self._peek_chat(p),
                    upload.filename,
                    len(upload.data),
                    time.monotonic(),
                )
            )
        chat = self._chat_for(p, for_send=True)
        raw_caption = p.get_str("caption")
        parse_mode = p.get_str("parse_mode") or None
        parsed = self._format(raw_caption, parse_mode, p.get_json("caption_entities"), caption=True)
        markup, keyboard = _parse_reply_markup(p.get_json("reply_markup", _ERR_MARKUP))
        if upload is None:
            raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
        stored: SentFile
        if isinstance(upload, _Upload):
            if not upload.data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
        elif upload.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: failed to get HTTP URL content")
        elif upload not in self._files:
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        elif self._files[upload].kind != field_name:
            raise _ApiError(400, "Bad Request: type of file mismatch")
        self._check_flood(chat.chat_id)
        self._record_send(chat.chat_id)
        caption = parsed.text or None
        if isinstance(upload, _Upload):
            stored = self._store_file(
                upload.filename, upload.data, upload.content_type, caption, field_name
            )
        else:
            existing = self._files[upload]
            stored = SentFile(
                existing.filename,
                existing.data,
                existing.mime_type,
                existing.file_id,
                existing.file_unique_id,
                caption,
                existing.kind,
            )
        return self._new_message(
            chat,
            method,
            text=None,
            html=raw_caption,
            parse_mode=parse_mode,
            entities=parsed.entities,
            markup=markup,
            keyboard=keyboard,
            caption=caption,
            document=stored if field_name == "document" else None,
            photo=stored if field_name == "photo" else None,
        )

    def _api_send_document(self, p: _Params) -> JSONDict:
        return self._send_file(p, "sendDocument", "document")

    def _api_send_photo(self, p: _Params) -> JSONDict:
        return self._send_file(p, "sendPhoto", "photo")

    def _api_send_chat_action(self, p: _Params) -> bool:
        self._chat_for(p, for_send=True)
        return True

    def _api_edit_message_text(self, p: _Params) -> JSONDict:
        chat = self._chat_for(p, for_send=True)
        msg = self._target_message(p, chat, "Bad Request: message to edit not found")
        if msg.text is None:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        raw_text = p.get_str("text")
        parse_mode = p.get_str("parse_mode") or None
        parsed = self._format(raw_text, parse_mode, p.get_json("entities"), caption=False)
        markup, keyboard = _parse_reply_markup(p.get_json("reply_markup", _ERR_MARKUP))
        if markup is not None and "inline_keyboard" not in markup:
            raise _ApiError(400, "Bad Request: inline keyboard expected")
        if (
            parsed.text == msg.text
            and parsed.entities == msg.entities
            and _inline_rows(markup) == _inline_rows(msg.reply_markup)
        ):
            raise _ApiError(400, _ERR_NOT_MODIFIED)
        self._check_flood(chat.chat_id)
        self._record_send(chat.chat_id)
        msg.edits.append(self._snapshot_version(msg))
        msg.text, msg.html, msg.parse_mode = parsed.text, raw_text, parse_mode
        msg.entities = parsed.entities
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        msg.reply_markup, msg.keyboard = markup, keyboard
        msg.edit_date = int(time.time())
        return self._message_json(msg)

    def _api_edit_message_reply_markup(self, p: _Params) -> JSONDict:
        chat = self._chat_for(p, for_send=True)
        msg = self._target_message(p, chat, "Bad Request: message to edit not found")
        markup, keyboard = _parse_reply_markup(p.get_json("reply_markup", _ERR_MARKUP))
        if markup is not None and "inline_keyboard" not in markup:
            raise _ApiError(400, "Bad Request: inline keyboard expected")
        if _inline_rows(markup) == _inline_rows(msg.reply_markup):
            raise _ApiError(400, _ERR_NOT_MODIFIED)
        self._check_flood(chat.chat_id)
        self._record_send(chat.chat_id)
        msg.edits.append(self._snapshot_version(msg))
        msg.reply_markup, msg.keyboard = markup, keyboard
        msg.edit_date = int(time.time())
        return self._message_json(msg)

    def _api_delete_message(self, p: _Params) -> bool:
        chat = self._chat_for(p, for_send=False)
        msg = self._target_message(p, chat, "Bad Request: message to delete not found")
        msg.deleted = True
        return True

    def _api_answer_callback_query(self, p: _Params) -> bool:
        query_id = p.get_str("callback_query_id") or ""
        pending = self._callback_queries.get(query_id)
        if pending is None or pending.answered:
            raise _ApiError(400, _ERR_QUERY_INVALID)
        text = p.get_str("text")
        if text is not None and len(text) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        pending.answered = True
        self._callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                user_id=pending.user_id,
                chat_id=pending.chat_id,
                message_id=pending.message_id,
                data=pending.data,
                text=text,
                show_alert=p.get_bool("show_alert"),
                url=p.get_str("url"),
                cache_time=p.get_int("cache_time"),
                time=time.monotonic(),
            )
        )
        return True

    @staticmethod
    def _scope_key(p: _Params) -> str:
        scope = p.get_json("scope", "Bad Request: can't parse BotCommandScope JSON object")
        if scope is None:
            return "default"
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        simple = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")
        if kind in simple:
            return str(kind)
        if kind in ("chat", "chat_administrators"):
            return f"{kind}:{scope.get('chat_id')}"
        if kind == "chat_member":
            return f"chat_member:{scope.get('chat_id')}:{scope.get('user_id')}"
        raise _ApiError(400, "Bad Request: unsupported bot command scope type")

    @staticmethod
    def _language(p: _Params) -> str:
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _ApiError(400, "Bad Request: invalid language code specified")
        return language

    def _api_set_my_commands(self, p: _Params) -> bool:
        commands = p.get_json("commands", "Bad Request: can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise _ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        parsed: list[tuple[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _ApiError(400, "Bad Request: can't parse BotCommand JSON object")
            command = str(item.get("command", "")).removeprefix("/").lower()
            description = str(item.get("description", "")).strip()
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((command, description))
        key = (self._scope_key(p), self._language(p))
        if parsed:
            self._commands[key] = parsed
        else:
            self._commands.pop(key, None)
        return True

    def _api_get_my_commands(self, p: _Params) -> list[JSONDict]:
        key = (self._scope_key(p), self._language(p))
        return [{"command": c, "description": d} for c, d in self._commands.get(key, [])]

    def _api_delete_my_commands(self, p: _Params) -> bool:
        self._commands.pop((self._scope_key(p), self._language(p)), None)
        return True

    def _set_bot_text(self, p: _Params, method: str, name: str, limit: int) -> bool:
        value = p.get_str(name) or ""
        if len(value) > limit:
            raise _ApiError(400, f"Bad Request: {name} is too long")
        key = (method, self._language(p))
        if value:
            self._bot_texts[key] = value
        else:
            self._bot_texts.pop(key, None)
        return True

    def _api_set_my_description(self, p: _Params) -> bool:
        return self._set_bot_text(p, "setMyDescription", "description", 512)

    def _api_set_my_short_description(self, p: _Params) -> bool:
        return self._set_bot_text(p, "setMyShortDescription", "short_description", 120)

    def _api_set_my_name(self, p: _Params) -> bool:
        return self._set_bot_text(p, "setMyName", "name", 64)

    def _api_get_chat(self, p: _Params) -> JSONDict:
        chat = self._chat_for(p, for_send=False)
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _api_get_file(self, p: _Params) -> JSONDict:
        file_id = p.get_str("file_id") or ""
        stored = self._files.get(file_id)
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": self._file_path(stored),
        }

    # ---------------------------------------------------------------- updates

    def _allowed(self, update: Mapping[str, Any], allowed: list[str] | None) -> bool:
        kind = _update_type(update)
        if allowed:
            return kind in allowed
        return kind not in _NOT_DEFAULT_UPDATES

    def _take_deliverable(self, allowed: list[str] | None, limit: int) -> list[JSONDict]:
        """Caller holds the lock.  Drops queued updates of types the bot did not ask for."""
        kept: list[JSONDict] = []
        for update in self._updates:
            if self._allowed(update, allowed):
                kept.append(update)
            else:
                self._dropped_updates.append(update)
        self._updates = kept
        return kept[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def _api_get_updates(self, p: _Params) -> list[JSONDict]:
        with self._lock:
            if self._webhook is not None:
                raise _ApiError(409, _ERR_CONFLICT_WEBHOOK)
            offset = p.get_int("offset") or 0
            limit = p.get_int("limit") or 100
            limit = min(max(limit, 1), 100)
            timeout = max(p.get_float("timeout") or 0.0, 0.0)
            allowed = p.get_json("allowed_updates", "Bad Request: can't parse allowed_updates")
            if allowed is not None:
                if not isinstance(allowed, list):
                    raise _ApiError(400, "Bad Request: can't parse allowed_updates")
                self._allowed_updates = [str(a) for a in allowed]
            self._confirm(offset)
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed()  # wakes an earlier long poll so that it answers 409
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._webhook is not None:
                    raise _ApiError(409, _ERR_CONFLICT_WEBHOOK)
                if self._poll_generation != generation:
                    raise _ApiError(409, _ERR_CONFLICT_POLL)
                batch = self._take_deliverable(self._allowed_updates, limit)
                event = self._update_event
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing or event is None:
                return copy.deepcopy(batch)
            with self._lock:
                self._polls_waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:
                with self._lock:
                    self._polls_waiting -= 1

    # ---------------------------------------------------------------- webhook

    def _api_set_webhook(self, p: _Params) -> bool:
        url = p.get_str("url") or ""
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        if not url:
            self._webhook = None
            return True
        if not re.match(r"(?i)https?://[^/\s]+", url):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        allowed = p.get_json("allowed_updates", "Bad Request: can't parse allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _ApiError(400, "Bad Request: can't parse allowed_updates")
            self._allowed_updates = [str(a) for a in allowed]
        secret = p.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        self._webhook = _Webhook(
            url=url,
            secret_token=secret or None,
            max_connections=p.get_int("max_connections") or 40,
            allowed_updates=self._allowed_updates,
        )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
        return True

    def _api_delete_webhook(self, p: _Params) -> bool:
        self._webhook = None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_get_webhook_info(self, p: _Params) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _webhook_worker(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                with self._lock:
                    hook = self._webhook
                    if hook is None or self._closing:
                        self._webhook_task = None
                        return
                    batch = self._take_deliverable(self._allowed_updates, 1)
                    event = self._update_event
                if not batch:
                    if event is not None:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(event.wait(), 1.0)
                    continue
                update = copy.deepcopy(batch[0])
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                status: int | None = None
                error: str | None = None
                try:
                    async with session.post(
                        hook.url, data=json.dumps(update), headers=headers
                    ) as resp:
                        status = resp.status
                        await resp.read()
                        if not 200 <= status < 300:
                            error = f"Wrong response from the webhook: {status} {resp.reason}"
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    error = f"Connection failed: {exc.__class__.__name__}: {exc}"
                with self._lock:
                    self._webhook_deliveries.append(
                        WebhookDelivery(
                            update["update_id"], hook.url, status, error, time.monotonic()
                        )
                    )
                    if error is None:
                        self._updates = [
                            u for u in self._updates if u["update_id"] > update["update_id"]
                        ]
                    else:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = error
                    self._changed()
                if error is not None:
                    await asyncio.sleep(self.webhook_retry_delay)


# --------------------------------------------------------------------------------------------
# pytest fixtures (import them into a conftest or a test module)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegramServer]:
    """A started :class:`FakeTelegramServer` with default (real-like) limits."""
    with FakeTelegramServer() as server:
        yield server


@pytest.fixture
def fake_telegram_factory() -> Iterator[Callable[..., FakeTelegramServer]]:
    """Call with :class:`FakeTelegramServer` keyword arguments; servers stop at teardown."""
    servers: list[FakeTelegramServer] = []

    def make(**kwargs: Any) -> FakeTelegramServer:
        server = FakeTelegramServer(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
