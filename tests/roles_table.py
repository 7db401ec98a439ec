"""Every privileged action × every role × every transport: the table and what it runs on.

:data:`ACTIONS` declares each privileged action once, independent of the chat platform: who
may do it, how a person does it in their own private chat (typing commands and pressing the
buttons they are offered), how the person who normally gets its button obtains it — in a
group chat, or in a private chat for what only works there — and what in the database
shows that it happened.

A :class:`World` is a bot with its database on one transport, filled by :meth:`World.populate`
(storage functions only) with one person per role, the people the actions are about,
announcements, meetings and contact requests. It offers what a person can do in a chat: say
something, press a button by its label, and press a button someone else got (in a group
anyone can press; on Telegram a modified client can send any callback data into someone
else's private chat; on Matrix a button is a numbered option and a press is typing its
number, which in a group reaches the latest options there, but nobody can write in someone
else's private chat, so there the number is typed in one's own). Three worlds implement it:
the in-memory transport (``tests/test_roles_matrix.py``), Telegram through PTB's HTTP stack
and the fake Bot API server (``tests/e2e/test_roles_telegram.py``) and Matrix through a real
Synapse (``tests/matrix/test_roles_on_matrix.py``). User ids, chats and the labels made of
them come from the world.

For every row and role the worlds run :func:`check_typed` and, for rows with a button,
:func:`check_button`: exactly the allowed roles change the database; everyone else is
refused (a refusal message, or the button they would need is never offered to them).
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Renderer
from bot.markup import html_to_plain
from handlers.common import planning
from handlers.common.participation import person_label
from handlers.core.types import Param, When
from handlers.domain.recurrence import RepeatKind, build_rule
from storage import audit, broadcasts, contact_requests, memberships, users
from storage import buttons as button_store
from storage import meetings as meeting_store
from storage.broadcasts import Recipient
from storage.db import Database
from tests.e2e.driver import SeenMessage

TZ = ZoneInfo("Europe/Helsinki")
PROJECT = "osmari"
ROLES = ("admin", "coordinator", "other_coordinator", "participant", "applicant")
#: Roles that have no privileged command at all: every typed attempt is an unknown command.
NOBODIES = ("participant", "applicant")
#: The people actions are about (not acting themselves).
TARGETS = ("new_coordinator", "old_coordinator", "p10", "p11", "p12", "p13", "p14")
PEOPLE = ROLES + TARGETS
PARTICIPANTS = ("participant", "p10", "p11", "p12", "p13", "p14")  # of osmari
SCHEDULED, FINISHED = 1, 2  # announcements made in the set-up
SERIES_TITLE = "Viikkotapaaminen"
PERSONAL_TITLE = "Oma tapaaminen"
PAST_TITLE = "Eilinen ryhmä"
FEEDBACK_GROUP = "work-trial-feedback"  # a group of osmari: meetings for it tell nobody here

Measure = Callable[["World"], Awaitable[int]]
Value = str | Callable[["World"], str]


def participant_name(person: str) -> str:
    """The name a participant target has where participants are named (``p11`` → …)."""
    return f"Osallistuja {person.removeprefix('p')}"


def resolve(value: Value, world: World) -> str:
    return value if isinstance(value, str) else value(world)


def labelled(key: str, **params: Param) -> Callable[[World], str]:
    """The label of catalog key ``key`` as the world renders it (buttons are found by key:
    a path survives rewording)."""

    def text(world: World) -> str:
        return world.text(key, **params)

    return text


@dataclass
class Attempt:
    """What one person saw while walking a path."""

    replies: list[SeenMessage] = field(default_factory=list)
    first: SeenMessage | None = None  # the first answer to the first step
    missing: str | None = None  # a button the path needed that was not offered

    def shown(self) -> list[str]:
        return [f"{m.text[:70]} {m.labels}" for m in self.replies] + (
            [f"(not offered: {self.missing})"] if self.missing else []
        )


class World(abc.ABC):
    """A bot on one transport, its database, and the people of :data:`PEOPLE`."""

    #: Whether a press can land in someone else's private chat (Matrix: it cannot; the
    #: number is typed in the presser's own chat instead).
    presses_reach_other_chats = True
    #: Participants get names (as when they join through an invite) instead of the
    #: short-id label; see the Matrix world for why.
    named_participants = False
    #: A press forged into someone else's private chat is dropped unanswered (Telegram: a
    #: private chat's id is its person's id, so ``chat.id != from.id`` there is a forgery).
    drops_presses_forged_into_private_chats = False

    def __init__(self, db: Database) -> None:
        self.db = db
        self.renderer = Renderer(TZ)
        self.now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        self.series_start = self.now
        self.personal_start = self.now
        self.past_start = self.now

    # --- the transport: implemented by each world ---------------------------------------
    @abc.abstractmethod
    def uid(self, person: str) -> str:
        """The person's user id as the bot sees it (``test:1``, ``telegram:701``, ``matrix:@…``)."""

    @abc.abstractmethod
    def dm(self, person: str) -> str:
        """The bot's chat id of the person's private chat with it."""

    @property
    @abc.abstractmethod
    def group(self) -> str:
        """The bot's chat id of the group chat every role is in."""

    @abc.abstractmethod
    async def send_text(self, person: str, chat: str, text: str) -> list[SeenMessage]:
        """``person`` writes ``text`` in ``chat``; returns the bot's answers in that chat."""

    @abc.abstractmethod
    def option(self, chat: str, label: str) -> object | None:
        """The newest pressable button labelled ``label`` in ``chat`` (this case only)."""

    @abc.abstractmethod
    async def press_as(
        self, person: str, chat: str, option: object
    ) -> tuple[str, list[SeenMessage]]:
        """``person`` presses ``option`` seen in ``chat``; returns the chat the press landed
        in and the bot's answers there."""

    def has_options(self, chat: str) -> bool:
        """Whether the chat's latest message offers numbered options (Matrix only)."""
        raise NotImplementedError

    # --- what people do ----------------------------------------------------------------------
    async def says(self, person: str, text: str, chat: str | None = None) -> list[SeenMessage]:
        return await self.send_text(person, chat or self.dm(person), text)

    async def presses(
        self, person: str, label: str, chat: str | None = None
    ) -> list[SeenMessage] | None:
        """Press a button this person is offered; None when there is none."""
        chat = chat or self.dm(person)
        option = self.option(chat, label)
        if option is None:
            return None
        _, answer = await self.press_as(person, chat, option)
        return answer

    # --- texts as the bot renders them -------------------------------------------------------
    def text(self, key: str, **params: Param) -> str:
        return html_to_plain(self.renderer.text("fi", key, params))

    def label(self, person: str) -> str:
        """How coordinators see a participant on buttons (a name, else a short id)."""
        if self.named_participants and person in PARTICIPANTS[1:]:
            return participant_name(person)
        return self.text("people.person", name=person_label(None, self.uid(person)))

    def meeting_label(self, start: dt.datetime, title: str) -> str:
        return self.text("meetings.open", when=When(start), title=title)

    def typed_time(self, moment: dt.datetime) -> str:
        local = moment.astimezone(TZ)
        return f"{local.day}.{local.month}.{local.year} klo {local.hour}.{local.minute:02d}"

    # --- the set-up --------------------------------------------------------------------------
    async def populate(self) -> None:
        now = self.now
        local_today = now.astimezone(TZ).date()
        series_local = dt.datetime.combine(local_today + dt.timedelta(days=2), dt.time(12, 0))
        personal_local = dt.datetime.combine(local_today + dt.timedelta(days=3), dt.time(14, 0))
        past = (now - dt.timedelta(days=1)).astimezone(TZ).replace(minute=0, tzinfo=None)
        async with self.db.transaction() as conn:
            for person in PEOPLE:
                await users.touch(
                    conn, self.uid(person), self.dm(person), locale="fi", now=now, private_chat=True
                )
            if self.named_participants:
                for person in PARTICIPANTS[1:]:
                    await users.set_display_name(conn, self.uid(person), participant_name(person))
            for person, project, role in (
                ("coordinator", PROJECT, "coordinator"),
                ("coordinator", "kaveria-ei-jateta", "coordinator"),
                ("other_coordinator", "toimi", "coordinator"),
                ("other_coordinator", "osuva", "coordinator"),
                ("old_coordinator", PROJECT, "coordinator"),
                *((p, PROJECT, "participant") for p in PARTICIPANTS),
            ):
                await memberships.add(conn, self.uid(person), project, role, now)
            for number, send_at in ((SCHEDULED, now + dt.timedelta(days=1)), (FINISHED, now)):
                created = await broadcasts.create(
                    conn,
                    project=PROJECT,
                    audience="project",
                    group=None,
                    created_by=self.uid("admin"),
                    report_chat=None,
                    text="x",
                    locale="fi",
                    timezone="Europe/Helsinki",
                    send_at=send_at,
                    now=now,
                )
                assert created == number
                people = [Recipient(self.uid("p10"), self.dm("p10"), "fi", number == FINISHED)]
                await broadcasts.enqueue_recipients(
                    conn, created, people, {"fi": "x"}, send_at=send_at, now=now
                )
            await broadcasts.close(conn, FINISHED, "done", now)
            for asked in ("p12", "p13"):  # asked to be contacted about osmari
                await contact_requests.add(
                    conn,
                    user_id=self.uid(asked),
                    project=PROJECT,
                    kind="join",
                    contact="040 1",
                    question=None,
                    now=now,
                )
            await audit.record(
                conn,
                actor=self.uid("admin"),
                action="coordinator.add",
                now=now,
                project=PROJECT,
                subject=self.uid("old_coordinator"),
            )
            meetings = (
                # A weekly series for a group nobody here is in (changes tell nobody).
                (SERIES_TITLE, series_local, FEEDBACK_GROUP, None, 3),
                # A one-off meeting for the participant alone.
                (PERSONAL_TITLE, personal_local, None, self.uid("participant"), None),
                # Yesterday's meeting of the whole project: attendance can be marked.
                (PAST_TITLE, past, None, None, None),
            )
            starts = []
            for title, start_local, group, person_id, count in meetings:
                rule = None
                if count is not None:
                    rule = build_rule(RepeatKind.WEEKLY, start_local, TZ, count=count)
                meeting = await planning.create(
                    conn,
                    project=PROJECT,
                    group=group,
                    user_id=person_id,
                    title=title,
                    start_local=start_local,
                    rule=rule,
                    duration=dt.timedelta(minutes=90),
                    place="Kirjasto",
                    tz=TZ,
                    now=now,
                )
                created_occurrences = await planning.materialize(
                    conn, meeting, now + meeting_store.HORIZON, now=now, tz=TZ
                )
                starts.append(created_occurrences[0].start)
            self.series_start, self.personal_start, self.past_start = starts
            # Nobody has options open: a number typed on Matrix is not a press of anything.
            for chat in {self.dm(person) for person in PEOPLE} | {self.group}:
                await button_store.forget_keyboard(conn, chat)

    # --- what the database shows ------------------------------------------------------------
    async def scalar(self, sql: str, *params: object) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def is_coordinator(self, person: str) -> bool:
        async with self.db.transaction() as conn:
            rows = await memberships.active_for(conn, self.uid(person))
        return any(m.project == PROJECT and m.role == "coordinator" for m in rows)


# --- paths: what a person types and presses --------------------------------------------------
@dataclass(frozen=True)
class Step:
    kind: Literal["say", "press"]
    value: Value
    by: str | None = None  # a precondition done by someone else, in their own private chat


def say(value: Value, *, by: str | None = None) -> Step:
    return Step("say", value, by)


def press(value: Value, *, by: str | None = None) -> Step:
    return Step("press", value, by)


Steps = tuple[Step, ...]


async def walk(world: World, who: str, chat: str, steps: Steps) -> Attempt:
    """``who`` walks ``steps`` in ``chat``; stops at the first button they are not offered."""
    attempt = Attempt()
    for step in steps:
        actor = step.by or who
        where = world.dm(step.by) if step.by else chat
        value = resolve(step.value, world)
        if step.kind == "say":
            answer: list[SeenMessage] | None = await world.says(actor, value, where)
        else:
            answer = await world.presses(actor, value, where)
        if answer is None:
            if step.by is not None:
                raise AssertionError(f"{step.by} was not offered {value!r}")
            attempt.missing = value
            return attempt
        if step.by is None:
            if attempt.first is None:
                attempt.first = answer[0] if answer else SeenMessage("")
            attempt.replies += answer
    return attempt


# --- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ButtonSpec:
    """How ``owner`` gets the action's button: ``steps`` in their private chat or the group,
    then the button labelled ``label`` there."""

    steps: Steps
    label: Value
    owner: str = "admin"
    where: Literal["dm", "group"] = "dm"
    owner_only: bool = False  # a conversation button: only the person it was shown to
    measure: Measure | None = None  # when pressing opens a question instead of finishing


@dataclass(frozen=True)
class Action:
    name: str
    allowed: frozenset[str]
    typed: Steps | None  # done in one's own private chat
    measure: Measure  # grows when the action happened
    button: ButtonSpec | None = None
    case: str = ""  # tells apart rows of the same action done another way
    typed_allowed: frozenset[str] | None = None  # when fewer are offered the way in

    @property
    def id(self) -> str:
        return f"{self.name}{'-' + self.case if self.case else ''}"


def audit_of(action: str) -> Measure:
    async def measure(world: World) -> int:
        return await world.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = ? AND project = ?", action, PROJECT
        )

    return measure


def audit_any(action: str) -> Measure:
    """For actions about no project (the audit log itself)."""

    async def measure(world: World) -> int:
        return await world.scalar("SELECT COUNT(*) FROM audit_log WHERE action = ?", action)

    return measure


def in_flow(flow: str) -> Measure:
    """Someone is now answering the flow's question (a button that opens a question)."""

    async def measure(world: World) -> int:
        return await world.scalar("SELECT COUNT(*) FROM conversations WHERE flow = ?", flow)

    return measure


async def _invites(world: World) -> int:
    return await world.scalar("SELECT COUNT(*) FROM coordinator_invites WHERE project = ?", PROJECT)


async def _new_coordinator(world: World) -> int:
    return int(await world.is_coordinator("new_coordinator"))


async def _removed(world: World) -> int:
    return int(not await world.is_coordinator("old_coordinator"))


async def _announcements(world: World) -> int:
    return await world.scalar(
        "SELECT COUNT(*) FROM broadcasts WHERE audience = 'project' AND project = ?", PROJECT
    )


async def _contact_announcements(world: World) -> int:
    return await world.scalar(
        "SELECT COUNT(*) FROM broadcasts WHERE audience = 'contacts' AND project = ?", PROJECT
    )


async def _cancelled(world: World) -> int:
    return await world.scalar(
        "SELECT COUNT(*) FROM broadcasts WHERE id = ? AND state = 'cancelled'", SCHEDULED
    )


def _series(world: World) -> str:
    return world.meeting_label(world.series_start, SERIES_TITLE)


def _personal(world: World) -> str:
    return world.meeting_label(world.personal_start, PERSONAL_TITLE)


def _past(world: World) -> str:
    return world.meeting_label(world.past_start, PAST_TITLE)


def _in_days(days: int, hour: int) -> Callable[[World], str]:
    def typed(world: World) -> str:
        day = world.now.astimezone(TZ).date() + dt.timedelta(days=days)
        return world.typed_time(dt.datetime.combine(day, dt.time(hour), TZ))

    return typed


def _remove_old(world: World) -> str:
    return world.text("coord.remove_button", name=world.uid("old_coordinator"), project="Osmari")


def _mark_p10(world: World) -> str:
    return world.text("meetings.mark_none", name=world.label("p10"))


def _mark_left_p11(world: World) -> str:
    return world.label("p11")


ANNOUNCE = (
    say("/tiedote"),
    press("Osmari"),
    press(labelled("broadcast.audience_project_button", project="Osmari", count=6)),
    say("Huomenna ei ole ryhmää."),
)
TO_CONTACTS = (
    say("/tiedote"),
    press("Osmari"),
    press(labelled("broadcast.audience_contacts_button", project="Osmari", count=2)),
    say("Uusi ryhmä alkaa."),
)
MARK_LEFT = (say("/merkitse_lopettanut"), press("Osmari"), press(_mark_left_p11))
INVITE = (
    say("/kutsu"),
    press("Osmari"),
    press(labelled("enrol.no_group")),
    press(labelled("enrol.uses_one")),
)
NEW_MEETING = (
    say("/tapaamiset"),
    press(labelled("meetings.new")),
    press("Osmari"),
    press("Työkokeilun palaute"),
    press(labelled("meetings.repeat_once")),
    say(_in_days(12, 10)),
    press(labelled("meetings.minutes", minutes=60)),
    say("Palaveri"),
    press(labelled("meetings.skip")),
    press(labelled("meetings.skip")),
)
SERIES = (say("/tapaamiset"), press(_series))
RESTORE = labelled("meetings.restore_button")
REMINDERS = (say("/tapaamiset"), press(labelled("meetings.reminder_settings")), press("Osmari"))
ATTENDANCE = (say("/tapaamiset"), press(_past), press(labelled("meetings.attendance_button")))
#: The participant cannot come to their moved meeting: osmari's coordinators are told,
#: with a button to offer a new time.
CANNOT_COME = (
    say("/tapaamiset", by="admin"),
    press(_personal, by="admin"),
    press(labelled("meetings.move_button"), by="admin"),
    say(_in_days(5, 9), by="admin"),
    press(labelled("participant.not_coming"), by="participant"),
)

ADMIN = frozenset({"admin"})
STAFF = frozenset({"admin", "coordinator"})
ACTIONS = [
    Action(
        "coordinator.invite",
        ADMIN,
        (say("/ohjaajakutsu osmari"),),
        _invites,
        ButtonSpec((say("/ohjaajat"),), labelled("coord.invite_button", project="Osmari")),
    ),
    Action(
        "coordinator.add",
        ADMIN,
        (say(lambda w: f"/lisaa_ohjaaja osmari {w.uid('new_coordinator')}"),),
        _new_coordinator,
    ),
    Action(
        "coordinator.remove",
        ADMIN,
        (say(lambda w: f"/poista_ohjaaja osmari {w.uid('old_coordinator')}"),),
        _removed,
        ButtonSpec((say("/ohjaajat"), press(_remove_old)), labelled("coord.remove_yes")),
    ),
    Action(
        "audit.view",
        ADMIN,
        (say("/loki"),),
        audit_any("audit.view"),
        ButtonSpec((say("/valikko"),), labelled("menu.audit")),
    ),
    Action(
        "audit.csv",
        ADMIN,
        (say("/loki csv"),),
        audit_any("audit.csv"),
        ButtonSpec((say("/loki"),), labelled("audit.csv_button")),
    ),
    Action(
        "broadcast.send",
        STAFF,
        (*ANNOUNCE, press(labelled("broadcast.send_now_button"))),
        _announcements,
        ButtonSpec(ANNOUNCE, labelled("broadcast.send_now_button"), where="group", owner_only=True),
    ),
    Action(
        "broadcast.send",
        STAFF,
        (*TO_CONTACTS, press(labelled("broadcast.send_now_button"))),
        _contact_announcements,
        ButtonSpec(
            TO_CONTACTS, labelled("broadcast.send_now_button"), where="group", owner_only=True
        ),
        case="contacts",
    ),
    Action(
        "broadcast.cancel",
        STAFF,
        (say("/tiedotteet"), press(labelled("broadcast.cancel_button", id=SCHEDULED))),
        _cancelled,
        ButtonSpec(
            (say("/tiedotteet"),), labelled("broadcast.cancel_button", id=SCHEDULED), where="group"
        ),
    ),
    Action(
        "broadcast.missing_csv",
        STAFF,
        (say("/tiedotteet"), press(labelled("broadcast.missing_list_button", id=FINISHED))),
        audit_of("broadcast.missing_csv"),
        ButtonSpec((say("/tiedotteet"),), labelled("broadcast.missing_list_button", id=FINISHED)),
    ),
    Action(
        "participant.mark_left",
        STAFF,
        (*MARK_LEFT, press(labelled("exit.confirm_yes"))),
        audit_of("participant.mark_left"),
        ButtonSpec(MARK_LEFT, labelled("exit.confirm_yes"), where="group", owner_only=True),
    ),
    Action(
        "report.view",
        STAFF,
        (say("/raportti osmari"),),
        audit_of("report.view"),
        # reports only in a private chat: the button is the administrator's there
        ButtonSpec((say("/raportti"),), "Osmari"),
    ),
    Action(
        "report.csv",
        STAFF,
        (say("/raportti osmari csv"),),
        audit_of("report.csv"),
        ButtonSpec((say("/raportti osmari"),), labelled("report.csv_button")),
    ),
    Action(
        "participant.invite",
        STAFF,
        (*INVITE, press(labelled("enrol.days_7"))),
        audit_of("participant.invite"),
        ButtonSpec(INVITE, labelled("enrol.days_7"), owner_only=True),
    ),
    Action(
        "participant.invite_revoke",
        STAFF,
        (*INVITE, press(labelled("enrol.days_7")), press(labelled("enrol.revoke"))),
        audit_of("participant.invite_revoke"),
        ButtonSpec((*INVITE, press(labelled("enrol.days_7"))), labelled("enrol.revoke")),
    ),
    Action(
        "meeting.create",
        STAFF,
        (*NEW_MEETING, press(labelled("meetings.save"))),
        audit_of("meeting.create"),
        ButtonSpec(NEW_MEETING, labelled("meetings.save"), owner_only=True),
    ),
    Action(
        "meeting.move",
        STAFF,
        (*SERIES, press(labelled("meetings.move_button")), say(_in_days(9, 15))),
        audit_of("meeting.move"),
        ButtonSpec(SERIES, labelled("meetings.move_button"), measure=in_flow("meeting_edit")),
    ),
    Action(
        "meeting.cancel",
        STAFF,
        (
            *SERIES,
            press(labelled("meetings.cancel_button")),
            press(labelled("meetings.yes_cancel")),
        ),
        audit_of("meeting.cancel"),
        ButtonSpec(
            (*SERIES, press(labelled("meetings.cancel_button"))),
            labelled("meetings.yes_cancel"),
            owner_only=True,
        ),
    ),
    Action(
        "meeting.restore",
        STAFF,
        (
            *SERIES,
            press(labelled("meetings.cancel_button")),
            press(labelled("meetings.yes_cancel")),
            press(RESTORE),
        ),
        audit_of("meeting.restore"),
        ButtonSpec(
            (
                *SERIES,
                press(labelled("meetings.cancel_button")),
                press(labelled("meetings.yes_cancel")),
            ),
            RESTORE,
        ),
    ),
    Action(
        "meeting.cancel_series",
        STAFF,
        (*SERIES, press(labelled("meetings.stop_button")), press(labelled("meetings.yes_cancel"))),
        audit_of("meeting.cancel_series"),
        ButtonSpec(
            (*SERIES, press(labelled("meetings.stop_button"))),
            labelled("meetings.yes_cancel"),
            owner_only=True,
        ),
    ),
    Action(
        "meeting.change",
        STAFF,
        (*SERIES, press(labelled("meetings.place_button")), say("Nuorisotila")),
        audit_of("meeting.change"),
        ButtonSpec(
            (*SERIES, press(labelled("meetings.place_button"))),
            labelled("meetings.clear"),
            owner_only=True,
        ),
    ),
    Action(
        "meeting.change",
        STAFF,
        (*SERIES, press(labelled("meetings.note_button")), say("Ota kahvikuppi mukaan.")),
        audit_of("meeting.change"),
        ButtonSpec(
            (*SERIES, press(labelled("meetings.note_button"))),
            labelled("meetings.clear"),
            owner_only=True,
        ),
        case="note",
    ),
    Action(
        "meeting.series_time",
        STAFF,
        (*SERIES, press(labelled("meetings.time_button")), say("15.30")),
        audit_of("meeting.series_time"),
        ButtonSpec(SERIES, labelled("meetings.time_button"), measure=in_flow("meeting_edit")),
    ),
    Action(
        "meeting.new_time",
        STAFF,
        (*CANNOT_COME, press(labelled("notify.offer_time")), say(_in_days(6, 13))),
        audit_of("meeting.new_time"),
        ButtonSpec(
            CANNOT_COME,
            labelled("notify.offer_time"),
            owner="coordinator",
            measure=in_flow("meeting_new_time"),
        ),
        # Only the project's own coordinators are told that a participant cannot come
        # (administrators only when a project has none); pressing is checked below.
        typed_allowed=frozenset({"coordinator"}),
    ),
    Action(
        "attendance.mark",
        STAFF,
        (*ATTENDANCE, press(_mark_p10)),
        audit_of("attendance.mark"),
        ButtonSpec(ATTENDANCE, _mark_p10),
    ),
    Action(
        "meeting.reminders",
        STAFF,
        (*REMINDERS, press(labelled("meetings.remind_day"))),
        audit_of("meeting.reminders"),
        ButtonSpec(REMINDERS, labelled("meetings.remind_day")),
    ),
]


# The same cases for every transport's test module: ``@every_role @typed_actions`` etc.
every_role = pytest.mark.parametrize("role", ROLES)
typed_actions = pytest.mark.parametrize(
    "action", [a for a in ACTIONS if a.typed], ids=lambda a: a.id
)
button_actions = pytest.mark.parametrize(
    "action", [a for a in ACTIONS if a.button], ids=lambda a: a.id
)
#: Privileged actions that are not done in a chat by a role of this table.
NOT_IN_CHAT = frozenset({"coordinator.join", "broadcast.schedule"})  # tested on their own


# --- the checks --------------------------------------------------------------------------------
def _starts_with_any(message: SeenMessage | None, texts: Sequence[str]) -> bool:
    """Whether the message begins with the first sentence of one of ``texts``."""
    return message is not None and any(
        message.text.startswith(text.split(".")[0]) for text in texts
    )


def refusals(world: World) -> list[str]:
    keys = ("error.unknown_command", "error.not_allowed", "error.old_button")
    return [world.text(key) for key in keys]


async def check_typed(world: World, action: Action, role: str) -> None:
    """``role`` tries the action in their own private chat."""
    assert action.typed is not None
    before = await action.measure(world)
    attempt = await walk(world, role, world.dm(role), action.typed)
    happened = await action.measure(world) > before
    allowed = action.typed_allowed if action.typed_allowed is not None else action.allowed
    expected = role in allowed
    shown = attempt.shown()
    assert happened == expected, (action.id, role, shown)
    if expected:
        assert attempt.missing is None, (action.id, role, shown)
        return
    refused = attempt.missing is not None or any(
        _starts_with_any(message, refusals(world)) for message in attempt.replies
    )
    assert refused, (action.id, role, "neither refused nor kept from the buttons", shown)
    first_step = action.typed[0]
    if role in NOBODIES and first_step.by is None and first_step.kind == "say":
        # Privileged commands do not exist for them: not even "not allowed".
        unknown = world.text("error.unknown_command")
        assert _starts_with_any(attempt.first, [unknown]), (action.id, role, shown)


async def check_button(world: World, action: Action, role: str) -> None:
    """The owner gets the action's button; ``role`` presses it (replayed or forged)."""
    spec = action.button
    assert spec is not None
    chat = world.dm(spec.owner) if spec.where == "dm" else world.group
    got = await walk(world, spec.owner, chat, spec.steps)
    assert got.missing is None, (action.id, spec.owner, got.shown())
    label = resolve(spec.label, world)
    option = world.option(chat, label)
    assert option is not None, f"{spec.owner} got no button {label!r} for {action.id}"
    measure = spec.measure or action.measure
    before = await measure(world)
    own_options = world.presses_reach_other_chats or world.has_options(world.dm(role))
    landed, answer = await world.press_as(role, chat, option)
    happened = await measure(world) > before
    shown = [m.text[:80] for m in answer]
    if landed != chat:
        # Matrix: someone else's private chat cannot be written in. The option number typed
        # in one's own chat means one's own option there, or, with none, is a lone number:
        # not a question, so the bot says what it can help with (issue 13 item 4).
        assert not world.presses_reach_other_chats
        assert happened is False, (action.id, role, shown)
        assert answer, (action.id, role, "no answer in the person's own chat")
        if not own_options:
            assert _starts_with_any(answer[0], [world.text("faq.small_talk.capabilities")]), (
                action.id,
                role,
                shown,
            )
        return
    if role != spec.owner and chat != world.group and world.drops_presses_forged_into_private_chats:
        # Forged into someone else's private chat: dropped, whoever presses (no answer).
        assert not happened and answer == [], (action.id, role, shown)
        return
    expected = role == spec.owner if spec.owner_only else role in action.allowed
    assert happened == expected, (action.id, role, shown)
    if not expected:
        assert _starts_with_any(
            answer[0] if answer else None,
            [world.text("error.not_allowed"), world.text("error.old_button")],
        ), (action.id, role, shown)
