"""The rows of the reminder work queue, planned in memory (pure; ``now`` is injected).

Given meetings' occurrences, the people they are for and each person's reminder offsets,
:func:`rows_for` returns the rows :mod:`storage.reminders` inserts as they are: reminders
(:func:`handlers.domain.reminder_times.plan_reminders`), the follow-up after each meeting, and
:func:`check_in_row` for the check-in after a missed one. The storage layer only writes them
(``INSERT OR IGNORE``: a row planned twice is stored once).

Offsets come from three levels: the person's own choice, the project's, the default
(:func:`effective_offsets`). Offsets whose moment has passed are dropped (the person was just
told about the meeting), unless all have: then one reminder goes now, so they can still
answer — unless a reminder of that meeting was already sent, or the re-plan follows a change
of settings. An offset already sent for this start is not planned again once its moment has
passed (a re-plan after a restart or a move must not send it twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from handlers.domain.reminder_times import (
    DEFAULT_OFFSETS,
    DEFAULT_POLICY,
    ReminderPolicy,
    ReminderStatus,
    plan_check_in,
    plan_follow_up,
    plan_reminders,
)

Offsets = tuple[dt.timedelta, ...]

#: The ``reminders.state`` a planned message starts in.
STATE_OF = {
    ReminderStatus.SCHEDULED: "pending",
    ReminderStatus.SEND_NOW: "pending",
    ReminderStatus.MISSED: "missed",
    ReminderStatus.SKIPPED: "skipped",
}


@dataclass(frozen=True)
class Slot:
    """What planning needs of one occurrence of a meeting."""

    occurrence_id: int
    start: dt.datetime  # aware
    end: dt.datetime  # aware
    cancelled: bool = False  # the occurrence or its whole series


@dataclass(frozen=True)
class ReminderRow:
    """One row of the ``reminders`` table, ready to insert."""

    occurrence_id: int
    user_id: str
    kind: str  # reminder, follow_up or check_in
    offset: dt.timedelta
    covers: Offsets  # the configured offsets a reminder stands for; () for the others
    start: dt.datetime  # the meeting's start it was planned for
    due_at: dt.datetime
    state: str  # pending, missed or skipped
    done_at: dt.datetime | None  # set when not pending


@dataclass(frozen=True)
class _Planned:
    """A row without its occurrence and person (the same for everyone with these offsets)."""

    kind: str
    offset: dt.timedelta
    covers: Offsets
    due_at: dt.datetime
    state: str


def effective_offsets(own: Offsets | None, project: Offsets | None) -> Offsets:
    """The person's own choice, else the project's, else :data:`DEFAULT_OFFSETS`."""
    if own is not None:
        return own
    return project if project is not None else DEFAULT_OFFSETS


def rows_for(
    slots: Iterable[Slot],
    offsets: Mapping[str, Offsets],
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    sent: Mapping[tuple[int, str], Collection[dt.timedelta]] | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
    catch_up: bool = True,
) -> list[ReminderRow]:
    """Reminders and follow-ups of each slot for each person in ``offsets`` (in its order).

    ``sent`` holds, by (occurrence, person), the offsets already sent for that occurrence.
    When every wanted moment has passed, one reminder goes now (``catch_up``: someone who just
    joined hears of a meeting soon) — but never after a reminder of that meeting was already
    sent, and not at all with ``catch_up=False`` (a change of settings: the person has just
    chosen, and a reminder for a moment already past would only surprise them).
    Planning is done once per distinct (start, end, offsets, sent) and shared, so a group of
    sixty with the same settings costs one plan per meeting.
    """
    cache: dict[tuple[object, ...], list[_Planned]] = {}
    rows: list[ReminderRow] = []
    for slot in slots:
        if slot.cancelled or slot.start <= now:
            continue
        for user_id, wanted in offsets.items():
            done = frozenset((sent or {}).get((slot.occurrence_id, user_id), ()))
            key = (slot.start, slot.end, wanted, done)
            planned = cache.get(key)
            if planned is None:
                planned = cache[key] = _plan(slot, wanted, done, now, tz, policy, catch_up)
            rows.extend(
                ReminderRow(
                    occurrence_id=slot.occurrence_id,
                    user_id=user_id,
                    kind=item.kind,
                    offset=item.offset,
                    covers=item.covers,
                    start=slot.start,
                    due_at=item.due_at,
                    state=item.state,
                    done_at=None if item.state == "pending" else now,
                )
                for item in planned
            )
    return rows


def check_in_row(
    occurrence_id: int,
    user_id: str,
    start: dt.datetime,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> ReminderRow:
    """A warm check-in after the meeting that started at ``start`` was missed."""
    planned = plan_check_in(start, now=now, tz=tz, policy=policy)
    return ReminderRow(
        occurrence_id=occurrence_id,
        user_id=user_id,
        kind="check_in",
        offset=dt.timedelta(0),
        covers=(),
        start=start,
        due_at=planned.at,
        state="pending",
        done_at=None,
    )


def _plan(
    slot: Slot,
    offsets: Offsets,
    sent: frozenset[dt.timedelta],
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy,
    catch_up: bool,
) -> list[_Planned]:
    wanted = [o for o in offsets if not (o in sent and slot.start - o <= now)]
    future = [o for o in wanted if slot.start - o > now]
    if future:
        wanted = future
    elif catch_up and not sent and wanted:
        wanted = [min(wanted)]
    else:
        wanted = []
    planned = [
        _Planned(
            kind="reminder",
            offset=max(reminder.offsets),
            covers=reminder.offsets,
            due_at=reminder.at,
            state=STATE_OF[reminder.status],
        )
        for reminder in plan_reminders(slot.start, wanted, now=now, tz=tz, policy=policy)
    ]
    follow_up = plan_follow_up(slot.end, now=now, tz=tz, policy=policy)
    if follow_up.status in (ReminderStatus.SCHEDULED, ReminderStatus.SEND_NOW):
        planned.append(
            _Planned(
                kind="follow_up",
                offset=dt.timedelta(0),
                covers=(),
                due_at=follow_up.at,
                state="pending",
            )
        )
    return planned
