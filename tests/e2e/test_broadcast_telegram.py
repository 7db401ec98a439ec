"""A broadcast to 1 000 people on Telegram, against the fake Bot API server with its flood
control on (30 messages/s overall, 1/s per private chat): the bot itself never starts more
sends than its pacing allows, everybody reachable gets it exactly once, the people who
blocked the bot or never started it are reported — also when the bot process is killed with
SIGKILL half-way and started again.

What is asserted is what the bot does, not how fast the machine is: the pacing is checked
on the delivery worker's own record of when it started each send. The fake server counts
requests as they arrive, so on a busy machine a stall between the bot and the server can
bunch a few requests and draw a 429 although the bot kept its pace; a 429 is then honoured
(the worker pauses for ``retry_after`` and sends again), which the exactly-once checks
cover. How often that happens on a quiet machine is reported by ``bench.broadcast_throughput``.

Each of those sends about 1 000 messages at ~29 a second (about 35 s). An announcement
with a file to 50 people uploads the file once and sends it by Telegram's file_id after
that, also when the stored id is refused (another bot token) and over a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import itertools
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from bot.i18n import Renderer
from handlers.core.types import FILE_LIMIT, Document, Text
from handlers.staff.broadcast import NewBroadcast, enqueue_broadcast, message_html
from storage import broadcasts, memberships, users
from storage.db import Database
from tests.broadcast_texts import progress_heading, report_heading
from tests.catalog_labels import find_label, label, lines_shown, shown
from tests.e2e.telegram_driver import (
    ROOT,
    TelegramDriver,
    bot_process_env,
    bot_settings,
    running_bot,
    start_bot_process,
)
from tests.fakes.telegram_api import FakeTelegramServer, SentFile, UploadRecord

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECT_AUDIENCE = "broadcast.audience_project_button"
COORDINATOR = 900
PEOPLE = list(range(10_000, 11_000))
BLOCKED_BEFORE = PEOPLE[:20]  # blocked the bot before the broadcast
NEVER_STARTED = PEOPLE[-10:]  # in the database, but Telegram does not know the chat
TEXT = "Huomenna ryhmä alkaa jo klo 9. Ota <mukaan> eväät & hyvä mieli!"


async def fill_database(path: Path, now_text: str = "2026-11-24T10:00:00+00:00") -> None:
    import datetime as dt

    now = dt.datetime.fromisoformat(now_text)
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            for number in [COORDINATOR, *PEOPLE]:
                user_id = f"telegram:{number}"
                locale = "sv" if number % 10 == 3 else "fi"
                await users.touch(conn, user_id, user_id, locale=locale, now=now, private_chat=True)
            await memberships.add(conn, f"telegram:{COORDINATOR}", "osmari", "coordinator", now)
            for number in PEOPLE:
                await memberships.add(conn, f"telegram:{number}", "osmari", "participant", now)
    finally:
        await db.close()


def add_people(server: FakeTelegramServer) -> None:
    for number in PEOPLE:
        if number not in NEVER_STARTED:
            server.add_user(number, language_code="sv" if number % 10 == 3 else "fi")
    for number in BLOCKED_BEFORE:
        server.block(number)


def busiest_second(starts: list[float]) -> int:
    """The most send starts within any one second."""
    most, first = 0, 0
    for last, moment in enumerate(starts):
        while moment - starts[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def sends_by_chat(server: FakeTelegramServer) -> Counter[int]:
    return Counter(m.chat_id for m in server.messages() if m.method == "sendMessage")


async def broadcast_state(path: Path, number: int = 1) -> tuple[str, broadcasts.Counts]:
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            stored = await broadcasts.get(conn, number)
            counts = await broadcasts.counts(conn, number)
    finally:
        await db.close()
    assert stored is not None
    return stored.state, counts


async def test_a_broadcast_to_1000_people_stays_under_the_flood_limits(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await fill_database(database)
    blocked_during = PEOPLE[-30:-20]  # late in the sending order
    with FakeTelegramServer() as server:
        add_people(server)
        coordinator = TelegramDriver(server, COORDINATOR)
        async with running_bot(bot_settings(server, database)) as app:
            await server.async_wait_for_updates_consumed(timeout=20)  # set up and polling
            # (what, chat, monotonic time): send starts as the worker made them, and the
            # moments the dispatcher stored new replies
            events: list[tuple[str, str, float]] = []
            worker = app.workers["telegram"]
            worker.on_send_start = lambda chat, at: events.append(("send", chat, at))
            stored = app.dispatcher.on_enqueued

            def note_stored(transports: set[str]) -> None:
                events.append(("stored", "", time.monotonic()))
                if stored is not None:
                    stored(transports)

            app.dispatcher.on_enqueued = note_stored
            await coordinator.send("/tiedote")
            [audience] = await coordinator.replies()
            whole = find_label(audience.labels, PROJECT_AUDIENCE)
            assert whole == label(PROJECT_AUDIENCE, project="Osmari", count=1000)
            await coordinator.press(whole)
            await coordinator.replies()
            await coordinator.send(TEXT)
            [preview] = await coordinator.replies()
            assert "Ota <mukaan> eväät & hyvä mieli!" in preview.text
            assert "1\xa0000 henkilölle" in preview.text
            assert shown("broadcast.summary_unreachable", count=20) in preview.text
            await coordinator.press(label("broadcast.send_now_button"))
            [progress] = await coordinator.replies()
            assert progress.text.startswith(progress_heading(1, "sending"))
            for number in blocked_during:
                server.block(number)  # these are refused with 403 when their turn comes
            await asyncio.sleep(5)
            asked_at = len(events)
            await coordinator.send("/apua")  # a conversation during the broadcast
            [help_text] = await coordinator.replies(timeout=30)
            assert help_text.text.startswith(shown("help.text", commands="").split("\n")[0])
            [report] = await coordinator.replies(timeout=120)
            assert report.text.startswith(report_heading(1))
            assert label("broadcast.missing_button") in report.labels
            await coordinator.press(label("broadcast.missing_button"))
            [missing] = await coordinator.replies()
    pacing = worker.transport.pacing
    starts = [at for what, _, at in events if what == "send"]
    assert busiest_second(starts) <= int(pacing.per_second), busiest_second(starts)
    me = f"telegram:{COORDINATOR}"
    to_me = [at for what, chat, at in events if what == "send" and chat == me]
    gaps = [later - earlier for earlier, later in itertools.pairwise(to_me)]
    assert min(gaps) >= pacing.per_chat_interval - 0.01, min(gaps)
    # The answer to /apua was not queued behind the remaining bulk rows: once it was stored,
    # the worker started at most the sends that the coordinator's own one-message-a-second
    # pacing left room for (about a second's worth) before it.
    stored_at = next(i for i in range(asked_at, len(events)) if events[i][0] == "stored")
    answered_at = next(i for i in range(stored_at, len(events)) if events[i][:2] == ("send", me))
    bulk_before_answer = sum(1 for what, _, _ in events[stored_at:answered_at] if what == "send")
    assert bulk_before_answer <= pacing.per_second * pacing.per_chat_interval + 2
    unreachable = set(BLOCKED_BEFORE) | set(blocked_during) | set(NEVER_STARTED)
    delivered = sends_by_chat(server)
    for number in PEOPLE:
        assert delivered[number] == (0 if number in unreachable else 1), number
    tried = {r.chat_id for r in server.requests_for("sendMessage")}
    assert not tried & set(BLOCKED_BEFORE)  # known to be unreachable: not even tried
    swedish = server.last_message(10_023)  # reads Swedish
    assert swedish.text is not None and swedish.text.startswith(
        lines_shown("broadcast.message", "sv", project="Osmari")
    )
    assert lines_shown("broadcast.report", sent=960) in report.text
    assert lines_shown("broadcast.report", unreachable=40) in report.text
    progress_message = next(
        m for m in server.messages(COORDINATOR) if (m.text or "").startswith("📣 Tiedote #1")
    )
    assert len(progress_message.edits) >= 2  # edited as it went, not once per message
    assert progress_message.text is not None and (
        lines_shown("broadcast.progress", sent=960) in progress_message.text
    )
    assert missing.file is not None
    rows = list(csv.reader(io.StringIO(missing.file[1].decode("utf-8-sig")), delimiter=";"))
    assert {row[0] for row in rows[1:]} == {f"telegram:{n}" for n in unreachable}
    state, counts = await broadcast_state(database)
    assert state == "done" and (counts.sent, counts.unreachable, counts.pending) == (960, 40, 0)


class HoldingServer(FakeTelegramServer):
    """Lets ``hold_after`` sendMessage calls through, then holds every further one unanswered
    (and unrecorded) until its connection is closed — by the bot process being killed."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_after: int | None = None
        self.passed = 0
        self.held = 0
        self._gate = threading.Lock()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/sendMessage") and self.hold_after is not None:
            with self._gate:
                hold = self.passed >= self.hold_after
                if hold:
                    self.held += 1
                else:
                    self.passed += 1
            if hold:
                try:
                    while True:  # never answered: only a closed connection ends this
                        await asyncio.sleep(0.05)
                finally:
                    with self._gate:
                        self.held -= 1
            response = await super()._handle(request)
            if response.status == 429:
                # refused, not answered: the bot sends that row again later, and it must be
                # among the ones let through (under load a 429 may come among the first
                # ``hold_after``; counted, it held the retry and the count stayed one short)
                with self._gate:
                    self.passed -= 1
            return response
        return await super()._handle(request)


@pytest.fixture
def holding_server() -> Iterator[HoldingServer]:
    server = HoldingServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_sigkill_half_way_resumes_without_repeating_or_skipping_anyone(
    tmp_path: Path, holding_server: HoldingServer
) -> None:
    server = holding_server
    database = tmp_path / "bot.sqlite3"
    await fill_database(database)
    add_people(server)
    env = bot_process_env(server, database)
    text_file = tmp_path / "tiedote.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    queued = run_cli(env, "broadcast", "--project", "osmari", "--text-file", str(text_file))
    assert queued.returncode == 0, queued.stderr
    assert "announcement #1 queued for 1000 people" in queued.stdout
    server.hold_after = 500
    log_path = tmp_path / "bot.log"
    process = start_bot_process(env, log_path)
    try:
        # An announcement's rows are sent one at a time, claimed first (at most once, see
        # README): the one in flight waits on a held request; wait until the 500 answered
        # sends are recorded too.
        await server.async_wait_until(lambda: server.held >= 1, 90, what="a held send")
        # a guard against a hang, not a speed limit: a busy CI machine may take its time
        deadline = time.monotonic() + 120
        while (await broadcast_state(database))[1].finished < 500:
            assert time.monotonic() < deadline, "answered sends were not recorded"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        await server.async_wait_until(lambda: server.held == 0, 60, what="held sends dropped")
        server.hold_after = None
        assert server.held == 0 and server.passed == 500
        state, at_kill = await broadcast_state(database)
        # 500 answered (sent, or refused as blocked) and recorded; the rest still to send,
        # among them the one whose send the kill cut off (claimed, its outcome unknown)
        assert state == "sending" and (at_kill.finished, at_kill.pending) == (500, 500), at_kill
        process = start_bot_process(env, log_path)
        deadline = time.monotonic() + 120
        while (await broadcast_state(database))[0] != "done":
            assert time.monotonic() < deadline, "the broadcast did not finish after the restart"
            assert process.poll() is None, log_path.read_text()[-2000:]
            await asyncio.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        process.kill()
        process.wait(timeout=10)
    # (a 429 the server may answer on a busy machine is honoured: see the module docstring)
    unreachable = set(BLOCKED_BEFORE) | set(NEVER_STARTED)
    delivered = sends_by_chat(server)
    # The one send the kill cut off is not sent again (Telegram cannot be asked whether it
    # arrived; here the held request never did): nobody gets the announcement twice, and
    # that one person is the only one without it.
    missing = [n for n in PEOPLE if n not in unreachable and delivered[n] == 0]
    assert len(missing) == 1, missing
    for number in PEOPLE:
        expected = 0 if number in unreachable or number in missing else 1
        assert delivered[number] == expected, number
    state, counts = await broadcast_state(database)
    # the cut-off row counts as sent ("unconfirmed")
    assert (counts.sent, counts.unreachable, counts.failed, counts.pending) == (970, 30, 0, 0)
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE last_error = 'unconfirmed'"
            )
            row = await cursor.fetchone()
    finally:
        await db.close()
    assert row is not None and row[0] == 1
    report = run_cli(env, "report", "--project", "osmari")
    active = shown("report.line", label=Text("report.metric_active"), value=1000)
    assert report.returncode == 0 and active in report.stdout, report.stdout


async def test_an_announcement_with_a_file_from_telegram(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    pdf = b"%PDF-1.4 syksyn ohjelma"
    with FakeTelegramServer() as server:
        coordinator = TelegramDriver(server, 801)
        members = [TelegramDriver(server, n) for n in (802, 803)]
        async with running_bot(bot_settings(server, database)) as app:
            for person in [coordinator, *members]:
                await person.send("/start")
                await person.replies()
            async with app.db.transaction() as conn:
                now = dt.datetime.now(dt.UTC)
                await memberships.add(conn, "telegram:801", "osmari", "coordinator", now)
                for person in members:
                    user_id = f"telegram:{person.user_id}"
                    await memberships.add(conn, user_id, "osmari", "participant", now)
                    assert await users.get(conn, user_id) is not None
            await coordinator.send("/tiedote")
            await coordinator.replies()
            await coordinator.press(label(PROJECT_AUDIENCE, project="Osmari", count=2))
            [prompt] = await coordinator.replies()
            assert shown("broadcast.file_hint") in prompt.text
            too_large = {
                "file_id": "too-large",
                "file_unique_id": "too-large",
                "file_name": "iso.pdf",
                "mime_type": "application/pdf",
                "file_size": FILE_LIMIT + 1,
            }
            server.user_sends_raw(801, {"document": too_large})
            [refused] = await coordinator.replies()
            too_large_text = shown("error.file_too_large", limit=FILE_LIMIT // (1024 * 1024))
            assert refused.text.startswith(too_large_text), refused.text
            server.user_sends_document(801, "ohjelma.pdf", pdf, mime_type="application/pdf")
            [saved] = await coordinator.replies()
            assert saved.text == shown("broadcast.file_received", name="ohjelma.pdf")
            await coordinator.send("Syksyn ohjelma on liitteenä.")
            [preview, _] = await coordinator.replies(2)
            assert preview.file == ("ohjelma.pdf", pdf)
            uploads_before = server.upload_count
            await coordinator.press(label("broadcast.send_now_button"))
            for person in members:
                [got] = await person.replies()
                assert got.file == ("ohjelma.pdf", pdf)
                assert "Syksyn ohjelma on liitteenä." in got.text
            # Telegram already had the coordinator's file: it is passed on by its file_id.
            assert server.upload_count == uploads_before
            [progress, report] = await coordinator.replies(2, timeout=60)
            assert progress.text.startswith(progress_heading(1, "sending").split(" – ")[0])
            assert report.text.startswith(report_heading(1))
            # A picture with a caption: the caption is the text, straight to the preview.
            await coordinator.send("/tiedote")
            await coordinator.replies()
            await coordinator.press(label(PROJECT_AUDIENCE, project="Osmari", count=2))
            await coordinator.replies()
            server.user_sends_document(
                801, "kuva.jpg", b"\xff\xd8jpeg", caption="Kuva <retkeltä>", mime_type="image/jpeg"
            )
            [picture, _] = await coordinator.replies(2)
            assert picture.file == ("kuva.jpg", b"\xff\xd8jpeg")
            assert "Kuva <retkeltä>" in picture.text


# --- an announcement with a file: uploaded once, then sent by Telegram's file_id ----------
FILE_PEOPLE = list(range(20_000, 20_050))
PROGRAMME = b"%PDF-1.4 syksyn ohjelma " + bytes(range(256)) * 64  # about 16 kB


async def fill_file_project(path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            for number in [COORDINATOR, *FILE_PEOPLE]:
                user_id = f"telegram:{number}"
                await users.touch(conn, user_id, user_id, locale="fi", now=now, private_chat=True)
                role = "coordinator" if number == COORDINATOR else "participant"
                await memberships.add(conn, user_id, "osmari", role, now)
    finally:
        await db.close()


def assert_everybody_got_the_programme(server: FakeTelegramServer) -> None:
    for number in FILE_PEOPLE:
        [got] = server.messages(number)
        assert got.document is not None, number
        assert (got.document.filename, got.document.data) == ("ohjelma.pdf", PROGRAMME), number
        assert got.caption is not None and "Syksyn ohjelma on liitteenä." in got.caption


def uploaded_file(server: FakeTelegramServer, upload: UploadRecord) -> SentFile:
    """The file Telegram stored for that upload (its file_id is what later sends pass)."""
    assert isinstance(upload.chat_id, int)
    [message] = [m for m in server.messages(upload.chat_id) if m.method == "sendDocument"]
    assert message.document is not None
    return message.document


def sends_to_people(server: FakeTelegramServer) -> list[str]:
    """What each accepted sendDocument to a participant passed as ``document``."""
    return [
        str(r.params["document"])
        for r in server.requests_for("sendDocument")
        if r.status == 200 and r.chat_id in FILE_PEOPLE
    ]


async def test_an_announcement_file_sent_on_telegram_is_not_uploaded_again(tmp_path: Path) -> None:
    """Telegram already has the coordinator's file: all 50 sends pass its file_id. (Bytes
    without an id — e.g. a file sent on Matrix, or a refused id — are uploaded once; see
    the next test and tests/test_broadcast_files.py.)"""
    database = tmp_path / "bot.sqlite3"
    await fill_file_project(database)
    with FakeTelegramServer() as server:
        for number in [COORDINATOR, *FILE_PEOPLE]:
            server.add_user(number)
        coordinator = TelegramDriver(server, COORDINATOR)
        async with running_bot(bot_settings(server, database)):
            await coordinator.send("/tiedote")
            await coordinator.replies()
            await coordinator.press(label(PROJECT_AUDIENCE, project="Osmari", count=50))
            await coordinator.replies()
            server.user_sends_document(
                COORDINATOR, "ohjelma.pdf", PROGRAMME, mime_type="application/pdf"
            )
            await coordinator.replies()
            await coordinator.send("Syksyn ohjelma on liitteenä.")
            [preview, _] = await coordinator.replies(2)
            assert preview.file == ("ohjelma.pdf", PROGRAMME)
            await coordinator.press(label("broadcast.send_now_button"))
            [_, report] = await coordinator.replies(2, timeout=60)
            assert report.text.startswith(report_heading(1))
        remaining = await file_ids_stored(database)
    # (a 429 the server may answer on a busy machine is honoured: see the module docstring)
    assert_everybody_got_the_programme(server)
    assert [u for u in server.uploads() if u.chat_id in FILE_PEOPLE] == []
    assert server.upload_count == 1  # the coordinator's preview only
    by_id = sends_to_people(server)
    assert len(by_id) == 50 and len(set(by_id)) == 1 and by_id[0].startswith("BQAC")
    assert remaining == []  # the file_id went with the bytes when the broadcast ended


async def file_ids_stored(database: Path) -> list[str]:
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT remote_id FROM broadcast_file_uploads")
            return [row[0] for row in await cursor.fetchall()]
    finally:
        await db.close()


async def queue_file_broadcast(database: Path, stale_id: str) -> None:
    """The announcement with the programme, made in storage; Telegram's id for the file is
    already stored, but from an earlier bot token (Telegram refuses it)."""
    now = dt.datetime.now(dt.UTC)
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            recipients = await broadcasts.participants(conn, ["osmari"])
            document = Document("ohjelma.pdf", PROGRAMME, "application/pdf")
            coordinator = f"telegram:{COORDINATOR}"
            file_id = await broadcasts.store_file(
                conn, created_by=coordinator, document=document, now=now
            )
            text = "Syksyn ohjelma on liitteenä."
            renderer = Renderer(ZoneInfo("Europe/Helsinki"))
            new = NewBroadcast(
                project="osmari",
                audience="project",
                group=None,
                text=text,
                html={"fi": message_html(renderer, "fi", "Osmari", text)},
                recipients=recipients,
                actor=coordinator,
                created_by=coordinator,
                report_chat=coordinator,
                locale="fi",
                timezone="Europe/Helsinki",
                file_id=file_id,
            )
            await enqueue_broadcast(conn, new, send_at=None, now=now, rendering=renderer)
            assert await broadcasts.remember_upload(conn, file_id, "telegram", stale_id)
    finally:
        await db.close()


async def test_a_refused_file_id_is_uploaded_again_and_kept_over_a_restart(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    await fill_file_project(database)
    stale = "BQACAgQAAxkBAAOLDTOKEN"
    await queue_file_broadcast(database, stale)
    with FakeTelegramServer() as server:
        for number in [COORDINATOR, *FILE_PEOPLE]:
            server.add_user(number)
        # 10 a second, so that the bot can be stopped half-way
        settings = bot_settings(server, database, telegram_messages_per_second=10.0)
        async with running_bot(settings):
            deadline = time.monotonic() + 30
            while (await broadcast_state(database))[1].finished < 10:
                assert time.monotonic() < deadline, "nothing was sent"
                await asyncio.sleep(0.05)
        state, half_way = await broadcast_state(database)
        assert state == "sending" and half_way.pending > 0, half_way
        [stored] = await file_ids_stored(database)
        [upload] = server.uploads()  # the stale id was refused: one new upload
        first = uploaded_file(server, upload)
        assert stored == first.file_id != stale
        refused = [
            r
            for r in server.requests_for("sendDocument")
            if r.status == 400 and r.params.get("document") == stale
        ]
        assert refused and all("wrong file identifier" in (r.description or "") for r in refused)

        # Restarted with a new token: the stored id is refused too, and replaced once.
        server.invalidate_file_ids()
        async with running_bot(settings):
            deadline = time.monotonic() + 60
            while (await broadcast_state(database))[0] != "done":
                assert time.monotonic() < deadline, "the broadcast did not finish"
                await asyncio.sleep(0.2)
    # (a 429 the server may answer on a busy machine is honoured: see the module docstring)
    assert_everybody_got_the_programme(server)
    assert server.upload_count == 2, server.uploads()
    state, counts = await broadcast_state(database)
    assert state == "done" and (counts.sent, counts.pending) == (50, 0)
    assert await file_ids_stored(database) == []
