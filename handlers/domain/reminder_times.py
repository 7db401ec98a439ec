"""When to send meeting reminders, follow-ups and check-ins (pure; ``now`` is injected).

All rules are applied in local wall-clock time (the ``tz`` passed in); every moment going in
or out is an aware datetime, and results are in UTC. The numbers live in
:class:`ReminderPolicy` so a project can change them.

Reminders (default 24 h and 2 h before; a project or participant may configure others or none)
-----------------------------------------------------------------------------------------------
Quiet hours are 21:00–08:00 local: 20:59 is allowed, 21:00 is quiet, 07:59 is quiet, 08:00 is
allowed. Offsets are real durations. For each offset the nominal moment is ``start - offset``
(or *now*, if that has passed: a late reminder is sent at once). If that moment is in quiet
hours:

1. It moves to the nearest allowed moment of that quiet stretch that still gives notice:
   the *evening before* at 20:00 (or now, if now is between 20:00 and 21:00), or the
   *morning* at 08:00 if that is at least ``min(offset, 30 min)`` before the meeting.
   On a tie the evening wins (more notice). Evening means 20:00, not 20:59: the outbox
   drains under rate limits and retries, and a reminder due at 20:59 could be delivered
   after 21:00; an hour's margin keeps quiet hours quiet, and 20:00 is still a civil hour.
   Example: a 2 h reminder for an 08:30 meeting (06:30) moves to 08:00; for an 08:15
   meeting it moves to 20:00 the evening before.
2. Only if neither exists (the meeting is before ~08:30 and the evening has already gone,
   i.e. the reminder is being planned during the night) may the reminder fall in quiet
   hours, and only when the meeting starts within 3 h of it: then it is sent at its moment,
   because the meeting is so soon that the reminder is still useful. Otherwise it is
   SKIPPED rather than waking the person earlier than 3 h before the meeting.

So a reminder is never in quiet hours unless the meeting starts within 3 h of it, and a
planned reminder is always before the meeting's start. If the meeting has already started,
every reminder is MISSED.

Reminders of the same meeting are merged so nobody gets two messages in a row: at most one
falls in quiet hours (the earliest), and reminders less than 30 min apart collapse into the
earlier one (which then covers both offsets). Planning is deterministic for a given ``now``;
the storage layer must remember which (occurrence, offset) pairs were already sent and never
plan those again, or a re-plan after a restart could send a moved reminder twice.

Follow-up ("how was it?")
-------------------------
At the meeting's end + 1 h; if that is in quiet hours, at the next 08:00 (never
earlier: asking before the meeting is over makes no sense). A follow-up that could only be
sent more than 24 h after the meeting ended is SKIPPED (the moment has passed).

Check-in after a missed meeting
-------------------------------
At 10:00 local on the first *working day* after the meeting's day: weekends and Finnish
public holidays (incl. Midsummer Eve and Christmas Eve) are skipped, because a check-in may
lead to "I need help" and someone at the project should be there to answer. If that moment
has passed, it is sent now when now is a working day between 10:00 and 16:00, else at 10:00
on the next working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.easter import easter

UTC = dt.UTC

DEFAULT_OFFSETS: tuple[dt.timedelta, ...] = (dt.timedelta(hours=24), dt.timedelta(hours=2))


class ReminderStatus(StrEnum):
    """What to do with a planned message."""

    SCHEDULED = "scheduled"  # send at ``at`` (in the future)
    SEND_NOW = "send_now"  # its time has come or passed and it is still useful
    MISSED = "missed"  # the meeting has started; never send
    SKIPPED = "skipped"  # no acceptable moment is left; never send


class Adjustment(StrEnum):
    """Why ``at`` differs from the nominal moment."""

    NONE = "none"
    LATE = "late"  # nominal moment had passed; sent now
    EVENING_BEFORE = "evening_before"  # moved out of quiet hours to the evening before
    MORNING = "morning"  # moved out of quiet hours to the morning
    IMMINENT = "imminent"  # left in quiet hours: meeting within 3 h, no other moment
    QUIET_HOURS = "quiet_hours"  # skipped: quiet hours and the meeting is not imminent


@dataclass(frozen=True)
class ReminderPolicy:
    """The numbers behind the rules in the module docstring."""

    quiet_start: dt.time = dt.time(21, 0)
    quiet_end: dt.time = dt.time(8, 0)
    evening_send: dt.time = dt.time(20, 0)
    imminent: dt.timedelta = dt.timedelta(hours=3)
    min_lead: dt.timedelta = dt.timedelta(minutes=30)
    merge_window: dt.timedelta = dt.timedelta(minutes=30)
    follow_up_delay: dt.timedelta = dt.timedelta(hours=1)
    follow_up_deadline: dt.timedelta = dt.timedelta(hours=24)
    check_in_time: dt.time = dt.time(10, 0)
    check_in_until: dt.time = dt.time(16, 0)

    def __post_init__(self) -> None:
        if not self.quiet_end < self.evening_send < self.quiet_start:
            raise ValueError("need quiet_end < evening_send < quiet_start (overnight quiet)")
        if not self.check_in_time < self.check_in_until:
            raise ValueError("need check_in_time < check_in_until")


DEFAULT_POLICY = ReminderPolicy()


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder message; ``offsets`` are the configured offsets it covers."""

    at: dt.datetime  # aware UTC
    offsets: tuple[dt.timedelta, ...]
    status: ReminderStatus
    adjustment: Adjustment = Adjustment.NONE


@dataclass(frozen=True)
class PlannedMessage:
    """A follow-up or check-in."""

    at: dt.datetime  # aware UTC
    status: ReminderStatus


def is_quiet(moment: dt.datetime, tz: ZoneInfo, policy: ReminderPolicy = DEFAULT_POLICY) -> bool:
    """True when ``moment`` is within quiet hours in local time."""
    clock = _aware(moment).astimezone(tz).time()
    return clock >= policy.quiet_start or clock < policy.quiet_end


def plan_reminders(
    start: dt.datetime,
    offsets: Iterable[dt.timedelta],
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[PlannedReminder]:
    """The reminders of a meeting starting at ``start``, sorted by ``at``.

    An empty ``offsets`` means no reminders. Offsets must be positive.
    """
    start, now = _aware(start).astimezone(UTC), _aware(now).astimezone(UTC)
    wanted = sorted(set(offsets), reverse=True)
    if any(offset <= dt.timedelta(0) for offset in wanted):
        raise ValueError("reminder offsets must be positive")
    if start <= now:
        return [PlannedReminder(start - o, (o,), ReminderStatus.MISSED) for o in wanted]
    planned = [_plan_one(start, offset, now, tz, policy) for offset in wanted]
    skipped = [p for p in planned if p.status is ReminderStatus.SKIPPED]
    active = [p for p in planned if p.status is not ReminderStatus.SKIPPED]
    return sorted(_merge(active, policy) + skipped, key=lambda p: (p.at, p.offsets))


def plan_follow_up(
    end: dt.datetime,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> PlannedMessage:
    """When to ask "how was it?" about a meeting that ends at ``end``."""
    end, now = _aware(end).astimezone(UTC), _aware(now).astimezone(UTC)
    nominal = end + policy.follow_up_delay
    at = max(nominal, now)
    if is_quiet(at, tz, policy):
        at = _quiet_stretch(at, tz, policy)[2]
    if at - end > policy.follow_up_deadline:
        return PlannedMessage(nominal, ReminderStatus.SKIPPED)
    return PlannedMessage(at, _status(at, now))


def plan_check_in(
    meeting_start: dt.datetime,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy = DEFAULT_POLICY,
    is_day_off: Callable[[dt.date], bool] | None = None,
) -> PlannedMessage:
    """When to check in on someone who missed the meeting that started at ``meeting_start``."""
    day_off = is_day_off or is_finnish_day_off
    start, now = _aware(meeting_start).astimezone(UTC), _aware(now).astimezone(UTC)
    day = _next_working_day(start.astimezone(tz).date() + dt.timedelta(days=1), day_off)
    at = _local(day, policy.check_in_time, tz)
    if at >= now:
        return PlannedMessage(at, ReminderStatus.SCHEDULED if at > now else ReminderStatus.SEND_NOW)
    local_now = now.astimezone(tz)
    if (
        not day_off(local_now.date())
        and policy.check_in_time <= local_now.time() < policy.check_in_until
    ):
        return PlannedMessage(now, ReminderStatus.SEND_NOW)
    first = local_now.date()
    if local_now.time() >= policy.check_in_time:
        first += dt.timedelta(days=1)
    at = _local(_next_working_day(first, day_off), policy.check_in_time, tz)
    return PlannedMessage(at, ReminderStatus.SCHEDULED)


def is_finnish_day_off(day: dt.date) -> bool:
    """Weekends and the Finnish public holidays that can fall on a weekday.

    New Year's Day, Epiphany, Good Friday, Easter Monday, May Day, Ascension Day, Midsummer
    Eve (Friday 19–25 June, a de facto holiday), Independence Day, Christmas Eve, Christmas
    Day and Boxing Day.
    """
    if day.weekday() >= 5:
        return True
    if (day.month, day.day) in {(1, 1), (1, 6), (5, 1), (12, 6), (12, 24), (12, 25), (12, 26)}:
        return True
    if day.month == 6 and 19 <= day.day <= 25 and day.weekday() == 4:
        return True
    easter_sunday = easter(day.year)
    return (day - easter_sunday).days in (-2, 1, 39)


def _plan_one(
    start: dt.datetime,
    offset: dt.timedelta,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: ReminderPolicy,
) -> PlannedReminder:
    nominal = start - offset
    target = max(nominal, now)
    late = nominal < now
    if not is_quiet(target, tz, policy):
        adjustment = Adjustment.LATE if late else Adjustment.NONE
        return PlannedReminder(target, (offset,), _status(target, now), adjustment)
    quiet_from, evening, morning = _quiet_stretch(target, tz, policy)
    candidates: list[tuple[dt.datetime, Adjustment]] = []
    evening = max(evening, now)
    if evening < quiet_from:
        candidates.append((evening, Adjustment.EVENING_BEFORE))
    if morning <= start - min(offset, policy.min_lead):
        candidates.append((morning, Adjustment.MORNING))
    if candidates:
        at, adjustment = min(candidates, key=lambda c: (abs(c[0] - target), c[0]))
        return PlannedReminder(at, (offset,), _status(at, now), adjustment)
    if start - target <= policy.imminent:
        return PlannedReminder(target, (offset,), _status(target, now), Adjustment.IMMINENT)
    return PlannedReminder(nominal, (offset,), ReminderStatus.SKIPPED, Adjustment.QUIET_HOURS)


def _merge(planned: list[PlannedReminder], policy: ReminderPolicy) -> list[PlannedReminder]:
    """At most one reminder in quiet hours, and none closer than the merge window."""
    ordered = sorted(planned, key=lambda p: p.at)
    night = [p for p in ordered if p.adjustment is Adjustment.IMMINENT]
    if len(night) > 1:
        kept = _absorb(night[0], night[1:])
        ordered = sorted([p for p in ordered if p not in night] + [kept], key=lambda p: p.at)
    merged: list[PlannedReminder] = []
    for reminder in ordered:
        if merged and reminder.at - merged[-1].at < policy.merge_window:
            merged[-1] = _absorb(merged[-1], [reminder])
        else:
            merged.append(reminder)
    return merged


def _absorb(keep: PlannedReminder, others: Iterable[PlannedReminder]) -> PlannedReminder:
    offsets = set(keep.offsets)
    for other in others:
        offsets.update(other.offsets)
    return replace(keep, offsets=tuple(sorted(offsets, reverse=True)))


def _quiet_stretch(
    moment: dt.datetime, tz: ZoneInfo, policy: ReminderPolicy
) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """For a quiet ``moment``: when its quiet stretch began, the evening send, the morning."""
    local = moment.astimezone(tz)
    evening_day = local.date()
    if local.time() < policy.quiet_end:
        evening_day -= dt.timedelta(days=1)
    return (
        _local(evening_day, policy.quiet_start, tz),
        _local(evening_day, policy.evening_send, tz),
        _local(evening_day + dt.timedelta(days=1), policy.quiet_end, tz),
    )


def _next_working_day(day: dt.date, is_day_off: Callable[[dt.date], bool]) -> dt.date:
    for _ in range(30):
        if not is_day_off(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError("no working day within 30 days")


def _local(day: dt.date, clock: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _status(at: dt.datetime, now: dt.datetime) -> ReminderStatus:
    return ReminderStatus.SCHEDULED if at > now else ReminderStatus.SEND_NOW


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment
