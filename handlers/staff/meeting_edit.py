"""Changing one meeting or the whole series (everyone it is for is told):

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
from enum import StrEnum

from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import MEETING, NO, YES
from handlers.common.participation import rsvp_buttons
from handlers.core.context import Context
from handlers.core.flow import DATE, END, NUMBER, TEXT, ButtonFamily, Flow, Registry, Step
from handlers.core.types import InvalidInput, When
from handlers.domain.datetime_input import (
    DateTimeInputError,
    DateTimeProblem,
    localize,
    parse_datetime,
    parse_time,
)
from handlers.domain.recurrence import MAX_COUNT, MAX_SPAN_YEARS, RecurrenceError
from handlers.staff.meeting_support import (
    DURATIONS,
    EDIT_FLOW,
    MINUTES,
    NEW_TIME_FLOW,
    NOTE_LIMIT,
    TITLE_LIMIT,
    audit_change,
    minutes_from,
    place_or_link,
    tell_audience,
    tz_of,
)
from storage import meetings as meeting_store
from storage import participants, reminders
from storage.meetings import HORIZON, Meeting, Occurrence


class S(StrEnum):
    """The steps of both flows (their names are stored in conversations)."""

    VALUE = "value"
    CONFIRM = "confirm"
    WHEN = "when"


CLEAR = ButtonFamily("clear")

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
            buttons=[
                [MINUTES.button("meetings.minutes", m, params={"minutes": m}) for m in DURATIONS]
            ],
            minutes=int(meeting.duration.total_seconds() // 60),
        )
    elif what == "place":
        ctx.reply("meetings.ask_new_place", buttons=[[CLEAR.button("meetings.clear")]])
    else:
        ctx.reply("meetings.ask_new_note", buttons=[[CLEAR.button("meetings.clear")]])


async def _value_handle(ctx: Context) -> None:
    occurrence, meeting = await _edit_target(ctx)
    what = ctx.data["what"]
    tz = tz_of(ctx)
    if what == "move":
        try:
            start = parse_datetime(ctx.text or "", now=ctx.now, tz=tz)
        except DateTimeInputError as error:
            raise InvalidInput(f"datetime.{error.reason.value}") from error
        new_start = start.astimezone(dt.UTC)
        await meeting_store.move_occurrence(ctx.conn, occurrence, meeting, new_start)
        await audit_change(ctx, "meeting.move", meeting, occurrence)
        await participants.clear_rsvps(ctx.conn, occurrence.id)
        await reminders.drop_pending(ctx.conn, occurrence_id=occurrence.id, kinds=("check_in",))
        moved = (await meeting_store.occurrence(ctx.conn, occurrence.id) or (occurrence,))[0]
        await planning.replan_occurrence(ctx.conn, moved, meeting, now=ctx.now, tz=tz)
        told = await tell_audience(
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
    clear = ctx.pressed(CLEAR) and what != "title"
    text = "" if clear else (ctx.text or "").strip()
    if what == "title":
        if not text:
            raise InvalidInput("meetings.title_expected")
        if not any(char.isalpha() for char in text):  # a stray "1" is not a name
            raise InvalidInput("meetings.title_letters")
        if len(text) > TITLE_LIMIT:
            raise InvalidInput("meetings.too_long", limit=TITLE_LIMIT)
    if not clear and not text:
        raise InvalidInput(
            "meetings.place_expected" if what == "place" else "meetings.note_expected"
        )
    if what not in ("title", "place") and len(text) > NOTE_LIMIT:
        raise InvalidInput("meetings.too_long", limit=NOTE_LIMIT)
    if what == "title":
        await meeting_store.update_details(ctx.conn, meeting.id, now=ctx.now, title=text)
    elif what == "place":
        # A link replaces the link, a place the place; "clear" removes both.
        place, link = "", ""
        if not clear:
            kind, value = place_or_link(text)
            place, link = (meeting.place, value) if kind == "link" else (value, meeting.link)
        await meeting_store.update_details(
            ctx.conn, meeting.id, now=ctx.now, place=place, link=link
        )
    else:
        await meeting_store.update_details(ctx.conn, meeting.id, now=ctx.now, note=text)
    await audit_change(ctx, "meeting.change", meeting, occurrence)
    upcoming = await meeting_store.future_occurrences(ctx.conn, meeting.id, ctx.now)
    await _changed(ctx, meeting, upcoming)


async def _changed(ctx: Context, meeting: Meeting, upcoming: list[Occurrence]) -> None:
    """Tell the audience the meeting's details changed (with the next one's card)."""
    updated = await meeting_store.get(ctx.conn, meeting.id)
    assert updated is not None
    told = 0
    if upcoming:
        told = await tell_audience(
            ctx,
            updated,
            "participant.meeting_changed",
            card=common.occurrence_card(upcoming[0], updated),
            rhythm=common.describe_meeting(updated, ctx.services),
        )
    ctx.end()
    ctx.reply("meetings.changed", people=told)


async def _change_length(ctx: Context, meeting: Meeting) -> None:
    duration = dt.timedelta(minutes=minutes_from(ctx))
    changed = await meeting_store.change_duration(ctx.conn, meeting, duration, ctx.now)
    await audit_change(ctx, "meeting.change", meeting)
    updated = await meeting_store.get(ctx.conn, meeting.id)
    assert updated is not None
    for item in changed:  # the question after the meeting moves with its end
        await planning.replan_occurrence(ctx.conn, item, updated, now=ctx.now, tz=tz_of(ctx))
    await _changed(ctx, updated, changed)
    common.wake_scheduler(ctx)


async def _retime_series(ctx: Context, occurrence: Occurrence, meeting: Meeting) -> None:
    """The series' meetings from this one on move to a new time of day (same days)."""
    tz = tz_of(ctx)
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
    try:
        continued, created = await planning.retime_series(
            ctx.conn, meeting, occurrence, new_start, tz=tz, now=ctx.now
        )
    except RecurrenceError as error:  # a stored rule from before the checks of issue 11
        raise InvalidInput(
            f"rule.{error.reason.value}", max=MAX_COUNT, years=MAX_SPAN_YEARS
        ) from error
    await audit_change(ctx, "meeting.series_time", meeting, occurrence)
    await planning.plan_occurrences(ctx.conn, continued, created, now=ctx.now, tz=tz)
    ctx.end()
    if not created:
        ctx.reply("meetings.series_time_changed_none")
        return
    told = await tell_audience(
        ctx,
        continued,
        "participant.series_time_changed",
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
    buttons = [[YES.button("meetings.yes_cancel")], [NO.button("meetings.no_keep")]]
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
    if ctx.pressed(NO):
        ctx.end()
        ctx.reply("meetings.kept")
        return
    if not ctx.pressed(YES):
        raise ctx.use_buttons()
    whole_series = ctx.data["what"] == "stop"
    ctx.end()
    await _cancel(ctx, occurrence, meeting, whole_series=whole_series)


async def _cancel(
    ctx: Context, occurrence: Occurrence, meeting: Meeting, *, whole_series: bool
) -> None:
    people = await meeting_store.audience(ctx.conn, meeting)
    if whole_series:
        gone = await meeting_store.cancel_series(ctx.conn, meeting.id, ctx.now)
        await audit_change(ctx, "meeting.cancel_series", meeting, occurrence)
        for item in gone:
            await reminders.drop_pending(ctx.conn, occurrence_id=item.id)
        told = await tell_audience(
            ctx, meeting, "participant.series_cancelled", people, title=meeting.title
        )
        ctx.reply("meetings.series_cancelled", count=len(gone), people=told)
    else:
        await meeting_store.cancel_occurrence(ctx.conn, occurrence.id)
        await audit_change(ctx, "meeting.cancel", meeting, occurrence)
        await reminders.drop_pending(ctx.conn, occurrence_id=occurrence.id)
        told = await tell_audience(
            ctx,
            meeting,
            "participant.meeting_cancelled",
            people,
            title=meeting.title,
            when=When(occurrence.start),
        )
        ctx.reply(
            "meetings.cancelled",
            buttons=[[MEETING.button("meetings.restore_button", f"restore:{occurrence.id}")]],
            when=When(occurrence.start),
            people=told,
        )
    common.wake_scheduler(ctx)


async def restore(ctx: Context, occurrence: Occurrence, meeting: Meeting) -> None:
    """Undo cancelling one meeting (a slip of the finger is cheap to mend)."""
    if not occurrence.cancelled or meeting.cancelled or occurrence.start <= ctx.now:
        ctx.reply("error.old_button")
        return
    await meeting_store.restore_occurrence(ctx.conn, occurrence.id)
    await audit_change(ctx, "meeting.restore", meeting, occurrence)
    restored = (await meeting_store.occurrence(ctx.conn, occurrence.id) or (occurrence,))[0]
    await planning.replan_occurrence(ctx.conn, restored, meeting, now=ctx.now, tz=tz_of(ctx))
    told = await tell_audience(
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
    tz = tz_of(ctx)
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
    await audit_change(ctx, "meeting.new_time", meeting, occurrence, subject=user_id)
    if meeting.user_id == user_id:
        await meeting_store.move_occurrence(ctx.conn, occurrence, meeting, start.astimezone(dt.UTC))
        await participants.clear_rsvps(ctx.conn, occurrence.id)
        target = (await meeting_store.occurrence(ctx.conn, occurrence.id) or (occurrence,))[0]
        await planning.replan_occurrence(ctx.conn, target, meeting, now=ctx.now, tz=tz)
    else:
        personal = await planning.create(
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
        created = await planning.materialize_and_plan(
            ctx.conn, personal, ctx.now + HORIZON, now=ctx.now, tz=tz
        )
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
            EDIT_FLOW,
            {
                # a new time, time of day, name, length, place or note (data "what")
                S.VALUE: Step(
                    _value_prompt,
                    _value_handle,
                    accepts={TEXT, DATE, NUMBER, MINUTES, CLEAR},
                    goes_to={END},
                ),
                # cancelling one meeting or the series
                S.CONFIRM: Step(
                    _edit_confirm_prompt, _edit_confirm_handle, accepts={YES, NO}, goes_to={END}
                ),
            },
            S.VALUE,
            use_buttons="meetings.use_buttons",
            entries={S.CONFIRM},
        )
    )
    registry.add_flow(
        Flow(
            NEW_TIME_FLOW,
            {S.WHEN: Step(_new_time_prompt, _new_time_handle, accepts={DATE}, goes_to={END})},
            S.WHEN,
        )
    )
