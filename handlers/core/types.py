"""The platform-neutral vocabulary between transports and handlers.

A transport turns a platform event into an :class:`Incoming`; a handler answers with
:class:`Reply` objects (a message-catalog key plus parameters, optional buttons and an
optional file). Nothing here knows about Telegram or Matrix.

Parameter values are rendered per the reader's locale by ``bot.i18n``: plain ``str`` values
are HTML-escaped, ``int`` and :class:`Money`/:class:`Percent`/:class:`When`/:class:`Day`
are formatted with Babel, :class:`Text` refers to another catalog key and :class:`Lines`
joins several parameters one per line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

#: The largest file or picture a person may send, in bytes (Telegram's getFile serves up to
#: 20 MB; Synapse takes uploads up to 50 MB by default). Transports refuse larger ones.
FILE_LIMIT = 10 * 1024 * 1024


def well_formed(text: str) -> str:
    """``text`` as valid Unicode: a surrogate pair written as two code points (JSON
    ``"\\ud83d\\ude00"``) becomes its character; a lone surrogate, which no UTF-8 encoder
    accepts, becomes U+FFFD. Platforms can deliver such text; nothing after this sees it."""
    if text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed a text, or pressed a button.

    ``user_id`` and ``chat_id`` are ``platform:id`` strings. ``button_token`` is the opaque
    token the transport got back from the platform (Telegram callback data); the dispatcher
    resolves it to the payload it stands for, and only for the chat it was sent to.
    ``update_key`` identifies the platform event, so a re-delivered event is not handled twice.
    ``attachment`` is a file or picture the person sent (``text`` is then its caption, if
    any); only transports that can fetch files set it (Telegram, Matrix). ``refused_file``
    says that the person sent one the transport did not take: ``"too_large"`` (over
    :data:`FILE_LIMIT`), ``"unreadable"`` (it could not be downloaded or decrypted) or
    ``"not_wanted"`` (the conversation takes no file now, so nothing was downloaded); the
    dispatcher then explains.
    """

    user_id: str
    chat_id: str
    text: str | None = None
    button_token: str | None = None
    locale_hint: str | None = None
    display_name: str | None = None
    update_key: str | None = None
    is_group_chat: bool = False
    attachment: Document | None = None
    refused_file: str | None = None

    def __post_init__(self) -> None:
        # Where text enters the core: everything stored, rendered or sent later is UTF-8.
        for name in ("user_id", "chat_id", "text", "button_token", "locale_hint", "display_name"):
            value = getattr(self, name)
            if value is not None and not value.isascii():
                object.__setattr__(self, name, well_formed(value))

    @property
    def platform(self) -> str:
        return self.user_id.split(":", 1)[0]


@dataclass(frozen=True)
class Money:
    """An amount of euros; ``cents`` shows two decimals, otherwise whole euros; ``decimals``
    (a rate such as 30,7071 €/h) shows that many; ``signed`` (a difference) shows "+" above
    zero as a minus is shown below it."""

    amount: Decimal
    cents: bool = False
    decimals: int | None = None
    signed: bool = False


@dataclass(frozen=True)
class Percent:
    """A share such as ``Decimal("80.00")`` meaning 80 %, shown with ``decimals`` decimals."""

    value: Decimal
    decimals: int = 2


@dataclass(frozen=True)
class When:
    """A moment (aware datetime), shown in the bot's timezone, e.g. "ti 24.11. klo 13.00";
    with ``until`` (a meeting's end) "ti 24.11. klo 13.00–15.00"."""

    moment: dt.datetime
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Day:
    """A calendar date, e.g. "24.11.2026"."""

    date: dt.date


@dataclass(frozen=True)
class Text:
    """Another catalog entry rendered in the reader's language (for nested texts), or in
    ``locale`` when given (words that belong to a text in another language, such as the
    caveat after an answer given in the language the question was asked in)."""

    key: str
    params: dict[str, Param] = field(default_factory=dict)
    locale: str | None = None


@dataclass(frozen=True)
class Lines:
    """Several parameters rendered one per line (a list of meetings, commands, rows)."""

    items: tuple[Param, ...]


@dataclass(frozen=True)
class Raw:
    """Already-safe HTML produced by the renderer itself (never from user input)."""

    html: str


Param = Union[  # noqa: UP007 - a recursive alias needs Union on 3.11
    str, int, Decimal, Money, Percent, When, Day, Text, Lines, Raw
]


@dataclass(frozen=True)
class Button:
    """A button: ``label_key`` is a catalog key; ``payload`` is what pressing it means.

    Payloads never travel to the platform: the transport gets an unguessable token that maps
    back to the payload for that chat only. Payloads can therefore be long, but a handler must
    still check the presser's role, because in a group anyone can press.
    """

    label_key: str
    payload: str
    params: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A file sent to the user (.json export, .ics, .xlsx, .csv, .png), or one a person
    sent (:attr:`Incoming.attachment`)."""

    filename: str
    content: bytes
    mime_type: str
    # A file a person sent: the platform's own id for it (Telegram's file_id), so the bot
    # can send the same file on without uploading the bytes.
    platform_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message to send: a catalog key with parameters, button rows and an optional file."""

    key: str
    params: dict[str, Param] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None


class InvalidInput(Exception):
    """Raised by a step when the answer cannot be accepted.

    The dispatcher rolls the step back, answers with ``key`` (which should say what is
    expected) and keeps the conversation on the same step.
    """

    def __init__(self, key: str, **params: Param) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, Param] = dict(params)


class NotAllowed(Exception):
    """Raised when the person's current role does not allow the action."""
