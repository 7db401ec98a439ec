"""Coordinators' meetings: /tapaamiset lists the coming meetings of the coordinator's
projects with everyone's answers; each meeting opens a view with its buttons (attendance,
move, cancel, change — see :mod:`handlers.staff.meeting_edit`), and new ones are planned in
:mod:`handlers.staff.meeting_new`. Every button press checks again that the presser may coordinate
the meeting's project. Also the project's reminder settings.

A participant's "can't come" reaches the coordinators with a button to offer a new time: a
personal meeting is moved; for a group meeting a one-off personal meeting is made.
"""

from __future__ import annotations

import datetime as dt

from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import COMMAND, MEETING
from handlers.common.participation import REMINDER_CHOICES, offsets_text
from handlers.core.context import Context
from handlers.core.flow import DIGITS, NONEMPTY, Command, MenuEntry, Registry, one_of
from handlers.core.types import Button, Day, Lines, Param, Text, When
from handlers.staff.meeting_edit import restore
from handlers.staff.meeting_new import start_new
from handlers.staff.meeting_support import (
    EDIT_FLOW,
    NEW_TIME_FLOW,
    audit_change,
    private_only,
    project_label_of,
    tz_of,
)
from messages.words import command_names
from storage import audit, memberships, participants, person_refs, reminders
from storage import meetings as meeting_store
from storage.meetings import HORIZON, Meeting, Occurrence

PAGE = 8
RECENT = dt.timedelta(days=3)  # past meetings still listed (attendance can be marked)
MAX_AHEAD = dt.timedelta(days=365)  # how far ahead coordinators can page (as the .ics)
MARKS = {"attended": "meetings.mark_attended", "missed": "meetings.mark_missed"}
NEXT_MARK = {None: "attended", "attended": "missed", "missed": None}
ANSWER_KEYS = {
    "yes": "meetings.answer_yes",
    "no": "meetings.answer_no",
    "other": "meetings.answer_other",
}


# --- the overview --------------------------------------------------------------------------


async def _reach(ctx: Context, projects: list[str], until: dt.datetime) -> None:
    """Create the projects' meetings up to ``until`` (the scheduler keeps only
    :data:`HORIZON` ahead), with their reminders, so later ones can be seen and changed."""
    tz = tz_of(ctx)
    for meeting in await meeting_store.to_extend(ctx.conn, until, projects):
        await planning.materialize_and_plan(ctx.conn, meeting, until, now=ctx.now, tz=tz)


async def overview(ctx: Context, page: int = 0, days: int = HORIZON.days) -> None:
    """The coming meetings, :data:`PAGE` at a time, ``days`` ahead (more on request)."""
    ctx.require_coordinator()
    if not private_only(ctx):
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
                MEETING.button(
                    "meetings.open",
                    f"occ:{occurrence.id}",
                    params={"when": When(occurrence.start), "title": meeting.title},
                )
            ]
        )
    if more:
        buttons.append([MEETING.button("meetings.more", f"list:{page + 1}:{days}")])
    elif days < MAX_AHEAD.days:
        later = min(days + HORIZON.days, MAX_AHEAD.days)
        buttons.append(
            [
                MEETING.button(
                    "meetings.later",
                    f"list:{page}:{later}",
                    params={
                        "until": Day(
                            until.astimezone(tz_of(ctx)).date() + dt.timedelta(days=later - days)
                        )
                    },
                )
            ]
        )
    buttons.append([MEETING.button("meetings.new", "new")])
    buttons.append([COMMAND.button("menu.invite", "kutsu")])
    buttons.append([MEETING.button("meetings.reminder_settings", "remind")])
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
        buttons.append([MEETING.button("meetings.attendance_button", f"att:{oid}")])
    if occurrence.cancelled and not meeting.cancelled and occurrence.start > ctx.now:
        buttons.append([MEETING.button("meetings.restore_button", f"restore:{oid}")])
    if not occurrence.cancelled and not meeting.cancelled:
        buttons += [
            [MEETING.button("meetings.move_button", f"move:{oid}")],
            [MEETING.button("meetings.cancel_button", f"cancel:{oid}")],
            [MEETING.button("meetings.place_button", f"place:{oid}")],
            [MEETING.button("meetings.note_button", f"note:{oid}")],
            [MEETING.button("meetings.title_button", f"title:{oid}")],
            [MEETING.button("meetings.length_button", f"length:{oid}")],
        ]
        if meeting.rule is not None:
            if occurrence.start > ctx.now:
                buttons.append([MEETING.button("meetings.time_button", f"time:{oid}")])
            buttons.append([MEETING.button("meetings.stop_button", f"stop:{oid}")])
    buttons.append([MEETING.button("meetings.back", "list:0")])
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
        project=project_label_of(ctx, meeting.project),
        audience=audience,
        rhythm=common.describe_meeting(meeting, ctx.services),
        answers=Lines(tuple(lines)) if lines else Text("meetings.nobody"),
    )


# --- the "mt:" buttons ----------------------------------------------------------------------


#: The ``mt:<action>:<occurrence>`` buttons of one meeting's view.
_OCCURRENCE_ACTIONS = (
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


async def meeting_button(ctx: Context) -> None:
    """``mt:list[:PAGE[:DAYS]]``, ``mt:new``, ``mt:remind[:SLUG]``, ``mt:remset:SLUG:CHOICE``,
    ``mt:<action>:OCCURRENCE`` and ``mt:mark|newtime:OCCURRENCE:REF``; anything else is an old
    or forged button."""
    ctx.require_coordinator()
    if not private_only(ctx):
        return
    payload = ctx.payload
    listing = one_of("list")
    remind = one_of("remind")
    if (
        shown := MEETING.parse(payload, listing, DIGITS, DIGITS)
        or MEETING.parse(payload, listing, DIGITS)
        or MEETING.parse(payload, listing)
    ) is not None:
        await overview(ctx, *(int(number) for number in shown[1:]))
    elif MEETING.parse(payload, one_of("new")) is not None:
        await start_new(ctx)
    elif (
        chosen := MEETING.parse(payload, remind, NONEMPTY) or MEETING.parse(payload, remind)
    ) is not None:
        await _project_reminders(ctx, chosen[1] if len(chosen) == 2 else None)
    elif (
        setting := MEETING.parse(payload, one_of("remset"), NONEMPTY, one_of(*REMINDER_CHOICES))
    ) is not None:
        await _set_project_reminders(ctx, setting[1], setting[2])
    elif (action := MEETING.parse(payload, one_of(*_OCCURRENCE_ACTIONS), DIGITS)) is not None:
        found = await _occurrence_for_coordinator(ctx, action[1])
        if found is None:
            return
        if action[0] == "occ":
            await show_occurrence(ctx, *found)
        elif action[0] == "restore":
            await restore(ctx, *found)
        elif action[0] == "att":
            await _attendance(ctx, *found)
        else:
            at = "confirm" if action[0] in ("cancel", "stop") else None
            ctx.begin(EDIT_FLOW, at=at, occ=found[0].id, what=action[0])
    elif (about := MEETING.parse(payload, one_of("mark", "newtime"), DIGITS, NONEMPTY)) is not None:
        # The last part is the participant's reference: gone once they used /forget.
        user_id = await person_refs.user_of(ctx.conn, about[2])
        found = await _occurrence_for_coordinator(ctx, about[1]) if user_id else None
        if user_id is None:
            ctx.reply("error.old_button")
        elif found is not None and about[0] == "mark":
            await _toggle_attendance(ctx, found[0], found[1], user_id)
        elif found is not None:
            ctx.begin(NEW_TIME_FLOW, occ=found[0].id, user=user_id)
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
                MEETING.sub("mark").button(
                    MARKS.get(mark or "", "meetings.mark_none"),
                    occurrence.id,
                    await person_refs.ref_of(ctx.conn, user_id),
                    params={"name": await common.label_of(ctx, user_id)},
                )
            ]
        )
    buttons.append([MEETING.button("meetings.back_to_meeting", f"occ:{occurrence.id}")])
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
    await audit_change(ctx, "attendance.mark", meeting, occurrence, subject=user_id)
    if new == "missed":
        await planning.plan_check_in_for(ctx.conn, occurrence, user_id, now=ctx.now, tz=tz_of(ctx))
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
                    [
                        MEETING.button(
                            "people.project",
                            f"remind:{p}",
                            params={"name": project_label_of(ctx, p)},
                        )
                    ]
                    for p in projects
                ],
            )
            return
        project = projects[0]
    ctx.require_coordinator(project)
    offsets = await planning.project_offsets(ctx.conn, project)
    ctx.reply(
        "meetings.reminders",
        buttons=[
            [MEETING.button(f"meetings.remind_{choice}", f"remset:{project}:{choice}")]
            for choice in REMINDER_CHOICES
        ],
        project=project_label_of(ctx, project),
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
            await planning.replan_person(
                ctx.conn, member.user_id, project, now=ctx.now, tz=tz_of(ctx), catch_up=False
            )
    offsets = await planning.project_offsets(ctx.conn, project)
    ctx.reply(
        "meetings.reminders_saved",
        project=project_label_of(ctx, project),
        current=offsets_text(offsets),
    )
    common.wake_scheduler(ctx)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            command_names("meetings"),
            show_overview,
            "cmd.meetings",
            visible=common.is_coordinator,
            order=40,
        )
    )
    registry.add_global_payload(MEETING, meeting_button)
    registry.add_menu_entry(
        MenuEntry("menu.meetings", "cmd:tapaamiset", visible=common.is_coordinator, order=40)
    )
