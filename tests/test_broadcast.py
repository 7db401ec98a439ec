"""Broadcasts through the in-memory harness: the flow, preview, scheduling, cancelling,
/stop, delivery outcomes and the report, progress coalescing, priority, the CLI, /forget."""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import maintenance
from bot.cli_broadcast import BroadcastError, broadcast_from_cli
from bot.config import Settings
from bot.delivery import SPACING_TOLERANCE, DeliveryWorker, Spacing
from bot.i18n import renderer
from bot.transports.base import Delivery, Inbox, Pacing, Status
from content import Content, load_content
from handlers.common.broadcast_progress import Progress
from handlers.core.types import Document, Incoming
from storage import audit, broadcasts, contact_requests, memberships, outbox, users
from storage.broadcasts import Recipient
from storage.db import Database
from storage.outbox import OutboxItem
from tests.broadcast_texts import progress_heading, report_heading
from tests.catalog_labels import label, lines_shown, shown
from tests.harness import Bot, Clock, Delivered, Person

START = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)  # 12.00 in Helsinki
PROJECT_AUDIENCE = "broadcast.audience_project_button"
CONTACTS_AUDIENCE = "broadcast.audience_contacts_button"


async def new_project_broadcast(
    conn: aiosqlite.Connection, *, text: str = "x", created_by: str | None = None
) -> int:
    """A whole-project Osmari announcement made straight in storage, due at START; its
    report goes to whoever created it."""
    return await broadcasts.create(
        conn,
        project="osmari",
        audience="project",
        group=None,
        created_by=created_by,
        report_chat=created_by,
        text=text,
        locale="fi",
        timezone="Europe/Helsinki",
        send_at=START,
        now=START,
    )


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


async def participants(
    db: Database, project: str, count: int, *, first: int = 100, group: str | None = None
) -> list[str]:
    ids = []
    async with db.transaction() as conn:
        for n in range(first, first + count):
            user_id = f"test:{n}"
            locale = "sv" if n % 4 == 0 else "fi"
            await users.touch(conn, user_id, user_id, locale=locale, now=START, private_chat=True)
            await memberships.add(conn, user_id, project, "participant", START, group=group)
            ids.append(user_id)
    return ids


async def make_coordinator(bot: Bot, db: Database, project: str = "osmari") -> Person:
    person = bot.person(1)
    await person.says("/start")
    async with db.transaction() as conn:
        await memberships.add(conn, person.user_id, project, "coordinator", START)
    return person


async def write_and_preview(coordinator: Person, text: str, people: int) -> None:
    """An announcement to the whole Osmari project, which has ``people`` to send to."""
    await coordinator.says("/tiedote")
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=people)
    await coordinator.says(text)


@pytest.fixture
async def clocked(db: Database, content: Content) -> AsyncIterator[tuple[Bot, Clock]]:
    clock = Clock(START)
    async with Bot(db, content=content, clock=clock, admins=frozenset({"test:99"})) as bot:
        yield bot, clock


async def test_preview_send_and_report(db: Database, clocked: tuple[Bot, Clock]) -> None:
    bot, _ = clocked
    people = await participants(db, "osmari", 8)
    async with db.transaction() as conn:
        await users.set_news_opt_in(conn, people[1], False)  # said /stop
        await users.mark_unreachable(conn, people[2])  # blocked the bot earlier
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    [audience] = coordinator.messages()[-1:]
    assert audience.labels == [
        label(PROJECT_AUDIENCE, project="Osmari", count=7),
        label("broadcast.audience_group_button", group="Työkokeilun palaute", count=0),
    ]
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=7)
    preview = await coordinator.says("Huomenna <b>ei</b> ole ryhmää & kahvia.")
    [message] = preview
    # one preview per language the recipients read, the text escaped, then the summary
    assert message.html.count("Huomenna &lt;b&gt;ei&lt;/b&gt; ole ryhmää &amp; kahvia.") == 2
    assert message.keys[0] == "broadcast.preview" and message.shows("broadcast.summary")
    assert f"({label('language.fi')})" in message.text
    assert f"({label('language.sv')})" in message.text and "Meddelande: Osmari" in message.text
    assert "7 henkilölle: koko hanke Osmari." in message.text
    assert shown("broadcast.summary_unreachable", count=1) in message.text
    assert shown("broadcast.summary_opted_out", count=1) in message.text
    [progress, final, report] = await coordinator.presses_key("broadcast.send_now_button")
    assert progress.text.startswith(progress_heading(1, "sending"))
    assert final.keys == ("broadcast.progress",)
    assert lines_shown("broadcast.progress", done=6, total=7) in final.text or (
        lines_shown("broadcast.progress", done=7, total=7) in final.text
    )
    assert lines_shown("broadcast.progress", sent=6, unreachable=1) in final.text
    assert report.keys[0] == "broadcast.report" and report.text.startswith(report_heading(1))
    assert lines_shown("broadcast.report", sent=6) in report.text
    assert lines_shown("broadcast.report", unreachable=1) in report.text
    for user_id in people:
        got = [m for m in bot.transport.delivered if m.chat_id == user_id]
        if user_id in (people[1], people[2]):
            assert got == []
        else:
            [announcement] = got
            swedish = int(user_id.split(":")[1]) % 4 == 0
            assert announcement.keys == ("broadcast.message",)
            assert announcement.text.startswith(
                lines_shown("broadcast.message", "sv" if swedish else "fi", project="Osmari")
            )
            assert (
                "/stoppa" in announcement.text
                if swedish
                else "/lopeta_tiedotteet" in (announcement.text)
            )
    [missing] = await coordinator.presses_key("broadcast.missing_button")
    assert missing.document is not None
    rows = list(csv.reader(io.StringIO(missing.document[1].decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["user_id", "name", "language", "state", "reason"],
        [people[2], "", "fi", "unreachable", "known unreachable"],
    ]
    async with db.transaction() as conn:
        assert await audit.count(conn, "broadcast.send") == 1
        assert await audit.count(conn, "broadcast.missing_csv") == 1
        stored = await broadcasts.get(conn, 1)
    assert stored is not None and stored.state == "done" and stored.text == ""


async def test_wrong_answers_keep_the_step(db: Database, clocked: tuple[Bot, Clock]) -> None:
    bot, _ = clocked
    await participants(db, "osmari", 3)
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    [hint] = await coordinator.says("kaikille")
    assert hint.keys == ("broadcast.use_buttons", "broadcast.choose_audience")
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=3)
    [too_long] = await coordinator.says("x" * 3001)
    assert too_long.keys == ("broadcast.too_long",) and "3\xa0001" in too_long.text
    await coordinator.says("Tervetuloa!")
    [again] = await coordinator.says("joo lähetä")
    assert again.keys[0] == "broadcast.use_buttons" and again.labels  # options again
    [when] = await coordinator.presses_key("broadcast.later_button")
    assert when.keys[0] == "broadcast.when"
    [bad] = await coordinator.says("ensi viikolla")
    assert bad.keys[0] == "broadcast.when_invalid"
    [past] = await coordinator.says("1.1.2026 klo 10.00")
    assert past.keys[0] == "broadcast.when_past"
    [confirm] = await coordinator.says("25.11.2026 klo 9.00")
    assert confirm.keys[0] == "broadcast.confirm_time"
    assert "ke 25.11. klo 9.00 3 henkilölle" in confirm.text
    assert not [
        m
        for m in bot.transport.delivered
        if m.chat_id.startswith("test:1") and m.chat_id != coordinator.user_id
    ]


async def test_an_empty_audience_is_refused_before_the_text(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    """Issue 15: nobody in the project yet: refused at the audience, the text never asked."""
    bot, _ = clocked
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    [refused] = await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=0)
    assert refused.keys[0] == "broadcast.audience_empty"
    assert not refused.shows("broadcast.write")
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT step FROM conversations WHERE user_id = ?", (coordinator.user_id,)
        )
        assert [row[0] for row in await cursor.fetchall()] == ["audience"]


async def test_scheduled_broadcast_waits_and_can_be_cancelled(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, clock = clocked
    people = await participants(db, "osmari", 4)
    coordinator = await make_coordinator(bot, db)
    for text, at in (("Ensimmäinen", "24.11.2026 klo 14.00"), ("Toinen", "24.11.2026 15.00")):
        await write_and_preview(coordinator, text, 4)
        await coordinator.presses_key("broadcast.later_button")
        await coordinator.says(at)
        [scheduled] = await coordinator.presses_key("broadcast.schedule_button")
        assert scheduled.keys[0] == "broadcast.scheduled" and "ti 24.11. klo" in scheduled.text
    await coordinator.presses_key("broadcast.cancel_button", id=2)
    clock.advance(hours=2, minutes=30)  # 14.30 local: the first is due, the second was cancelled
    bot.worker.wake()
    await bot.worker.drain()
    clock.advance(hours=1)
    bot.worker.wake()
    await bot.worker.drain()
    for user_id in people:
        texts = [m.text for m in bot.transport.delivered if m.chat_id == user_id]
        assert len(texts) == 1 and "Ensimmäinen" in texts[0]
    progress, *_, final, report = coordinator.new_messages()
    assert progress.text.startswith(progress_heading(1, "sending"))
    assert final.text.startswith(progress_heading(1, "done"))
    assert report.text.startswith(report_heading(1))
    [listing] = await coordinator.says("/tiedotteet")
    assert "#2 · koko hanke Osmari · ti 24.11. klo 15.00 · peruttu · perillä 0/4" in listing.text
    assert "#1 · koko hanke Osmari · ti 24.11. klo 14.00 · lähetetty · perillä 4/4" in listing.text
    [late] = await coordinator.presses_key(
        "broadcast.cancel_button", id=2
    )  # the old button, pressed again
    assert late.text == shown("broadcast.cancel_too_late", id=2)
    async with db.transaction() as conn:
        assert await audit.count(conn, "broadcast.schedule") == 2
        assert await audit.count(conn, "broadcast.cancel") == 1


async def test_stop_opts_out_and_subscribe_opts_back_in(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, clock = clocked
    await participants(db, "osmari", 2)
    coordinator = await make_coordinator(bot, db)
    reader = bot.person(101)  # reads Finnish; test:100 reads Swedish
    await write_and_preview(coordinator, "Ajastettu", 2)
    await coordinator.presses_key("broadcast.later_button")
    await coordinator.says("24.11.2026 klo 18.00")
    await coordinator.presses_key("broadcast.schedule_button")
    [stopped] = await reader.says("/lopeta_tiedotteet")
    assert stopped.keys == ("broadcast.stopped",) and "/tilaa_tiedotteet" in stopped.text
    clock.advance(hours=6)
    bot.worker.wake()
    await bot.worker.drain()
    assert not reader.new_messages()  # the scheduled one was cancelled for them
    assert [m.text for m in bot.person(100).messages()][-1].endswith("Skriv /stoppa")
    await coordinator.says("/tiedote")
    assert label(PROJECT_AUDIENCE, project="Osmari", count=1) in coordinator.last.labels
    await coordinator.says("/peru")
    [back] = await reader.says("/subscribe")
    assert back.keys[0] == "broadcast.resumed"
    await coordinator.says("/tiedote")
    assert label(PROJECT_AUDIENCE, project="Osmari", count=2) in coordinator.last.labels


async def test_enqueueing_twice_stores_each_recipient_once(db: Database) -> None:
    people = [Recipient(f"test:{n}", f"test:{n}", "fi", False) for n in range(5)]
    async with db.transaction() as conn:
        for person in people:
            await users.touch(
                conn, person.user_id, person.user_id, locale="fi", now=START, private_chat=True
            )
        number = await new_project_broadcast(conn)
        first = await broadcasts.enqueue_recipients(
            conn, number, people, {"fi": "hei"}, send_at=START, now=START
        )
        second = await broadcasts.enqueue_recipients(
            conn,
            number,
            [*people, Recipient("test:9", "test:9", "fi", True)],
            {"fi": "hei"},
            send_at=START,
            now=START,
        )
        counts = await broadcasts.counts(conn, number)
    assert (first, second) == (5, 6)
    assert counts.pending == 5 and counts.unreachable == 1


@dataclass
class Outcomes:
    """A transport that answers per chat: some blocked, some refused, some flaky once."""

    name: str = "test"
    pacing: Pacing = field(default_factory=Pacing)
    blocked: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    flaky: set[str] = field(default_factory=set)
    sent: list[OutboxItem] = field(default_factory=list)

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, item: OutboxItem) -> Delivery:
        if item.chat_id in self.blocked:
            return Delivery(Status.UNREACHABLE, error="Forbidden")
        if item.chat_id in self.refused:
            return Delivery(Status.FAILED, error="BadRequest")
        if item.chat_id in self.flaky:
            self.flaky.discard(item.chat_id)
            return Delivery(Status.RETRY, error="TimedOut")
        self.sent.append(item)
        return Delivery.sent(len(self.sent))


async def test_outcomes_are_reported_and_progress_edits_coalesce(
    db: Database, content: Content
) -> None:
    clock = Clock(START)
    people = await participants(db, "osmari", 30)
    transport = Outcomes(blocked={people[0], people[1]}, refused={people[2]}, flaky={people[3]})
    worker = DeliveryWorker(db, transport, clock=clock)
    async with db.transaction() as conn:
        await users.touch(conn, "test:1", "test:1", locale="fi", now=START, private_chat=True)
        recipients = await broadcasts.participants(conn, ["osmari"])
        number = await new_project_broadcast(conn, text="Tärkeä asia", created_by="test:1")
        await broadcasts.enqueue_recipients(
            conn, number, recipients, {"fi": "fi", "sv": "sv"}, send_at=START, now=START
        )
        await Progress(renderer()).start(conn, number, START)
    worker.start()
    try:
        # deliveries while the clock stands still: at most one progress edit waits at a time
        await worker.drain()
        clock.advance(seconds=30)  # the flaky one's backoff has passed
        worker.wake()
        await worker.drain()
    finally:
        await worker.stop()
    async with db.transaction() as conn:
        counts = await broadcasts.counts(conn, number)
        stored = await broadcasts.get(conn, number)
        cursor = await conn.execute("SELECT COUNT(*) FROM outbox WHERE edit_of IS NOT NULL")
        edits = (await cursor.fetchone())[0]  # type: ignore[index]
    assert (counts.sent, counts.unreachable, counts.failed, counts.pending) == (27, 2, 1, 0)
    assert stored is not None and stored.state == "done"
    assert edits <= 2  # the final figures, and at most one coalesced edit before them
    to_coordinator = [i.html for i in transport.sent if i.chat_id == "test:1"]
    assert lines_shown("broadcast.progress", sent=27, unreachable=2) in to_coordinator[-2]
    assert to_coordinator[-1].startswith("<b>Tiedote #1 on lähetetty.</b>")
    assert lines_shown("broadcast.report", failed=1) in to_coordinator[-1]
    recipients_sent = [i.chat_id for i in transport.sent if i.chat_id != "test:1"]
    assert sorted(recipients_sent) == sorted(people[3:]) and len(set(recipients_sent)) == 27


async def test_conversations_are_answered_before_bulk_rows(db: Database) -> None:
    clock = Clock(START)
    transport = Outcomes(pacing=Pacing(per_second=200))
    worker = DeliveryWorker(db, transport, clock=clock)
    recipients = [Recipient(f"test:{n}", f"test:{n}", "fi", False) for n in range(100, 400)]
    async with db.transaction() as conn:
        number = await new_project_broadcast(conn)
        await broadcasts.enqueue_recipients(
            conn, number, recipients, {"fi": "bulk"}, send_at=START, now=START
        )
    worker.start()
    try:
        while len(transport.sent) < 20:
            await asyncio.sleep(0.005)
        async with db.transaction() as conn:
            await outbox.enqueue(conn, chat_id="test:5", user_id="test:5", html="reply", now=START)
        worker.wake()
        await worker.drain()
    finally:
        await worker.stop()
    order = [item.html for item in transport.sent]
    assert order.count("bulk") == 300
    chats = [item.chat_id for item in transport.sent]
    assert len(chats) == len(set(chats))  # nobody twice, although rows are read while in flight
    assert order.index("reply") < 100  # not behind the remaining bulk rows


async def test_cli_broadcast_enqueues_once_per_run(db: Database, tmp_path: Path) -> None:
    people = await participants(db, "osmari", 6, group="tyokokeilu-palaute")
    await participants(db, "osmari", 2, first=200)
    text = tmp_path / "tiedote.txt"
    text.write_text("Hei kaikki <3\n", encoding="utf-8")
    settings = Settings(database=db.path, _env_file=None)

    def args(**extra: object) -> argparse.Namespace:
        values: dict[str, object] = {
            "project": "osmari",
            "group": None,
            "text_file": text,
            "at": None,
            "dry_run": False,
        }
        values.update(extra)
        return argparse.Namespace(**values)

    out = io.StringIO()
    assert await broadcast_from_cli(settings, args(dry_run=True), out, now=START) == 0
    assert "would send to 8 people" in out.getvalue()
    await broadcast_from_cli(settings, args(group="tyokokeilu-palaute"), out, now=START)
    assert "announcement #1 queued for 6 people" in out.getvalue()
    await broadcast_from_cli(settings, args(at="24.11.2026 16.00"), out, now=START)
    assert "announcement #2 queued for 8 people" in out.getvalue()
    assert "sending 24.11.2026 16.00" in out.getvalue()
    for bad, message in (
        (args(project="nope"), "no project 'nope'"),
        (args(group="nope"), "has no group 'nope'"),
        (args(at="1.1.2020 10.00"), "in_past"),
        (args(text_file=tmp_path / "missing.txt"), "cannot read"),
    ):
        with pytest.raises(BroadcastError, match=message):
            await broadcast_from_cli(settings, bad, out, now=START)
    async with db.transaction() as conn:
        first = await broadcasts.counts(conn, 1)
        second = await broadcasts.get(conn, 2)
        rows = await outbox.due(conn, "test", START + dt.timedelta(hours=1), limit=100)
        assert await audit.count(conn, "broadcast.send") == 1
        entries = await audit.latest(conn, 5)
    assert first.pending == 6
    assert second is not None and second.state == "scheduled"
    assert {r.user_id for r in rows} == set(people)  # the scheduled one is not due yet
    assert rows[0].html == (  # test:100 reads Swedish; the file's text is escaped
        "📣 <b>Meddelande: Osmari</b>\n\nHei kaikki &lt;3\n\n"
        "<i>Vill du inte ha meddelanden? Skriv /stoppa</i>"
    )
    assert {e.actor for e in entries} == {"cli"}


async def test_forget_keeps_the_audit_trail_without_the_person(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    await participants(db, "osmari", 2)
    coordinator = await make_coordinator(bot, db)
    await write_and_preview(coordinator, "Hei", 2)
    await coordinator.presses_key("broadcast.send_now_button")
    await coordinator.says("/unohda")
    await coordinator.presses_key("forget.yes")
    async with db.transaction() as conn:
        [entry] = await audit.latest(conn, 5)
        stored = await broadcasts.get(conn, 1)
        counts = await broadcasts.counts(conn, 1)
    assert entry.action == "broadcast.send" and entry.actor.startswith("poistettu-")
    assert stored is not None and stored.created_by == entry.actor
    assert stored.report_chat is None  # their chat, not an actor: cleared, not marked
    assert counts.sent == 2  # the recipients' rows are theirs, not the coordinator's


async def test_a_waiting_progress_edit_is_rewritten_not_repeated(db: Database) -> None:
    recipients = [Recipient(f"test:{n}", f"test:{n}", "fi", False) for n in range(100, 110)]
    async with db.transaction() as conn:
        await users.touch(conn, "test:1", "test:1", locale="fi", now=START, private_chat=True)
        number = await new_project_broadcast(conn, created_by="test:1")
        await broadcasts.enqueue_recipients(
            conn, number, recipients, {"fi": "x"}, send_at=START, now=START
        )
        await Progress(renderer()).start(conn, number, START)
        stored = await broadcasts.get(conn, number)
        assert stored is not None and stored.progress_id is not None
        await outbox.mark_sent(conn, stored.progress_id, "55", START)
        rows = await outbox.due(conn, "test", START, limit=20)
        recipient_rows = [r.id for r in rows if r.chat_id != "test:1"]

        async def deliver(count: int, seconds: float) -> list[tuple[int, str, str]]:
            for item_id in recipient_rows[:count]:
                await outbox.mark_sent(conn, item_id, None, START)
            del recipient_rows[:count]
            await Progress(renderer()).advance(conn, number, START + dt.timedelta(seconds=seconds))
            cursor = await conn.execute(
                "SELECT id, state, html FROM outbox WHERE edit_of = ? ORDER BY id",
                (stored.progress_id,),
            )
            return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

        assert await deliver(2, 5) == []  # within the first 10 s: no edit
        [first] = await deliver(2, 11)
        assert first[1] == "pending" and lines_shown("broadcast.progress", sent=4) in first[2]
        # 11 s later the first edit has not left: it is superseded, one edit waits
        [old, newer] = await deliver(2, 22)
        assert old[:2] == (first[0], "cancelled") and newer[1] == "pending"
        assert lines_shown("broadcast.progress", sent=6) in newer[2]
        await outbox.mark_sent(conn, newer[0], "55", START)
        edits = await deliver(1, 25)  # sent 3 s ago: the next waits for the interval
        assert len(edits) == 2
        edits = await deliver(1, 33)
        assert len(edits) == 3 and lines_shown("broadcast.progress", sent=8) in edits[2][2]
        edits = await deliver(2, 34)  # the last ones: finished, final figures at once
        assert [e[1] for e in edits] == ["cancelled", "sent", "cancelled", "pending"]
        assert "valmis" in edits[3][2] and lines_shown("broadcast.progress", sent=10) in edits[3][2]
        finished = await broadcasts.get(conn, number)
    assert finished is not None and finished.state == "done"


@given(st.lists(st.floats(min_value=0, max_value=0.05), min_size=40, max_size=80))
def test_even_spacing_keeps_31_sends_over_a_second_despite_lateness(late: list[float]) -> None:
    spacing = Spacing(29.0)
    moment, times = 0.0, []
    for delay in late:
        moment = max(moment, spacing.next_at) + delay  # a timer that wakes up late
        spacing.record(moment)
        times.append(moment)
    for first, last in zip(times, times[30:], strict=False):
        assert last - first >= 30 / 29 - SPACING_TOLERANCE - 1e-9 > 1.0


def test_even_spacing_reaches_its_rate_when_timers_are_a_little_late() -> None:
    spacing = Spacing(29.0)
    moment = 0.0
    for _ in range(290):
        moment = max(moment, spacing.next_at) + 0.002  # 2 ms late every time
        spacing.record(moment)
    assert 9.9 < moment < 10.05  # 290 sends in ~10 s: the lateness does not add up


async def asked_to_be_contacted(db: Database, project: str, numbers: range) -> list[str]:
    ids = []
    async with db.transaction() as conn:
        for n in numbers:
            user_id = f"test:{n}"
            await users.touch(conn, user_id, user_id, locale="fi", now=START, private_chat=True)
            await contact_requests.add(
                conn,
                user_id=user_id,
                project=project,
                kind="join",
                contact="040 123",
                question=None,
                now=START,
            )
            ids.append(user_id)
    return ids


async def test_announcement_to_people_who_asked_to_be_contacted(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    members = await participants(db, "osmari", 3)
    asked = await asked_to_be_contacted(db, "osmari", range(300, 303))
    await asked_to_be_contacted(db, "toimi", range(310, 312))  # another project's
    async with db.transaction() as conn:
        await users.set_news_opt_in(conn, asked[2], False)  # said /stop
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    assert coordinator.messages()[-1].labels[-1] == label(
        CONTACTS_AUDIENCE, project="Osmari", count=2
    )
    await coordinator.presses_key(CONTACTS_AUDIENCE, project="Osmari", count=2)
    [preview] = await coordinator.says("Uusi ryhmä alkaa maanantaina.")
    assert preview.shows("broadcast.summary") and preview.shows("broadcast.audience_contacts")
    assert "2 henkilölle: yhteydenottoa pyytäneet (Osmari)." in preview.text
    assert shown("broadcast.summary_opted_out", count=1) in preview.text
    await coordinator.presses_key("broadcast.send_now_button")
    reached = {
        m.chat_id for m in bot.transport.delivered if m.text.startswith("📣 Tiedote: Osmari")
    }
    assert reached == set(asked[:2])
    assert not reached & set(members)
    async with db.transaction() as conn:
        stored = await broadcasts.get(conn, 1)
    assert stored is not None and stored.audience == "contacts" and stored.project == "osmari"


async def test_contacts_audience_is_only_offered_when_somebody_asked(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    await participants(db, "osmari", 2)
    await asked_to_be_contacted(db, "toimi", range(310, 312))
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    assert CONTACTS_AUDIENCE not in coordinator.messages()[-1].label_keys


async def test_contacts_audience_checks_the_role_when_pressed(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    await asked_to_be_contacted(db, "osmari", range(300, 302))
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    async with db.transaction() as conn:  # removed while the buttons are on screen
        await memberships.end(conn, coordinator.user_id, "osmari", "coordinator", START)
    [refused] = await coordinator.presses_key(CONTACTS_AUDIENCE, project="Osmari", count=2)
    assert refused.keys[0] == "error.not_allowed"
    async with db.transaction() as conn:
        assert await broadcasts.get(conn, 1) is None


async def test_cli_broadcast_to_people_who_asked_to_be_contacted(
    db: Database, tmp_path: Path
) -> None:
    await participants(db, "osmari", 2)
    asked = await asked_to_be_contacted(db, "osmari", range(300, 303))
    text = tmp_path / "tiedote.txt"
    text.write_text("Uusi ryhmä alkaa.\n", encoding="utf-8")
    settings = Settings(database=db.path, _env_file=None)
    values = {"project": "osmari", "group": None, "text_file": text, "at": None}
    out = io.StringIO()
    dry = argparse.Namespace(**values, dry_run=True, contacts=True)
    assert await broadcast_from_cli(settings, dry, out, now=START) == 0
    assert "would send to 3 people" in out.getvalue()
    real = argparse.Namespace(**values, dry_run=False, contacts=True)
    await broadcast_from_cli(settings, real, out, now=START)
    assert "announcement #1 queued for 3 people" in out.getvalue()
    nobody = argparse.Namespace(**{**values, "project": "toimi"}, dry_run=False, contacts=True)
    with pytest.raises(BroadcastError, match="no people who asked to be contacted"):
        await broadcast_from_cli(settings, nobody, out, now=START)
    async with db.transaction() as conn:
        rows = await outbox.due(conn, "test", START, limit=100)
        stored = await broadcasts.get(conn, 1)
    assert {r.user_id for r in rows} == set(asked)
    assert stored is not None and stored.audience == "contacts"


async def test_migration_keeps_broadcasts_and_their_numbers(tmp_path: Path) -> None:
    import aiosqlite

    from storage.db import migration_scripts

    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as conn:
        for version, _, sql in migration_scripts():
            if version > 4:
                break
            await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        for audience in ("project", "news"):
            await conn.execute(
                "INSERT INTO broadcasts (project, audience, text, locale, timezone, state,"
                " send_at, created_at) VALUES ('osmari', ?, 'x', 'fi', 'Europe/Helsinki',"
                " 'done', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
                (audience,),
            )
        await conn.execute("DELETE FROM broadcasts WHERE id = 2")
        await conn.commit()
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            kept = await broadcasts.get(conn, 1)
            created = await broadcasts.create(
                conn,
                project="osmari",
                audience="contacts",
                group=None,
                created_by=None,
                report_chat=None,
                text="y",
                locale="fi",
                timezone="Europe/Helsinki",
                send_at=START,
                now=START,
            )
    finally:
        await db.close()
    assert kept is not None and kept.audience == "project"
    assert created == 3  # number 2 was used once: never again


async def sends_file(
    bot: Bot, person: Person, document: Document, caption: str | None = None
) -> list[Delivered]:
    """``person`` sends a file (as a transport that fetches files hands it over)."""
    await bot.dispatcher.handle(
        Incoming(
            user_id=person.user_id,
            chat_id=person.user_id,
            text=caption,
            attachment=document,
            locale_hint=person.locale,
            update_key=f"{person.user_id}:file:{len(person.messages())}",
        )
    )
    await bot.worker.drain(timeout=10)
    return person.new_messages()


PDF = Document("ohjelma.pdf", b"%PDF-1.4 ohjelma", "application/pdf")


async def file_rows(db: Database) -> list[dict[str, object]]:
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT * FROM broadcast_files ORDER BY id")
        return [dict(row) for row in await cursor.fetchall()]


async def test_announcement_with_a_file_is_stored_once(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    people = await participants(db, "osmari", 5)
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=5)
    coordinator.new_messages()
    [saved] = await sends_file(bot, coordinator, PDF)
    assert saved.text == shown("broadcast.file_received", name="ohjelma.pdf")
    [preview, summary] = await coordinator.says("Syksyn ohjelma liitteenä.")
    assert preview.document == ("ohjelma.pdf", PDF.content)  # with the first language
    assert summary.document is None and lines_shown("broadcast.summary", count=5) in summary.text
    await coordinator.presses_key("broadcast.send_now_button")
    for user_id in people:
        [got] = [m for m in bot.transport.delivered if m.chat_id == user_id]
        assert got.document == ("ohjelma.pdf", PDF.content)
        assert "Syksyn ohjelma liitteenä." in got.text
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE file_id = 1 AND document IS NULL"
        )
        row = await cursor.fetchone()
    assert row is not None and row[0] == len(people)  # rows point at the one stored copy
    [stored] = await file_rows(db)
    assert stored["broadcast_id"] == 1 and stored["content"] is None  # dropped when done


async def test_file_with_a_caption_goes_to_the_preview_and_cancel_drops_it(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    await participants(db, "osmari", 2)
    coordinator = await make_coordinator(bot, db)
    await coordinator.says("/tiedote")
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=2)
    coordinator.new_messages()
    preview, *_ = await sends_file(bot, coordinator, PDF, caption="Ohjelma <3")
    assert "Ohjelma &lt;3" in preview.html and preview.document is not None
    await coordinator.presses_key("broadcast.edit_button")
    assert coordinator.last.shows("broadcast.file_kept") and "ohjelma.pdf" in coordinator.last.text
    other = Document("kuva.jpg", b"\xff\xd8jpeg", "image/jpeg")
    preview, *_ = await sends_file(bot, coordinator, other)  # replaces; the text stays
    assert preview.document == ("kuva.jpg", other.content)
    assert [row["filename"] for row in await file_rows(db)] == ["kuva.jpg"]
    await coordinator.presses_key("broadcast.cancel_flow_button")
    assert await file_rows(db) == []


async def test_housekeeping_forgets_files_of_unsent_announcements(db: Database) -> None:
    async with db.transaction() as conn:
        old = await broadcasts.store_file(conn, created_by="test:1", document=PDF, now=START)
        await broadcasts.store_file(
            conn, created_by="test:1", document=PDF, now=START + dt.timedelta(days=2)
        )
        sent = await broadcasts.store_file(conn, created_by="test:1", document=PDF, now=START)
        await broadcasts.attach_file(conn, sent, 7)
    await maintenance.run_once(db, START + dt.timedelta(days=2, hours=1))
    assert [row["id"] for row in await file_rows(db)] == [old + 1, sent]


async def test_a_file_where_none_is_expected_gets_a_clear_answer(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    bot, _ = clocked
    person = bot.person(5)
    await person.says("/start")
    [answer] = await sends_file(bot, person, PDF, caption="5")
    assert answer.keys[0] == "error.no_file_here"
    assert await file_rows(db) == []


@pytest.mark.parametrize(
    ("reason", "answer"),
    [
        ("too_large", "error.file_too_large"),
        ("unreadable", "error.file_unreadable"),
    ],
)
async def test_a_file_the_transport_did_not_take_is_explained_and_the_step_waits(
    db: Database, clocked: tuple[Bot, Clock], reason: str, answer: str
) -> None:
    """A transport that refuses a file (too large, download failed) says so in
    ``Incoming.refused_file``: a step that takes files explains; other places answer as for
    any file."""
    bot, _ = clocked
    await participants(db, "osmari", 2)
    coordinator = await make_coordinator(bot, db)

    async def refused(caption: str | None = None) -> list[Delivered]:
        await bot.dispatcher.handle(
            Incoming(
                user_id=coordinator.user_id,
                chat_id=coordinator.user_id,
                text=caption,
                refused_file=reason,
                update_key=f"refused:{len(coordinator.messages())}",
            )
        )
        await bot.worker.drain(timeout=10)
        return coordinator.new_messages()

    [outside] = await refused()
    assert outside.keys[0] == "error.no_file_here"
    await coordinator.says("/tiedote")
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=2)
    coordinator.new_messages()
    [explained] = await refused(caption="2")  # its caption is not taken as the text either
    assert explained.keys[0] == answer, explained.text
    assert await file_rows(db) == []
    preview, *_ = await coordinator.says("Syksyn ohjelma.")  # still waiting for the text
    assert "Syksyn ohjelma." in preview.text and preview.document is None


async def test_sending_now_wakes_the_delivery_workers_at_once(
    db: Database, clocked: tuple[Bot, Clock]
) -> None:
    """The recipients' rows are written by the step itself, not as replies: without an
    explicit wake the worker would find them only at its next idle look (seconds later)."""
    bot, _ = clocked
    await participants(db, "osmari", 2)
    coordinator = await make_coordinator(bot, db)
    woken: list[set[str]] = []
    wake = bot.dispatcher.on_enqueued
    assert wake is not None

    def record(transports: set[str]) -> None:
        woken.append(set(transports))
        wake(transports)

    bot.dispatcher.on_enqueued = record
    await coordinator.says("/tiedote")
    await coordinator.presses_key(PROJECT_AUDIENCE, project="Osmari", count=2)
    await coordinator.says("Kahvit keittiössä.")
    woken.clear()
    before = len(bot.transport.delivered)
    [progress, *_] = await coordinator.presses_key("broadcast.send_now_button")
    assert woken and "test" in woken[0]
    assert progress.text.startswith(progress_heading(1, "sending"))
    assert len(bot.transport.delivered) > before
