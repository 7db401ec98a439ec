"""The reminder rows planned in memory (handlers.domain.reminder_plan), and storage taking
them ready (issue 12: storage/ only SQL)."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.domain import reminder_plan, reminder_times
from handlers.domain.reminder_plan import Slot, check_in_row, effective_offsets, rows_for
from handlers.domain.reminder_times import DEFAULT_OFFSETS

TZ = ZoneInfo("Europe/Helsinki")
HOUR = dt.timedelta(hours=1)
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # a Monday


def slot(number: int, day: int) -> Slot:
    start = dt.datetime(2026, 11, day, 13, 0, tzinfo=TZ)
    return Slot(occurrence_id=number, start=start, end=start + 2 * HOUR)


def test_the_three_levels_of_offsets() -> None:
    assert effective_offsets(None, None) == DEFAULT_OFFSETS
    assert effective_offsets(None, (HOUR,)) == (HOUR,)
    assert effective_offsets((), (HOUR,)) == ()  # "no reminders" is a choice too


def test_a_plan_is_made_once_for_everyone_with_the_same_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dt.datetime] = []
    real = reminder_times.plan_reminders

    def counting(start: dt.datetime, *args: object, **kwargs: object) -> object:
        calls.append(start)
        return real(start, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reminder_plan, "plan_reminders", counting)
    people = {f"test:{n}": DEFAULT_OFFSETS for n in range(60)} | {"test:own": (HOUR,)}
    rows = rows_for([slot(1, 3), slot(2, 10)], people, now=NOW, tz=TZ)
    assert len(calls) == 4  # two meetings × two kinds of settings
    per_person = {(r.occurrence_id, r.user_id) for r in rows}
    assert len(per_person) == 2 * 61
    default = [r for r in rows if r.user_id == "test:0" and r.occurrence_id == 1]
    assert [(r.kind, r.offset, r.state) for r in default] == [
        ("reminder", 24 * HOUR, "pending"),
        ("reminder", 2 * HOUR, "pending"),
        ("follow_up", dt.timedelta(0), "pending"),
    ]
    assert all(r.done_at is None for r in default)


def test_cancelled_and_started_meetings_get_nothing() -> None:
    cancelled = Slot(1, NOW + 24 * HOUR, NOW + 26 * HOUR, cancelled=True)
    started = Slot(2, NOW - HOUR, NOW + HOUR)
    assert rows_for([cancelled, started], {"test:1": DEFAULT_OFFSETS}, now=NOW, tz=TZ) == []


def test_an_offset_already_sent_is_not_planned_again_once_its_moment_has_passed() -> None:
    soon = Slot(1, NOW + 3 * HOUR, NOW + 4 * HOUR)  # 24 h has passed, 2 h has not
    fresh = rows_for([soon], {"test:1": DEFAULT_OFFSETS}, now=NOW, tz=TZ)
    assert [r.offset for r in fresh if r.kind == "reminder"] == [2 * HOUR]
    late = Slot(1, NOW + HOUR, NOW + 2 * HOUR)  # both have passed: one goes now ...
    [now_row] = [
        r
        for r in rows_for([late], {"test:1": DEFAULT_OFFSETS}, now=NOW, tz=TZ)
        if r.kind == "reminder"
    ]
    assert (now_row.offset, now_row.due_at) == (2 * HOUR, NOW)
    # ... unless one was sent already: then none (before issue 16 item 2 the 24 h one still
    # went, late, as a second reminder of the same meeting)
    sent = {(1, "test:1"): {2 * HOUR}}
    again = rows_for([late], {"test:1": DEFAULT_OFFSETS}, now=NOW, tz=TZ, sent=sent)
    assert [r for r in again if r.kind == "reminder"] == []


def test_a_check_in_is_on_the_next_working_day() -> None:
    friday = dt.datetime(2026, 11, 6, 13, 0, tzinfo=TZ)
    row = check_in_row(7, "test:1", friday, now=friday + 3 * HOUR, tz=TZ)
    assert (row.kind, row.state, row.occurrence_id) == ("check_in", "pending", 7)
    assert row.due_at.astimezone(TZ) == dt.datetime(2026, 11, 9, 10, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    "module", ["storage.meetings", "storage.reminders", "storage.participants"]
)
def test_storage_takes_only_row_classes_and_constants_from_handlers(module: str) -> None:
    """No planning or RRULE logic in storage: what it imports of handlers are types."""
    loaded = importlib.import_module(module)
    tree = ast.parse(Path(inspect.getfile(loaded)).read_text(encoding="utf-8"))
    imported = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("handlers")
        for alias in node.names
    ]
    for source, name in imported:
        value = getattr(importlib.import_module(str(source)), name)
        assert inspect.isclass(value) or name.isupper(), f"{module} imports {source}.{name}"


def soon(number: int) -> Slot:
    """A meeting that starts in 90 minutes."""
    start = NOW + 1.5 * HOUR
    return Slot(occurrence_id=number, start=start, end=start + HOUR)


def test_a_settings_change_after_a_sent_reminder_sends_no_second_one() -> None:
    # The 2 h reminder went out; the person then chose "only the day before" (issue 16
    # item 2: a late 24 h reminder followed 27 s later).
    rows = rows_for(
        [soon(1)],
        {"test:1": (24 * HOUR,)},
        now=NOW,
        tz=TZ,
        sent={(1, "test:1"): [2 * HOUR]},
    )
    assert [row.kind for row in rows] == ["follow_up"]


def test_a_settings_change_never_plans_a_reminder_whose_moment_has_passed() -> None:
    rows = rows_for([soon(1)], {"test:1": (24 * HOUR,)}, now=NOW, tz=TZ, catch_up=False)
    assert [row.kind for row in rows] == ["follow_up"]


def test_someone_who_just_joined_still_hears_of_a_meeting_soon() -> None:
    rows = rows_for([soon(1)], {"test:1": (24 * HOUR,)}, now=NOW, tz=TZ)
    [reminder] = [row for row in rows if row.kind == "reminder"]
    assert reminder.due_at <= NOW + dt.timedelta(minutes=1)
