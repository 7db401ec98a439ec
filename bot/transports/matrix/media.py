"""Files on Matrix: what people send is fetched with caps, what the bot sends is uploaded.

An ``m.file`` or ``m.image`` in a direct chat (plain or encrypted) is fetched only when the
person's conversation takes a file (the core's ``wants_file`` port; otherwise the event
says ``not_wanted`` and nothing is downloaded). It is streamed from the media repository
(the authenticated media API, ``/_matrix/client/v1/media``, which Synapse requires by
default since 1.120) through nio's HTTP session, decrypted with the key, hash and IV in the
event when the room is encrypted, and handed over as ``Incoming.attachment``: the same 10 MB
limit as on Telegram (:data:`FILE_LIMIT`), checked against the size the sender's client
declares and the ``Content-Length`` before reading, and while reading, which stops at the
first chunk past the limit (:mod:`bot.transports.capped`; for encrypted media the
ciphertext is as long as the file). A refused or failed file becomes
``Incoming(refused_file=...)`` and the dispatcher explains. Matrix media have a caption only
in the newer form (spec 1.10): when the event has a ``filename`` and a ``body`` that differs
from it, ``body`` is the caption and becomes the text; otherwise ``body`` is just the file
name and the text is None.

A file the bot sends is uploaded to the media repository (encrypted in encrypted rooms) and
sent as one ``m.file``/``m.image`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
import mimetypes
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

from aiohttp import ClientError
from nio import (
    EncryptionError,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomEncryptedMedia,
    RoomMessageFile,
    RoomMessageImage,
    UploadResponse,
)
from nio.api import MATRIX_MEDIA_API_PATH
from nio.crypto.attachments import decrypt_attachment

from bot.transports.base import Delivery
from bot.transports.capped import CHUNK, declared_too_large, read_capped
from bot.transports.matrix.identity import IdentityPart
from bot.transports.matrix.state import error_delivery
from handlers.core.types import FILE_LIMIT, Document, Incoming
from messages.languages import SOURCE_LOCALE
from messages.words import words
from storage import updates

log = logging.getLogger(__name__)


#: How long fetching one file a person sent may take, all in all.
DOWNLOAD_TIMEOUT_SECONDS = 60.0


class _NotFetched(Exception):
    """A file could not be downloaded; the message is an error code, never a file name."""


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
    "kuva.png" / "tiedosto.pdf" (by the MIME type, in the source language's words) when the
    event names none."""
    text = raw if isinstance(raw, str) else ""
    text = _UNSAFE_NAME.sub(" ", text.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if len(text) > 120:
        stem, dot, ext = text.rpartition(".")
        text = f"{stem[: 119 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else text[:120]
    if text:
        return text
    extension = mimetypes.guess_extension(mime_type or "") or ""
    names = words(SOURCE_LOCALE).files
    return (names.picture if image else names.document) + extension


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


async def _error_code(response: Any) -> str:
    """The Matrix error code of a failed media request (``M_NOT_FOUND``), else its status."""
    errcode: object = None
    with contextlib.suppress(ClientError, ValueError, TimeoutError):
        body = await read_capped(response.content.iter_chunked(4096), 4096)
        parsed = json.loads(body) if body else None
        errcode = parsed.get("errcode") if isinstance(parsed, dict) else None
    return errcode if isinstance(errcode, str) else f"HTTP {response.status}"


class MediaPart(IdentityPart):
    """Files: fetching what people send (with the caps), uploading what the bot sends."""

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

    async def _upload(self, room: Any, document: Document) -> dict[str, Any] | Delivery:
        """Upload a file the bot sends (encrypted in an encrypted room); the content of its
        ``m.file`` / ``m.image`` event, or the failed upload's delivery outcome."""
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
        if encrypt:
            assert keys is not None
            content["file"] = {**keys, "url": upload.content_uri, "mimetype": document.mime_type}
        else:
            content["url"] = upload.content_uri
        return content
