"""Retention: what housekeeping deletes, and when, with a moved clock (issue 11, item 4).

Every rule is run through :func:`bot.maintenance.run_once` at a chosen moment, one day
before and one day after the rule's limit, so each test shows both sides of the line.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from bot import maintenance
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.i18n import renderer
from bot.transports.base import Delivery, Status
from handlers.common.broadcast_progress import Progress
from handlers.core.types import Document
from storage import (
    audit,
    broadcasts,
    buttons,
    code_limits,
    contact_requests,
    coordinator_invites,
    invites,
    outbox,
    updates,
    users,
)
from storage.db import Database
from tests.harness import Clock
from tests.test_delivery import ScriptedTransport

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
PDF = Document("liite.pdf", b"%PDF-1.4 personal bytes", "application/pdf")


async def rows(db: Database, sql: str, *params: object) -> list[Any]:
    async with db.transaction() as conn:
        cursor = await conn.execute(sql, params)
        return list(await cursor.fetchall())


async def count(db: Database, table: str) -> int:
    [row] = await rows(db, f"SELECT COUNT(*) FROM {table}")
    return int(row[0])


async def deliver(db: Database, clock: Clock, *script: Delivery) -> None:
    """Run the delivery worker once over everything due, answering with ``script``."""
    transport = ScriptedTransport(script=deque(script))
    worker = DeliveryWorker(db, transport, clock=clock)
    worker.start()
    try:
        await worker.drain(timeout=10)
    finally:
        await worker.stop()


async def enqueue(
    db: Database,
    chat: str,
    now: dt.datetime,
    *,
    document: Document | None = None,
    not_before: dt.datetime | None = None,
) -> int:
    async with db.transaction() as conn:
        await users.touch(conn, chat, chat, locale="fi", now=now, private_chat=True)
        item = await outbox.enqueue(
            conn,
            chat_id=chat,
            user_id=chat,
            html="henkilökohtainen viesti",
            now=now,
            document=document,
            not_before=not_before,
        )
    assert item is not None
    return item


async def announcement(
    db: Database, recipients: list[str], now: dt.datetime, *, send_at: dt.datetime | None = None
) -> int:
    """A broadcast with a file to ``recipients`` (written as the confirm step writes it)."""
    async with db.transaction() as conn:
        for person in [*recipients, "test:90"]:  # test:90 is the coordinator
            await users.touch(conn, person, person, locale="fi", now=now, private_chat=True)
        file_id = await broadcasts.store_file(conn, created_by="test:90", document=PDF, now=now)
        broadcast_id = await broadcasts.create(
            conn,
            project="osmari",
            audience="project",
            group=None,
            created_by="test:90",
            report_chat="test:90",
            text="Tiedote",
            locale="fi",
            timezone="Europe/Helsinki",
            send_at=send_at or now,
            now=now,
        )
        await broadcasts.attach_file(conn, file_id, broadcast_id)
        await broadcasts.enqueue_recipients(
            conn,
            broadcast_id,
            [broadcasts.Recipient(p, p, "fi", False) for p in recipients],
            {"fi": "Tiedote"},
            send_at=send_at or now,
            now=now,
            file_id=file_id,
        )
        await Progress(renderer()).start(conn, broadcast_id, now)
    return broadcast_id


# --- outbox: file bytes go when a row ends, in any state -----------------------------------


async def test_a_file_queued_to_a_chat_that_became_unreachable_is_dropped_at_once(
    db: Database,
) -> None:
    clock = Clock(START)
    await enqueue(db, "test:3", START)
    waiting = await enqueue(db, "test:3", START, document=PDF)
    await deliver(db, clock, Delivery(Status.UNREACHABLE, error="Forbidden"))
    [row] = await rows(db, "SELECT state, document, html FROM outbox WHERE id = ?", waiting)
    assert row["state"] == "unreachable"
    assert row["document"] is None and row["html"] == ""


async def test_every_end_state_drops_text_and_file(db: Database) -> None:
    clock = Clock(START)
    sent = await enqueue(db, "test:1", START, document=PDF)
    failed = await enqueue(db, "test:2", START, document=PDF)
    await deliver(db, clock, Delivery.sent(1), Delivery(Status.FAILED, error="BadRequest"))
    broadcast_id = await announcement(db, ["test:4", "test:5"], START, send_at=START + DAY)
    async with db.transaction() as conn:
        await Progress(renderer()).cancel(conn, broadcast_id, START)
    ended = await rows(
        db, "SELECT id, state, html, document, buttons FROM outbox WHERE state != 'pending'"
    )
    assert {row["state"] for row in ended} == {"sent", "failed", "cancelled"}
    assert {sent, failed} <= {row["id"] for row in ended}
    for row in ended:
        assert (row["html"], row["document"], row["buttons"]) == ("", None, None), row["state"]
    [file_row] = await rows(db, "SELECT content FROM broadcast_files")
    assert file_row["content"] is None


async def test_an_announcement_whose_last_recipient_opted_out_is_closed_and_its_file_dropped(
    db: Database,
) -> None:
    broadcast_id = await announcement(db, ["test:4"], START)
    async with db.transaction() as conn:
        await broadcasts.cancel_for_person(conn, "test:4", START)  # /stop before delivery
    await maintenance.run_once(db, START + DAY)
    [row] = await rows(db, "SELECT state, text FROM broadcasts WHERE id = ?", broadcast_id)
    assert row["state"] == "done" and row["text"] == ""
    [file_row] = await rows(db, "SELECT content FROM broadcast_files")
    assert file_row["content"] is None


# --- outbox: rows go 30 days after they ended -----------------------------------------------


async def test_ended_outbox_rows_are_deleted_30_days_after_they_ended(db: Database) -> None:
    clock = Clock(START)
    await enqueue(db, "test:1", START)  # sent
    await enqueue(db, "test:2", START)  # failed
    await enqueue(db, "test:3", START)  # unreachable
    await enqueue(db, "test:3", START)  # unreachable: ended with the chat
    await deliver(
        db,
        clock,
        Delivery.sent(1),
        Delivery(Status.FAILED, error="BadRequest"),
        Delivery(Status.UNREACHABLE, error="Forbidden"),
    )
    broadcast_id = await announcement(db, ["test:4"], START, send_at=START + DAY)
    async with db.transaction() as conn:
        await Progress(renderer()).cancel(conn, broadcast_id, START)  # cancelled
    later = await enqueue(db, "test:6", START, not_before=START + 365 * DAY)  # still pending
    states = {row[0] for row in await rows(db, "SELECT state FROM outbox")}
    assert states == {"sent", "failed", "unreachable", "cancelled", "pending"}

    await maintenance.run_once(db, START + (outbox.ENDED_RETENTION_DAYS - 1) * DAY)
    assert await count(db, "outbox") == 7
    await maintenance.run_once(db, START + (outbox.ENDED_RETENTION_DAYS + 1) * DAY)
    assert [row["id"] for row in await rows(db, "SELECT id FROM outbox")] == [later]


async def test_an_outbox_row_is_kept_30_days_from_its_end_not_from_its_creation(
    db: Database,
) -> None:
    clock = Clock(START + 20 * DAY)
    await enqueue(db, "test:1", START, not_before=START + 20 * DAY)  # written long before
    await deliver(db, clock)
    await maintenance.run_once(db, START + 31 * DAY)
    assert await count(db, "outbox") == 1
    await maintenance.run_once(db, START + (20 + outbox.ENDED_RETENTION_DAYS + 1) * DAY)
    assert await count(db, "outbox") == 0


async def test_a_finished_announcement_goes_30_days_after_it_ended(db: Database) -> None:
    clock = Clock(START)
    broadcast_id = await announcement(db, ["test:4"], START)
    await deliver(db, clock)
    [row] = await rows(db, "SELECT state FROM broadcasts WHERE id = ?", broadcast_id)
    assert row["state"] == "done"
    await maintenance.run_once(db, START + (broadcasts.ENDED_RETENTION_DAYS - 1) * DAY)
    assert await count(db, "broadcasts") == 1 and await count(db, "broadcast_files") == 1
    await maintenance.run_once(db, START + (broadcasts.ENDED_RETENTION_DAYS + 1) * DAY)
    assert await count(db, "broadcasts") == 0
    assert await count(db, "broadcast_files") == 0
    assert await count(db, "outbox") == 0


# --- invites ----------------------------------------------------------------------------------


async def test_invites_are_deleted_30_days_after_they_expired_were_used_up_or_revoked(
    db: Database,
) -> None:
    async with db.transaction() as conn:
        await invites.create(
            conn, project="osmari", group=None, max_uses=None, expires_at=START + DAY, now=START
        )
        used = await invites.create(
            conn, project="osmari", group=None, max_uses=1, expires_at=START + 30 * DAY, now=START
        )
        assert await invites.use(conn, used.invite.id, START + DAY)
        revoked = await invites.create(
            conn, project="osmari", group=None, max_uses=5, expires_at=START + 30 * DAY, now=START
        )
        await invites.revoke(conn, revoked.invite.id, START + DAY)
        open_one = await invites.create(
            conn, project="osmari", group=None, max_uses=5, expires_at=START + 30 * DAY, now=START
        )
        assert await invites.use(conn, open_one.invite.id, START + DAY)  # used once, still open
    days = invites.ENDED_RETENTION_DAYS
    await maintenance.run_once(db, START + days * DAY)
    assert await count(db, "invites") == 4
    await maintenance.run_once(db, START + (days + 2) * DAY)
    assert [row["id"] for row in await rows(db, "SELECT id FROM invites")] == [open_one.invite.id]
    await maintenance.run_once(db, START + (30 + days + 1) * DAY)
    assert await count(db, "invites") == 0


async def test_coordinator_invites_are_deleted_30_days_after_use_or_expiry(db: Database) -> None:
    async with db.transaction() as conn:
        code, _ = await coordinator_invites.create(
            conn, project="osmari", created_by="test:99", now=START
        )
        made = await coordinator_invites.find(conn, code)
        assert made is not None
        assert await coordinator_invites.use(conn, made.id, "test:5", START + DAY)
        await coordinator_invites.create(conn, project="osmari", created_by="test:99", now=START)
    days = coordinator_invites.ENDED_RETENTION_DAYS
    valid = coordinator_invites.VALID_FOR.days
    await maintenance.run_once(db, START + days * DAY)
    assert await count(db, "coordinator_invites") == 2
    await maintenance.run_once(db, START + (days + 2) * DAY)
    [left] = await rows(db, "SELECT used_by FROM coordinator_invites")
    assert left["used_by"] is None  # the unused one expired later: kept 30 days from then
    await maintenance.run_once(db, START + (valid + days + 1) * DAY)
    assert await count(db, "coordinator_invites") == 0


# --- audit log --------------------------------------------------------------------------------


async def _audit_entry(db: Database, at: dt.datetime) -> None:
    async with db.transaction() as conn:
        await audit.record(conn, actor="test:99", action="report.view", now=at, project="osmari")


async def test_audit_entries_are_kept_six_years_by_default(db: Database) -> None:
    assert audit.DEFAULT_RETENTION_DAYS == 2192
    await _audit_entry(db, START)
    await _audit_entry(db, START + 10 * DAY)
    await maintenance.run_once(db, START + (audit.DEFAULT_RETENTION_DAYS - 1) * DAY)
    assert await count(db, "audit_log") == 2
    await maintenance.run_once(db, START + (audit.DEFAULT_RETENTION_DAYS + 1) * DAY)
    assert await count(db, "audit_log") == 1


async def test_audit_retention_is_configurable(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANKEBOT_AUDIT_RETENTION_DAYS", "400")
    assert Settings(_env_file=None).audit_retention_days == 400
    monkeypatch.delenv("HANKEBOT_AUDIT_RETENTION_DAYS")
    assert Settings(_env_file=None).audit_retention_days == audit.DEFAULT_RETENTION_DAYS
    await _audit_entry(db, START)
    await maintenance.run_once(db, START + 399 * DAY, audit_retention_days=400)
    assert await count(db, "audit_log") == 1
    await maintenance.run_once(db, START + 401 * DAY, audit_retention_days=400)
    assert await count(db, "audit_log") == 0


async def test_the_running_bot_uses_the_configured_audit_retention(tmp_path: Path) -> None:
    from bot.app import Application

    settings = Settings(_env_file=None, database=tmp_path / "bot.sqlite3", audit_retention_days=30)
    app = Application(settings, clock=Clock(START))
    await app.setup()
    try:
        assert app.maintenance.audit_retention_days == 30
        assert app.services.audit_retention_days == 30
    finally:
        await app.db.close()


# --- the pruning that existed before: still there ------------------------------------------


async def test_existing_bookkeeping_rules_still_hold(db: Database) -> None:
    async with db.transaction() as conn:
        await updates.record(conn, "test:update:1", START)
        await buttons.issue(conn, "test:1", "menu:help", None, START)
        await users.touch(conn, "test:1", "test:1", locale="fi", now=START, private_chat=True)
        await contact_requests.add(
            conn,
            user_id="test:1",
            project=None,
            kind="question",
            contact="040 1",
            question="?",
            now=START,
        )
        await code_limits.record_failure(
            conn, "test:1", START, person_window=DAY, everyone_window=DAY
        )
    await maintenance.run_once(db, START + (updates.RETENTION_DAYS - 1) * DAY)
    assert await count(db, "processed_updates") == 1
    assert await count(db, "invite_failures") == 0  # kept one day
    await maintenance.run_once(db, START + (updates.RETENTION_DAYS + 1) * DAY)
    assert await count(db, "processed_updates") == 0
    await maintenance.run_once(db, START + (contact_requests.RETENTION_DAYS - 1) * DAY)
    assert await count(db, "buttons") == 1 and await count(db, "contact_requests") == 1
    await maintenance.run_once(db, START + (contact_requests.RETENTION_DAYS + 1) * DAY)
    assert await count(db, "contact_requests") == 0
    await maintenance.run_once(db, START + (buttons.RETENTION_DAYS + 1) * DAY)
    assert await count(db, "buttons") == 0
    assert await count(db, "users") == 1
    await maintenance.run_once(db, START + (users.INACTIVE_DAYS + 1) * DAY)
    assert await count(db, "users") == 0


async def test_opting_out_closes_an_announcement_left_with_nothing_to_send_at_once(
    db: Database,
) -> None:
    from handlers.core.types import Incoming
    from tests.harness import Bot

    broadcast_id = await announcement(db, ["test:4"], START)
    bot = Bot(db, clock=Clock(START))  # no delivery worker: the row is still pending
    await bot.dispatcher.handle(
        Incoming(user_id="test:4", chat_id="test:4", text="/lopeta_tiedotteet", update_key="u1")
    )
    [row] = await rows(db, "SELECT state, text FROM broadcasts WHERE id = ?", broadcast_id)
    assert row["state"] == "done" and row["text"] == ""
    [file_row] = await rows(db, "SELECT content FROM broadcast_files")
    assert file_row["content"] is None
