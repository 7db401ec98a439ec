"""Recurrence bombs (issue 11 item 6): at most one meeting a day, a bounded expansion, and the
refusal told clearly in every place a rule comes in (a CSV or .ics import on the command
line, a group's rhythm in chat, content YAML)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.cli import main
from bot.i18n import Renderer
from bot.markup import html_to_plain
from content import load_content
from content.schema import Content, Rhythm
from handlers.core.types import Param
from handlers.domain.calendar_files import MeetingImportError, parse_meetings_csv
from handlers.domain.meeting_plan import series_times
from handlers.domain.recurrence import (
    MAX_COUNT,
    MAX_SPAN,
    RecurrenceError,
    RuleProblem,
    check_rule,
    describe_rule,
    expand,
    normalize_rule,
    occurrences,
)
from storage import meetings as meeting_store
from storage.db import Database
from tests.harness import Bot, Clock, Delivered, Person
from tests.meeting_helpers import ADMIN, GROUP, PROJECT, World, local, world

TZ = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC
MIDNIGHT = local(2027, 11, 3, 0, 0)


def _values(low: int, high: int) -> str:
    return ",".join(str(n) for n in range(low, high + 1))


#: The rule from the issue: 86 400 meetings a day.
BOMB = f"FREQ=DAILY;BYHOUR={_values(0, 23)};BYMINUTE={_values(0, 59)};BYSECOND={_values(0, 59)}"


def text(key: str, **params: Param) -> str:
    return html_to_plain(Renderer(TZ).text("fi", key, params))


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (BOMB, RuleProblem.SEVERAL_A_DAY),
        ("FREQ=DAILY;BYHOUR=0,12", RuleProblem.SEVERAL_A_DAY),
        ("FREQ=WEEKLY;BYDAY=WE;BYMINUTE=0,30", RuleProblem.SEVERAL_A_DAY),
        ("FREQ=MONTHLY;BYMONTHDAY=3;BYSECOND=0,1;COUNT=3", RuleProblem.SEVERAL_A_DAY),
        ("FREQ=HOURLY", RuleProblem.UNSUPPORTED_FREQUENCY),
        ("FREQ=MINUTELY;COUNT=5", RuleProblem.UNSUPPORTED_FREQUENCY),
        ("FREQ=SECONDLY;UNTIL=20271104", RuleProblem.UNSUPPORTED_FREQUENCY),
    ],
)
def test_a_rule_that_could_give_several_meetings_a_day_is_refused(
    rule: str, reason: RuleProblem
) -> None:
    with pytest.raises(RecurrenceError) as info:
        normalize_rule(rule, MIDNIGHT, TZ)
    assert info.value.reason is reason
    with pytest.raises(RecurrenceError) as template:
        check_rule(rule)
    assert template.value.reason is reason


def test_a_stored_rule_that_breaks_the_limits_is_never_expanded() -> None:
    """A rule imported before the checks existed: expanding it refuses instead of making
    three million occurrences for the next 35 days."""
    start = MIDNIGHT.astimezone(UTC)
    with pytest.raises(RecurrenceError) as info:
        expand(BOMB, MIDNIGHT, start, start + dt.timedelta(days=35), TZ)
    assert info.value.reason is RuleProblem.SEVERAL_A_DAY


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=DAILY;BYHOUR=0;BYMINUTE=0;BYSECOND=0",  # one value agreeing with the start
        "FREQ=WEEKLY;BYDAY=WE,FR;COUNT=20",  # several a week, on different days
        "FREQ=MONTHLY;BYMONTHDAY=3,17",  # several a month
        "FREQ=YEARLY;BYMONTH=11,12;BYMONTHDAY=3",
    ],
)
def test_several_meetings_a_week_or_a_month_are_fine(rule: str) -> None:
    normalize_rule(rule, MIDNIGHT, TZ)
    start = MIDNIGHT.astimezone(UTC)
    found = occurrences(rule, MIDNIGHT, start, start + dt.timedelta(days=400), TZ)
    days = [moment.astimezone(TZ).date() for moment in found]
    assert len(days) == len(set(days)) > 1


def test_a_count_that_does_not_fit_in_the_span_is_refused() -> None:
    """29 February on a Monday comes every 28 years: dateutil would walk day by day to the
    year 9999 looking for the 300 meetings (tens of seconds in one transaction)."""
    leap_monday = local(2016, 2, 29, 13, 0)
    rule = f"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;COUNT={MAX_COUNT}"
    with pytest.raises(RecurrenceError) as info:
        normalize_rule(rule, leap_monday, TZ)
    assert info.value.reason is RuleProblem.TOO_LONG
    # A weekly series of MAX_COUNT meetings still fits.
    normalize_rule(f"FREQ=WEEKLY;COUNT={MAX_COUNT}", MIDNIGHT, TZ)


def test_no_series_reaches_past_the_span() -> None:
    rare = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"
    leap_monday = local(2016, 2, 29, 13, 0)
    far = leap_monday.astimezone(UTC) + dt.timedelta(days=366 * 60)
    found = occurrences(rare, leap_monday, leap_monday.astimezone(UTC), far, TZ)
    assert found == [leap_monday.astimezone(UTC)]  # 2044 is past the span
    weekly = occurrences("FREQ=WEEKLY", MIDNIGHT, MIDNIGHT.astimezone(UTC), far, TZ)
    assert weekly[-1] < MIDNIGHT.astimezone(UTC) + MAX_SPAN
    assert describe_rule(f"{rare};UNTIL=20991231", leap_monday, TZ).last == dt.date(2016, 2, 29)


_PART_VALUES = {
    "FREQ": st.sampled_from(["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"]),
    "BYDAY": st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1),
    "BYMONTHDAY": st.sets(st.integers(1, 28), min_size=1),
    "BYHOUR": st.sets(st.integers(0, 23), min_size=1, max_size=4),
    "BYMINUTE": st.sets(st.integers(0, 59), min_size=1, max_size=4),
    "BYSECOND": st.sets(st.sampled_from([0, 30]), min_size=1),
}


@settings(max_examples=150, deadline=None)
@given(
    freq=_PART_VALUES["FREQ"],
    extra=st.fixed_dictionaries(
        {},
        optional={name: values for name, values in _PART_VALUES.items() if name != "FREQ"},
    ),
)
def test_any_accepted_rule_has_at_most_one_meeting_a_day(
    freq: str, extra: dict[str, set[object]]
) -> None:
    parts = [f"FREQ={freq}"]
    for name, values in extra.items():
        with_start = set(values) | {0} if name in ("BYHOUR", "BYMINUTE", "BYSECOND") else values
        parts.append(f"{name}={','.join(str(v) for v in sorted(with_start, key=str))}")
    rule = ";".join(parts)
    try:
        canonical = normalize_rule(rule, MIDNIGHT, TZ)
    except RecurrenceError:
        return
    start = MIDNIGHT.astimezone(UTC)
    found = occurrences(canonical, MIDNIGHT, start, start + dt.timedelta(days=120), TZ)
    per_day = itertools.groupby(found, key=lambda moment: moment.astimezone(TZ).date())
    assert all(len(list(group)) == 1 for _, group in per_day)


# --- where rules come in -----------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "start_date", "start_time", "duration_min", "repeat"])
    writer.writerows(rows)
    return out.getvalue()


def test_the_csv_parser_names_the_row_and_the_reason() -> None:
    with pytest.raises(MeetingImportError) as info:
        parse_meetings_csv(
            _csv(
                [
                    ["Ok", "3.11.2027", "13.00", "60", "weekly"],
                    ["Pommi", "3.11.2027", "0", "", BOMB],
                ]
            ),
            tz=TZ,
        )
    [problem] = info.value.problems
    assert (problem.row, problem.column, problem.cause) == (3, "repeat", RuleProblem.SEVERAL_A_DAY)


@pytest.mark.parametrize(
    "rule",
    [BOMB, "FREQ=DAILY;BYHOUR=0,12;COUNT=4", "FREQ=MINUTELY;COUNT=10"],
    ids=["the-issue", "twice-a-day", "minutely"],
)
def test_the_command_line_refuses_the_file_in_one_line_and_writes_nothing(
    rule: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("HANKEBOT_DATABASE", str(database))
    bombs = tmp_path / "pommi.csv"
    bombs.write_text(
        _csv(
            [
                ["Teemapäivä", "14.12.2027", "10.00", "240", "monthly"],
                ["Pommi", "3.11.2027", "00.00", "60", rule],
            ]
        ),
        encoding="utf-8",
    )
    code = main(["meetings", "import", str(bombs), "--project", "kaveria-ei-jateta"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("hankebot meetings: The file was not imported. Row 3: ")
    assert "at most once a day" in lines[0]
    assert captured.out == ""
    if database.exists():
        with sqlite3.connect(database) as conn:
            for table in ("meetings", "occurrences", "reminders", "outbox", "audit_log"):
                assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


def test_the_command_line_says_it_in_the_chosen_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HANKEBOT_DATABASE", str(tmp_path / "cli.sqlite3"))
    bombs = tmp_path / "pommi.csv"
    bombs.write_text(_csv([["Pommi", "3.11.2027", "00.00", "60", BOMB]]), encoding="utf-8")
    args = ["meetings", "import", str(bombs), "--project", "toimi", "--locale", "fi"]
    assert main(args) == 2
    [line] = capsys.readouterr().err.splitlines()
    cause = text("rule.several_a_day")
    assert line == f"hankebot meetings: {text('import.refused_row', row=2, cause=cause)}"


def test_a_rhythm_in_content_may_not_repeat_more_than_once_a_day() -> None:
    description = {"fi": "x", "sv": "x", "en": "x"}
    Rhythm(rrule="FREQ=WEEKLY;BYDAY=MO,TH;COUNT=13", description=description)
    for rule in ("FREQ=DAILY;BYHOUR=9,10;COUNT=13", "FREQ=HOURLY;COUNT=13"):
        with pytest.raises(ValidationError, match="at most one meeting a day"):
            Rhythm(rrule=rule, description=description)


def _with_rhythm(content: Content, rule: str) -> Content:
    """Content whose women's group rhythm is ``rule``, past validation (as an older release
    may have accepted it): the chat flow checks again."""
    project = content.projects[PROJECT]
    groups = [
        group.model_copy(update={"rhythm": group.rhythm.model_copy(update={"rrule": rule})})
        if group.id == GROUP
        else group
        for group in project.groups
    ]
    projects = dict(content.projects)
    projects[PROJECT] = project.model_copy(update={"groups": groups})
    return content.model_copy(update={"projects": projects})


async def _press(w: World, person: Person, payload: str) -> list[Delivered]:
    rows = await w.rows(
        "SELECT token FROM buttons WHERE chat_id = ? AND payload = ? ORDER BY rowid",
        person.user_id,
        payload,
    )
    assert rows, payload
    return await person.presses_token(str(rows[-1][0]))


async def test_the_chat_flow_refuses_a_rhythm_with_several_meetings_a_day(db: Database) -> None:
    clock = Clock(local(2026, 11, 2, 10, 0).astimezone(UTC))
    content = _with_rhythm(load_content(), "FREQ=DAILY;BYHOUR=9,13;COUNT=13")
    async with Bot(db, admins=frozenset({ADMIN}), clock=clock, content=content) as bot:
        w = World(bot, clock)
        coordinator = await w.coordinator()
        await w.participant(1)
        await coordinator.says("/tapaamiset")
        await _press(w, coordinator, "mt:new")
        await _press(w, coordinator, f"a:group:{GROUP}")
        await _press(w, coordinator, "r:rhythm")
        replies = await coordinator.says("ti 13.00")
        assert [r.text for r in replies] == [text("rule.several_a_day")]
        [(step,)] = await w.rows(
            "SELECT step FROM conversations WHERE user_id = ?", coordinator.user_id
        )
        assert step == "start"
        assert await w.rows("SELECT COUNT(*) FROM meetings") == [(0,)]
        assert await w.rows("SELECT COUNT(*) FROM occurrences") == [(0,)]


async def test_a_bomb_stored_before_the_limits_does_not_stop_the_scheduler(db: Database) -> None:
    """A series imported by an older release with the issue's rule: the scheduler skips it
    (once: it is noted as done) and goes on creating the other series' meetings."""
    monday = local(2026, 11, 2, 10, 0)
    async with world(db, monday) as w:
        await w.participant(1)
        async with w.db.transaction() as conn:
            bomb = await meeting_store.create(
                conn,
                project=PROJECT,
                group=GROUP,
                user_id=None,
                title="Pommi",
                times=series_times(None, local(2026, 11, 3, 0, 0), TZ),
                rule=BOMB,
                duration=dt.timedelta(minutes=1),
                now=w.clock(),
            )
        good = await w.meeting(local(2026, 11, 3, 13, 0), rule="FREQ=WEEKLY")
        w.clock.advance(days=7)
        made = await w.scheduler.extend(w.clock())
        assert made >= 1
        [(bomb_count,)] = await w.rows(
            "SELECT COUNT(*) FROM occurrences WHERE meeting_id = ?", bomb.id
        )
        assert bomb_count == 0
        [(until,)] = await w.rows("SELECT materialized_until FROM meetings WHERE id = ?", bomb.id)
        assert dt.datetime.fromisoformat(str(until)) > w.clock()
        assert len(await w.occurrence_ids(good)) >= 5
