"""Matrix through matrix-nio (with end-to-end encryption via vodozemac).

Receiving. The transport runs its own sync loop instead of nio's ``sync_forever``: after each
``/sync`` answer it hands the batch's events to the dispatcher one by one, and only then
stores the batch's ``next_batch`` token in SQLite (``kv``). A crash therefore replays at most
one batch, and every event carries ``update_key = "matrix:" + event_id``, which the
dispatcher records in the same transaction as the answer, so a replayed event is not
answered twice. On the very first start (no stored token) the history of the rooms the bot
is already in is skipped. Resuming from a stored token the first sync asks for the full
room state, because nio keeps rooms only in memory.

Identity. The user id, device id and access token are kept in ``kv`` too (the token is a
secret: it goes to the database, never to a log), and the olm/megolm keys in nio's store
directory beside the database (``<database>.matrix-store/``), so a restart keeps the same
device and keys: people's clients keep trusting it and old sessions still decrypt.

Files people send. An ``m.file`` or ``m.image`` in a direct chat (plain or encrypted) is
fetched only when the person's conversation takes a file (the core's ``wants_file`` port;
otherwise the event says ``not_wanted`` and nothing is downloaded). It is streamed from the
media repository (the authenticated media API, ``/_matrix/client/v1/media``, which Synapse
requires by default since 1.120) through nio's HTTP session, decrypted with the key, hash
and IV in the event when the room is encrypted, and handed over as ``Incoming.attachment``:
the same 10 MB limit as on Telegram (:data:`FILE_LIMIT`), checked against the size the
sender's client declares and the ``Content-Length`` before reading, and while reading,
which stops at the first chunk past the limit (:mod:`bot.transports.capped`; for encrypted
media the ciphertext is as long as the file). A refused or failed file becomes
``Incoming(refused_file=...)`` and the dispatcher explains. Matrix media have a caption
only in the newer form (spec 1.10): when the event has a ``filename`` and a ``body`` that
differs from it, ``body`` is the caption and becomes the text; otherwise ``body`` is just
the file name and the text is None. Pictures, files and voice messages in group rooms are
ignored, and audio, video and other kinds of messages are not fetched (as on Telegram, they
get the "text and buttons only" answer).

Private chats. A room is a person's private chat only while exactly the bot and that person
are in it (both joined, the server's member count 2) and nobody else is invited
(:func:`is_direct_room`): only events from such a room are private, and anything
addressed to a person is sent only there (``storage.held_notices``). When someone else
joins or is invited, the room stops being the person's private chat at once (what waits
for them there is held again); after the first sync of a start, direct rooms are found for
people who have none and rooms that are direct no more are given up.

Sending. One outbox row is one ``m.notice`` (HTML ``formatted_body`` plus a plain ``body``;
buttons become numbered lines that the dispatcher maps back) or one ``m.file``/``m.image``
uploaded to the media repository (encrypted in encrypted rooms). The transaction id is
derived from the outbox row id, so a resend after a crash is deduplicated by the homeserver.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import html
import io
import json
import logging
import mimetypes
import re
import secrets
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    ErrorResponse,
    InviteMemberEvent,
    JoinedRoomsResponse,
    JoinResponse,
    KeysUploadError,
    LocalProtocolError,
    LoginResponse,
    MegolmEvent,
    OlmTrustError,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomEncryptedMedia,
    RoomMemberEvent,
    RoomMessageEmote,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    RoomMessageUnknown,
    RoomSendResponse,
    SendRetryError,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.api import MATRIX_MEDIA_API_PATH
from nio.crypto.attachments import decrypt_attachment

from bot.config import Settings
from bot.dispatcher import utc_now
from bot.i18n import Renderer
from bot.log_safety import add_secret
from bot.markup import html_to_plain, split_html
from bot.transports import matrix_forget
from bot.transports.base import (
    Capabilities,
    ChatGone,
    ChatsSeen,
    Delivery,
    Inbound,
    Inbox,
    Joined,
    MemberLeft,
    MembersChanged,
    Pacing,
    Report,
    StartupError,
    Status,
    Undecryptable,
    WantsFile,
    never_wants_files,
    no_core,
)
from bot.transports.capped import CHUNK, declared_too_large, read_capped
from handlers.core.types import FILE_LIMIT, Document, Incoming
from storage import private_files, updates, users
from storage.db import Database
from storage.outbox import LEAVE, UNENCRYPTED, OutboxItem

log = logging.getLogger(__name__)

KEY_USER = "matrix:user_id"
KEY_DEVICE = "matrix:device_id"
KEY_TOKEN = "matrix:access_token"  # noqa: S105 - a kv key name; the token: stored, never logged
KEY_SINCE = "matrix:next_batch"
KEY_PICKLE = "matrix:pickle_key"  # encrypts the olm pickles in the crypto store
KEY_TXN_PREFIX = "matrix:txn_prefix"

HTML_FORMAT = "org.matrix.custom.html"
DEVICE_NAME = "hankebot"
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
#: One "cannot decrypt" notice per room, megolm session and this many seconds.
UNDECRYPTABLE_NOTICE_WINDOW = 600
#: How long ``deliver`` waits for a just-joined room to appear in a sync.
ROOM_WAIT_SECONDS = 10.0
#: Keep one event well under the 64 KiB limit (HTML and plain text both travel).
MAX_PART_BYTES = 24_000
MAX_PART_CHARS = 8_000
START_ATTEMPTS = 6
#: How long fetching one file a person sent may take, all in all.
DOWNLOAD_TIMEOUT_SECONDS = 60.0

#: Matrix's own pace: a bot account should have its homeserver rate limit lifted (see
#: README); these keep a burst polite when it is not. M_LIMIT_EXCEEDED still pauses all.
MATRIX_PACING = Pacing(per_second=10.0, per_chat_interval=0.2, concurrency=4)

PERMANENT_ERRORS = frozenset(
    {"M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_INVALID_PARAM", "M_MISSING_PARAM"}
)
UNREACHABLE_ERRORS = frozenset({"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_ROOM"})
TOKEN_ERRORS = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"})


class MatrixStartError(StartupError):
    """The Matrix account could not be used (bad credentials, homeserver unreachable)."""


class _NotFetched(Exception):
    """A file could not be downloaded; the message is an error code, never a file name."""


# --- pure helpers ---------------------------------------------------------------------------
def server_of(user_id: str) -> str:
    """The homeserver part of ``@local:server`` (lower case, port kept)."""
    return user_id.split(":", 1)[1].lower() if ":" in user_id else ""


def server_allowed(user_id: str, allowed: frozenset[str]) -> bool:
    """Whether a person on ``user_id``'s homeserver may use the bot.

    An empty ``allowed`` set means every server. Entries match the server name exactly
    (case-insensitive), with or without the port.
    """
    if not allowed:
        return True
    server = server_of(user_id)
    if not server:
        return False
    names = {entry.strip().lower() for entry in allowed}
    return server in names or server.rsplit(":", 1)[0] in names


def same_account(stored_user_id: str, configured: str) -> bool:
    """Whether the stored identity belongs to the configured ``HANKEBOT_MATRIX_USER``."""
    configured = configured.strip()
    if configured.startswith("@"):
        return stored_user_id.lower() == configured.lower()
    return stored_user_id[1:].split(":", 1)[0].lower() == configured.lower()


_PRE = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)


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


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG header, for ``m.image`` info."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


@dataclass(frozen=True)
class Media:
    """A file or picture a person sent, as the event describes it (nothing downloaded yet)."""

    url: str  # mxc://server/id
    name: str
    mime_type: str | None
    size: int | None  # as the sender's client declared it; may be missing or wrong
    caption: str | None
    encrypted: bool
    key: str = ""  # the JWK's "k", the ciphertext's SHA-256 and the IV (encrypted only)
    sha256: str = ""
    iv: str = ""


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def safe_filename(raw: object, image: bool, mime_type: str | None = None) -> str:
    """A file name from an event, without paths or control characters, at most 120 chars;
    "kuva.png" / "tiedosto.pdf" (by the MIME type) when the event names none."""
    text = raw if isinstance(raw, str) else ""
    text = _UNSAFE_NAME.sub(" ", text.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if len(text) > 120:
        stem, dot, ext = text.rpartition(".")
        text = f"{stem[: 119 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else text[:120]
    if text:
        return text
    extension = mimetypes.guess_extension(mime_type or "") or ""
    return ("kuva" if image else "tiedosto") + extension


def media_of(event: Any) -> Media | None:
    """The file or picture in an ``m.file`` / ``m.image`` event (plain or encrypted); None
    for anything else (audio, video, text).

    Caption rule (Matrix spec 1.10): with a ``filename`` that differs from ``body``, the
    ``body`` is a caption; otherwise ``body`` is the file's name and there is no caption.
    """
    if not isinstance(
        event, (RoomMessageFile, RoomMessageImage, RoomEncryptedFile, RoomEncryptedImage)
    ):
        return None
    content: Mapping[str, Any] = event.source.get("content", {})
    info = content.get("info")
    info = info if isinstance(info, dict) else {}
    body = content.get("body")
    body = body if isinstance(body, str) else ""
    filename = content.get("filename")
    caption: str | None = None
    if isinstance(filename, str) and filename.strip():
        if body.strip() and body != filename:
            caption = body
    else:
        filename = body
    image = isinstance(event, (RoomMessageImage, RoomEncryptedImage))
    size = info.get("size")
    declared = size if isinstance(size, int) and not isinstance(size, bool) else None
    mime = info.get("mimetype")
    if isinstance(event, RoomEncryptedMedia):
        mime = mime or event.mimetype
    mime_type = mime if isinstance(mime, str) and mime else None
    media = Media(
        url=str(event.url),
        name=safe_filename(filename, image, mime_type),
        mime_type=mime_type,
        size=declared,
        caption=caption,
        encrypted=False,
    )
    if not isinstance(event, RoomEncryptedMedia):
        return media
    key = event.key.get("k") if isinstance(event.key, dict) else None
    sha256 = event.hashes.get("sha256") if isinstance(event.hashes, dict) else None
    return dataclasses.replace(
        media,
        encrypted=True,
        key=key if isinstance(key, str) else "",
        sha256=sha256 if isinstance(sha256, str) else "",
        iv=str(event.iv) if isinstance(event.iv, str) else "",
    )


def error_delivery(response: Any, what: str = "send") -> Delivery:
    """Map a nio error response to a delivery outcome (never the server's message text)."""
    code = getattr(response, "status_code", None)
    status = getattr(getattr(response, "transport_response", None), "status", None)
    label = f"{what}: {code or status or type(response).__name__}"
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        retry_ms = getattr(response, "retry_after_ms", None) or 5000
        return Delivery(Status.RETRY, retry_after=retry_ms / 1000.0, error=label)
    if code in UNREACHABLE_ERRORS:
        return Delivery(Status.UNREACHABLE, error=label)
    if code in PERMANENT_ERRORS or status == 413:
        return Delivery(Status.FAILED, error=label)
    return Delivery(Status.RETRY, error=label)


def _transient(response: Any) -> bool:
    """An error answer worth retrying: rate limited, or the server (or a proxy) failing."""
    if not isinstance(response, ErrorResponse):
        return False
    status = getattr(getattr(response, "transport_response", None), "status", None)
    code = response.status_code
    return code == "M_LIMIT_EXCEEDED" or status == 429 or (status is not None and status >= 500)


async def _error_code(response: Any) -> str:
    """The Matrix error code of a failed media request (``M_NOT_FOUND``), else its status."""
    errcode: object = None
    with contextlib.suppress(ClientError, ValueError, TimeoutError):
        body = await read_capped(response.content.iter_chunked(4096), 4096)
        parsed = json.loads(body) if body else None
        errcode = parsed.get("errcode") if isinstance(parsed, dict) else None
    return errcode if isinstance(errcode, str) else f"HTTP {response.status}"


def store_dir_for(database: Path) -> Path:
    return Path(f"{database}.matrix-store")


def quiet_nio_logs() -> None:
    """nio logs event contents and olm payloads in some warnings: keep only where it happened.

    Logger filters are not inherited, so every ``nio.*`` logger gets the filter.
    """
    for name in list(logging.Logger.manager.loggerDict):
        if name == "nio" or name.startswith("nio."):
            logger = logging.getLogger(name)
            if not any(isinstance(f, _RedactFilter) for f in logger.filters):
                logger.addFilter(_RedactFilter())
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.WARNING)


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = f"nio {record.levelname.lower()} at {record.module}:{record.lineno}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


@dataclass(frozen=True)
class Identity:
    user_id: str
    device_id: str
    access_token: str


@dataclass
class _Undecrypted:
    room_id: str
    event: Any  # MegolmEvent
    deadline: float


class _RoomNotReady(Exception):
    """A room the bot is in but has not seen in a sync yet."""


# --- the transport --------------------------------------------------------------------------
class MatrixTransport:
    name = "matrix"
    capabilities = Capabilities(numbers_buttons=True, takes_files=True)
    pacing = MATRIX_PACING
    # Rooms have ids of their own: a direct room's id is never the person's id.
    inbound = Inbound(private_chat_is_user=False)

    def __init__(
        self,
        settings: Settings,
        db: Database,
        renderer: Renderer,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        commands: frozenset[str] = frozenset(),
        wants_file: WantsFile = never_wants_files,
        report: Report = no_core,
    ) -> None:
        assert settings.matrix_homeserver and settings.matrix_user
        self.settings = settings
        self.wants_file = wants_file
        self.commands = commands  # the bot's command names, shown as !name
        self.db = db
        self.renderer = renderer
        self.report = report  # the core's port for what is not a person's message
        self.clock = clock
        self.homeserver = settings.matrix_homeserver.rstrip("/")
        self.store_dir = store_dir_for(settings.database)
        self.client: Any = None
        self.user_id = ""
        self.txn_prefix = "hankebot"
        self._inbox: Inbox | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._sync_tick = asyncio.Event()
        self._since: str | None = None
        self._inviters: dict[str, str] = {}
        self._left: set[str] = set()
        self._undecrypted: list[_Undecrypted] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        # Sends the few notices that must not be end-to-end encrypted: nio's room_send
        # encrypts in an encrypted room whenever the client has an olm machine, so this
        # client has none (same account, device and token).
        self.plain: Any = None

    # --- life cycle ------------------------------------------------------------------------
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout=10.0)
        if self.client is not None:
            await self.client.close()
        if self.plain is not None:
            await self.plain.close()

    # --- identity --------------------------------------------------------------------------
    def _config(self, encrypted: bool, pickle_key: str = "") -> Any:
        return AsyncClientConfig(
            encryption_enabled=encrypted,
            store_sync_tokens=False,  # the token lives in our database, stored after handling
            max_limit_exceeded=0,  # rate limits come back to us (outbox retry)
            max_timeouts=2,
            request_timeout=30,
            pickle_key=pickle_key or "DEFAULT_KEY",
        )

    async def _identity(self) -> Identity:
        """Who the bot is: the stored device when possible, otherwise a fresh login."""
        settings = self.settings
        assert settings.matrix_user is not None
        async with self.db.transaction() as conn:
            stored_user = await updates.get_value(conn, KEY_USER)
            stored_device = await updates.get_value(conn, KEY_DEVICE)
            stored_token = await updates.get_value(conn, KEY_TOKEN)
            prefix = await updates.get_value(conn, KEY_TXN_PREFIX)
            if prefix is None:
                prefix = f"hankebot-{secrets.token_hex(4)}"
                await updates.set_value(conn, KEY_TXN_PREFIX, prefix)
        self.txn_prefix = prefix
        stored: Identity | None = None
        if stored_user and stored_device and stored_token:
            if same_account(stored_user, settings.matrix_user):
                stored = Identity(stored_user, stored_device, stored_token)
            else:
                log.warning("matrix: configured account changed; starting a new device")
                async with self.db.transaction() as conn:
                    await updates.delete_value(conn, KEY_SINCE)
        password = settings.matrix_password.get_secret_value() if settings.matrix_password else ""
        configured_token = (
            settings.matrix_access_token.get_secret_value() if settings.matrix_access_token else ""
        )
        identity: Identity | None = None
        if configured_token and (stored is None or stored.access_token != configured_token):
            identity = await self._whoami(configured_token)
            if identity is None:
                raise MatrixStartError("HANKEBOT_MATRIX_ACCESS_TOKEN was rejected")
        elif stored is not None:
            if not self._store_file(stored).exists() and password:
                log.warning("matrix: crypto store missing; logging in as a new device")
                stored = None
            else:
                identity = await self._whoami(stored.access_token)
        if identity is None:
            if not password:
                raise MatrixStartError("no usable Matrix access token and no password")
            identity = await self._password_login(password, stored.device_id if stored else None)
        async with self.db.transaction() as conn:
            await updates.set_value(conn, KEY_USER, identity.user_id)
            await updates.set_value(conn, KEY_DEVICE, identity.device_id)
            await updates.set_value(conn, KEY_TOKEN, identity.access_token)
        return identity

    def _store_file(self, identity: Identity) -> Path:
        return self.store_dir / f"{identity.user_id}_{identity.device_id}.db"

    async def _probe(self, call: Callable[[Any], Any], device_id: str | None = None) -> Any:
        """Run one request with a throw-away client without a crypto store.

        Connection errors, rate limits and server errors are retried a few times (the
        homeserver may be starting, or behind a restarting proxy); the last answer is returned.
        """
        assert self.settings.matrix_user is not None
        response: Any = None
        for attempt in range(START_ATTEMPTS):
            client = AsyncClient(
                self.homeserver,
                self.settings.matrix_user,
                device_id=device_id,
                config=self._config(encrypted=False),
            )
            delay = min(30.0, 2.0**attempt)
            try:
                response = await call(client)
                if not _transient(response):
                    return response
                retry_ms = getattr(response, "retry_after_ms", None)
                delay = retry_ms / 1000.0 if retry_ms else delay
                problem = str(getattr(response, "status_code", None) or "server error")
            except (ClientError, TimeoutError, OSError) as error:
                problem = type(error).__name__
            finally:
                await client.close()
            if attempt == START_ATTEMPTS - 1:
                break
            log.warning("matrix: homeserver not usable yet: %s", problem)
            await asyncio.sleep(delay)
        if response is None:
            raise MatrixStartError("Matrix homeserver not reachable")
        return response

    async def _whoami(self, token: str) -> Identity | None:
        """The identity behind ``token``; None when the homeserver rejects the token."""

        async def call(client: Any) -> Any:
            client.access_token = token
            return await client.whoami()

        response = await self._probe(call)
        if isinstance(response, WhoamiResponse) and response.device_id:
            assert self.settings.matrix_user is not None
            if not same_account(str(response.user_id), self.settings.matrix_user):
                raise MatrixStartError("the Matrix access token belongs to another account")
            return Identity(str(response.user_id), str(response.device_id), token)
        code = getattr(response, "status_code", None)
        if code not in (*TOKEN_ERRORS, "M_FORBIDDEN") and not isinstance(response, WhoamiResponse):
            raise MatrixStartError(f"Matrix homeserver error: {code or 'unknown'}")
        log.warning("matrix: access token not accepted (%s)", code or "no device")
        return None

    async def _password_login(self, password: str, device_id: str | None) -> Identity:
        async def call(client: Any) -> Any:
            return await client.login(password, device_name=DEVICE_NAME)

        response = await self._probe(call, device_id=device_id)
        if not isinstance(response, LoginResponse):
            raise MatrixStartError(
                f"Matrix login failed: {getattr(response, 'status_code', None) or 'error'}"
            )
        return Identity(str(response.user_id), str(response.device_id), str(response.access_token))

    async def _open_client(self, identity: Identity) -> Any:
        private_files.make_dir(self.store_dir)  # the device's keys: 0700 from the start
        async with self.db.transaction() as conn:
            pickle_key = await updates.get_value(conn, KEY_PICKLE)
            if pickle_key is None:
                pickle_key = secrets.token_urlsafe(32)
                await updates.set_value(conn, KEY_PICKLE, pickle_key)
        client = AsyncClient(
            self.homeserver,
            identity.user_id,
            device_id=identity.device_id,
            store_path=str(self.store_dir),
            config=self._config(encrypted=True, pickle_key=pickle_key),
        )
        client.restore_login(identity.user_id, identity.device_id, identity.access_token)
        return client

    def _plain_client(self, identity: Identity) -> Any:
        """The same device without an olm machine, for :attr:`plain` (no crypto store)."""
        client = AsyncClient(
            self.homeserver,
            identity.user_id,
            device_id=identity.device_id,
            config=self._config(encrypted=False),
        )
        client.restore_login(identity.user_id, identity.device_id, identity.access_token)
        return client

    # --- receiving -------------------------------------------------------------------------
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
        if not server_allowed(inviter, self.settings.matrix_allowed_servers):
            log.info("matrix: refused an invite to %s from %s", room_id, server_of(inviter))
            await self.client.room_leave(room_id)
            return
        for attempt in range(3):
            response = await self.client.join(room_id)
            if isinstance(response, JoinResponse):
                self._inviters[room_id] = inviter
                self._left.discard(room_id)
                log.info("matrix: joined %s", room_id)
                return
            log.warning(
                "matrix: joining %s failed: %s", room_id, getattr(response, "status_code", None)
            )
            await asyncio.sleep(0.5 * (attempt + 1))

    async def _on_event(self, room: Any, event: Any, timeline: Sequence[Any]) -> None:
        if self._is_own_join(event):
            await self._greet(room, event, timeline)
            return
        if (
            isinstance(event, RoomMemberEvent)
            and event.membership in ("join", "invite")
            and event.state_key != self.user_id
        ):
            await self._check_private(room)  # whoever it is (also from a refused server)
        sender = getattr(event, "sender", None)
        if not sender or sender == self.user_id:
            return  # our own messages come back in the sync (also after a restart)
        if not server_allowed(sender, self.settings.matrix_allowed_servers):
            return
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

    async def _with_attachment(self, incoming: Incoming, media: Media, event_id: str) -> Incoming:
        """Download (and decrypt) a file a person sent, up to :data:`FILE_LIMIT` bytes,
        when their conversation takes one.

        Only the event id and an error type are logged, never the file's name or content.
        """
        if incoming.update_key is not None:
            async with self.db.transaction() as conn:
                if await updates.seen(conn, incoming.update_key):
                    return incoming  # replayed after a restart: the dispatcher skips it
        if not await self.wants_file(incoming.user_id, incoming.chat_id):
            return dataclasses.replace(incoming, refused_file="not_wanted")
        if declared_too_large(media.size, FILE_LIMIT):
            return dataclasses.replace(incoming, refused_file="too_large")
        problem = ""
        fetched: tuple[bytes, str] | None = None
        if not media.url.startswith("mxc://") or (
            media.encrypted and not (media.key and media.sha256 and media.iv)
        ):
            problem = "bad event"
        else:
            try:
                fetched = await asyncio.wait_for(
                    self._fetch_media(media.url), timeout=DOWNLOAD_TIMEOUT_SECONDS
                )
            except _NotFetched as error:
                problem = str(error)
            except (ClientError, TimeoutError, OSError) as error:
                problem = type(error).__name__
        if problem:
            log.info("matrix: file of event %s not fetched: %s", event_id, problem)
            return dataclasses.replace(incoming, refused_file="unreadable")
        if fetched is None:  # AES-CTR: the ciphertext is as long as the file
            return dataclasses.replace(incoming, refused_file="too_large")
        data, content_type = fetched
        if media.encrypted:
            try:
                data = decrypt_attachment(data, media.key, media.sha256, media.iv)
            except (EncryptionError, ValueError, TypeError) as error:
                log.info(
                    "matrix: file of event %s not decrypted: %s", event_id, type(error).__name__
                )
                return dataclasses.replace(incoming, refused_file="unreadable")
        elif media.mime_type is None and content_type:
            media = dataclasses.replace(media, mime_type=content_type.split(";", 1)[0].strip())
        mime = media.mime_type or "application/octet-stream"
        return dataclasses.replace(incoming, attachment=Document(media.name, data, mime))

    async def _fetch_media(self, mxc: str) -> tuple[bytes, str] | None:
        """(bytes, content type) of a media item, or None when it is larger than
        :data:`FILE_LIMIT`: reading stops at the first chunk past it and the connection is
        closed. Raises :class:`_NotFetched` with the server's error code."""
        parsed = urlparse(mxc)
        server, media_id = parsed.netloc, parsed.path.lstrip("/")
        if not server or not media_id or "/" in media_id:
            raise _NotFetched("bad event")
        path = (
            f"{MATRIX_MEDIA_API_PATH}/download/{quote(server, safe='')}/"
            f"{quote(media_id, safe='')}?allow_remote=true"
        )
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        response = await self.client.send(
            "GET", path, headers=headers, timeout=DOWNLOAD_TIMEOUT_SECONDS
        )
        try:
            if response.status != 200:
                raise _NotFetched(await _error_code(response))
            if declared_too_large(response.content_length, FILE_LIMIT):
                return None
            data = await read_capped(response.content.iter_chunked(CHUNK), FILE_LIMIT)
            if data is None:
                return None
            return data, str(response.headers.get("Content-Type", ""))
        finally:
            response.close()  # also cuts off a body still coming

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
        if not server_allowed(inviter, self.settings.matrix_allowed_servers):
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

    # --- forgetting a person (after /unohda) ------------------------------------------------
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

    # --- undecryptable messages ------------------------------------------------------------
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

    # --- sending ---------------------------------------------------------------------------
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=timeout)
        return self._ready.is_set()

    async def _deliver(self, item: OutboxItem) -> Delivery:
        item = dataclasses.replace(item, html=bang_commands(item.html, self.commands))
        room_id = item.platform_chat
        if item.kind == LEAVE:
            return await self._leave(room_id)
        room = await self._room(room_id)
        if room is None:
            return Delivery(Status.UNREACHABLE, error="not in room")
        tx = f"{self.txn_prefix}-{item.id}"
        if item.kind == UNENCRYPTED:
            # The transaction id is the row's, so a resend after a crash is deduplicated.
            body, formatted = render_message(item.html, [], "")
            return await self._send(room_id, notice_content(body, formatted), tx, self.plain)
        labels = [button.label for row in item.buttons for button in row]
        hint = await self._hint(item) if labels else ""
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
        response = await self.client.room_leave(room_id)
        if isinstance(response, ErrorResponse):  # already left, or never there
            log.info("matrix: room_leave %s: %s", room_id, response.status_code)
        return Delivery.sent(None)

    async def _send(
        self, room_id: str, content: dict[str, Any], tx: str, client: Any = None
    ) -> Delivery:
        """``room_send`` through nio's public API (``client``: :attr:`plain` for a notice
        that must not be encrypted; otherwise the syncing client, which encrypts)."""
        response = await (client or self.client).room_send(
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
        encrypt = bool(room.encrypted)
        upload, keys = await self.client.upload(
            io.BytesIO(document.content),
            content_type=document.mime_type,
            filename=document.filename,
            encrypt=encrypt,
            filesize=len(document.content),
        )
        if not isinstance(upload, UploadResponse):
            return error_delivery(upload, "upload")
        info: dict[str, Any] = {"size": len(document.content), "mimetype": document.mime_type}
        msgtype = "m.file"
        if document.mime_type.startswith("image/"):
            msgtype = "m.image"
            size = png_size(document.content)
            if size is not None:
                info["w"], info["h"] = size
        content: dict[str, Any] = {
            "msgtype": msgtype,
            "body": document.filename,
            "filename": document.filename,
            "info": info,
        }
        if item.html.strip() or labels:
            # The text travels as the file's caption (``body`` differs from ``filename``).
            body, formatted = render_message(item.html, labels, hint)
            content.update(body=body, format=HTML_FORMAT, formatted_body=formatted)
        if encrypt:
            assert keys is not None
            content["file"] = {**keys, "url": upload.content_uri, "mimetype": document.mime_type}
        else:
            content["url"] = upload.content_uri
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sync_tick.wait(), timeout=remaining)
        joined = await self.client.joined_rooms()
        if isinstance(joined, JoinedRoomsResponse) and room_id not in joined.rooms:
            return None
        raise _RoomNotReady

    async def _hint(self, item: OutboxItem) -> str:
        """ "Reply with a number", in the recipient's language."""
        locale = "fi"
        if item.user_id is not None:
            async with self.db.transaction() as conn:
                person = await users.get(conn, item.user_id)
            if person is not None:
                locale = person.locale
        return self.renderer.text(locale, "matrix.reply_with_number")
