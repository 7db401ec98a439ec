"""Project reports: the protecting arithmetic, the plug-in sections, chat, CSV and CLI."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli_report import report_from_cli
from bot.config import Settings
from content import Content, load_content
from handlers.core.types import Text
from handlers.domain import extras
from handlers.domain.report_math import (
    PROTECTED,
    RATING_TARGET,
    RESULT_SITUATIONS,
    Kind,
    Metric,
    Report,
    average,
    csv_rows,
    meetings_section,
    meets_target,
    participants_section,
    protect,
    results_section,
    share,
)
from storage import audit, memberships, reports, users
from storage.clock import to_text
from storage.db import Database
from tests.catalog_labels import lines_shown, shown
from tests.harness import Bot

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


# --- the pure arithmetic -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (1, PROTECTED), (4, PROTECTED), (5, 5), (60, 60)]
)
def test_small_counts_are_protected(count: int, shown: int | str) -> None:
    assert protect(count) == shown


@given(st.integers(min_value=0, max_value=10_000))
def test_protect_hides_exactly_one_to_four(count: int) -> None:
    shown = protect(count)
    assert (shown == PROTECTED) == (1 <= count <= 4)
    if shown != PROTECTED:
        assert shown == count


def test_a_negative_count_is_a_bug() -> None:
    with pytest.raises(ValueError):
        protect(-1)


def test_shares_need_five_and_round_half_up() -> None:
    assert share(3, 4) is None
    assert share(3, 8) == Decimal("37.5")
    assert share(1, 6) == Decimal("16.7")
    assert share(1, 16) == Decimal("6.3")  # 6.25 rounds half-up
    assert share(0, 5) == Decimal("0.0")
    with pytest.raises(ValueError):
        share(6, 5)


def test_averages_need_five_ratings_and_round_half_up() -> None:
    assert average([5, 5, 5, 5]) is None
    assert average([5, 4, 4, 5, 5]) == Decimal("4.6")
    assert average([4] * 11 + [5] * 9) == Decimal("4.5")  # 4.45 → 4.5
    with pytest.raises(ValueError):
        average([0, 5, 5, 5, 5])


def test_sections_check_their_inputs() -> None:
    with pytest.raises(ValueError):
        participants_section(10, 6, 3)
    with pytest.raises(ValueError):
        results_section({"retired": 2}, 2)
    section = results_section({"employment": 6, "education": 2}, 9)
    values = {m.key: m.value for m in section.metrics}
    assert values == {
        "told": 9,
        "result_job_searching": 0,
        "result_education": PROTECTED,
        "result_qualification": 0,
        "result_employment": 6,
    }


def test_rating_target_is_compared_only_when_shown() -> None:
    met = meetings_section(12, 40, 10, [5, 5, 4, 5, 5])
    rating = next(m for m in met.metrics if m.key == "rating_average")
    assert rating.value == Decimal("4.8") and rating.target == RATING_TARGET
    assert meets_target(rating) is True
    low = Metric("rating_average", Kind.RATING, Decimal("4.4"), RATING_TARGET)
    assert meets_target(low) is False
    assert meets_target(Metric("rating_average", Kind.RATING, None, RATING_TARGET)) is None


def test_csv_rows_use_finnish_notation() -> None:
    report = Report(
        "osmari",
        NOW,
        (participants_section(7, 3, 4), meetings_section(3, 30, 10, [4, 4, 5, 5, 5])),
    )
    assert csv_rows(report) == [
        ("participants", "enrolled", "7", ""),
        ("participants", "active", PROTECTED, ""),
        ("participants", "left", PROTECTED, ""),
        ("meetings", "meetings_held", "3", ""),
        ("meetings", "attendance_rate", "75,0", ""),
        ("meetings", "ratings", "5", ""),
        ("meetings", "rating_average", "4,6", "4,5"),
    ]


# --- figures from the database -------------------------------------------------------------
async def add_people(db: Database, project: str, active: int, left: int) -> list[str]:
    ids = []
    async with db.transaction() as conn:
        for n in range(active + left):
            user_id = f"test:{project}-{n}"
            await users.touch(conn, user_id, user_id, locale="fi", now=NOW, private_chat=True)
            await memberships.add(conn, user_id, project, "participant", NOW)
            if n >= active:
                await memberships.end(conn, user_id, project, "participant", NOW)
            ids.append(user_id)
    return ids


async def add_meeting(
    db: Database, project: str, people: list[str], *, ended: bool, attended: int, scores: list[int]
) -> None:
    start = NOW - dt.timedelta(days=1) if ended else NOW + dt.timedelta(days=1)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO meetings (uid, project, title, dtstart_local, duration_min,"
            " first_start, materialized_until, created_at, updated_at)"
            " VALUES (?, ?, 'Ryhmä', '2026-11-23T13:00:00', 60, ?, ?, ?, ?)",
            (
                f"uid-{start.isoformat()}",
                project,
                to_text(start),
                to_text(start),
                to_text(NOW),
                to_text(NOW),
            ),
        )
        meeting = cursor.lastrowid
        cursor = await conn.execute(
            "INSERT INTO occurrences (meeting_id, recurrence_id, start_utc, end_utc)"
            " VALUES (?, ?, ?, ?)",
            (meeting, to_text(start), to_text(start), to_text(start + dt.timedelta(hours=1))),
        )
        occurrence = cursor.lastrowid
        for index, person in enumerate(people):
            status = "attended" if index < attended else "missed"
            await conn.execute(
                "INSERT INTO attendance (occurrence_id, user_id, status, marked_at)"
                " VALUES (?, ?, ?, ?)",
                (occurrence, person, status, to_text(NOW)),
            )
        for person, score in zip(people, scores, strict=False):
            await conn.execute(
                "INSERT INTO ratings (occurrence_id, user_id, score, rated_at) VALUES (?, ?, ?, ?)",
                (occurrence, person, score, to_text(NOW)),
            )


async def test_report_counts_participants_meetings_and_ratings(db: Database) -> None:
    people = await add_people(db, "osmari", active=9, left=3)
    await add_people(db, "toimi", active=2, left=0)  # another project: not counted
    await add_meeting(db, "osmari", people[:8], ended=True, attended=6, scores=[5, 5, 4, 5, 4])
    await add_meeting(db, "osmari", people[:8], ended=False, attended=0, scores=[])
    async with db.transaction() as conn:
        report = await reports.build(conn, "osmari", NOW)
    values = {m.key: m.value for s in report.sections for m in s.metrics}
    assert [s.key for s in report.sections] == ["participants", "meetings", "results"]
    assert values["enrolled"] == 12 and values["active"] == 9 and values["left"] == PROTECTED
    assert values["meetings_held"] == 1  # the future one is not held yet
    assert values["attendance_rate"] == Decimal("37.5")  # 6 of 16 marked (8 + 8 missed)
    assert values["ratings"] == 5 and values["rating_average"] == Decimal("4.6")


async def test_the_results_section_plugs_in_when_its_table_exists(db: Database) -> None:
    people = await add_people(db, "osmari", active=2, left=8)
    async with db.transaction() as conn:
        await conn.execute("DROP TABLE exit_situations")  # as before migration 006
        before = await reports.build(conn, "osmari", NOW)
        await conn.execute(
            "CREATE TABLE exit_situations (user_id TEXT, project TEXT, situation TEXT,"
            " consent INTEGER)"
        )
        rows = [(p, "employment", 1) for p in people[2:8]] + [(people[8], "education", 1)]
        rows.append((people[9], "employment", 0))  # did not agree to tell: not counted
        await conn.executemany("INSERT INTO exit_situations VALUES (?, 'osmari', ?, ?)", rows)
        after = await reports.build(conn, "osmari", NOW)
    assert "results" not in [s.key for s in before.sections]
    results = next(s for s in after.sections if s.key == "results")
    values = {m.key: m.value for m in results.metrics}
    assert values["told"] == 7
    assert values["result_employment"] == 6
    assert values["result_education"] == PROTECTED


async def test_coordinator_sees_the_report_with_a_chart_and_csv(
    db: Database, content: Content
) -> None:
    await add_people(db, "osmari", active=6, left=2)
    async with Bot(db, content=content) as bot:
        coordinator = bot.person(1)
        await coordinator.says("/start")
        async with db.transaction() as conn:
            await memberships.add(conn, coordinator.user_id, "osmari", "coordinator", NOW)
        [summary] = await coordinator.says("/raportti")
        assert summary.text.startswith(lines_shown("report.summary", project="Osmari"))
        joined = shown("report.line", label=Text("report.metric_enrolled"), value=8)
        assert joined in summary.text
        assert shown("report.line", label=Text("report.metric_left"), value=PROTECTED) in (
            summary.text
        )
        assert summary.document is not None
        assert "report.chart_off" not in summary.keys
        name, png = summary.document
        assert name == "raportti-osmari.png" and png.startswith(b"\x89PNG")
        [export] = await coordinator.presses_key("report.csv_button")
        assert export.document is not None
        rows = list(csv.reader(io.StringIO(export.document[1].decode("utf-8-sig")), delimiter=";"))
        # issue 15: the coordinator's language, no English key in a Finnish file
        assert rows[0] == [
            shown(f"csv.report.{c}") for c in ("section", "metric", "value", "target")
        ]
        left = [
            shown("report.section_participants").strip(),
            shown("report.metric_left"),
            "< 5",
            "",
        ]
        assert left in rows
        keys = {"section", "metric", "value", "target", "participants", "left", "enrolled"}
        keys |= {"meetings", "results", "active", "rating_average", "attendance_rate"}
        assert not keys & {cell for row in rows for cell in row}
        [refused] = await coordinator.says("/raportti toimi")
        assert refused.keys[0] == "error.not_allowed"
        async with db.transaction() as conn:
            assert await audit.count(conn, "report.view") == 1
            assert await audit.count(conn, "report.csv") == 1


async def test_without_the_charts_extra_the_report_comes_as_text_and_csv(
    db: Database, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extras, "charts_available", lambda: False)
    await add_people(db, "osmari", active=6, left=2)
    async with Bot(db, content=content) as bot:
        coordinator = bot.person(1)
        await coordinator.says("/start")
        async with db.transaction() as conn:
            await memberships.add(conn, coordinator.user_id, "osmari", "coordinator", NOW)
        [summary] = await coordinator.says("/raportti")
        assert "report.summary" in summary.keys
        assert summary.document is None
        # the coordinator is told plainly why there is no chart, and what to ask for
        assert "report.chart_off" in summary.keys
        [export] = await coordinator.presses_key("report.csv_button")
        assert export.document is not None and export.document[0].endswith(".csv")


async def test_cli_report_prints_protected_figures_and_writes_csv(
    db: Database, tmp_path: Path
) -> None:
    await add_people(db, "osmari", active=7, left=1)
    settings = Settings(database=db.path, _env_file=None)
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "r.csv"
    args = argparse.Namespace(project="osmari", csv=target, lang="en")
    assert await report_from_cli(settings, args, out, err, now=NOW) == 0
    text = out.getvalue()
    assert "Report: Osmari" in text and "Enrolled: 8" in text and "Left: < 5" in text
    header = ";".join(shown(f"csv.report.{c}", "en") for c in ("section", "metric"))
    assert target.read_bytes().startswith(f"\ufeff{header};".encode())
    bad = argparse.Namespace(project="nope", csv=None, lang="fi")
    assert await report_from_cli(settings, bad, out, err, now=NOW) == 2
    assert "no project 'nope'" in err.getvalue()


def test_rating_target_comes_from_the_programme_content() -> None:
    import yaml
    from pydantic import ValidationError

    from content.loader import DEFAULT_CONTENT_DIR
    from content.schema import Programme

    raw = yaml.safe_load((DEFAULT_CONTENT_DIR / "programme.yaml").read_text(encoding="utf-8"))
    assert Programme.model_validate(raw).rating_target == Decimal("4.5")
    assert Programme.model_validate({**raw, "rating_target": "4.2"}).rating_target == Decimal("4.2")
    without = {key: value for key, value in raw.items() if key != "rating_target"}
    assert Programme.model_validate(without).rating_target == Decimal("4.5")  # the default
    for wrong in ("6", "0.5", "hyvä"):
        with pytest.raises(ValidationError):
            Programme.model_validate({**raw, "rating_target": wrong})


async def test_report_compares_ratings_with_the_given_target(db: Database) -> None:
    people = await add_people(db, "osmari", active=8, left=0)
    await add_meeting(db, "osmari", people, ended=True, attended=8, scores=[4, 4, 5, 4, 4])
    async with db.transaction() as conn:
        default = await reports.build(conn, "osmari", NOW)
        lower = await reports.build(conn, "osmari", NOW, reports.Options(Decimal("4.2")))
    [rating] = [m for s in default.sections for m in s.metrics if m.key == "rating_average"]
    [relaxed] = [m for s in lower.sections for m in s.metrics if m.key == "rating_average"]
    assert rating.value == Decimal("4.2")
    assert rating.target == RATING_TARGET and meets_target(rating) is False
    assert relaxed.target == Decimal("4.2") and meets_target(relaxed) is True


async def test_indicator_report_as_xlsx_in_the_coordinators_language(
    db: Database, content: Content
) -> None:
    """Issue 15: the funder's result indicators (EECR01–04) under their names, and no English
    key anywhere in a Finnish workbook."""
    import openpyxl

    people = await add_people(db, "osmari", active=2, left=6)
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO exit_situations (user_id, project, situation, answered_on)"
            " VALUES (?, 'osmari', 'job_searching', '2026-11-01')",
            [(user_id,) for user_id in people[2:]],
        )
    async with Bot(db, content=content) as bot:
        coordinator = bot.person(1)
        await coordinator.says("/start")
        async with db.transaction() as conn:
            await memberships.add(conn, coordinator.user_id, "osmari", "coordinator", NOW)
        await coordinator.says("/raportti osmari")
        [export] = await coordinator.presses_key("report.xlsx_button")
        assert export.document is not None
        name, content_bytes = export.document
        assert name.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(content_bytes))
        indicators, figures = book.worksheets
        assert indicators.title == shown("xlsx.sheet_indicators")
        rows = [[c.value for c in row] for row in indicators.iter_rows()]
        assert rows[0] == [shown("xlsx.code"), shown("xlsx.indicator"), shown("xlsx.participants")]
        assert ["EECR01", shown("xlsx.indicator.EECR01"), 6] in rows
        assert {row[0] for row in rows[1:]} >= {"EECR01", "EECR02", "EECR03", "EECR04"}
        cells = {
            str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
        }
        english = {"section", "metric", "value", "target", "participants", "enrolled", "left"}
        english |= {"results", "told", "result_job_searching", "job_searching", "meetings"}
        assert not english & cells
        assert figures.cell(1, 1).value == shown("csv.report.section")
        # the rating target is a number a spreadsheet can compute with, not the text "4,5"
        [target] = [
            row[3]
            for row in figures.iter_rows(values_only=True)
            if row[1] == shown("report.metric_rating_average")
        ]
        assert target == float(RATING_TARGET), target
        async with db.transaction() as conn:
            assert await audit.count(conn, "report.xlsx") == 1


def test_result_indicator_codes_name_what_domain_md_says() -> None:
    """EECR01–04 in the funder's order, each under the meaning DOMAIN.md gives ("Result
    indicators on leaving (within 4 weeks): engaged in job searching, in education or
    training, gaining a qualification, in employment (incl. self-employment)"): a swapped
    code or a name drifting from it fails here."""
    from handlers.staff.reports import RESULT_INDICATORS

    domain = {
        "EECR01": ("engaged in job searching",),
        "EECR02": ("in education or training",),
        "EECR03": ("gaining a qualification",),
        "EECR04": ("in employment", "self-employment"),
    }
    assert list(RESULT_INDICATORS.values()) == list(domain)
    metrics = [f"result_{name}" for name in RESULT_SITUATIONS]
    assert list(RESULT_INDICATORS) == metrics  # job searching, education, qualification, work
    for code, phrases in domain.items():
        name = shown(f"xlsx.indicator.{code}", "en")
        assert name.endswith("upon leaving"), name
        assert all(phrase in name.lower() for phrase in phrases), (code, name)
        for locale in ("fi", "sv"):
            assert shown(f"xlsx.indicator.{code}", locale) != name  # translated, not English
