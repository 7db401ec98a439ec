"""Telegram through python-telegram-bot's ``ExtBot`` (HTTP stack and types).

PTB is used as the transport only. Its ``Updater`` confirms updates to Telegram as soon as
it has fetched them, before they are handled, so a crash would lose them; instead this
module polls ``getUpdates`` itself and moves the offset forward only after the dispatcher
has committed the update (the update id is also recorded in that transaction, so a
re-delivered update is recognised). In webhook mode the HTTP answer is sent only after the
commit, so Telegram re-delivers whatever was not handled.

An announcement's file is uploaded once: later recipients get it by the ``file_id`` Telegram
gave for the upload (:mod:`bot.transports.upload_once`; the worker stores the id).

Webhook mode never takes an update without Telegram's ``X-Telegram-Bot-Api-Secret-Token``
header: the secret is ``HANKEBOT_TELEGRAM_WEBHOOK_SECRET`` or, when none is configured, a
random one made at start and registered with ``setWebhook``; it is compared in constant
time, and a request without it (401) or with a wrong one (403) is not handled.

A file a person sends is fetched only when their conversation takes one (the core's
:data:`~bot.transports.base.WantsFile` port); it is refused by the declared size first
(the message's, then getFile's), and the download is streamed and cut off as soon as it
passes :data:`~handlers.core.types.FILE_LIMIT` (:mod:`bot.transports.capped`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hmac
import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram import Document as TelegramDocument
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.log_safety import add_secret
from bot.markup import split_html, visible_length
from bot.transports.base import (
    BlockedByUser,
    Capabilities,
    ChatGone,
    Delivery,
    Inbound,
    Inbox,
    InboxTogether,
    Pacing,
    Report,
    StartupError,
    Status,
    WantsFile,
    never_wants_files,
    no_core,
    no_core_together,
)
from bot.transports.capped import CHUNK, declared_too_large, read_capped, read_file_capped
from bot.transports.upload_once import UploadOnce
from handlers.core.types import FILE_LIMIT, Document, Incoming
from messages.languages import SOURCE_LOCALE
from messages.words import words
from storage import updates
from storage.db import Database
from storage.outbox import LEAVE, OutboxItem, OutgoingButton

if TYPE_CHECKING:  # aiohttp only for a webhook (idle RSS of polling, issue 17)
    from aiohttp import web

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
OFFSET_KEY = "telegram:offset"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: Updates of one getUpdates answer committed together at most: one commit instead of one
#: per update (issue 17), while the first one's answer waits for the rest only briefly.
TOGETHER = 16
#: Button presses acknowledged at once at most (answerCallbackQuery, after the commit).
ACKNOWLEDGING = 8
#: How long fetching one file a person sent may take, all in all.
DOWNLOAD_TIMEOUT_SECONDS = 60.0
# What Telegram answers (400) when a file_id cannot be used (another bot's or token's id, a
# file gone on its side): "wrong file identifier/HTTP URL specified", "wrong remote file
# identifier specified: …", "invalid remote file identifier", "FILE_REFERENCE_EXPIRED" …
STALE_FILE_ID = (
    "file identifier",
    "file id",
    "file_id",
    "file reference",
    "file_reference",
    "type of file mismatch",
)


def retry_seconds(error: RetryAfter) -> float:
    value: Any = error.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def to_incoming(update: Update) -> Incoming | None:
    """The neutral form of a message or button press; None for anything else."""
    key = f"telegram:{update.update_id}"
    if update.callback_query is not None:
        query = update.callback_query
        person = query.from_user
        chat = query.message.chat if query.message is not None else None
        chat_id = chat.id if chat is not None else person.id
        return Incoming(
            user_id=f"telegram:{person.id}",
            chat_id=f"telegram:{chat_id}",
            button_token=query.data or "",
            locale_hint=person.language_code,
            display_name=person.first_name,  # the first name only: what a coordinator needs
            update_key=key,
            is_group_chat=chat is not None and chat.type != "private",
        )
    message = update.message
    # PTB types ``chat`` as always there; a forged update may still leave it out
    if message is not None and getattr(message, "chat", None) is None:
        log.warning("update %s out of contract: a message without a chat", update.update_id)
        return None
    if message is not None and message.from_user is not None:
        person = message.from_user
        return Incoming(
            user_id=f"telegram:{person.id}",
            chat_id=f"telegram:{message.chat.id}",
            text=message.text,
            locale_hint=person.language_code,
            display_name=person.first_name,  # the first name only: what a coordinator needs
            update_key=key,
            is_group_chat=message.chat.type != "private",
        )
    return None


def attached_file(message: Message | None) -> tuple[str, str, str, int | None] | None:
    """(file id, file name, MIME type, size) of a document or the largest photo size."""
    if message is None:
        return None
    if message.document is not None:
        doc = message.document
        name = doc.file_name or words(SOURCE_LOCALE).files.document
        return doc.file_id, name, doc.mime_type or "application/octet-stream", doc.file_size
    if message.photo:
        photo = message.photo[-1]
        return (
            photo.file_id,
            f"{words(SOURCE_LOCALE).files.picture}.jpg",
            "image/jpeg",
            photo.file_size,
        )
    return None


def file_id_refused(error: Exception) -> bool:
    """Telegram did not accept a file_id (the file can still be uploaded)."""
    if not isinstance(error, BadRequest):
        return False
    reason = str(error.message).lower()
    return any(marker in reason for marker in STALE_FILE_ID)


def keyboard(rows: Sequence[Sequence[OutgoingButton]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.token) for b in row] for row in rows]
    )


def keyboard_json(rows: Sequence[Sequence[OutgoingButton]]) -> dict[str, Any]:
    """The Bot API's ``InlineKeyboardMarkup`` as JSON, for :meth:`PlainBot.send_plain`."""
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": b.token} for b in row] for row in rows
        ]
    }


class PlainBot(ExtBot[None]):
    """PTB's bot, with one plain way to send a text message (issue 17).

    ``send_message`` builds PTB objects for the keyboard and parses Telegram's answer into a
    ``Message``, about 0.5 ms of CPU per reply on this machine, for a message id the bot
    keeps and nothing else. :meth:`send_plain` goes through the same HTTP stack and raises
    the same errors (Forbidden, RetryAfter, BadRequest …), with JSON in and JSON out.
    """

    async def send_plain(self, data: dict[str, Any]) -> int:
        """``sendMessage`` with ``data`` as the Bot API's parameters; the new message's id."""
        result = await self._post("sendMessage", data)
        return int(result["message_id"])


class TelegramTransport:
    name = "telegram"
    capabilities = Capabilities(numbers_buttons=False, takes_files=True)
    # In a private chat Telegram's chat id is the person's id (``chat.id == from.id``).
    inbound = Inbound(private_chat_is_user=True)

    def __init__(
        self,
        settings: Settings,
        db: Database,
        menus: Mapping[str | None, Sequence[tuple[str, str]]],
        *,
        wants_file: WantsFile = never_wants_files,
        report: Report = no_core,
        inbox_together: InboxTogether = no_core_together,
    ) -> None:
        assert settings.telegram_token is not None
        # Opt in to PTB 22's future behaviour (retry_after as a timedelta) instead of a
        # deprecation warning on every flood-control answer; retry_seconds handles both.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.settings = settings
        self.db = db
        self.menus = menus  # the command menu per language, finished by the core
        self.pacing = Pacing(
            per_second=settings.telegram_messages_per_second,
            per_chat_interval=settings.telegram_per_chat_interval,
            concurrency=8,
            group_per_minute=settings.telegram_group_per_minute,
        )
        api = settings.telegram_api_url.rstrip("/")
        self.bot = PlainBot(
            settings.telegram_token.get_secret_value(),
            base_url=f"{api}/bot",
            base_file_url=f"{api}/file/bot",
            request=HTTPXRequest(connection_pool_size=16, read_timeout=20.0),
            get_updates_request=HTTPXRequest(read_timeout=settings.telegram_poll_timeout + 15.0),
        )
        self._poller: asyncio.Task[None] | None = None
        self.shared_files = UploadOnce()
        self._web_runner: web.AppRunner | None = None
        self.wants_file = wants_file
        self.report = report  # the core's port for what is not a person's message
        self.inbox_together = inbox_together  # the core's port for a batch in one commit
        self._acknowledging = asyncio.Semaphore(ACKNOWLEDGING)
        self._acknowledgements: set[asyncio.Task[None]] = set()
        # File downloads are streamed (PTB's File.download_* read a whole body first).
        self._downloads = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))

    # --- life cycle ------------------------------------------------------------------------
    async def start(self, inbox: Inbox) -> None:
        # Updates go to the core through ``inbox_together``, a webhook's as a batch of one.
        try:
            await self._with_retries(self.bot.initialize)
        except InvalidToken:
            # PTB's message quotes the token: say which setting is wrong, never its value.
            raise StartupError(
                "Telegram did not accept the bot token: check HANKEBOT_TELEGRAM_TOKEN"
            ) from None
        await self._publish_commands()
        if self.settings.telegram_webhook_url:
            await self._start_webhook()
        else:
            await self._with_retries(lambda: self.bot.delete_webhook(drop_pending_updates=False))
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        log.info("telegram transport started as @%s", self.bot.username)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._acknowledgements:  # a press's spinner ends anyway after a few seconds
            await asyncio.wait(set(self._acknowledgements), timeout=2.0)
            for task in self._acknowledgements:
                task.cancel()
        if self._web_runner is not None:
            await self._web_runner.cleanup()
        await self._downloads.aclose()
        try:
            await self.bot.shutdown()
        except TelegramError as error:
            log.warning("telegram shutdown: %s", type(error).__name__)

    async def _with_retries(self, call: Any, attempts: int = 5) -> Any:
        for attempt in range(attempts):
            try:
                return await call()
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
            except (NetworkError, TimedOut) as error:
                if attempt == attempts - 1:
                    raise
                log.warning("telegram not reachable yet: %s", type(error).__name__)
                await asyncio.sleep(min(30.0, 2.0**attempt))
        return None

    async def _publish_commands(self) -> None:
        """The command menu in each language (``None``: the default), as the core made it
        (:mod:`bot.command_menu`)."""
        for locale, menu in self.menus.items():
            commands = [BotCommand(name, description) for name, description in menu]
            try:
                await self.bot.set_my_commands(commands, language_code=locale)
            except TelegramError as error:
                log.warning("setMyCommands failed: %s", type(error).__name__)

    # --- receiving -------------------------------------------------------------------------
    async def _poll(self) -> None:
        async with self.db.transaction() as conn:
            stored = await updates.get_value(conn, OFFSET_KEY)
        offset = int(stored) if stored else None
        failures = 0
        while True:
            try:
                batch = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.settings.telegram_poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
                failures = 0
            except asyncio.CancelledError:
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                continue
            except Conflict:
                log.error("another bot instance is polling with this token")
                await asyncio.sleep(5.0)
                continue
            except (NetworkError, TimedOut, TelegramError) as error:
                failures += 1
                log.warning("getUpdates failed: %s", type(error).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            for first in range(0, len(batch), TOGETHER):
                chunk = batch[first : first + TOGETHER]
                offset = chunk[-1].update_id + 1
                await self._handle_together(chunk, offset)

    async def _handle_together(self, chunk: Sequence[Update], offset: int | None) -> None:
        """Updates that came together, to the core in one commit with the offset past them;
        their button presses are acknowledged after it, without waiting for Telegram. A
        membership change (the person blocked the bot) is reported in its place in the
        order: what came before it is committed first."""
        events: list[Incoming] = []
        presses: list[CallbackQuery] = []
        for update in chunk:
            try:
                if update.my_chat_member is not None:
                    if events:
                        await self._commit_together(events, presses, update.update_id)
                        events, presses = [], []
                    await self._membership_changed(update)
                    continue
                incoming = to_incoming(update)
                if incoming is None:
                    continue
                events.append(await self._with_attachment(update, incoming))
                if update.callback_query is not None:
                    presses.append(update.callback_query)
            except Exception as error:
                log.error("update %s failed: %s", update.update_id, type(error).__name__)
        await self._commit_together(events, presses, offset)

    async def _commit_together(
        self, events: Sequence[Incoming], presses: Sequence[CallbackQuery], offset: int | None
    ) -> None:
        if offset is None and not events:
            return
        try:
            await self.inbox_together(events, {} if offset is None else {OFFSET_KEY: str(offset)})
        except Exception as error:
            log.error("%d updates failed: %s", len(events), type(error).__name__)
            return
        for query in presses:
            task = asyncio.create_task(self._acknowledge(query))
            self._acknowledgements.add(task)
            task.add_done_callback(self._acknowledgements.discard)

    async def _acknowledge(self, query: CallbackQuery) -> None:
        async with self._acknowledging:
            try:
                await query.answer()
            except TelegramError as error:
                log.info("answerCallbackQuery failed: %s", type(error).__name__)

    async def handle_update(self, update: Update) -> None:
        """One update (a webhook call) to the core as a batch of one; never raises (logs
        update id and error type). A webhook moves no offset."""
        await self._handle_together([update], None)

    async def _with_attachment(self, update: Update, incoming: Incoming) -> Incoming:
        """Fetch a sent document or photo (up to :data:`FILE_LIMIT` bytes) into the event.

        Only private chats (nothing in a group takes files), and only when the person's
        conversation takes a file now: otherwise nothing is fetched and the event says so
        (``not_wanted``). The caption becomes the text only together with the file: a file
        too large or one that cannot be fetched arrives as an event without text that says
        so (``refused_file``), and the dispatcher explains.
        """
        found = attached_file(update.message)
        if found is None or incoming.is_group_chat:
            return incoming
        if not await self.wants_file(incoming.user_id, incoming.chat_id):
            return dataclasses.replace(incoming, refused_file="not_wanted")
        file_id, name, mime, size = found
        if declared_too_large(size, FILE_LIMIT):
            return dataclasses.replace(incoming, refused_file="too_large")
        try:
            remote = await self.bot.get_file(file_id)
        except TelegramError as error:
            log.info("getFile failed: %s", type(error).__name__)
            return dataclasses.replace(incoming, refused_file="unreadable")
        if declared_too_large(remote.file_size, FILE_LIMIT):
            return dataclasses.replace(incoming, refused_file="too_large")
        try:
            data = await self._download(remote.file_path)
        except (httpx.HTTPError, OSError, TimeoutError, ValueError) as error:
            log.info("file download failed: %s", type(error).__name__)
            return dataclasses.replace(incoming, refused_file="unreadable")
        if data is None:
            return dataclasses.replace(incoming, refused_file="too_large")
        caption = update.message.caption if update.message is not None else None
        document = Document(name, data, mime, platform_id=file_id)
        return dataclasses.replace(incoming, text=caption, attachment=document)

    async def _download(self, location: str | None) -> bytes | None:
        """The file's bytes, or None when it is larger than :data:`FILE_LIMIT` (reading
        stops at the first chunk past it). The URL holds the token: it is never logged."""
        if not location:
            raise ValueError("getFile gave no file path")
        if not location.startswith(("http://", "https://")):
            # A self-hosted Bot API server in --local mode gives a path on this machine.
            return await asyncio.to_thread(read_file_capped, Path(location), FILE_LIMIT)
        async with (
            asyncio.timeout(DOWNLOAD_TIMEOUT_SECONDS),
            self._downloads.stream("GET", location) as response,
        ):
            response.raise_for_status()
            if declared_too_large(response.headers.get("Content-Length"), FILE_LIMIT):
                return None
            return await read_capped(response.aiter_bytes(CHUNK), FILE_LIMIT)

    async def _membership_changed(self, update: Update) -> None:
        """The bot's own membership changed: blocked in a private chat (``kicked``), or
        removed from a group. Reported to the core, which decides what follows."""
        member = update.my_chat_member
        assert member is not None
        if member.new_chat_member.status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            return
        key = f"telegram:{update.update_id}"
        if member.chat.type == "private":
            await self.report(BlockedByUser(f"telegram:{member.from_user.id}", key))
        else:
            await self.report(ChatGone(f"telegram:{member.chat.id}", "removed from the chat", key))

    async def _start_webhook(self) -> None:
        from aiohttp import web

        configured = self.settings.telegram_webhook_secret
        # Never a webhook without a secret: 43 characters of Telegram's alphabet (256 bits).
        secret_value = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
        add_secret(secret_value)
        expected = secret_value.encode()
        app = web.Application()

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER)
            if given is None:
                log.warning("webhook: refused a request without the secret header")
                return web.Response(status=401)
            if not hmac.compare_digest(given.encode("utf-8", "replace"), expected):
                log.warning("webhook: refused a request with a wrong secret header")
                return web.Response(status=403)
            try:
                update = Update.de_json(await request.json(), self.bot)
            except (ValueError, TypeError, KeyError):
                return web.Response(status=400)
            await self.handle_update(update)
            return web.Response(status=200)

        app.router.add_post("/telegram", receive)
        self._web_runner = web.AppRunner(app)
        await self._web_runner.setup()
        site = web.TCPSite(
            self._web_runner,
            self.settings.telegram_webhook_listen,
            self.settings.telegram_webhook_port,
        )
        await site.start()
        await self._with_retries(
            lambda: self.bot.set_webhook(
                url=self.settings.telegram_webhook_url or "",
                secret_token=secret_value,
                allowed_updates=ALLOWED_UPDATES,
            )
        )

    # --- sending ---------------------------------------------------------------------------
    async def deliver(self, item: OutboxItem) -> Delivery:
        chat = item.platform_chat
        # PTB's objects only for files and edits; a text goes as plain JSON (_send_text).
        needs_markup = item.document is not None or item.edit_of is not None
        markup = keyboard(item.buttons) if needs_markup else None
        try:
            if item.kind == LEAVE:
                await self.bot.leave_chat(chat_id=chat)
                return Delivery.sent(None)
            if item.edit_of is not None and item.edit_target_message_id is not None:
                return await self._edit(item, markup)
            if item.document is not None:
                caption = item.html if visible_length(item.html) <= CAPTION_LIMIT else None
                if caption is None:
                    await self._send_text(chat, item.html, ())
                message, uploaded = await self._send_document(item, caption, markup)
                return Delivery.sent(message.message_id, uploaded_file_id=uploaded)
            return Delivery.sent(await self._send_text(chat, item.html, item.buttons))
        except Forbidden as error:
            return Delivery(Status.UNREACHABLE, error=f"Forbidden: {_reason(error)}")
        except RetryAfter as error:
            return Delivery(Status.RETRY, retry_after=retry_seconds(error), error="RetryAfter")
        except ChatMigrated:
            return Delivery(Status.FAILED, error="ChatMigrated")
        except BadRequest as error:
            if "chat not found" in str(error).lower():
                return Delivery(Status.UNREACHABLE, error="BadRequest: chat not found")
            return Delivery(Status.FAILED, error=f"BadRequest: {_reason(error)}")
        except (TimedOut, NetworkError) as error:
            return Delivery(Status.RETRY, error=type(error).__name__)

    async def _send_document(
        self, item: OutboxItem, caption: str | None, markup: InlineKeyboardMarkup | None
    ) -> tuple[Message, str | None]:
        """Send the row's file; returns the message and, when this send uploaded a file
        shared by many rows, the file_id Telegram gave it."""
        document = item.document
        assert document is not None

        async def send(file: InputFile | TelegramDocument) -> Message:
            return await self.bot.send_document(
                chat_id=item.platform_chat,
                document=file,
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )

        async def upload() -> tuple[Message, str | None]:
            message = await send(InputFile(document.content, filename=document.filename))
            # A file Telegram took for something else (audio, video) has no document id
            # that sendDocument accepts: it is uploaded every time, as before.
            return message, message.document.file_id if message.document else None

        async def by_id(file_id: str) -> Message:
            # A Document, not the bare string: PTB would upload a local file of that name.
            return await send(TelegramDocument(file_id=file_id, file_unique_id=""))

        if item.shared_file is None:
            message, _ = await upload()
            return message, None
        return await self.shared_files.send(
            item.shared_file,
            item.remote_file_id,
            by_id=by_id,
            upload=upload,
            refused=file_id_refused,
        )

    async def _send_text(
        self, chat: str, html: str, buttons: Sequence[Sequence[OutgoingButton]]
    ) -> int:
        """Send ``html`` in as many messages as it needs, the buttons under the last; the
        last message's id."""
        parts = split_html(html, MESSAGE_LIMIT)
        message_id = 0
        for index, part in enumerate(parts):
            data: dict[str, Any] = {"chat_id": chat, "text": part, "parse_mode": ParseMode.HTML}
            if buttons and index == len(parts) - 1:
                data["reply_markup"] = keyboard_json(buttons)
            message_id = await self.bot.send_plain(data)
        return message_id

    async def _edit(self, item: OutboxItem, markup: InlineKeyboardMarkup | None) -> Delivery:
        assert item.edit_target_message_id is not None
        try:
            await self.bot.edit_message_text(
                chat_id=item.platform_chat,
                message_id=int(item.edit_target_message_id),
                text=split_html(item.html, MESSAGE_LIMIT)[0],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise
        return Delivery.sent(item.edit_target_message_id)


def _reason(error: TelegramError) -> str:
    """Telegram's own error description (never contains our message text)."""
    return str(error.message)[:80]
