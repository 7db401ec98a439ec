"""Meetings' occurrences and reminders: read what planning needs, plan it in memory, write
the rows — the one place that puts storage and the pure planning together.

* what to store of a series and which occurrences to create: :mod:`handlers.domain.meeting_plan`
  (RRULEs: :mod:`handlers.domain.recurrence`);
* the reminder rows: :mod:`handlers.domain.reminder_plan`;
* the SQL: :mod:`storage.meetings`, :mod:`storage.reminders`, :mod:`storage.participants`.

Every function works in the caller's transaction. Reads are a few queries per call and the
writes one ``executemany`` per table, however many people and meetings there are.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import aiosqlite

from handlers.domain.meeting_plan import occurrences_to_add, retime, series_times
from handlers.domain.recurrence import RecurrenceError
from handlers.domain.reminder_plan import (
    Offsets,
    Slot,
    check_in_row,
    effective_offsets,
    rows_for,
)
from handlers.domain.reminder_times import DEFAULT_POLICY, ReminderPolicy
from storage import meetings as meeting_store
from storage import participants, reminders
from storage.meetings import HORIZON, LOOKBACK, Meeting, Occurrence

log = logging.getLogger(__name__)

# --- meetings -----------------------------------------------------------------------------


async def create(
    conn: aiosqlite.Connection,
    *,
    project: str,
    group: str | None,
    user_id: str | None,
    title: str,
    start_local: dt.datetime,
    rule: str | None,
    duration: dt.timedelta,
    place: str = "",
    link: str = "",
    note: str = "",
    tz: ZoneInfo,
    now: dt.datetime,
    uid: str | None = None,
) -> Meeting:
    """Store a meeting or a series (no occurrences yet: :func:`materialize`)."""
    return await meeting_store.create(
        conn,
        project=project,
        group=group,
        user_id=user_id,
        title=title,
        times=series_times(rule, start_local, tz),
        rule=rule,
        duration=duration,
        place=place,
        link=link,
        note=note,
        now=now,
        uid=uid,
    )


async def materialize(
    conn: aiosqlite.Connection,
    meeting: Meeting,
    until: dt.datetime,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
) -> list[Occurrence]:
    """Create the occurrences that start before ``until``; returns the new ones."""
    if meeting.cancelled or until <= meeting.materialized_until:
        return []
    try:
        rows = occurrences_to_add(
            meeting.rule,
            meeting.dtstart_local,
            meeting.duration,
            materialized_until=meeting.materialized_until,
            until=until,
            now=now,
            lookback=LOOKBACK,
            tz=tz,
        )
    except RecurrenceError as error:
        # A rule stored before the limits of issue 11 (thousands of meetings a day): it is
        # never expanded, and noted as done so that it is not tried again every minute.
        log.warning("meeting %s: rule refused (%s), not expanded", meeting.id, error.reason)
        rows = []
    return await meeting_store.add_occurrences(conn, meeting.id, rows, until=until)


async def materialize_and_plan(
    conn: aiosqlite.Connection,
    meeting: Meeting,
    until: dt.datetime,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[Occurrence]:
    """Create the meeting's occurrences up to ``until`` and plan their reminders; returns
    the new occurrences."""
    created = await materialize(conn, meeting, until, now=now, tz=tz)
    await plan_occurrences(conn, meeting, created, now=now, tz=tz, policy=policy)
    return created


async def retime_series(
    conn: aiosqlite.Connection,
    meeting: Meeting,
    at: Occurrence,
    new_start_local: dt.datetime,
    *,
    tz: ZoneInfo,
    now: dt.datetime,
) -> tuple[Meeting, list[Occurrence]]:
    """Move the meetings of a series from ``at`` on to ``new_start_local``'s time of day.

    The meetings before ``at`` stay as they were (the old series ends there with an UNTIL,
    as RFC 5545 does it); from ``at`` on a new series continues at the new time — or, when
    ``at`` is the first meeting, the series itself changes and keeps its UID. The old
    occurrences from ``at`` on are deleted with their reminders and answers (they cascade);
    a day that had been cancelled stays cancelled. Returns the series holding ``at``'s day
    and its new occurrences that are not cancelled (up to where the old ones reached, at
    least :data:`HORIZON` ahead), for the caller to plan reminders. Raises
    :class:`handlers.domain.recurrence.RecurrenceError` before writing anything.
    """
    assert meeting.rule is not None
    cut = retime(meeting.rule, meeting.dtstart_local, at.recurrence_id, new_start_local, tz)
    cancelled = await meeting_store.cancelled_starts_from(conn, meeting.id, at.recurrence_id)
    await meeting_store.delete_occurrences_from(conn, meeting.id, at.recurrence_id)
    if cut.head is None:
        await meeting_store.restart_series(
            conn, meeting.id, rule=cut.tail, times=cut.tail_times, now=now
        )
        continued = await meeting_store.get(conn, meeting.id)
        assert continued is not None
    else:
        await meeting_store.end_series(
            conn, meeting.id, rule=cut.head, last_start=cut.head_last_start, now=now
        )
        continued = await meeting_store.create(
            conn,
            project=meeting.project,
            group=meeting.group,
            user_id=meeting.user_id,
            title=meeting.title,
            times=cut.tail_times,
            rule=cut.tail,
            duration=meeting.duration,
            place=meeting.place,
            link=meeting.link,
            note=meeting.note,
            now=now,
        )
        await meeting_store.set_continues(conn, continued.id, meeting.id)
    until = max(meeting.materialized_until, now + HORIZON)
    rows = occurrences_to_add(
        continued.rule,
        continued.dtstart_local,
        continued.duration,
        materialized_until=continued.materialized_until,
        until=until,
        now=now,
        lookback=LOOKBACK,
        tz=tz,
        cancelled_days={start.astimezone(tz).date() for start in cancelled},
    )
    created = await meeting_store.add_occurrences(conn, continued.id, rows, until=until)
    return continued, [item for item in created if not item.cancelled]


# --- reminders ----------------------------------------------------------------------------


async def offsets_of(conn: aiosqlite.Connection, user_id: str, project: str) -> Offsets:
    """The reminder offsets that apply to the person in the project."""
    own = await participants.own_offsets(conn, user_id, project)
    return effective_offsets(own, await participants.project_offsets(conn, project))


async def project_offsets(conn: aiosqlite.Connection, project: str) -> Offsets:
    """The reminder offsets of the project's participants who chose none of their own."""
    return effective_offsets(None, await participants.project_offsets(conn, project))


async def _offsets_for(
    conn: aiosqlite.Connection, project: str, people: Sequence[str]
) -> dict[str, Offsets]:
    own = await participants.own_offsets_of(conn, project, people)
    default = await project_offsets(conn, project)
    return {user_id: own.get(user_id, default) for user_id in people}


def _slot(occurrence: Occurrence, meeting: Meeting) -> Slot:
    return Slot(
        occurrence_id=occurrence.id,
        start=occurrence.start,
        end=occurrence.end,
        cancelled=occurrence.cancelled or meeting.cancelled,
    )


async def plan_person(
    conn: aiosqlite.Connection,
    occurrence: Occurrence,
    meeting: Meeting,
    user_id: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> None:
    """Plan the reminders and the follow-up of one occurrence for one participant."""
    slot = _slot(occurrence, meeting)
    if slot.cancelled or slot.start <= now:
        return
    offsets = {user_id: await offsets_of(conn, user_id, meeting.project)}
    sent = await reminders.sent_offsets(conn, [occurrence.id], user_id)
    rows = rows_for([slot], offsets, now=now, tz=tz, sent=sent, policy=policy)
    await reminders.insert(conn, rows)


async def plan_occurrences(
    conn: aiosqlite.Connection,
    meeting: Meeting,
    occurrences: list[Occurrence],
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> None:
    """Plan occurrences of ``meeting`` for everyone it is for."""
    if not occurrences:
        return
    people = await meeting_store.audience(conn, meeting)
    if not people:
        return
    offsets = await _offsets_for(conn, meeting.project, people)
    sent = await reminders.sent_offsets(conn, [item.id for item in occurrences])
    slots = [_slot(item, meeting) for item in occurrences]
    rows = rows_for(slots, offsets, now=now, tz=tz, sent=sent, policy=policy)
    await reminders.insert(conn, rows)


async def replan_occurrence(
    conn: aiosqlite.Connection,
    occurrence: Occurrence,
    meeting: Meeting,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> None:
    """The occurrence moved: drop its pending reminders and follow-ups and plan again."""
    await reminders.drop_pending(conn, occurrence_id=occurrence.id, kinds=("reminder", "follow_up"))
    await plan_occurrences(conn, meeting, [occurrence], now=now, tz=tz, policy=policy)


async def replan_person(
    conn: aiosqlite.Connection,
    user_id: str,
    project: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
    catch_up: bool = True,
) -> None:
    """The person joined, changed group or settings: plan their upcoming meetings again.
    After a change of settings (``catch_up=False``) nothing is planned for a moment that
    has passed (see :func:`handlers.domain.reminder_plan.rows_for`)."""
    await reminders.drop_pending(
        conn, user_id=user_id, project=project, kinds=("reminder", "follow_up")
    )
    upcoming = await meeting_store.upcoming_for_user(
        conn, user_id, now, project=project, limit=10_000
    )
    if not upcoming:
        return
    offsets = {user_id: await offsets_of(conn, user_id, project)}
    sent = await reminders.sent_offsets(conn, [item.id for item, _ in upcoming], user_id)
    slots = [_slot(occurrence, meeting) for occurrence, meeting in upcoming]
    rows = rows_for(slots, offsets, now=now, tz=tz, sent=sent, policy=policy, catch_up=catch_up)
    await reminders.insert(conn, rows)


async def plan_check_in_for(
    conn: aiosqlite.Connection,
    occurrence: Occurrence,
    user_id: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> bool:
    """A warm check-in after a missed meeting; False when one was already planned or sent."""
    row = check_in_row(occurrence.id, user_id, occurrence.start, now=now, tz=tz, policy=policy)
    return await reminders.insert(conn, [row]) == 1
