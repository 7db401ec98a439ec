"""Reminder, follow-up and check-in times: offsets, quiet hours, merging, late planning."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.reminder_times import (
    DEFAULT_OFFSETS,
    Adjustment,
    PlannedReminder,
    ReminderPolicy,
    ReminderStatus,
    is_finnish_day_off,
    is_quiet,
    plan_check_in,
    plan_follow_up,
    plan_reminders,
)

TZ = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
LONG_AGO = dt.datetime(2026, 11, 1, 12, 0, tzinfo=TZ)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def plan(
    start: dt.datetime,
    offsets: tuple[dt.timedelta, ...] = DEFAULT_OFFSETS,
    now: dt.datetime = LONG_AGO,
) -> list[PlannedReminder]:
    return plan_reminders(start, offsets, now=now, tz=TZ)


def times(planned: list[PlannedReminder]) -> list[dt.datetime]:
    return [p.at.astimezone(TZ) for p in planned]


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        ((20, 59), False),
        ((21, 0), True),
        ((23, 30), True),
        ((0, 0), True),
        ((7, 59), True),
        ((8, 0), False),
    ],
)
def test_quiet_hours_edges(clock: tuple[int, int], quiet: bool) -> None:
    assert is_quiet(local(2026, 11, 24, *clock), TZ) is quiet


def test_default_offsets_for_a_daytime_meeting() -> None:
    planned = plan(local(2026, 11, 24, 13, 0))
    assert times(planned) == [local(2026, 11, 23, 13, 0), local(2026, 11, 24, 11, 0)]
    assert [p.offsets for p in planned] == [(24 * H,), (2 * H,)]
    assert all(p.status is ReminderStatus.SCHEDULED for p in planned)
    assert all(p.adjustment is Adjustment.NONE for p in planned)
    assert all(p.at.tzinfo is UTC for p in planned)


def test_no_offsets_means_no_reminders() -> None:
    assert plan(local(2026, 11, 24, 13, 0), ()) == []


def test_offsets_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        plan(local(2026, 11, 24, 13, 0), (dt.timedelta(0),))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        plan_reminders(dt.datetime(2026, 11, 24, 13), DEFAULT_OFFSETS, now=LONG_AGO, tz=TZ)


def test_reminder_at_2059_stays_and_at_2100_moves_to_the_evening() -> None:
    stays = plan(local(2026, 11, 24, 22, 59), (2 * H,))
    assert times(stays) == [local(2026, 11, 24, 20, 59)]
    moves = plan(local(2026, 11, 24, 23, 0), (2 * H,))
    assert times(moves) == [local(2026, 11, 24, 20, 0)]
    assert moves[0].adjustment is Adjustment.EVENING_BEFORE


def test_reminder_at_0759_moves_to_0800_and_at_0800_stays() -> None:
    moves = plan(local(2026, 11, 24, 9, 59), (2 * H,))
    assert times(moves) == [local(2026, 11, 24, 8, 0)]
    assert moves[0].adjustment is Adjustment.MORNING
    stays = plan(local(2026, 11, 24, 10, 0), (2 * H,))
    assert times(stays) == [local(2026, 11, 24, 8, 0)]
    assert stays[0].adjustment is Adjustment.NONE


def test_0830_meeting_two_hour_reminder_moves_from_0630_to_0800() -> None:
    planned = plan(local(2026, 11, 24, 8, 30))
    assert times(planned) == [local(2026, 11, 23, 8, 30), local(2026, 11, 24, 8, 0)]
    assert planned[1].adjustment is Adjustment.MORNING


def test_too_little_lead_in_the_morning_moves_to_the_evening_before() -> None:
    planned = plan(local(2026, 11, 24, 8, 15), (2 * H,))
    assert times(planned) == [local(2026, 11, 23, 20, 0)]
    assert planned[0].adjustment is Adjustment.EVENING_BEFORE


def test_short_offset_needs_only_its_own_lead() -> None:
    planned = plan(local(2026, 11, 24, 8, 15), (15 * M,))
    assert times(planned) == [local(2026, 11, 24, 8, 0)]


def test_late_evening_meeting_reminders_go_to_2000() -> None:
    planned = plan(local(2026, 11, 24, 23, 30))
    assert times(planned) == [local(2026, 11, 23, 20, 0), local(2026, 11, 24, 20, 0)]


def test_between_2000_and_2100_an_evening_reminder_is_sent_now() -> None:
    now = local(2026, 11, 23, 20, 30)
    planned = plan(local(2026, 11, 24, 7, 0), (2 * H,), now=now)
    assert times(planned) == [now]
    assert planned[0].status is ReminderStatus.SEND_NOW


def test_night_planning_keeps_only_an_imminent_reminder() -> None:
    # planned at 23.00 for a 06.00 meeting: no evening left, 08.00 is too late
    planned = plan(local(2026, 11, 24, 6, 0), now=local(2026, 11, 23, 23, 0))
    by_offset = {p.offsets: p for p in planned}
    assert by_offset[(24 * H,)].status is ReminderStatus.SKIPPED
    assert by_offset[(24 * H,)].adjustment is Adjustment.QUIET_HOURS
    assert by_offset[(2 * H,)].at == local(2026, 11, 24, 4, 0)
    assert by_offset[(2 * H,)].status is ReminderStatus.SCHEDULED
    assert by_offset[(2 * H,)].adjustment is Adjustment.IMMINENT


def test_night_restart_with_meeting_within_three_hours_sends_now_once() -> None:
    now = local(2026, 11, 24, 5, 0)
    planned = plan(local(2026, 11, 24, 7, 0), now=now)
    assert len(planned) == 1
    assert planned[0].at == now
    assert planned[0].status is ReminderStatus.SEND_NOW
    assert planned[0].adjustment is Adjustment.IMMINENT
    assert planned[0].offsets == (24 * H, 2 * H)


def test_only_one_reminder_in_quiet_hours() -> None:
    planned = plan(local(2026, 11, 24, 6, 0), (2 * H, H), now=local(2026, 11, 24, 3, 0))
    assert times(planned) == [local(2026, 11, 24, 4, 0)]
    assert planned[0].offsets == (2 * H, H)


def test_past_reminder_is_sent_now_and_merges_with_the_next() -> None:
    now = local(2026, 11, 24, 11, 30)
    planned = plan(local(2026, 11, 24, 13, 0), now=now)
    assert len(planned) == 1
    assert (planned[0].at, planned[0].status, planned[0].adjustment) == (
        now,
        ReminderStatus.SEND_NOW,
        Adjustment.LATE,
    )
    assert planned[0].offsets == (24 * H, 2 * H)


def test_past_reminder_kept_apart_from_a_later_one() -> None:
    now = local(2026, 11, 24, 10, 0)
    planned = plan(local(2026, 11, 24, 13, 0), now=now)
    assert times(planned) == [now, local(2026, 11, 24, 11, 0)]
    assert [p.status for p in planned] == [ReminderStatus.SEND_NOW, ReminderStatus.SCHEDULED]


def test_reminders_collapsing_to_one_moment_are_deduplicated() -> None:
    # for a 09.00 meeting, 06.00 and 07.00 both move to 08.00, where the 1 h reminder is
    planned = plan(local(2026, 11, 24, 9, 0), (3 * H, 2 * H, H))
    assert times(planned) == [local(2026, 11, 24, 8, 0)]
    assert planned[0].offsets == (3 * H, 2 * H, H)


def test_reminders_closer_than_half_an_hour_merge_into_the_earlier() -> None:
    planned = plan(local(2026, 11, 24, 13, 0), (2 * H, 100 * M, 60 * M))
    assert times(planned) == [local(2026, 11, 24, 11, 0), local(2026, 11, 24, 12, 0)]
    assert planned[0].offsets == (2 * H, 100 * M)


def test_started_meeting_marks_every_reminder_missed() -> None:
    start = local(2026, 11, 24, 13, 0)
    planned = plan(start, now=start)
    assert [p.status for p in planned] == [ReminderStatus.MISSED, ReminderStatus.MISSED]


def test_policy_is_configurable_and_validated() -> None:
    policy = ReminderPolicy(quiet_start=dt.time(22, 0), evening_send=dt.time(21, 0))
    planned = plan_reminders(
        local(2026, 11, 25, 0, 30), (2 * H,), now=LONG_AGO, tz=TZ, policy=policy
    )
    assert times(planned) == [local(2026, 11, 24, 21, 0)]  # 22.30 is quiet under this policy
    assert times(plan(local(2026, 11, 24, 23, 30), (2 * H,))) == [local(2026, 11, 24, 20, 0)]
    with pytest.raises(ValueError, match="quiet"):
        ReminderPolicy(evening_send=dt.time(22, 0))


# --- follow-ups -----------------------------------------------------------------------


def test_follow_up_one_hour_after_the_end() -> None:
    follow = plan_follow_up(local(2026, 11, 24, 14, 30), now=LONG_AGO, tz=TZ)
    assert (follow.at, follow.status) == (local(2026, 11, 24, 15, 30), ReminderStatus.SCHEDULED)


@pytest.mark.parametrize(
    ("end", "expected"), [((19, 59), (20, 59)), ((20, 0), None), ((23, 0), None)]
)
def test_follow_up_in_quiet_hours_moves_to_next_morning(
    end: tuple[int, int], expected: tuple[int, int] | None
) -> None:
    follow = plan_follow_up(local(2026, 11, 24, *end), now=LONG_AGO, tz=TZ)
    wanted = local(2026, 11, 24, *expected) if expected else local(2026, 11, 25, 8, 0)
    assert follow.at == wanted


def test_late_follow_up_is_sent_now_or_skipped() -> None:
    end = local(2026, 11, 24, 14, 0)
    now = local(2026, 11, 25, 9, 0)
    assert plan_follow_up(end, now=now, tz=TZ).status is ReminderStatus.SEND_NOW
    night = plan_follow_up(end, now=local(2026, 11, 24, 23, 0), tz=TZ)
    assert (night.at, night.status) == (local(2026, 11, 25, 8, 0), ReminderStatus.SCHEDULED)
    skipped = plan_follow_up(end, now=local(2026, 11, 25, 14, 1), tz=TZ)
    assert skipped.status is ReminderStatus.SKIPPED


# --- check-ins ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meeting_day", "check_in_day"),
    [
        (dt.date(2026, 11, 24), dt.date(2026, 11, 25)),  # Tue -> Wed
        (dt.date(2026, 11, 27), dt.date(2026, 11, 30)),  # Fri -> Mon
        (dt.date(2026, 12, 4), dt.date(2026, 12, 7)),  # Fri -> Mon (6.12. is a Sunday)
        (dt.date(2026, 12, 23), dt.date(2026, 12, 28)),  # Christmas Eve, Christmas, weekend
        (dt.date(2027, 3, 25), dt.date(2027, 3, 30)),  # Good Friday, Easter, Easter Monday
        (dt.date(2027, 5, 5), dt.date(2027, 5, 7)),  # Ascension Day 6.5.2027
        (dt.date(2027, 6, 24), dt.date(2027, 6, 28)),  # Midsummer Eve 25.6.2027
    ],
)
def test_check_in_next_working_day_at_ten(meeting_day: dt.date, check_in_day: dt.date) -> None:
    start = dt.datetime.combine(meeting_day, dt.time(13, 0), tzinfo=TZ)
    check = plan_check_in(start, now=start + 2 * H, tz=TZ)
    assert check.at == dt.datetime.combine(check_in_day, dt.time(10, 0), tzinfo=TZ)
    assert check.status is ReminderStatus.SCHEDULED


def test_late_check_in() -> None:
    start = local(2026, 11, 24, 13, 0)  # Tuesday
    during = plan_check_in(start, now=local(2026, 11, 25, 11, 0), tz=TZ)
    assert (during.at, during.status) == (local(2026, 11, 25, 11, 0), ReminderStatus.SEND_NOW)
    evening = plan_check_in(start, now=local(2026, 11, 25, 17, 0), tz=TZ)
    assert (evening.at, evening.status) == (local(2026, 11, 26, 10, 0), ReminderStatus.SCHEDULED)
    weekend = plan_check_in(start, now=local(2026, 11, 28, 11, 0), tz=TZ)
    assert weekend.at == local(2026, 11, 30, 10, 0)


def test_check_in_day_off_calendar_can_be_replaced() -> None:
    start = local(2026, 11, 27, 13, 0)  # Friday
    check = plan_check_in(start, now=start, tz=TZ, is_day_off=lambda day: False)
    assert check.at == local(2026, 11, 28, 10, 0)


def test_finnish_days_off() -> None:
    off = [
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 6),
        dt.date(2027, 3, 26),
        dt.date(2027, 3, 29),
        dt.date(2027, 5, 6),
        dt.date(2027, 6, 25),
        dt.date(2027, 12, 6),
        dt.date(2027, 12, 24),
        dt.date(2026, 11, 28),
    ]
    assert all(is_finnish_day_off(day) for day in off)
    assert not any(is_finnish_day_off(d) for d in [dt.date(2027, 6, 18), dt.date(2027, 3, 25)])


# --- properties -----------------------------------------------------------------------

OFFSET_CHOICES = [15 * M, 30 * M, H, 2 * H, 3 * H, 6 * H, 24 * H, 48 * H]
moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31)).map(
    lambda naive: naive.replace(second=0, microsecond=0, tzinfo=UTC)
)


@given(
    start=moments,
    before=st.integers(min_value=1, max_value=10 * 24 * 60),
    offsets=st.lists(st.sampled_from(OFFSET_CHOICES), unique=True, max_size=4),
)
def test_reminder_properties(start: dt.datetime, before: int, offsets: list[dt.timedelta]) -> None:
    now = start - before * M
    planned = plan_reminders(start, offsets, now=now, tz=TZ)
    active = [p for p in planned if p.status in (ReminderStatus.SCHEDULED, ReminderStatus.SEND_NOW)]
    covered = [o for p in planned for o in p.offsets]
    assert sorted(covered) == sorted(offsets)  # every offset once: sent, merged or skipped
    for reminder in active:
        assert now <= reminder.at < start
        if is_quiet(reminder.at, TZ):
            assert start - reminder.at <= 3 * H
            assert reminder.adjustment is Adjustment.IMMINENT
        assert (reminder.status is ReminderStatus.SEND_NOW) == (reminder.at == now)
    assert sum(is_quiet(p.at, TZ) for p in active) <= 1
    ats = sorted(p.at for p in active)
    assert all(b - a >= 30 * M for a, b in itertools.pairwise(ats))


@given(end=moments, after=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60))
def test_follow_up_properties(end: dt.datetime, after: int) -> None:
    now = end + after * M
    follow = plan_follow_up(end, now=now, tz=TZ)
    if follow.status is ReminderStatus.SKIPPED:
        assert now > end
        return
    assert not is_quiet(follow.at, TZ)
    assert follow.at >= max(end + H, now)
    assert follow.at - end <= 24 * H


@given(start=moments, after=st.integers(min_value=0, max_value=5 * 24 * 60))
def test_check_in_properties(start: dt.datetime, after: int) -> None:
    now = start + after * M
    check = plan_check_in(start, now=now, tz=TZ)
    local_at = check.at.astimezone(TZ)
    assert check.at >= now
    assert local_at.date() > start.astimezone(TZ).date()
    assert not is_finnish_day_off(local_at.date())
    assert dt.time(10, 0) <= local_at.time() < dt.time(16, 0)
