"""An announcement's file is uploaded once per platform: the upload-once coordination under
concurrent sends and stale ids, the stored platform id (``broadcast_file_uploads``), how the
delivery worker keeps it and how it is dropped with the file's bytes."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

import pytest
from telegram.error import BadRequest, Forbidden

from bot.delivery import DeliveryWorker
from bot.transports.base import Delivery, Inbox, Pacing
from bot.transports.telegram import file_id_refused
from bot.transports.upload_once import UploadOnce
from handlers.core.types import Document
from storage import broadcasts, outbox, users
from storage.broadcasts import Recipient
from storage.db import Database
from storage.outbox import OutboxItem
from tests.harness import Clock

START = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
PDF = Document("ohjelma.pdf", b"%PDF-1.4 ohjelma", "application/pdf")


class Refused(Exception):
    """The platform does not accept this file id."""


@dataclass
class FakePlatform:
    """Knows the ids it gave for uploads; uploads take a little time, as real ones do."""

    upload_delay: float = 0.02
    gives_ids: bool = True
    valid: set[str] = field(default_factory=set)
    uploads: int = 0
    by_id: list[str] = field(default_factory=list)
    fail_next_uploads: int = 0

    async def send_by_id(self, file_id: str) -> str:
        await asyncio.sleep(0.001)
        if file_id not in self.valid:
            raise Refused(file_id)
        self.by_id.append(file_id)
        return f"sent {file_id}"

    async def upload(self) -> tuple[str, str | None]:
        self.uploads += 1
        await asyncio.sleep(self.upload_delay)
        if self.fail_next_uploads:
            self.fail_next_uploads -= 1
            raise ConnectionError("upload cut off")
        if not self.gives_ids:
            return "uploaded", None
        new_id = f"id{self.uploads}"
        self.valid.add(new_id)
        return "uploaded", new_id


def refused(error: Exception) -> bool:
    return isinstance(error, Refused)


async def send_all(
    cache: UploadOnce, platform: FakePlatform, count: int, stored: str | None = None
) -> list[tuple[str, str | None] | BaseException]:
    return await asyncio.gather(
        *(
            cache.send(
                1, stored, by_id=platform.send_by_id, upload=platform.upload, refused=refused
            )
            for _ in range(count)
        ),
        return_exceptions=True,
    )


# --- the upload-once coordination ----------------------------------------------------------
async def test_concurrent_first_sends_upload_once_and_the_rest_go_by_id() -> None:
    cache, platform = UploadOnce(), FakePlatform()
    results = await send_all(cache, platform, 20)
    assert platform.uploads == 1 and cache.uploads == 1
    assert platform.by_id == ["id1"] * 19
    assert results.count(("uploaded", "id1")) == 1  # only the upload reports the new id
    assert results.count(("sent id1", None)) == 19
    more = await send_all(cache, platform, 5)
    assert platform.uploads == 1 and more == [("sent id1", None)] * 5


async def test_a_stale_stored_id_is_replaced_by_one_new_upload() -> None:
    cache, platform = UploadOnce(), FakePlatform()
    results = await send_all(cache, platform, 12, stored="old-token-id")
    assert platform.uploads == 1
    assert results.count(("uploaded", "id1")) == 1
    assert results.count(("sent id1", None)) == 11
    # Rows read before the new id was stored still carry the old one: not tried again.
    assert await send_all(cache, platform, 3, stored="old-token-id") == [("sent id1", None)] * 3
    assert platform.uploads == 1


async def test_an_id_that_stops_working_mid_way_is_uploaded_again_once() -> None:
    cache, platform = UploadOnce(), FakePlatform()
    await send_all(cache, platform, 3)
    platform.valid.clear()  # e.g. the bot's token was changed
    results = await send_all(cache, platform, 10, stored="id1")
    assert platform.uploads == 2
    assert results.count(("uploaded", "id2")) == 1
    assert results.count(("sent id2", None)) == 9


async def test_a_failed_upload_leaves_the_next_send_to_upload() -> None:
    cache, platform = UploadOnce(), FakePlatform(fail_next_uploads=1)
    results = await send_all(cache, platform, 6)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], ConnectionError)  # that row is retried
    assert platform.uploads == 2
    assert results.count(("uploaded", "id2")) == 1
    assert results.count(("sent id2", None)) == 4


async def test_other_errors_of_a_send_by_id_are_not_turned_into_uploads() -> None:
    cache, platform = UploadOnce(), FakePlatform()
    await send_all(cache, platform, 1)

    async def blocked(file_id: str) -> str:
        raise PermissionError("blocked")

    with pytest.raises(PermissionError):
        await cache.send(1, None, by_id=blocked, upload=platform.upload, refused=refused)
    assert platform.uploads == 1


async def test_without_a_reusable_id_every_send_uploads_without_waiting() -> None:
    cache, platform = UploadOnce(), FakePlatform(gives_ids=False, upload_delay=0.05)
    await send_all(cache, platform, 1)
    started = asyncio.get_running_loop().time()
    results = await send_all(cache, platform, 8)
    elapsed = asyncio.get_running_loop().time() - started
    assert results == [("uploaded", None)] * 8 and platform.uploads == 9
    assert elapsed < 8 * 0.05 / 2  # side by side, not one after another


def test_telegram_answers_that_mean_a_stale_file_id() -> None:
    for text in (
        "Bad Request: wrong file identifier/HTTP URL specified",
        "Bad Request: wrong remote file identifier specified: can't unserialize it",
        "Bad Request: invalid remote file identifier",
        "Bad Request: wrong remote file id specified: Wrong string length",
        "Bad Request: invalid file_id",
        "Bad Request: FILE_REFERENCE_EXPIRED",
        "Bad Request: type of file mismatch",
    ):
        assert file_id_refused(BadRequest(text)), text
    for other in (
        BadRequest("Bad Request: chat not found"),
        BadRequest("Bad Request: message caption is too long"),
        Forbidden("Forbidden: bot was blocked by the user"),
        ValueError("wrong file identifier"),
    ):
        assert not file_id_refused(other), other


# --- storage and the delivery worker -------------------------------------------------------
async def broadcast_with_file(db: Database, people: int = 3) -> tuple[int, int]:
    """A whole-project announcement with :data:`PDF` to ``people`` Telegram participants."""
    async with db.transaction() as conn:
        recipients = []
        for n in range(people):
            user_id = f"telegram:{100 + n}"
            await users.touch(conn, user_id, user_id, locale="fi", now=START, private_chat=True)
            recipients.append(Recipient(user_id, user_id, "fi", False))
        file_id = await broadcasts.store_file(
            conn, created_by="telegram:1", document=PDF, now=START
        )
        broadcast_id = await broadcasts.create(
            conn,
            project="osmari",
            audience="project",
            group=None,
            created_by="telegram:1",
            report_chat=None,
            text="x",
            locale="fi",
            timezone="Europe/Helsinki",
            send_at=START,
            now=START,
        )
        await broadcasts.attach_file(conn, file_id, broadcast_id)
        await broadcasts.enqueue_recipients(
            conn,
            broadcast_id,
            recipients,
            {"fi": "Ohjelma"},
            send_at=START,
            now=START,
            file_id=file_id,
        )
    return broadcast_id, file_id


async def due_items(db: Database, transport: str = "telegram") -> list[OutboxItem]:
    async with db.transaction() as conn:
        return await outbox.due(conn, transport, START)


async def upload_rows(db: Database) -> list[tuple[int, str, str]]:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT file_id, transport, remote_id FROM broadcast_file_uploads ORDER BY file_id"
        )
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]


async def test_rows_carry_the_stored_id_of_their_own_transport(db: Database) -> None:
    _, file_id = await broadcast_with_file(db)
    [first, *_] = await due_items(db)
    assert (first.shared_file, first.remote_file_id) == (file_id, None)
    assert first.document == PDF
    async with db.transaction() as conn:
        assert await broadcasts.remember_upload(conn, file_id, "telegram", "BQACold")
        assert await broadcasts.remember_upload(conn, file_id, "telegram", "BQACnew")  # replaces
        assert await broadcasts.remember_upload(conn, file_id, "matrix", "mxc://x/y")
    items = await due_items(db)
    assert {(i.shared_file, i.remote_file_id) for i in items} == {(file_id, "BQACnew")}
    assert all(i.document == PDF for i in items)  # the bytes stay for a fallback upload
    async with db.transaction() as conn:
        own = await outbox.enqueue(
            conn,
            chat_id="telegram:1",
            user_id="telegram:1",
            html="esikatselu",
            now=START,
            document=PDF,
        )
        assert own is not None
        preview = await outbox.get(conn, own)
    assert preview is not None and preview.document == PDF
    assert (preview.shared_file, preview.remote_file_id) == (None, None)  # its own copy


async def test_the_id_goes_with_the_bytes_when_the_broadcast_ends(db: Database) -> None:
    broadcast_id, file_id = await broadcast_with_file(db)
    async with db.transaction() as conn:
        await broadcasts.remember_upload(conn, file_id, "telegram", "BQACid")
    assert await upload_rows(db) == [(file_id, "telegram", "BQACid")]
    async with db.transaction() as conn:
        assert await broadcasts.close(conn, broadcast_id, "done", START)
        # a send that finished just after the end does not bring the id back
        assert not await broadcasts.remember_upload(conn, file_id, "telegram", "BQAClate")
        cursor = await conn.execute("SELECT content FROM broadcast_files WHERE id = ?", (file_id,))
        row = await cursor.fetchone()
    assert row is not None and row[0] is None
    assert await upload_rows(db) == []


async def test_a_draft_file_dropped_takes_its_ids_along(db: Database) -> None:
    async with db.transaction() as conn:
        draft = await broadcasts.store_file(conn, created_by="telegram:1", document=PDF, now=START)
        assert await broadcasts.remember_upload(conn, draft, "telegram", "BQACdraft")
        await broadcasts.drop_draft_file(conn, draft)
    assert await upload_rows(db) == []


@dataclass
class UploadingTransport:
    """Reports an upload for the first row with a shared file; records what rows carried."""

    name: str = "telegram"
    pacing: Pacing = field(default_factory=Pacing)
    seen: list[str | None] = field(default_factory=list)

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        self.seen.append(item.remote_file_id)
        if item.shared_file is not None and item.remote_file_id is None and len(self.seen) == 1:
            return Delivery.sent(item.id, uploaded_file_id="BQACfirst")
        return Delivery.sent(item.id)


async def test_the_worker_stores_the_id_an_upload_got(db: Database) -> None:
    broadcast_id, file_id = await broadcast_with_file(db, people=3)
    transport = UploadingTransport()
    worker = DeliveryWorker(db, transport, clock=Clock(START), observers=[])
    worker.start()
    try:
        await worker.drain(timeout=5)
        [(_, _, stored)] = await upload_rows(db)
        assert stored == "BQACfirst" and transport.seen[0] is None
        async with db.transaction() as conn:  # a row read after that carries the id
            late = "telegram:200"
            await users.touch(conn, late, late, locale="fi", now=START, private_chat=True)
            await broadcasts.enqueue_recipients(
                conn,
                broadcast_id,
                [Recipient(late, late, "fi", False)],
                {"fi": "Ohjelma"},
                send_at=START,
                now=START,
                file_id=file_id,
            )
        await worker.drain(timeout=5)
    finally:
        await worker.stop()
    assert len(transport.seen) == 4 and transport.seen[-1] == "BQACfirst"
