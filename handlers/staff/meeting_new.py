"""Coordinators plan a new meeting: one-off or a series (weekly, every two weeks, monthly
on the nth weekday, or the group's own rhythm from content — e.g. the women's group's 13
weeks — with a count or a last day), for a group, the whole project or one participant:

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/meeting_new.md``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from content.schema import Fact, RhythmField
from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import SKIP
from handlers.common.facts import shown
from handlers.core.context import Context
from handlers.core.flow import DATE, END, NUMBER, TEXT, ButtonFamily, Flow, Registry, Step
from handlers.core.types import Day, InvalidInput, Param, Text, When
from handlers.domain.datetime_input import (
    DateTimeInputError,
    parse_date,
    parse_datetime,
)
from handlers.domain.recurrence import (
    MAX_COUNT,
    MAX_SPAN_YEARS,
    RecurrenceError,
    RepeatKind,
    build_rule,
    normalize_rule,
)
from handlers.domain.whole_numbers import CountInputError, is_digits, parse_count
from handlers.staff.meeting_support import (
    DURATIONS,
    MINUTES,
    NEW_FLOW,
    NOTE_LIMIT,
    TITLE_LIMIT,
    audit_change,
    minutes_from,
    place_or_link,
    project_label_of,
    tz_of,
)
from storage import meetings as meeting_store
from storage import memberships, person_refs
from storage.meetings import HORIZON, Meeting

PEOPLE_PAGE = 15


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    PROJECT = "project"
    AUDIENCE = "audience"
    PERSON = "person"
    REPEAT = "repeat"
    ANCHOR = "anchor"
    START = "start"
    UNTIL = "end"  # the last meeting of a series
    DURATION = "duration"
    TITLE = "title"
    PLACE = "place"
    NOTE = "note"
    CONFIRM = "confirm"


PROJECT = ButtonFamily("p")  # p:<slug>
AUDIENCE = ButtonFamily("a")  # a:group:<group>, a:all, a:one
PERSON = ButtonFamily("u")  # u:<person ref>
MORE = ButtonFamily("more")
REPEAT = ButtonFamily("r")  # r:<kind>, r:rhythm
NO_END = ButtonFamily("open")
DEFAULT_TITLE = ButtonFamily("default")
SAVE = ButtonFamily("save")
DISCARD = ButtonFamily("discard")
KINDS = {
    "once": RepeatKind.ONCE,
    "weekly": RepeatKind.WEEKLY,
    "biweekly": RepeatKind.BIWEEKLY,
    "monthly": RepeatKind.MONTHLY_NTH_WEEKDAY,
}


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
        ctx.goto(S.AUDIENCE)


async def _project_prompt(ctx: Context) -> None:
    ctx.reply(
        "meetings.ask_project",
        buttons=[
            [PROJECT.button("people.project", p, params={"name": project_label_of(ctx, p)})]
            for p in common.coordinated_projects(ctx)
        ],
    )


async def _project_handle(ctx: Context) -> None:
    project = ctx.button(PROJECT)
    if project not in common.coordinated_projects(ctx):
        raise ctx.use_buttons()
    ctx.data["project"] = project
    ctx.goto(S.AUDIENCE)


async def _audience_prompt(ctx: Context) -> None:
    project = common.project_of(ctx.services, ctx.data["project"])
    rows = [
        [
            AUDIENCE.button(
                "people.group", f"group:{g.id}", params={"name": str(g.name.get(ctx.locale))}
            )
        ]
        for g in (project.groups if project is not None else [])
    ]
    rows.append([AUDIENCE.button("meetings.audience_all", "all")])
    rows.append([AUDIENCE.button("meetings.audience_one", "one")])
    ctx.reply("meetings.ask_audience", buttons=rows)


async def _audience_handle(ctx: Context) -> None:
    choice = ctx.button(AUDIENCE)
    ctx.data["group"] = None
    ctx.data["user"] = None
    if choice == "one":
        ctx.data["page"] = 0
        ctx.goto(S.PERSON)
        return
    if choice.startswith("group:"):
        group = choice.removeprefix("group:")
        if common.group_of(ctx.services, ctx.data["project"], group) is None:
            raise ctx.use_buttons()
        ctx.data["group"] = group
    elif choice != "all":
        raise ctx.use_buttons()
    ctx.goto(S.REPEAT)


async def _person_prompt(ctx: Context) -> None:
    members = await memberships.members(ctx.conn, ctx.data["project"], "participant")
    page = int(ctx.data.get("page", 0))
    shown = members[page * PEOPLE_PAGE : (page + 1) * PEOPLE_PAGE]
    if not members:
        ctx.end()
        ctx.reply("meetings.no_participants")
        return
    rows = [
        [
            PERSON.button(
                "people.person",
                await person_refs.ref_of(ctx.conn, m.user_id),
                params={"name": await common.label_of(ctx, m.user_id)},
            )
        ]
        for m in shown
    ]
    if len(members) > (page + 1) * PEOPLE_PAGE:
        rows.append([MORE.button("meetings.more")])
    ctx.reply("meetings.ask_person", buttons=rows)


async def _person_handle(ctx: Context) -> None:
    if ctx.pressed(MORE):
        ctx.data["page"] = int(ctx.data.get("page", 0)) + 1
        ctx.goto(S.PERSON)
        return
    user_id = await person_refs.user_of(ctx.conn, ctx.button(PERSON))
    members = await memberships.members(ctx.conn, ctx.data["project"], "participant")
    if user_id not in {m.user_id for m in members}:
        raise ctx.use_buttons()
    ctx.data["user"] = user_id
    ctx.goto(S.REPEAT)


def _rhythm(ctx: Context) -> Any:
    group = common.group_of(ctx.services, ctx.data["project"], ctx.data.get("group"))
    return group.rhythm if group is not None and group.rhythm.rrule else None


def _rhythm_fact(ctx: Context, value: Param, *fields: RhythmField) -> Fact[Param]:
    """``value`` made from the group rhythm's ``fields``, with their check flag."""
    project = common.project_of(ctx.services, ctx.data["project"])
    group = common.group_of(ctx.services, ctx.data["project"], ctx.data.get("group"))
    if project is None or group is None:
        return Fact(value)
    fact: Fact[Param] = project.rhythm_fact(group, value, *fields)
    return fact


async def _repeat_prompt(ctx: Context) -> None:
    rows = []
    rhythm = _rhythm(ctx)
    if rhythm is not None:
        rows.append(
            [
                REPEAT.button(
                    "meetings.repeat_rhythm",
                    "rhythm",
                    params={
                        "rhythm": shown(
                            _rhythm_fact(
                                ctx, str(rhythm.description.get(ctx.locale)), "description", "rrule"
                            ),
                            ctx.locale,
                            label=True,
                        )
                    },
                )
            ]
        )
    rows += [[REPEAT.button(f"meetings.repeat_{kind}", kind)] for kind in KINDS]
    ctx.reply("meetings.ask_repeat", buttons=rows)


async def _repeat_handle(ctx: Context) -> None:
    choice = ctx.button(REPEAT)
    if choice not in KINDS and not (choice == "rhythm" and _rhythm(ctx) is not None):
        raise ctx.use_buttons()
    ctx.data["repeat"] = choice
    rhythm = _rhythm(ctx) if choice == "rhythm" else None
    ctx.goto(S.ANCHOR if rhythm is not None and rhythm.anchor is not None else S.START)


async def _anchor_prompt(ctx: Context) -> None:
    rhythm = _rhythm(ctx)
    ctx.reply("meetings.ask_anchor", event=str(rhythm.anchor.name.get(ctx.locale)))


async def _anchor_handle(ctx: Context) -> None:
    try:
        day = parse_date(ctx.text or "", now=ctx.now, tz=tz_of(ctx))
    except DateTimeInputError as error:
        raise InvalidInput(f"datetime.{error.reason.value}") from error
    ctx.data["anchor"] = day.isoformat()
    ctx.goto(S.START)


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
        last = shown(_rhythm_fact(ctx, Day(window[1]), "anchor"), ctx.locale)
        ctx.reply("meetings.ask_start_window", first=Day(window[0]), last=last)
    else:
        ctx.reply("meetings.ask_start")


async def _start_handle(ctx: Context) -> None:
    tz = tz_of(ctx)
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
        ctx.goto(S.DURATION)
        return
    if repeat == "rhythm":
        rhythm = _rhythm(ctx)
        until = dt.date.fromisoformat(ctx.data["anchor"]) if "anchor" in ctx.data else None
        template = rhythm.rrule.upper()
        if "COUNT=" in template or "UNTIL=" in template or until is not None:
            ctx.data["rule"] = _rule(ctx, None, until)
            ctx.goto(S.DURATION)
            return
    ctx.goto(S.UNTIL)


def _start(ctx: Context) -> dt.datetime:
    return dt.datetime.fromisoformat(ctx.data["start"]).astimezone(tz_of(ctx))


def _rule(ctx: Context, count: int | None, until: dt.date | None) -> str | None:
    """The RRULE for the chosen repeat, start and end; InvalidInput when it cannot be."""
    tz = tz_of(ctx)
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
        raise InvalidInput(
            f"rule.{error.reason.value}", max=MAX_COUNT, years=MAX_SPAN_YEARS
        ) from error


async def _end_prompt(ctx: Context) -> None:
    ctx.reply("meetings.ask_end", buttons=[[NO_END.button("meetings.no_end")]])


async def _end_handle(ctx: Context) -> None:
    if ctx.pressed(NO_END):
        ctx.data["rule"] = _rule(ctx, None, None)
        ctx.goto(S.DURATION)
        return
    text = (ctx.text or "").strip()
    if is_digits(text):
        try:
            count = parse_count(text, minimum=1, maximum=MAX_COUNT)
        except CountInputError as error:
            raise InvalidInput("rule.count_out_of_range", max=MAX_COUNT) from error
        ctx.data["rule"] = _rule(ctx, count, None)
    else:
        try:
            until = parse_date(text, now=ctx.now, tz=tz_of(ctx))
        except DateTimeInputError as error:
            raise InvalidInput("meetings.end_invalid") from error
        ctx.data["rule"] = _rule(ctx, None, until)
    ctx.goto(S.DURATION)


async def _duration_prompt(ctx: Context) -> None:
    rhythm = _rhythm(ctx) if ctx.data.get("repeat") == "rhythm" else None
    default: Fact[Param] | None = None
    if rhythm is not None and rhythm.duration_minutes:
        minutes = int(rhythm.duration_minutes)
        default = _rhythm_fact(
            ctx, Text("meetings.minutes", {"minutes": minutes}), "duration_minutes"
        )
        if not default.unconfirmed:
            ctx.data["duration"] = minutes
            ctx.goto(S.TITLE)
            return
    # An unconfirmed default is offered first, with its caveat, not taken silently.
    row = [MINUTES.button("meetings.minutes", m, params={"minutes": m}) for m in DURATIONS]
    if default is not None and rhythm is not None:
        minutes = int(rhythm.duration_minutes)
        row = [
            MINUTES.button(
                "applicant.option",
                minutes,
                params={"label": shown(default, ctx.locale, label=True)},
            ),
            *[button for button, m in zip(row, DURATIONS, strict=True) if m != minutes],
        ]
    ctx.reply("meetings.ask_duration", buttons=[row])


async def _duration_handle(ctx: Context) -> None:
    ctx.data["duration"] = minutes_from(ctx)
    ctx.goto(S.TITLE)


def _default_title(ctx: Context) -> str | None:
    return common.group_name(ctx.services, ctx.data["project"], ctx.data.get("group"), ctx.locale)


async def _title_prompt(ctx: Context) -> None:
    default = _default_title(ctx)
    buttons = (
        [[DEFAULT_TITLE.button("meetings.use_title", params={"title": default})]] if default else []
    )
    ctx.reply("meetings.ask_title", buttons=buttons)


async def _title_handle(ctx: Context) -> None:
    if ctx.pressed(DEFAULT_TITLE) and _default_title(ctx):
        title = _default_title(ctx)
    else:
        title = (ctx.text or "").strip()
    if not title:
        raise InvalidInput("meetings.title_expected")
    if not any(char.isalpha() for char in title):  # a stray "1" is not a name
        raise InvalidInput("meetings.title_letters")
    if len(title) > TITLE_LIMIT:
        raise InvalidInput("meetings.too_long", limit=TITLE_LIMIT)
    ctx.data["title"] = title
    ctx.goto(S.PLACE)


async def _place_prompt(ctx: Context) -> None:
    ctx.reply("meetings.ask_place", buttons=[[SKIP.button("meetings.skip")]])


async def _place_handle(ctx: Context) -> None:
    ctx.data["place"] = ""
    ctx.data["link"] = ""
    if not ctx.pressed(SKIP):
        text = (ctx.text or "").strip()
        if not text:
            raise InvalidInput("meetings.place_expected")
        kind, value = place_or_link(text)
        ctx.data[kind] = value
    ctx.goto(S.NOTE)


async def _note_prompt(ctx: Context) -> None:
    ctx.reply("meetings.ask_note", buttons=[[SKIP.button("meetings.skip")]])


async def _note_handle(ctx: Context) -> None:
    note = "" if ctx.pressed(SKIP) else (ctx.text or "").strip()
    if not ctx.pressed(SKIP) and not note:
        raise InvalidInput("meetings.note_expected")
    if len(note) > NOTE_LIMIT:
        raise InvalidInput("meetings.too_long", limit=NOTE_LIMIT)
    ctx.data["note"] = note
    ctx.goto(S.CONFIRM)


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
    period: Param | None = None
    rhythm = _rhythm(ctx) if ctx.data.get("repeat") == "rhythm" else None
    if rhythm is not None and rhythm.periods:
        number = await meeting_store.series_count(ctx.conn, draft.project, draft.group) + 1
        period = shown(
            _rhythm_fact(
                ctx,
                Text("meetings.period", {"number": number, "periods": rhythm.periods}),
                "periods",
            ),
            ctx.locale,
        )
    ctx.reply(
        "meetings.summary",
        buttons=[[SAVE.button("meetings.save")], [DISCARD.button("meetings.discard")]],
        card=common.card(draft, draft.first_start),
        rhythm=common.describe_meeting(draft, ctx.services),
        minutes=int(draft.duration.total_seconds() // 60),
        audience=await _audience_text(ctx, draft),
        period=period or "",
    )


async def _confirm_handle(ctx: Context) -> None:
    if ctx.pressed(DISCARD):
        ctx.end()
        ctx.reply("meetings.discarded")
        return
    if not ctx.pressed(SAVE):
        raise ctx.use_buttons()
    draft = _draft(ctx)
    ctx.require_coordinator(draft.project)
    if draft.first_start <= ctx.now:
        ctx.reply("datetime.in_past")
        ctx.goto(S.START)
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
    tz = tz_of(ctx)
    meeting = await planning.create(
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
    await planning.materialize_and_plan(ctx.conn, meeting, ctx.now + HORIZON, now=ctx.now, tz=tz)
    await audit_change(ctx, "meeting.create", meeting)
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


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            NEW_FLOW,
            {
                S.PROJECT: Step(
                    _project_prompt, _project_handle, accepts={PROJECT}, goes_to={S.AUDIENCE}
                ),
                S.AUDIENCE: Step(
                    _audience_prompt,
                    _audience_handle,
                    accepts={AUDIENCE},
                    goes_to={S.PERSON, S.REPEAT},
                ),
                S.PERSON: Step(
                    _person_prompt,
                    _person_handle,
                    accepts={PERSON, MORE},
                    goes_to={S.PERSON, S.REPEAT, END},
                ),
                S.REPEAT: Step(
                    _repeat_prompt,
                    _repeat_handle,
                    accepts={REPEAT},
                    goes_to={S.ANCHOR, S.START},
                ),
                S.ANCHOR: Step(_anchor_prompt, _anchor_handle, accepts={DATE}, goes_to={S.START}),
                S.START: Step(
                    _start_prompt,
                    _start_handle,
                    accepts={DATE},
                    goes_to={S.UNTIL, S.DURATION},
                ),
                S.UNTIL: Step(
                    _end_prompt,
                    _end_handle,
                    accepts={NUMBER, DATE, NO_END},
                    goes_to={S.DURATION},
                ),
                S.DURATION: Step(
                    _duration_prompt,
                    _duration_handle,
                    accepts={NUMBER, MINUTES},
                    goes_to={S.TITLE},
                ),
                S.TITLE: Step(
                    _title_prompt,
                    _title_handle,
                    accepts={TEXT, DEFAULT_TITLE},
                    goes_to={S.PLACE},
                ),
                S.PLACE: Step(_place_prompt, _place_handle, accepts={TEXT, SKIP}, goes_to={S.NOTE}),
                S.NOTE: Step(_note_prompt, _note_handle, accepts={TEXT, SKIP}, goes_to={S.CONFIRM}),
                S.CONFIRM: Step(
                    _confirm_prompt,
                    _confirm_handle,
                    accepts={SAVE, DISCARD},
                    goes_to={S.START, END},
                ),
            },
            S.PROJECT,
            use_buttons="meetings.use_buttons",
        )
    )
