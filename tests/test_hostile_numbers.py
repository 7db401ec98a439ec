"""Absurd numbers (issue 11 item 14): every parser of typed numbers, dates and times answers
40 digits, 10^400, "1e999", "NaN", "Infinity", "²" or 10 000 characters like any other wrong
input — in chat the step stays with the catalog answer, on the CLI exit code 2 and one line.

The property tests: for any text, a parser returns a value or raises its own input error,
nothing else (no ``decimal.InvalidOperation``, ``OverflowError`` or ``int()``'s ``ValueError``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.cli_budget import (
    Refusal,
    contribution_value,
    money_value,
    municipal_amounts_value,
    percent_value,
    staff_line_value,
)
from bot.transports.base import Capabilities
from content import Content, load_content
from content.schema import Question
from handlers.applicant.join_check import parse_age
from handlers.core.types import InvalidInput
from handlers.domain import budget_draft as bd
from handlers.domain.calendar_files import (
    ImportProblem,
    ImportReason,
    MeetingImportError,
    parse_meetings_csv,
)
from handlers.domain.datetime_input import (
    DateTimeInputError,
    parse_date,
    parse_datetime,
    parse_full_date,
    parse_time,
)
from handlers.domain.money import NumberInputError, parse_money, parse_percent
from handlers.domain.recurrence import MAX_COUNT, RecurrenceError, normalize_rule
from handlers.domain.whole_numbers import CountInputError, parse_count
from handlers.staff.roles import AUDIT_MAX
from storage.db import Database
from tests.applicant_chat import conversation
from tests.harness import Bot, Person
from tests.meeting_helpers import PROJECT, World, local, world
from tests.payloads import has_button, press_payload

TZ = ZoneInfo("Europe/Helsinki")
NOW = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
ABSURD = [
    "9" * 40,
    "1" + "0" * 400,
    "1e999",
    "1E+999999",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "²",
    "¹²",
    "9" * 5000,
    "1" * 10_000,
    "1 " * 5000,
    "9" * 40 + " %",
    "9" * 40 + " € 10 %",
    "0," + "0" * 40 + "1",
    "0," + "0" * 40 + "1 milj.",
]
texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(ABSURD),
    st.from_regex(r"\A[0-9 ,.eE€%+-]{1,80}\Z"),
    st.integers(min_value=10**15, max_value=10**400).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)


def takes_or_refuses(parse: Callable[[str], Any], error: type[Exception], text: str) -> None:
    with contextlib.suppress(error):
        parse(text)


# --- every parser: a value or its own error ----------------------------------------------------

AGE = Question(id="age", type="number", text={"fi": "?", "sv": "?", "en": "?"}, min=16)
# These take some absurd-looking words as what they are (a title "NaN", a side cost key,
# which is looked up in programme.yaml when the command runs).
WORDS_WELCOME = {"title", "names", "cli staff line side", "cli municipal asks whole"}
PARSERS: dict[str, tuple[Callable[[str], Any], type[Exception]]] = {
    "parse_money": (parse_money, NumberInputError),
    "parse_money en": (lambda t: parse_money(t, "en"), NumberInputError),
    "parse_percent": (parse_percent, NumberInputError),
    "money": (lambda t: bd.money(t, "fi", maximum=bd.MAX_MONTHLY_PAY), bd.EntryError),
    "percent": (bd.percent, bd.EntryError),
    "quantity": (
        lambda t: bd.parse_quantity(t, key="budget.error.months", maximum=bd.MAX_MONTHS),
        bd.EntryError,
    ),
    "years": (
        lambda t: bd.parse_quantity(
            t, key="budget.error.years", maximum=Decimal(bd.MAX_YEARS), whole=True
        ),
        bd.EntryError,
    ),
    "row": (lambda t: bd.parse_row(t, "fi", total=Decimal(216_618)), bd.EntryError),
    "names": (bd.parse_names, bd.EntryError),
    "weights": (lambda t: bd.parse_weights(t, 2), bd.EntryError),
    "amounts": (lambda t: bd.parse_amounts(t, 2, "fi"), bd.EntryError),
    "title": (bd.parse_title, bd.EntryError),
    "count": (lambda t: parse_count(t, minimum=1, maximum=MAX_COUNT), CountInputError),
    "time": (parse_time, DateTimeInputError),
    "full date": (parse_full_date, DateTimeInputError),
    "date": (lambda t: parse_date(t, now=NOW, tz=TZ), DateTimeInputError),
    "datetime": (lambda t: parse_datetime(t, now=NOW, tz=TZ), DateTimeInputError),
    "age": (
        lambda t: parse_age(t, AGE),
        InvalidInput,
    ),
    "rule": (
        lambda t: normalize_rule(f"FREQ=WEEKLY;COUNT={t}", local(2026, 11, 3, 13, 0), TZ),
        RecurrenceError,
    ),
    "interval": (
        lambda t: normalize_rule(f"FREQ=WEEKLY;INTERVAL={t}", local(2026, 11, 3, 13, 0), TZ),
        RecurrenceError,
    ),
    "cli money": (lambda t: money_value("--income", t), Refusal),
    "cli percent": (lambda t: percent_value("--eu-rate", t), Refusal),
    "cli contribution": (lambda t: contribution_value("--own", t), Refusal),
    "cli staff line months": (
        lambda t: staff_line_value(f"Ohjaaja;monthly=3300;months={t}"),
        Refusal,
    ),
    "cli staff line hours": (
        lambda t: staff_line_value(f"Ohjaaja;hourly=30;hours={t}"),
        Refusal,
    ),
    "cli staff line side": (
        lambda t: staff_line_value(f"Ohjaaja;monthly=3300;months=12;side={t}"),
        Refusal,
    ),
    "cli municipal ask": (
        lambda t: municipal_amounts_value(f"Juva=3 333,35; Mikkeli={t}"),
        Refusal,
    ),
    # The whole option as typed, names and all ("=5; Juva=3" used to raise ValueError).
    "cli municipal asks whole": (lambda t: municipal_amounts_value(f"{t}=5; Juva=3"), Refusal),
}


@pytest.mark.parametrize("name", sorted(set(PARSERS) - WORDS_WELCOME))
@pytest.mark.parametrize("text", ABSURD, ids=lambda t: f"{t[:12]}…{len(t)}")
def test_absurd_input_is_refused_by_every_parser(name: str, text: str) -> None:
    parse, error = PARSERS[name]
    with pytest.raises(error):
        parse(text)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_any_text_is_a_value_or_the_parsers_own_error(name: str) -> None:
    parse, error = PARSERS[name]

    @settings(max_examples=150, deadline=None)
    @given(texts)
    def check(text: str) -> None:
        takes_or_refuses(parse, error, text)

    check()


@pytest.mark.parametrize("name", sorted(set(PARSERS) - WORDS_WELCOME))
def test_ten_thousand_characters_are_refused(name: str) -> None:
    """The longest text a person could paste is refused with the parser's own error (an
    amount row used to be searched through first: 8 s for 10 000 digits)."""
    parse, error = PARSERS[name]
    for text in ("1" * 10_000, "1," * 5000, "1 %" * 3000):
        with pytest.raises(error):
            parse(text)


def test_real_amounts_still_read() -> None:
    assert parse_money("154 727,50 €") == Decimal("154727.50")
    assert parse_money("1 000 000 000") == Decimal(1_000_000_000)
    assert parse_percent("80,00 %") == Decimal(80)
    assert parse_count("0012", minimum=1, maximum=100) == 12
    assert bd.parse_quantity("1 720", key="k", maximum=bd.MAX_HOURS) == Decimal(1720)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("9" * 40, "too_large"),
        ("1" + "0" * 400, "too_large"),
        ("1" * 10_000, "too_large"),
        ("1 " * 5000, "too_large"),
        ("1x" * 5000, "format"),
        ("1e999", "format"),
        ("NaN", "format"),
        ("Infinity", "format"),
    ],
)
def test_amounts_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(NumberInputError) as caught:
        parse_money(text)
    assert caught.value.reason.value == problem
    with pytest.raises(NumberInputError) as caught:
        parse_percent(text)
    assert caught.value.reason.value == problem


# --- chat: the step stays, the answer is the catalog's -------------------------------------------


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
async def bot(db: Database, content: Content) -> AsyncIterator[Bot]:
    async with Bot(db, content=content, clock=lambda: NOW) as running:
        yield running


async def refused(bot: Bot, person: Person, text: str, key: str, **params: Any) -> None:
    """``text`` is answered with catalog ``key`` alone and the conversation stays put."""
    before = await conversation(bot.db, person.user_id)
    assert before is not None
    person.new_messages()
    answers = await person.says(text)
    assert [m.text for m in answers] == [bot.renderer.plain("fi", key, params)], text[:20]
    assert await conversation(bot.db, person.user_id) == before


async def budget_line(bot: Bot, person: Person) -> None:
    await person.says("/start")
    await press_payload(bot.db, person, "go:budget")
    await press_payload(bot.db, person, "b:model:")
    await press_payload(bot.db, person, "b:mode:lines")
    await person.says("Ohjaaja")
    if await has_button(bot.db, person, "b:side:"):
        await press_payload(bot.db, person, "b:side:")
    await press_payload(bot.db, person, "b:pay:monthly")


async def test_budget_steps_keep_their_place_on_absurd_numbers(bot: Bot) -> None:
    person = bot.person()
    await budget_line(bot, person)
    for text in ("9" * 40, "1" + "0" * 400, "1" * 4000):
        await refused(bot, person, text, "money.error.too_large")
    for text in ("1e999", "NaN", "Infinity", "²", "1x" * 1500):
        # the monthly pay's own example (issue 13: not "154 727" for a pay)
        await refused(bot, person, text, "money.error.format_month")
    await person.says("3300")
    await refused(bot, person, "9" * 40, "percent.error.too_large")
    await refused(bot, person, "1e999", "percent.error.format")
    await person.says("100")
    for text in ("9" * 40, "1e999", "NaN", "²"):
        await refused(bot, person, text, "budget.error.months", maximum=bd.MAX_MONTHS)
    await person.says("24")
    await press_payload(bot.db, person, "b:lines:done")
    await refused(bot, person, "9" * 40, "money.error.too_large")
    await person.says("0")
    await press_payload(bot.db, person, "b:app:")
    await press_payload(bot.db, person, "b:eu:other")
    await refused(bot, person, "9" * 40 + " %", "percent.error.too_large")
    await refused(bot, person, "9" * 40 + " €", "money.error.too_large")


async def test_numbered_buttons_do_not_trip_over_superscripts(
    db: Database, content: Content
) -> None:
    numbered = Capabilities(numbers_buttons=True)
    async with Bot(db, content=content, clock=lambda: NOW, capabilities=numbered) as bot:
        person = bot.person()
        await budget_line(bot, person)
        await refused(bot, person, "²", "money.error.format_month")
        await refused(bot, person, "¹²", "money.error.format_month")


async def meeting_at_duration(w: World) -> Person:
    coordinator = await w.coordinator()
    await coordinator.says("/tapaamiset")
    await press_payload(w.db, coordinator, "mt:new")
    await press_payload(w.db, coordinator, "a:all")
    await press_payload(w.db, coordinator, "r:weekly")
    await coordinator.says("ti 13.00")
    return coordinator


async def test_meeting_steps_keep_their_place_on_absurd_numbers(db: Database) -> None:
    async with world(db, local(2026, 11, 2, 10, 0)) as w:
        coordinator = await meeting_at_duration(w)
        for text in ("9" * 40, "9" * 4000, "0"):
            await refused(w.bot, coordinator, text, "rule.count_out_of_range", max=MAX_COUNT)
        for text in ("²", "1e999", "NaN", "Infinity"):
            await refused(w.bot, coordinator, text, "meetings.end_invalid")
        await coordinator.says("5")
        for text in ("9" * 40, "9" * 4000, "²", "90²", "1e999", "NaN"):
            await refused(w.bot, coordinator, text, "meetings.duration_invalid")
        admin = w.bot.person(99)  # an administrator in the world
        await admin.says("/start")
        for text in ("²", "9" * 40):
            [answer] = await admin.says(f"/loki {text}")
            expected = w.bot.renderer.plain("fi", "audit.usage", {"limit": AUDIT_MAX})
            assert answer.text == expected


# --- the CLI: exit code 2 and one line ---------------------------------------------------------


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit:
        code = int(exit.code or 0)
    return code, capsys.readouterr().err


def assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert len(err) < 400


BUDGET_ARGS = [
    ["--staff-total", "9" * 40],
    ["--staff-total", "1" + "0" * 400],
    ["--staff-total", "1e999"],
    ["--staff-total", "1" * 10_000],
    ["--staff-total", "1000", "--eu-rate", "9" * 40],
    ["--staff-total", "1000", "--income", "NaN"],
    ["--staff-total", "1000", "--municipal", "9" * 40 + "@10%"],
    ["--staff-line", "x;monthly=3300;months=1e999"],
    ["--staff-line", "x;monthly=3300;months=" + "9" * 32],
    ["--staff-line", "x;hourly=30;hours=Infinity"],
    ["--staff-line", "x;monthly=3300;months=12;side=" + "9" * 40],
    ["--staff-line", "x;monthly=3300;months=12;pct=" + "9" * 40],
    ["--staff-total", "1000", "--municipal", "100", "--split-municipal", "A=1e999,B=1"],
    ["--staff-total", "1000", "--municipal", "100", "--split-municipal", "A=NaN,B=1"],
    [
        "--staff-total",
        "1000",
        "--municipal",
        "100",
        "--split-municipal",
        "A,B",
        "--years",
        "9" * 40,
    ],
    ["--staff-total", "1000", "--municipal", "100", "--split-municipal", "A,B", "--years", "²"],
]


@pytest.mark.parametrize("argv", BUDGET_ARGS, ids=lambda a: " ".join(a)[:60])
def test_budget_cli_answers_absurd_numbers_in_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = cli(["budget", *argv], capsys)
    assert code == 2
    assert_one_line(err)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "db.sqlite3"
    monkeypatch.setenv("HANKEBOT_DATABASE", str(path))
    return path


ADD = ["meetings", "add", "--project", PROJECT, "--title", "x", "--start", "1.12.2027 10"]
MEETING_ARGS = [
    [*ADD, "--duration", "9" * 40],
    [*ADD, "--duration", "²"],
    [*ADD, "--duration", "0"],
    [*ADD, "--repeat", "weekly", "--count", "9" * 40],
    [*ADD, "--repeat", "weekly", "--count", "1" * 10_000],
    ["meetings", "list", "--project", PROJECT, "--days", "9" * 40],
    ["meetings", "list", "--project", PROJECT, "--days", "-1"],
]


@pytest.mark.parametrize("argv", MEETING_ARGS, ids=lambda a: " ".join(a[-2:])[:40])
def test_meetings_cli_answers_absurd_numbers_in_one_line(
    argv: list[str], database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = cli(argv, capsys)
    assert code == 2
    assert_one_line(err)


def test_a_meetings_file_with_absurd_numbers_lists_its_problems(
    tmp_path: Path, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "title;start_date;start_time;duration_min;repeat;count\n"
        f"A;1.12.2027;10.00;{'9' * 5000};weekly;\n"  # row 2
        "B;1.12.2027;10.00;²;weekly;\n"  # row 3
        f"C;1.12.2027;10.00;60;weekly;{'9' * 5000}\n"  # row 4
        "D;1.12.2027;10.00;60;weekly;²\n"  # row 5
        f'E;1.12.2027;10.00;60;"FREQ=WEEKLY;COUNT={"9" * 5000}";\n'  # row 6
        'F;1.12.2027;10.00;60;"FREQ=WEEKLY;COUNT=²";\n'  # row 7
    )
    with pytest.raises(MeetingImportError) as caught:
        parse_meetings_csv(text, tz=TZ)
    assert [(p.row, p.reason) for p in caught.value.problems] == [
        (2, ImportReason.BAD_DURATION),
        (3, ImportReason.BAD_DURATION),
        (4, ImportReason.BAD_RULE),
        (5, ImportReason.BAD_COUNT),
        (6, ImportReason.BAD_RULE),
        (7, ImportReason.BAD_RULE),
    ]
    assert isinstance(caught.value.problems[0], ImportProblem)
    path = tmp_path / "kevat.csv"
    path.write_text(text, encoding="utf-8")
    code, err = cli(["meetings", "import", str(path), "--project", PROJECT], capsys)
    assert code == 1 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 + 6
