"""The soak (issue 16, "Crash safety under mixed load"): the real ``hankebot run`` process
through the fake Bot API with many people at once, killed with SIGKILL at random moments and
restarted each time.

Load: applicants walking through conversations (the shared scenarios of
tests/e2e/scenarios.py: the budget walk-through, "can I join", the menu and help, a language
change, bad input), participants whose reminders fall due during the run and who answer
them with the reminder's button, and an announcement to every participant (a few hundred).

Checked at the end (:class:`SoakResult`): every update was fetched and answered (each
scenario gets each reply it waits for; a reply that came twice is counted, replies are sent
at least once), no conversation step lost (every scenario finished), every reminder and
every announcement reached each person once, in their language, apart from rows in flight at
a kill (duplicates and losses counted; they must not exceed the kills), no traceback text
ever sent, ``PRAGMA integrity_check``.

Used by tests/e2e/test_soak.py (3 kills) and ``python -m bench.soak`` (20 or more).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import renderer
from bot.markup import html_to_plain
from handlers.common import planning
from storage import broadcasts, memberships, users
from storage.db import Database
from storage.meetings import HORIZON
from tests.catalog_labels import label
from tests.e2e.driver import SeenMessage
from tests.e2e.scenarios import (
    bad_input_is_answered_and_the_step_kept,
    budget_for_seed_000,
    can_i_join_to_an_outcome,
    language_change,
    start_menu_and_help,
)
from tests.e2e.seeding import add_due_reminder
from tests.e2e.telegram_driver import (
    TelegramDriver,
    bot_process_env,
    seen,
    start_bot_process,
)
from tests.fakes.telegram_api import BotMessage, FakeTelegramServer

TZ = ZoneInfo("Europe/Helsinki")
PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
GROUP = "womens-group"
LOCALES = ("fi", "sv", "en")
ANNOUNCEMENT = {
    "fi": "Tiedote: kirjasto on kiinni perjantaina",
    "sv": "Meddelande: biblioteket är stängt på fredag",
    "en": "Notice: the library is closed on Friday",
}
SCENARIOS = (
    budget_for_seed_000,
    can_i_join_to_an_outcome,
    start_menu_and_help,
    bad_input_is_answered_and_the_step_kept,
    language_change,
)
FIRST_APPLICANT = 20_001
FIRST_PARTICIPANT = 30_001


def reminder_head(locale: str) -> str:
    text = renderer().text(locale, "participant.reminder", {"card": "§"})
    return html_to_plain(text).split("\n")[0]


@dataclass
class SoakResult:
    kills: int = 0
    updates: int = 0
    unconsumed_updates: int = 0
    scenarios: int = 0
    scenarios_failed: list[str] = field(default_factory=list)
    reply_duplicates: int = 0
    reminders_due: int = 0
    announcements_due: int = 0
    once_duplicates: int = 0  # a reminder or an announcement twice to someone
    once_lost: int = 0  # or never
    wrong_language: list[str] = field(default_factory=list)
    tracebacks: int = 0
    rsvp_answered: int = 0
    integrity: str = ""
    pending_left: int = 0
    unconfirmed: int = 0  # rows whose send a kill cut off, not sent again (at most once)

    @property
    def in_flight(self) -> int:
        return self.once_duplicates + self.once_lost

    def lines(self) -> list[str]:
        return [
            f"kills: {self.kills}",
            f"updates sent: {self.updates}, not consumed: {self.unconsumed_updates}",
            f"conversations finished: {self.scenarios - len(self.scenarios_failed)}"
            f"/{self.scenarios} (failed: {self.scenarios_failed[:3]})",
            f"replies that came twice (at least once): {self.reply_duplicates}",
            f"reminders: {self.reminders_due}, announcements: {self.announcements_due},"
            f" answered by button: {self.rsvp_answered}",
            f"in flight at a kill: {self.in_flight} ({self.once_duplicates} twice,"
            f" {self.once_lost} lost), per kill {self.in_flight / max(1, self.kills):.2f};"
            f" sends cut off and not repeated: {self.unconfirmed}",
            f"wrong language: {len(self.wrong_language)}, tracebacks sent: {self.tracebacks}",
            f"integrity_check: {self.integrity}, outbox rows left pending: {self.pending_left}",
        ]


class SoakDriver(TelegramDriver):
    """A person in the soak: a reply identical to the one before it (a reply sent again
    after a kill: replies are sent at least once) is counted and skipped."""

    def __init__(self, server: FakeTelegramServer, user_id: int, result: SoakResult) -> None:
        super().__init__(server, user_id, "fi")
        self.result = result
        self._last: BotMessage | None = None

    async def send(self, text: str) -> None:
        self.result.updates += 1
        await super().send(text)

    async def press(self, label_text: str) -> None:
        self.result.updates += 1
        await super().press(label_text)

    async def replies(self, count: int = 1, timeout: float = 40.0) -> list[SeenMessage]:
        out: list[BotMessage] = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            left = max(0.1, deadline - time.monotonic())
            [message] = await self.server.async_wait_for_messages(
                self.user_id, 1, left, after_message_id=self._seen
            )
            self._seen = message.message_id
            if self._last is not None and _same(self._last, message):
                self.result.reply_duplicates += 1
                continue
            self._last = message
            out.append(message)
        return [seen(m) for m in out]


def _same(a: BotMessage, b: BotMessage) -> bool:
    return (a.text, a.caption, a.button_texts) == (b.text, b.caption, b.button_texts)


async def prepare(
    database: Path,
    people: list[tuple[int, str]],
    due_at: list[dt.datetime],
    announce_at: dt.datetime,
) -> None:
    """Participants with one reminder each (due at their moment) and one announcement."""
    db = await Database.open(database)
    now = dt.datetime.now(dt.UTC)
    try:
        async with db.transaction() as conn:
            for user, locale in people:
                user_id = f"telegram:{user}"
                await users.touch(conn, user_id, user_id, locale=locale, now=now, private_chat=True)
                await memberships.add(conn, user_id, PROJECT, "participant", now, GROUP)
            meeting = await planning.create(
                conn,
                project=PROJECT,
                group=GROUP,
                user_id=None,
                title="Naisten ryhmä",
                start_local=(now + dt.timedelta(minutes=20)).astimezone(TZ).replace(microsecond=0),
                rule=None,
                duration=dt.timedelta(minutes=60),
                place="Kirjasto",
                tz=TZ,
                now=now,
            )
            [occurrence] = await planning.materialize(conn, meeting, now + HORIZON, now=now, tz=TZ)
            for (user, _), due in zip(people, due_at, strict=True):
                await add_due_reminder(conn, occurrence, f"telegram:{user}", PROJECT, due, now)
            broadcast = await broadcasts.create(
                conn,
                project=PROJECT,
                audience="project",
                group=None,
                created_by=None,
                report_chat=None,
                text=ANNOUNCEMENT["fi"],
                locale="fi",
                timezone="Europe/Helsinki",
                send_at=announce_at,
                now=now,
            )
            recipients = await broadcasts.participants(conn, [PROJECT])
            await broadcasts.enqueue_recipients(
                conn, broadcast, recipients, ANNOUNCEMENT, send_at=announce_at, now=now
            )
    finally:
        await db.close()


async def _answer_reminders(
    server: FakeTelegramServer,
    people: list[tuple[int, str]],
    stop: asyncio.Event,
    result: SoakResult,
) -> None:
    """Participants press "coming" on their reminder soon after it arrives."""
    done: set[int] = set()
    heads = {locale: reminder_head(locale) for locale in LOCALES}
    while not stop.is_set():
        for user, locale in people:
            if user in done:
                continue
            for message in server.messages(user):
                if (message.text or "").startswith(heads[locale]) and message.button_texts:
                    coming = label("participant.coming", locale)
                    if coming in message.button_texts:
                        server.press_button(user, coming, message_id=message.message_id)
                        result.updates += 1
                        result.rsvp_answered += 1
                        done.add(user)
                    break
        await asyncio.sleep(0.3)


async def soak(
    workdir: Path,
    *,
    kills: int,
    seed: int,
    applicants: int = 15,
    participants_count: int = 200,
    uptime: tuple[float, float] = (3.0, 7.0),
    log: Callable[[str], object] = print,
) -> SoakResult:
    """Run the soak; returns what it measured (the caller asserts)."""
    rng = random.Random(seed)
    result = SoakResult()
    with FakeTelegramServer() as server:
        people = [
            (FIRST_PARTICIPANT + i, LOCALES[i % 3] if i % 4 == 0 else "fi")
            for i in range(participants_count)
        ]
        for user, locale in people:
            server.add_user(user, first_name=f"Osallistuja{user}", language_code=locale)
        database = workdir / "soak.sqlite3"
        now = dt.datetime.now(dt.UTC)
        span = sum(uptime) / 2 * kills + 2  # reminders fall due while kills happen
        due_at = [now + dt.timedelta(seconds=4 + rng.uniform(0, span)) for _ in people]
        await prepare(database, people, due_at, now + dt.timedelta(seconds=6))
        env = bot_process_env(server, database)
        env["HANKEBOT_LOG_LEVEL"] = "INFO"
        log_path = workdir / "soak.log"
        process: subprocess.Popen[bytes] = start_bot_process(env, log_path)
        stop = asyncio.Event()

        async def conversation(index: int) -> None:
            driver = SoakDriver(server, FIRST_APPLICANT + index, result)
            scenario = SCENARIOS[index % len(SCENARIOS)]
            await asyncio.sleep(rng.uniform(0, 3))
            try:
                await scenario(driver)
            except Exception as error:  # counted, the caller asserts
                result.scenarios_failed.append(f"{scenario.__name__}:{type(error).__name__}")

        result.scenarios = applicants
        talks = asyncio.gather(*(conversation(i) for i in range(applicants)))
        answering = asyncio.create_task(_answer_reminders(server, people, stop, result))
        try:
            for _ in range(kills):
                await asyncio.sleep(rng.uniform(*uptime))
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                result.kills += 1
                log(f"kill {result.kills}: {len(server.messages())} bot messages so far")
                process = start_bot_process(env, log_path)
            await talks
            heads = {locale: reminder_head(locale) for locale in LOCALES}

            def all_arrived() -> bool:
                return all(
                    any((m.text or "").startswith(heads[loc]) for m in server.messages(u))
                    and any(ANNOUNCEMENT[loc] in (m.text or "") for m in server.messages(u))
                    for u, loc in people
                )

            if max(due_at) > dt.datetime.now(dt.UTC):
                await asyncio.sleep((max(due_at) - dt.datetime.now(dt.UTC)).total_seconds())
            with contextlib.suppress(AssertionError):  # losses are counted below
                await server.async_wait_until(all_arrived, 60, what="reminders, announcements")
            await asyncio.sleep(3)  # a repeat would have come by now
            await server.async_wait_for_updates_consumed(timeout=20)
        finally:
            stop.set()
            await answering
            process.kill()
            process.wait(timeout=10)
        _count(server, people, result)
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            cursor = await conn.execute("PRAGMA integrity_check")
            row = await cursor.fetchone()
            result.integrity = str(row[0]) if row else "?"
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND not_before <= ?",
                (dt.datetime.now(dt.UTC).isoformat(),),
            )
            row = await cursor.fetchone()
            result.pending_left = int(row[0]) if row else 0
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE last_error = 'unconfirmed'"
            )
            row = await cursor.fetchone()
            result.unconfirmed = int(row[0]) if row else 0
    finally:
        await db.close()
    return result


def _count(server: FakeTelegramServer, people: list[tuple[int, str]], result: SoakResult) -> None:
    result.unconsumed_updates = len(server.pending_updates())
    heads = {locale: reminder_head(locale) for locale in LOCALES}
    result.reminders_due = result.announcements_due = len(people)
    for user, locale in people:
        texts = [m.text or m.caption or "" for m in server.messages(user)]
        for kind, test in (
            ("reminder", lambda t, lo: t.startswith(heads[lo])),
            ("announcement", lambda t, lo: ANNOUNCEMENT[lo] in t),
        ):
            mine = sum(1 for t in texts if test(t, locale))
            others = [lo for lo in LOCALES if lo != locale and any(test(t, lo) for t in texts)]
            if others:
                result.wrong_language.append(f"{user}:{kind}:{others}")
            if mine == 0:
                result.once_lost += 1
            result.once_duplicates += max(0, mine - 1)
    for message in server.messages():
        body = (message.text or "") + (message.caption or "")
        if "Traceback" in body or 'File "' in body:
            result.tracebacks += 1
