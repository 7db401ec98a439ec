"""Coordinators: plan meetings, see answers, mark attendance, move and cancel, reminders.

``/tapaamiset`` lists the coming meetings of the coordinator's projects with everyone's
answers; each meeting opens a view with its buttons. Every button press checks again that the
presser may coordinate the meeting's project.

A new meeting, one-off or a series (weekly, every two weeks, monthly on the nth weekday, or
the group's own rhythm from content — e.g. the women's group's 13 weeks — with a count or a
last day), for a group, the whole project or one participant:

```mermaid
stateDiagram-v2
    [*] --> project: "Uusi tapaaminen" (skipped with one project)
    project --> audience: a group / the whole project / one participant
    audience --> person: one participant
    audience --> repeat
    person --> repeat
    repeat --> anchor: the group's rhythm is tied to a date (release)
    repeat --> start
    anchor --> start: within the rhythm's window
    start --> end: repeating, no end in the rhythm
    start --> duration
    end --> duration
    duration --> title: (the rhythm's duration skips this)
    title --> place
    place --> note
    note --> confirm
    confirm --> [*]: save → occurrences, reminders planned, participants told
```

Changing one meeting or the whole series (everyone it is for is told):

```mermaid
stateDiagram-v2
    [*] --> view: a meeting in /tapaamiset
    view --> move: new time → reminders planned again, answers reset
    view --> time: new time of day for this and the later meetings of the series
    view --> cancel_one: confirm → reminders dropped (undo button: restored, reminders again)
    view --> place: new place or link (whole series)
    view --> note: new note (whole series)
    view --> title: new name (whole series)
    view --> length: new length (whole series; the question afterwards moves with the end)
    view --> cancel_series: confirm → future meetings cancelled
    view --> attendance: press a name: ✔ present → ✖ missed (check-in planned) → unmarked
```

A participant's "can't come" reaches the coordinators with a button to offer a new time: a
personal meeting is moved; for a group meeting a one-off personal meeting is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handlers import participation as common
from handlers.context import Context, Notice
from handlers.datetime_input import (
    DateTimeInputError,
    DateTimeProblem,
    localize,
    parse_date,
    parse_datetime,
    parse_time,
)
from handlers.flow import Command, Flow, MenuEntry, Registry, Step
from handlers.participant import REMINDER_CHOICES, offsets_text, rsvp_buttons
from handlers.recurrence import (
    MAX_COUNT,
    RecurrenceError,
    RepeatKind,
    build_rule,
    normalize_rule,
)
from handlers.types import Button, Day, InvalidInput, Lines, Param, Reply, Text, When
from storage import audit, memberships, participants, reminders
from storage import meetings as meeting_store
from storage.meetings import HORIZON, Meeting, Occurrence

NEW_FLOW = "meeting_new"
EDIT_FLOW = "meeting_edit"
NEW_TIME_FLOW = "meeting_new_time"
PAGE = 8
PEOPLE_PAGE = 15
RECENT = dt.timedelta(days=3)  # past meetings still listed (attendance can be marked)
MAX_AHEAD = dt.timedelta(days=365)  # how far ahead coordinators can page (as the .ics)
TITLE_LIMIT = 200
PLACE_LIMIT = 200
NOTE_LIMIT = 500
DURATIONS = (30, 60, 90, 120)
KINDS = {
    "once": RepeatKind.ONCE,
    "weekly": RepeatKind.WEEKLY,
    "biweekly": RepeatKind.BIWEEKLY,
    "monthly": RepeatKind.MONTHLY_NTH_WEEKDAY,
}
MARKS = {"attended": "meetings.mark_attended", "missed": "meetings.mark_missed"}
NEXT_MARK = {None: "attended", "attended": "missed", "missed": None}
ANSWER_KEYS = {
    "yes": "meetings.answer_yes",
    "no": "meetings.answer_no",
    "other": "meetings.answer_other",
}


def _tz(ctx: Context) -> Any:
    return ctx.services.timezone


def _project_label(ctx: Context, project: str) -> str:
    return common.project_name(ctx.services, project, ctx.locale)


async def _audit(
    ctx: Context,
    action: str,
    meeting: Meeting,
    occurrence: Occurrence | None = None,
    *,
    subject: str | None = None,
) -> None:
    """One audit row per change a coordinator makes (ids only, never texts)."""
    detail: dict[str, str | int | None] = {"meeting": meeting.id}
    if occurrence is not None:
        detail["occurrence"] = occurrence.id
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action=action,
        now=ctx.now,
        project=meeting.project,
        subject=subject,
        detail=detail,
    )


# --- the overview --------------------------------------------------------------------------


def _private(ctx: Context) -> bool:
    """Participants' names and answers are never shown in a group chat."""
    if ctx.incoming.is_group_chat:
        ctx.reply("privacy.private_only")
        return False
    return True


async def _reach(ctx: Context, projects: list[str], until: dt.datetime) -> None:
    """Create the projects' meetings up to ``until`` (the scheduler keeps only
    :data:`HORIZON` ahead), with their reminders, so later ones can be seen and changed."""
    tz = _tz(ctx)
    for meeting in await meeting_store.to_extend(ctx.conn, until, projects):
        created = await meeting_store.materialize(ctx.conn, meeting, until, now=ctx.now, tz=tz)
        await reminders.plan_occurrences(ctx.conn, meeting, created, now=ctx.now, tz=tz)


async def overview(ctx: Context, page: int = 0, days: int = HORIZON.days) -> None:
    """The coming meetings, :data:`PAGE` at a time, ``days`` ahead (more on request)."""
    ctx.require_coordinator()
    if not _private(ctx):
        return
    projects = common.coordinated_projects(ctx)
    days = min(max(days, HORIZON.days), MAX_AHEAD.days)
    until = ctx.now + dt.timedelta(days=days)
    if days > HORIZON.days:
        await _reach(ctx, projects, until)
    rows = await meeting_store.for_projects(
        ctx.conn, projects, ctx.now - RECENT, until, limit=PAGE + 1, offset=page * PAGE
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    lines: list[Param] = []
    buttons: list[list[Button]] = []
    for occurrence, meeting in rows:
        answers = await participants.rsvps(ctx.conn, occurrence.id)
        lines.append(
            Text(
                "meetings.line_cancelled" if occurrence.cancelled else "meetings.line",
                {
                    "when": When(occurrence.start),
                    "title": meeting.title,
                    "yes": sum(1 for a in answers.values() if a == "yes"),
                    "no": sum(1 for a in answers.values() if a != "yes"),
                },
            )
        )
        buttons.append(
            [
                Button(
                    "meetings.open",
                    f"mt:occ:{occurrence.id}",
                    {"when": When(occurrence.start), "title": meeting.title},
                )
            ]
        )
    if more:
        buttons.append([Button("meetings.more", f"mt:list:{page + 1}:{days}")])
    elif days < MAX_AHEAD.days:
        later = min(days + HORIZON.days, MAX_AHEAD.days)
        buttons.append(
            [
                Button(
                    "meetings.later",
                    f"mt:list:{page}:{later}",
                    {
                        "until": Day(
                            until.astimezone(_tz(ctx)).date() + dt.timedelta(days=later - days)
                        )
                    },
                )
            ]
        )
    buttons.append([Button("meetings.new", "mt:new")])
    buttons.append([Button("menu.invite", "cmd:kutsu")])
    buttons.append([Button("meetings.reminder_settings", "mt:remind")])
    if lines:
        ctx.reply("meetings.overview", buttons=buttons, meetings=Lines(tuple(lines)))
    else:
        ctx.reply("meetings.overview_empty", buttons=buttons)


async def show_overview(ctx: Context) -> None:
    await overview(ctx)


async def _occurrence_for_coordinator(ctx: Context, text: str) -> tuple[Occurrence, Meeting] | None:
    found = await meeting_store.occurrence(ctx.conn, int(text)) if text.isdigit() else None
    if found is None:
        ctx.reply("error.old_button")
        return None
    ctx.require_coordinator(found[1].project)
    return found


async def show_occurrence(ctx: Context, occurrence: Occurrence, meeting: Meeting) -> None:
    answers = await participants.rsvps(ctx.conn, occurrence.id)
    people = await meeting_store.audience(ctx.conn, meeting)
    lines: list[Param] = []
    for user_id in sorted(set(people) | set(answers)):
        answer = answers.get(user_id)
        lines.append(
            Text(
                ANSWER_KEYS.get(answer or "", "meetings.answer_none"),
                {"name": await common.label_of(ctx, user_id)},
            )
        )
    oid = occurrence.id
    buttons: list[list[Button]] = []
    if occurrence.start <= ctx.now:
        buttons.append([Button("meetings.attendance_button", f"mt:att:{oid}")])
    if occurrence.cancelled and not meeting.cancelled and occurrence.start > ctx.now:
        buttons.append([Button("meetings.restore_button", f"mt:restore:{oid}")])
    if not occurrence.cancelled and not meeting.cancelled:
        buttons += [
            [Button("meetings.move_button", f"mt:move:{oid}")],
            [Button("meetings.cancel_button", f"mt:cancel:{oid}")],
            [Button("meetings.place_button", f"mt:place:{oid}")],
            [Button("meetings.note_button", f"mt:note:{oid}")],
            [Button("meetings.title_button", f"mt:title:{oid}")],
            [Button("meetings.length_button", f"mt:length:{oid}")],
        ]
        if meeting.rule is not None:
            if occurrence.start > ctx.now:
                buttons.append([Button("meetings.time_button", f"mt:time:{oid}")])
            buttons.append([Button("meetings.stop_button", f"mt:stop:{oid}")])
    buttons.append([Button("meetings.back", "mt:list:0")])
    group = common.group_name(ctx.services, meeting.project, meeting.group, ctx.locale)
    audience: Param
    if meeting.user_id is not None:
        audience = Text(
            "meetings.for_person", {"name": await common.label_of(ctx, meeting.user_id)}
        )
    elif group:
        audience = Text("meetings.for_group", {"group": group})
    else:
        audience = Text("meetings.for_all")
    ctx.reply(
        "meetings.view_cancelled" if occurrence.cancelled else "meetings.view",
        buttons=buttons,
        card=common.occurrence_card(occurrence, meeting),
        project=_project_label(ctx, meeting.project),
        audience=audience,
        rhythm=common.describe_meeting(meeting, ctx.services),
        answers=Lines(tuple(lines)) if lines else Text("meetings.nobody"),
    )


# --- the "mt:" buttons ----------------------------------------------------------------------


async def meeting_button(ctx: Context) -> None:
    assert ctx.payload is not None
    parts = ctx.payload.split(":", 3)  # the last part may be a user id ("matrix:@a:b.org")
    action = parts[1] if len(parts) > 1 else ""
    ctx.require_coordinator()
    if not _private(ctx):
        return
    if action == "list":
        numbers = [int(part) for part in parts[2:] if part.isdigit()]
        await overview(ctx, *numbers[:2])
    elif action == "new":
        await start_new(ctx)
    elif action == "remind":
        await _project_reminders(ctx, parts[2] if len(parts) == 3 else None)
    elif action == "remset" and len(parts) == 4:
        await _set_project_reminders(ctx, parts[2], parts[3])
    elif (
        action
        in (
            "occ",
            "move",
            "time",
            "cancel",
            "restore",
            "place",
            "note",
            "title",
            "length",
            "stop",
            "att",
        )
        and len(parts) == 3
    ):
        found = await _occurrence_for_coordinator(ctx, parts[2])
        if found is None:
            return
        if action == "occ":
            await show_occurrence(ctx, *found)
        elif action == "restore":
            await _restore(ctx, *found)
        elif action == "att":
            await _attendance(ctx, *found)
        else:
            ctx.begin(EDIT_FLOW, occ=found[0].id, what=action)
            ctx.goto("confirm" if action in ("cancel", "stop") else "value")
    elif action == "mark" and len(parts) == 4:
        found = await _occurrence_for_coordinator(ctx, parts[2])
        if found is not None:
            await _toggle_attendance(ctx, found[0], found[1], parts[3])
    elif action == "newtime" and len(parts) == 4:
        found = await _occurrence_for_coordinator(ctx, parts[2])
        if found is not None:
            ctx.begin(NEW_TIME_FLOW, occ=found[0].id, user=parts[3])
    else:
        ctx.reply("error.old_button")


# --- attendance ----------------------------------------------------------------------------


async def _attendance(ctx: Context, occurrence: Occurrence, meeting: Meeting) -> None:
    if occurrence.start > ctx.now:
        ctx.reply("meetings.attendance_too_early")
        return
    marks = await participants.attendance(ctx.conn, occurrence.id)
    answers = await participants.rsvps(ctx.conn, occurrence.id)
    people = sorted(set(await meeting_store.audience(ctx.conn, meeting)) | set(answers))
    buttons = []
    for user_id in people:
        mark = marks.get(user_id)
        buttons.append(
            [
                Button(
                    MARKS.get(mark or "", "meetings.mark_none"),
                    f"mt:mark:{occurrence.id}:{user_id}",
                    {"name": await common.label_of(ctx, user_id)},
                )
            ]
        )
    buttons.append([Button("meetings.back_to_meeting", f"mt:occ:{occurrence.id}")])
    ctx.reply(
        "meetings.attendance",
        buttons=buttons,
        title=meeting.title,
        when=When(occurrence.start),
        present=sum(1 for m in marks.values() if m == "attended"),
        missed=sum(1 for m in marks.values() if m == "missed"),
    )


async def _toggle_attendance(
    ctx: Context, occurrence: Occurrence, meeting: Meeting, user_id: str
) -> None:
    if occurrence.start > ctx.now:
        ctx.reply("meetings.attendance_too_early")
        return
    answers = await participants.rsvps(ctx.conn, occurrence.id)
    if user_id not in answers and not await meeting_store.is_for(ctx.conn, meeting, user_id):
        ctx.reply("error.old_button")
        return
    current = await participants.attendance_of(ctx.conn, occurrence.id, user_id)
    new = NEXT_MARK[current]
    await participants.mark_attendance(ctx.conn, occurrence.id, user_id, new, ctx.now)
    await _audit(ctx, "attendance.mark", meeting, occurrence, subject=user_id)
    if new == "missed":
        await reminders.plan_check_in_for(ctx.conn, occurrence, user_id, now=ctx.now, tz=_tz(ctx))
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("follow_up",)
        )
    else:
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("check_in",)
        )
    common.wake_scheduler(ctx)
    await _attendance(ctx, occurrence, meeting)


# --- project reminder settings ----------------------------------------------------------------


async def _project_reminders(ctx: Context, project: str | None) -> None:
    projects = common.coordinated_projects(ctx)
    if project is None:
        if len(projects) != 1:
            ctx.reply(
                "meetings.choose_project",
                buttons=[
                    [Button("people.project", f"mt:remind:{p}", {"name": _project_label(ctx, p)})]
                    for p in projects
                ],
            )
            return
        project = projects[0]
    ctx.require_coordinator(project)
    offsets = await participants.project_offsets(ctx.conn, project)
    ctx.reply(
        "meetings.reminders",
        buttons=[
            [Button(f"meetings.remind_{choice}", f"mt:remset:{project}:{choice}")]
            for choice in REMINDER_CHOICES
        ],
        project=_project_label(ctx, project),
        current=offsets_text(offsets),
    )


async def _set_project_reminders(ctx: Context, project: str, choice: str) -> None:
    if choice not in REMINDER_CHOICES:
        ctx.reply("error.old_button")
        return
    ctx.require_coordinator(project)
    await participants.set_project_offsets(ctx.conn, project, REMINDER_CHOICES[choice])
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="meeting.reminders", now=ctx.now, project=project
    )
    for member in await memberships.members(ctx.conn, project, "participant"):
        if await participants.own_offsets(ctx.conn, member.user_id, project) is None:
            await reminders.replan_person(
                ctx.conn, member.user_id, project, now=ctx.now, tz=_tz(ctx)
            )
    offsets = await participants.project_offsets(ctx.conn, project)
    ctx.reply(
        "meetings.reminders_saved",
        project=_project_label(ctx, project),
        current=offsets_text(offsets),
    )
    common.wake_scheduler(ctx)


# --- a new meeting -----------------------------------------------------------------------------


async def start_new(ctx: Context) -> None:
    ctx.require_coordinator()
    projects = common.coordinated_projects(ctx)
    if not projects:
        ctx.reply("enrol.no_projects")
        return
    ctx.begin(NEW_FLOW)
    if len(projects) == 1:
        ctx.data["project"] = projects[0]
        ctx.goto("audience")


def _expect(ctx: Context, prefix: str) -> str:
    payload = ctx.payload or ""
    if not payload.startswith(prefix):
        raise InvalidInput("meetings.use_buttons")
    return payload[len(prefix) :]


async def _project_prompt(ctx: Context) -> None:
    ctx.reply(
        "meetings.ask_project",
        buttons=[
            [Button("people.project", f"p:{p}", {"name": _project_label(ctx, p)})]
            for p in common.coordinated_projects(ctx)
        ],
    )


async def _project_handle(ctx: Context) -> None:
    project = _expect(ctx, "p:")
    if project not in common.coordinated_projects(ctx):
        raise InvalidInput("meetings.use_buttons")
    ctx.data["project"] = project
    ctx.goto("audience")


async def _audience_prompt(ctx: Context) -> None:
    project = common.project_of(ctx.services, ctx.data["project"])
    rows = [
        [Button("people.group", f"a:group:{g.id}", {"name": str(g.name.get(ctx.locale))})]
        for g in (project.groups if project is not None else [])
    ]
    rows.append([Button("meetings.audience_all", "a:all")])
    rows.append([Button("meetings.audience_one", "a:one")])
    ctx.reply("meetings.ask_audience", buttons=rows)


async def _audience_handle(ctx: Context) -> None:
    choice = _expect(ctx, "a:")
    ctx.data["group"] = None
    ctx.data["user"] = None
    if choice == "one":
        ctx.data["page"] = 0
        ctx.goto("person")
        return
    if choice.startswith("group:"):
        group = choice.removeprefix("group:")
        if common.group_of(ctx.services, ctx.data["project"], group) is None:
            raise InvalidInput("meetings.use_buttons")
        ctx.data["group"] = group
    elif choice != "all":
        raise InvalidInput("meetings.use_buttons")
    ctx.goto("repeat")


async def _person_prompt(ctx: Context) -> None:
    members = await memberships.members(ctx.conn, ctx.data["project"], "participant")
    page = int(ctx.data.get("page", 0))
    shown = members[page * PEOPLE_PAGE : (page + 1) * PEOPLE_PAGE]
    if not members:
        ctx.end()
        ctx.reply("meetings.no_participants")
        return
    rows = [
        [Button("people.person", f"u:{m.user_id}", {"name": await common.label_of(ctx, m.user_id)})]
        for m in shown
    ]
    if len(members) > (page + 1) * PEOPLE_PAGE:
        rows.append([Button("meetings.more", "more")])
    ctx.reply("meetings.ask_person", buttons=rows)


async def _person_handle(ctx: Context) -> None:
    if ctx.payload == "more":
        ctx.data["page"] = int(ctx.data.get("page", 0)) + 1
        ctx.goto("person")
        return
    user_id = _expect(ctx, "u:")
    members = await memberships.members(ctx.conn, ctx.data["project"], "participant")
    if user_id not in {m.user_id for m in members}:
        raise InvalidInput("meetings.use_buttons")
    ctx.data["user"] = user_id
    ctx.goto("repeat")


def _rhythm(ctx: Context) -> Any:
    group = common.group_of(ctx.services, ctx.data["project"], ctx.data.get("group"))
    return group.rhythm if group is not None and group.rhythm.rrule else None


async def _repeat_prompt(ctx: Context) -> None:
    rows = []
    rhythm = _rhythm(ctx)
    if rhythm is not None:
        rows.append(
            [
                Button(
                    "meetings.repeat_rhythm",
                    "r:rhythm",
                    {"rhythm": str(rhythm.description.get(ctx.locale))},
                )
            ]
        )
    rows += [[Button(f"meetings.repeat_{kind}", f"r:{kind}")] for kind in KINDS]
    ctx.reply("meetings.ask_repeat", buttons=rows)


async def _repeat_handle(ctx: Context) -> None:
    choice = _expect(ctx, "r:")
    if choice not in KINDS and not (choice == "rhythm" and _rhythm(ctx) is not None):
        raise InvalidInput("meetings.use_buttons")
    ctx.data["repeat"] = choice
    rhythm = _rhythm(ctx) if choice == "rhythm" else None
    ctx.goto("anchor" if rhythm is not None and rhythm.anchor is not None else "start")


async def _anchor_prompt(ctx: Context) -> None:
    rhythm = _rhythm(ctx)
    ctx.reply("meetings.ask_anchor", event=str(rhythm.anchor.name.get(ctx.locale)))


async def _anchor_handle(ctx: Context) -> None:
    try:
        day = parse_date(ctx.text or "", now=ctx.now, tz=_tz(ctx))
    except DateTimeInputError as error:
        raise InvalidInput(f"datetime.{error.reason.value}") from error
    ctx.data["anchor"] = day.isoformat()
    ctx.goto("start")


def _anchor_window(ctx: Context) -> tuple[dt.date, dt.date] | None:
    if "anchor" not in ctx.data or ctx.data.get("repeat") != "rhythm":
        return None
    rhythm = _rhythm(ctx)
    event = dt.date.fromisoformat(ctx.data["anchor"])
    first, last = rhythm.anchor.offset_days
    return event + dt.timedelta(days=first), event + dt.timedelta(days=last)


async def _start_prompt(ctx: Context) -> None:
    window = _anchor_window(ctx)
    if window is not None:
        ctx.reply("meetings.ask_start_window", first=Day(window[0]), last=Day(window[1]))
    else:
        ctx.reply("meetings.ask_start")


async def _start_handle(ctx: Context) -> None:
    tz = _tz(ctx)
    try:
        start = parse_datetime(ctx.text or "", now=ctx.now, tz=tz)
    except DateTimeInputError as error:
        raise InvalidInput(f"datetime.{error.reason.value}") from error
    window = _anchor_window(ctx)
    if window is not None and not window[0] <= start.date() <= window[1]:
        raise InvalidInput(
            "meetings.start_outside_window", first=Day(window[0]), last=Day(window[1])
        )
    ctx.data["start"] = start.isoformat()
    repeat = ctx.data["repeat"]
    if repeat == "once":
        ctx.data["rule"] = None
        ctx.goto("duration")
        return
    if repeat == "rhythm":
        rhythm = _rhythm(ctx)
        until = dt.date.fromisoformat(ctx.data["anchor"]) if "anchor" in ctx.data else None
        template = rhythm.rrule.upper()
        if "COUNT=" in template or "UNTIL=" in template or until is not None:
            ctx.data["rule"] = _rule(ctx, None, until)
            ctx.goto("duration")
            return
    ctx.goto("end")


def _start(ctx: Context) -> dt.datetime:
    return dt.datetime.fromisoformat(ctx.data["start"]).astimezone(_tz(ctx))


def _rule(ctx: Context, count: int | None, until: dt.date | None) -> str | None:
    """The RRULE for the chosen repeat, start and end; InvalidInput when it cannot be."""
    tz = _tz(ctx)
    start = _start(ctx)
    repeat = ctx.data["repeat"]
    try:
        if repeat != "rhythm":
            return build_rule(KINDS[repeat], start, tz, count=count, until=until)
        template = _rhythm(ctx).rrule.upper()
        parts = dict(part.split("=", 1) for part in template.split(";"))
        if parts.get("FREQ") == "MONTHLY" and not {"BYDAY", "BYMONTHDAY"} & set(parts):
            # "once a month" for a group means e.g. the 2nd Tuesday, not the 14th day.
            template_count = int(parts["COUNT"]) if "COUNT" in parts else None
            return build_rule(
                RepeatKind.MONTHLY_NTH_WEEKDAY,
                start,
                tz,
                count=count or template_count,
                until=until if count is None and template_count is None else None,
            )
        if count is not None and "COUNT" not in parts:
            template += f";COUNT={count}"
        if until is not None and "COUNT" not in parts and "UNTIL" not in parts:
            template += f";UNTIL={until.strftime('%Y%m%d')}"
        return normalize_rule(template, start, tz)
    except RecurrenceError as error:
        raise InvalidInput(f"rule.{error.reason.value}", max=MAX_COUNT) from error


async def _end_prompt(ctx: Context) -> None:
    ctx.reply("meetings.ask_end", buttons=[[Button("meetings.no_end", "open")]])


async def _end_handle(ctx: Context) -> None:
    if ctx.payload == "open":
        ctx.data["rule"] = _rule(ctx, None, None)
        ctx.goto("duration")
        return
    text = (ctx.text or "").strip()
    if text.isdigit():
        ctx.data["rule"] = _rule(ctx, int(text), None)
    else:
        try:
            until = parse_date(text, now=ctx.now, tz=_tz(ctx))
        except DateTimeInputError as error:
            raise InvalidInput("meetings.end_invalid") from error
        ctx.data["rule"] = _rule(ctx, None, until)
    ctx.goto("duration")


async def _duration_prompt(ctx: Context) -> None:
    rhythm = _rhythm(ctx) if ctx.data.get("repeat") == "rhythm" else None
    if rhythm is not None and rhythm.duration_minutes:
        ctx.data["duration"] = rhythm.duration_minutes
        ctx.goto("title")
        return
    ctx.reply(
        "meetings.ask_duration",
        buttons=[[Button("meetings.minutes", f"min:{m}", {"minutes": m}) for m in DURATIONS]],
    )


async def _duration_handle(ctx: Context) -> None:
    ctx.data["duration"] = _minutes(ctx)
    ctx.goto("title")


def _default_title(ctx: Context) -> str | None:
    return common.group_name(ctx.services, ctx.data["project"], ctx.data.get("group"), ctx.locale)


async def _title_prompt(ctx: Context) -> None:
    default = _default_title(ctx)
    buttons = [[Button("meetings.use_title", "default", {"title": default})]] if default else []
    ctx.reply("meetings.ask_title", buttons=buttons)


async def _title_handle(ctx: Context) -> None:
    if ctx.payload == "default" and _default_title(ctx):
        title = _default_title(ctx)
    else:
        title = (ctx.text or "").strip()
    if not title:
        raise InvalidInput("meetings.title_expected")
    if len(title) > TITLE_LIMIT:
        raise InvalidInput("meetings.too_long", limit=TITLE_LIMIT)
    ctx.data["title"] = title
    ctx.goto("place")


def is_link(text: str) -> bool:
    return text.startswith(("https://", "http://")) and " " not in text and len(text) > 10


async def _place_prompt(ctx: Context) -> None:
    ctx.reply("meetings.ask_place", buttons=[[Button("meetings.skip", "skip")]])


async def _place_handle(ctx: Context) -> None:
    ctx.data["place"] = ""
    ctx.data["link"] = ""
    if ctx.payload != "skip":
        text = (ctx.text or "").strip()
        if not text:
            raise InvalidInput("meetings.place_expected")
        if len(text) > PLACE_LIMIT:
            raise InvalidInput("meetings.too_long", limit=PLACE_LIMIT)
        ctx.data["link" if is_link(text) else "place"] = text
    ctx.goto("note")


async def _note_prompt(ctx: Context) -> None:
    ctx.reply("meetings.ask_note", buttons=[[Button("meetings.skip", "skip")]])


async def _note_handle(ctx: Context) -> None:
    note = "" if ctx.payload == "skip" else (ctx.text or "").strip()
    if ctx.payload != "skip" and not note:
        raise InvalidInput("meetings.note_expected")
    if len(note) > NOTE_LIMIT:
        raise InvalidInput("meetings.too_long", limit=NOTE_LIMIT)
    ctx.data["note"] = note
    ctx.goto("confirm")


def _draft(ctx: Context) -> Meeting:
    """The meeting being planned, as a (not yet stored) :class:`Meeting` for display."""
    start = _start(ctx)
    return Meeting(
        id=0,
        uid="",
        project=ctx.data["project"],
        group=ctx.data.get("group"),
        user_id=ctx.data.get("user"),
        title=ctx.data["title"],
        dtstart_local=start.replace(tzinfo=None),
        rule=ctx.data.get("rule"),
        duration=dt.timedelta(minutes=int(ctx.data["duration"])),
        place=ctx.data.get("place", ""),
        link=ctx.data.get("link", ""),
        note=ctx.data.get("note", ""),
        first_start=start,
        last_start=None,
        materialized_until=start,
        cancelled=False,
    )


async def _audience_text(ctx: Context, meeting: Meeting) -> Param:
    if meeting.user_id is not None:
        return Text("meetings.for_person", {"name": await common.label_of(ctx, meeting.user_id)})
    group = common.group_name(ctx.services, meeting.project, meeting.group, ctx.locale)
    return Text("meetings.for_group", {"group": group}) if group else Text("meetings.for_all")


async def _confirm_prompt(ctx: Context) -> None:
    draft = _draft(ctx)
    period = None
    rhythm = _rhythm(ctx) if ctx.data.get("repeat") == "rhythm" else None
    if rhythm is not None and rhythm.periods:
        number = await meeting_store.series_count(ctx.conn, draft.project, draft.group) + 1
        period = Text("meetings.period", {"number": number, "periods": rhythm.periods})
    ctx.reply(
        "meetings.summary",
        buttons=[[Button("meetings.save", "save")], [Button("meetings.discard", "discard")]],
        card=common.card(draft, draft.first_start),
        rhythm=common.describe_meeting(draft, ctx.services),
        minutes=int(draft.duration.total_seconds() // 60),
        audience=await _audience_text(ctx, draft),
        period=period or "",
    )


async def _confirm_handle(ctx: Context) -> None:
    if ctx.payload == "discard":
        ctx.end()
        ctx.reply("meetings.discarded")
        return
    if ctx.payload != "save":
        raise InvalidInput("meetings.use_buttons")
    draft = _draft(ctx)
    ctx.require_coordinator(draft.project)
    if draft.first_start <= ctx.now:
        ctx.reply("datetime.in_past")
        ctx.goto("start")
        return
    ctx.end()
    meeting, told = await save_meeting(ctx, draft)
    ctx.reply(
        "meetings.saved",
        when=When(meeting.first_start),
        rhythm=common.describe_meeting(meeting, ctx.services),
        people=told,
    )


async def save_meeting(ctx: Context, draft: Meeting) -> tuple[Meeting, int]:
    """Store a meeting, create its first occurrences, plan reminders, tell the audience."""
    tz = _tz(ctx)
    meeting = await meeting_store.create(
        ctx.conn,
        project=draft.project,
        group=draft.group,
        user_id=draft.user_id,
        title=draft.title,
        start_local=draft.start_local(tz),
        rule=draft.rule,
        duration=draft.duration,
        place=draft.place,
        link=draft.link,
        note=draft.note,
        tz=tz,
        now=ctx.now,
    )
    created = await meeting_store.materialize(
        ctx.conn, meeting, ctx.now + HORIZON, now=ctx.now, tz=tz
    )
    await reminders.plan_occurrences(ctx.conn, meeting, created, now=ctx.now, tz=tz)
    await _audit(ctx, "meeting.create", meeting)
    people = await meeting_store.audience(ctx.conn, meeting)
    for user_id in people:
        ctx.notify(
            user_id,
            "participant.meeting_new",
            card=common.card(meeting, meeting.first_start),
            rhythm=common.describe_meeting(meeting, ctx.services),
        )
    common.wake_scheduler(ctx)
    return meeting, len(people)


# --- changing a meeting ------------------------------------------------------------------------


async def _edit_target(ctx: Context) -> tuple[Occurrence, Meeting]:
    found = await meeting_store.occurrence(ctx.conn, int(ctx.data["occ"]))
    if found is None:
        ctx.end()
        raise InvalidInput("error.old_button")
    ctx.require_coordinator(found[1].project)
    return found


async def _value_prompt(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    what = ctx.data["what"]
    if what == "move":
        ctx.reply("meetings.ask_move", when=When(occurrence.start))
    elif what == "time":
        ctx.reply("meetings.ask_series_time", title=meeting.title, when=When(occurrence.start))
    elif what == "title":
        ctx.reply("meetings.ask_new_title", title=meeting.title)
    elif what == "length":
        ctx.reply(
            "meetings.ask_new_duration",
            buttons=[[Button("meetings.minutes", f"min:{m}", {"minutes": m}) for m in DURATIONS]],
            minutes=int(meeting.duration.total_seconds() // 60),
        )
    elif what == "place":
        ctx.reply("meetings.ask_new_place", buttons=[[Button("meetings.clear", "clear")]])
    else:
        ctx.reply("meetings.ask_new_note", buttons=[[Button("meetings.clear", "clear")]])


async def _tell(
    ctx: Context,
    meeting: Meeting,
    key: str,
    people: list[str] | None = None,
    *,
    buttons: tuple[tuple[Button, ...], ...] = (),
    **params: Param,
) -> int:
    """Tell everyone the meeting is for (or ``people``); returns how many."""
    audience = people if people is not None else await meeting_store.audience(ctx.conn, meeting)
    for user_id in audience:
        ctx.notices.append(Notice(user_id, Reply(key, dict(params), buttons)))
    return len(audience)


async def _value_handle(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    what = ctx.data["what"]
    tz = _tz(ctx)
    if what == "move":
        try:
            start = parse_datetime(ctx.text or "", now=ctx.now, tz=tz)
        except DateTimeInputError as error:
            raise InvalidInput(f"datetime.{error.reason.value}") from error
        new_start = start.astimezone(dt.UTC)
        await meeting_store.move_occurrence(ctx.conn, occurrence, meeting, new_start)
        await _audit(ctx, "meeting.move", meeting, occurrence)
        await participants.clear_rsvps(ctx.conn, occurrence.id)
        await reminders.drop_pending(ctx.conn, occurrence_id=occurrence.id, kinds=("check_in",))
        moved = (await meeting_store.occurrence(ctx.conn, occurrence.id) or (occurrence,))[0]
        await reminders.replan_occurrence(ctx.conn, moved, meeting, now=ctx.now, tz=tz)
        told = await _tell(
            ctx,
            meeting,
            "participant.meeting_moved",
            old=When(occurrence.start),
            card=common.occurrence_card(moved, meeting),
            buttons=rsvp_buttons(moved.id),
        )
        ctx.end()
        ctx.reply("meetings.moved", when=When(new_start), people=told)
        common.wake_scheduler(ctx)
        return
    if what == "time":
        await _retime_series(ctx, occurrence, meeting)
        return
    if what == "length":
        await _change_length(ctx, meeting)
        return
    clear = ctx.payload == "clear" and what != "title"
    text = "" if clear else (ctx.text or "").strip()
    if what == "title":
        if not text:
            raise InvalidInput("meetings.title_expected")
        if len(text) > TITLE_LIMIT:
            raise InvalidInput("meetings.too_long", limit=TITLE_LIMIT)
    if not clear and not text:
        raise InvalidInput(
            "meetings.place_expected" if what == "place" else "meetings.note_expected"
        )
    limit = PLACE_LIMIT if what == "place" else NOTE_LIMIT
    if len(text) > limit:
        raise InvalidInput("meetings.too_long", limit=limit)
    if what == "title":
        await meeting_store.update_details(ctx.conn, meeting.id, now=ctx.now, title=text)
    elif what == "place":
        # A link replaces the link, a place the place; "clear" removes both.
        if clear:
            place, link = "", ""
        elif is_link(text):
            place, link = meeting.place, text
        else:
            place, link = text, meeting.link
        await meeting_store.update_details(
            ctx.conn, meeting.id, now=ctx.now, place=place, link=link
        )
    else:
        await meeting_store.update_details(ctx.conn, meeting.id, now=ctx.now, note=text)
    await _audit(ctx, "meeting.change", meeting, occurrence)
    upcoming = await meeting_store.future_occurrences(ctx.conn, meeting.id, ctx.now)
    await _changed(ctx, meeting, upcoming)


async def _changed(ctx: Context, meeting: Meeting, upcoming: list[Occurrence]) -> None:
    """Tell the audience the meeting's details changed (with the next one's card)."""
    updated = await meeting_store.get(ctx.conn, meeting.id)
    assert updated is not None
    told = 0
    if upcoming:
        told = await _tell(
            ctx,
            updated,
            "participant.meeting_changed",
            card=common.occurrence_card(upcoming[0], updated),
            rhythm=common.describe_meeting(updated, ctx.services),
        )
    ctx.end()
    ctx.reply("meetings.changed", people=told)


def _minutes(ctx: Context) -> int:
    """Minutes from a button or typed ("90", "90 min"); the same rule as a new meeting's."""
    if ctx.payload is not None:
        value = _expect(ctx, "min:")
    else:
        value = (ctx.text or "").strip().removesuffix("min").strip()
    if not value.isdigit() or not 1 <= int(value) <= 1440:
        raise InvalidInput("meetings.duration_invalid")
    return int(value)


async def _change_length(ctx: Context, meeting: Meeting) -> None:
    duration = dt.timedelta(minutes=_minutes(ctx))
    changed = await meeting_store.change_duration(ctx.conn, meeting, duration, ctx.now)
    await _audit(ctx, "meeting.change", meeting)
    updated = await meeting_store.get(ctx.conn, meeting.id)
    assert updated is not None
    for item in changed:  # the question after the meeting moves with its end
        await reminders.replan_occurrence(ctx.conn, item, updated, now=ctx.now, tz=_tz(ctx))
    await _changed(ctx, updated, changed)
    common.wake_scheduler(ctx)


async def _retime_series(ctx: Context, occurrence: Occurrence, meeting: Meeting) -> None:
    """The series' meetings from this one on move to a new time of day (same days)."""
    tz = _tz(ctx)
    try:
        clock = parse_time(ctx.text or "")
        day = occurrence.recurrence_id.astimezone(tz).date()
        new_start = localize(day, clock, tz)
    except DateTimeInputError as error:
        if error.reason is DateTimeProblem.UNRECOGNISED:
            raise InvalidInput("meetings.time_expected") from error
        raise InvalidInput(f"datetime.{error.reason.value}") from error
    if meeting.rule is None or meeting.cancelled or occurrence.start <= ctx.now:
        ctx.end()
        raise InvalidInput("error.old_button")
    if new_start <= ctx.now:
        raise InvalidInput("datetime.in_past")
    people = await meeting_store.audience(ctx.conn, meeting)
    continued, created = await meeting_store.retime_series(
        ctx.conn, meeting, occurrence, new_start, tz=tz, now=ctx.now
    )
    await _audit(ctx, "meeting.series_time", meeting, occurrence)
    await reminders.plan_occurrences(ctx.conn, continued, created, now=ctx.now, tz=tz)
    ctx.end()
    if not created:
        ctx.reply("meetings.series_time_changed_none")
        return
    told = await _tell(
        ctx,
        continued,
        "participant.series_time_changed",
        people,
        buttons=rsvp_buttons(created[0].id),
        card=common.occurrence_card(created[0], continued),
        rhythm=common.describe_meeting(continued, ctx.services),
    )
    ctx.reply(
        "meetings.series_time_changed",
        when=When(created[0].start),
        rhythm=common.describe_meeting(continued, ctx.services),
        people=told,
    )
    common.wake_scheduler(ctx)


async def _edit_confirm_prompt(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    buttons = [[Button("meetings.yes_cancel", "yes")], [Button("meetings.no_keep", "no")]]
    if ctx.data["what"] == "stop":
        left = len(await meeting_store.future_occurrences(ctx.conn, meeting.id, ctx.now))
        ctx.reply("meetings.confirm_stop", buttons=buttons, title=meeting.title, count=left)
    else:
        ctx.reply(
            "meetings.confirm_cancel",
            buttons=buttons,
            title=meeting.title,
            when=When(occurrence.start),
        )


async def _edit_confirm_handle(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    if ctx.payload == "no":
        ctx.end()
        ctx.reply("meetings.kept")
        return
    if ctx.payload != "yes":
        raise InvalidInput("meetings.use_buttons")
    whole_series = ctx.data["what"] == "stop"
    ctx.end()
    await _cancel(ctx, occurrence, meeting, whole_series=whole_series)


async def _cancel(
    ctx: Context, occurrence: Occurrence, meeting: Meeting, *, whole_series: bool
) -> None:
    people = await meeting_store.audience(ctx.conn, meeting)
    if whole_series:
        gone = await meeting_store.cancel_series(ctx.conn, meeting.id, ctx.now)
        await _audit(ctx, "meeting.cancel_series", meeting, occurrence)
        for item in gone:
            await reminders.drop_pending(ctx.conn, occurrence_id=item.id)
        told = await _tell(
            ctx, meeting, "participant.series_cancelled", people, title=meeting.title
        )
        ctx.reply("meetings.series_cancelled", count=len(gone), people=told)
    else:
        await meeting_store.cancel_occurrence(ctx.conn, occurrence.id)
        await _audit(ctx, "meeting.cancel", meeting, occurrence)
        await reminders.drop_pending(ctx.conn, occurrence_id=occurrence.id)
        told = await _tell(
            ctx,
            meeting,
            "participant.meeting_cancelled",
            people,
            title=meeting.title,
            when=When(occurrence.start),
        )
        ctx.reply(
            "meetings.cancelled",
            buttons=[[Button("meetings.restore_button", f"mt:restore:{occurrence.id}")]],
            when=When(occurrence.start),
            people=told,
        )
    common.wake_scheduler(ctx)


async def _restore(ctx: Context, occurrence: Occurrence, meeting: Meeting) -> None:
    """Undo cancelling one meeting (a slip of the finger is cheap to mend)."""
    if not occurrence.cancelled or meeting.cancelled or occurrence.start <= ctx.now:
        ctx.reply("error.old_button")
        return
    await meeting_store.restore_occurrence(ctx.conn, occurrence.id)
    await _audit(ctx, "meeting.restore", meeting, occurrence)
    restored = (await meeting_store.occurrence(ctx.conn, occurrence.id) or (occurrence,))[0]
    await reminders.replan_occurrence(ctx.conn, restored, meeting, now=ctx.now, tz=_tz(ctx))
    told = await _tell(
        ctx,
        meeting,
        "participant.meeting_restored",
        buttons=rsvp_buttons(restored.id),
        card=common.occurrence_card(restored, meeting),
    )
    ctx.reply("meetings.restored", when=When(restored.start), people=told)
    common.wake_scheduler(ctx)


# --- offering a new time to one participant -------------------------------------------------------


async def _new_time_prompt(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    ctx.reply(
        "meetings.ask_new_time",
        name=await common.label_of(ctx, ctx.data["user"]),
        title=meeting.title,
        when=When(occurrence.start),
    )


async def _new_time_handle(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    user_id = ctx.data["user"]
    tz = _tz(ctx)
    if not await meeting_store.is_for(ctx.conn, meeting, user_id):
        ctx.end()
        ctx.reply("meetings.not_in_project")
        return
    try:
        start = parse_datetime(ctx.text or "", now=ctx.now, tz=tz)
    except DateTimeInputError as error:
        raise InvalidInput(f"datetime.{error.reason.value}") from error
    await reminders.drop_pending(
        ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("check_in",)
    )
    await _audit(ctx, "meeting.new_time", meeting, occurrence, subject=user_id)
    if meeting.user_id == user_id:
        await meeting_store.move_occurrence(ctx.conn, occurrence, meeting, start.astimezone(dt.UTC))
        await participants.clear_rsvps(ctx.conn, occurrence.id)
        target = (await meeting_store.occurrence(ctx.conn, occurrence.id) or (occurrence,))[0]
        await reminders.replan_occurrence(ctx.conn, target, meeting, now=ctx.now, tz=tz)
    else:
        personal = await meeting_store.create(
            ctx.conn,
            project=meeting.project,
            group=None,
            user_id=user_id,
            title=meeting.title,
            start_local=start,
            rule=None,
            duration=meeting.duration,
            place=meeting.place,
            link=meeting.link,
            tz=tz,
            now=ctx.now,
        )
        created = await meeting_store.materialize(
            ctx.conn, personal, ctx.now + HORIZON, now=ctx.now, tz=tz
        )
        await reminders.plan_occurrences(ctx.conn, personal, created, now=ctx.now, tz=tz)
        target = created[0]
        meeting = personal
    ctx.notify(
        user_id,
        "participant.new_time",
        buttons=[list(row) for row in rsvp_buttons(target.id)[:2]],
        card=common.occurrence_card(target, meeting),
    )
    ctx.end()
    ctx.reply("meetings.new_time_sent", when=When(target.start))
    common.wake_scheduler(ctx)


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            NEW_FLOW,
            {
                "project": Step(_project_prompt, _project_handle),
                "audience": Step(_audience_prompt, _audience_handle),
                "person": Step(_person_prompt, _person_handle),
                "repeat": Step(_repeat_prompt, _repeat_handle),
                "anchor": Step(_anchor_prompt, _anchor_handle),
                "start": Step(_start_prompt, _start_handle),
                "end": Step(_end_prompt, _end_handle),
                "duration": Step(_duration_prompt, _duration_handle),
                "title": Step(_title_prompt, _title_handle),
                "place": Step(_place_prompt, _place_handle),
                "note": Step(_note_prompt, _note_handle),
                "confirm": Step(_confirm_prompt, _confirm_handle),
            },
            "project",
        )
    )
    registry.add_flow(
        Flow(
            EDIT_FLOW,
            {
                "value": Step(_value_prompt, _value_handle),
                "confirm": Step(_edit_confirm_prompt, _edit_confirm_handle),
            },
            "value",
        )
    )
    registry.add_flow(
        Flow(NEW_TIME_FLOW, {"when": Step(_new_time_prompt, _new_time_handle)}, "when")
    )
    registry.add_command(
        Command(
            {"fi": ("tapaamiset",), "sv": ("moten",), "en": ("meetings",)},
            show_overview,
            "cmd.meetings",
            visible=common.is_coordinator,
            order=40,
        )
    )
    registry.add_global_payload("mt", meeting_button)
    registry.add_menu_entry(
        MenuEntry("menu.meetings", "cmd:tapaamiset", visible=common.is_coordinator, order=40)
    )
