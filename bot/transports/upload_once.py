"""Send a file shared by many outbox rows (an announcement's attachment) uploading it once.

The first send uploads the bytes; the platform answers with its own id for the file
(Telegram: ``file_id``) and every later send passes that id instead. The delivery worker
sends several rows at once, so the first sends of a file would all upload it: here they
wait for the one upload in progress (a lock per file) and then send by its id.

The id may stop working (Telegram accepts a file_id only from the bot token that uploaded
it; a file may also be gone on its side). A send refused for that reason uploads the bytes
once more, under the same lock, and the new id replaces the old one; sends that were refused
the old id at the same time then use the new one. The worst case is a few extra uploads
(an upload that fails, e.g. to a person who blocked the bot, leaves the next waiting send to
upload), never a send that fails because of a stale id.

The ids kept here are a cache in memory for the rows read before the worker stored the id
(``storage.broadcasts.remember_upload``); they are used only while a row still carries the
file's bytes, which are dropped (and the stored id with them) when the broadcast ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

KEEP_FILES = 256  # files remembered at a time (a few broadcasts with files at a time)


class UploadOnce:
    """Per shared file (its ``broadcast_files`` id): the platform's id once a send has
    uploaded it, and a lock that lets one upload happen at a time."""

    def __init__(self, keep: int = KEEP_FILES) -> None:
        self._keep = keep
        # file → the platform's id, or None: the platform gave no id that can be re-sent
        self._ids: dict[int, str | None] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self.uploads = 0  # bytes uploads started (for tests and measurements)

    async def send(
        self,
        key: int,
        stored: str | None,
        *,
        by_id: Callable[[str], Awaitable[T]],
        upload: Callable[[], Awaitable[tuple[T, str | None]]],
        refused: Callable[[Exception], bool],
    ) -> tuple[T, str | None]:
        """Send the file ``key`` by its id if one is known, else upload it.

        ``stored`` is the id the row was read with (it may be older than what this process
        has learnt since); ``by_id`` sends by an id, ``upload`` sends the bytes and returns
        the platform's id for them (None when it gives none); ``refused`` tells whether an
        error from ``by_id`` means that the id itself is no good. Returns what the send
        returned and the id when this call uploaded the file (None otherwise). Any other
        error of a send is raised as it is.
        """
        if key not in self._ids and stored is not None:
            self._remember(key, stored)
        tried: str | None = None
        current = self._ids.get(key)
        if current is None and key in self._ids:
            # The platform gives no id to re-send this file by: every send uploads it.
            return await self._upload(key, upload)
        if current is not None:
            try:
                return await by_id(current), None
            except Exception as error:
                if not refused(error):
                    raise
                tried = current
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
            self._trim(self._locks)
        async with lock:
            current = self._ids.get(key)
            if current is not None and current != tried:
                # Uploaded (or replaced) by another send while this one waited.
                try:
                    return await by_id(current), None
                except Exception as error:
                    if not refused(error):
                        raise
            return await self._upload(key, upload)

    async def _upload(
        self, key: int, upload: Callable[[], Awaitable[tuple[T, str | None]]]
    ) -> tuple[T, str | None]:
        self.uploads += 1
        result, new_id = await upload()
        self._remember(key, new_id)
        return result, new_id

    def _remember(self, key: int, remote_id: str | None) -> None:
        self._ids.pop(key, None)
        self._ids[key] = remote_id  # newest last
        self._trim(self._ids)

    def _trim(self, table: dict[int, T]) -> None:
        while len(table) > self._keep:
            del table[next(iter(table))]
