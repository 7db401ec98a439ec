"""The budget walk-through in chat: the seed budgets to the euro, their known inconsistencies,
bad input at every typed step, editing staff lines, the XLSX/CSV/PNG files, numbered buttons."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot import maintenance
from bot.i18n import Renderer
from bot.markup import html_to_plain
from bot.transports.base import Capabilities
from handlers.applicant.budget_flow import summary_params
from handlers.core.types import Money, Percent
from handlers.domain import budget_draft as bd
from handlers.domain import extras
from handlers.domain.budget_math import (
    Contribution,
    FlagCode,
    StaffLine,
    cost_summary,
    rules_from_programme,
    staff_cost,
)
from storage import budget_drafts, personal_data, users
from storage.db import Database
from tests.applicant_chat import (
    assert_no_failure,
    conversation,
    plain,
    press,
    press_key,
    say,
    seed_content,
    tap,
    tap_key,
)
from tests.catalog_labels import lines_shown, shown
from tests.harness import Bot, Delivered, Person

COSTS, PLAN, CHECKS = (shown(f"budget.doc.{s}_sheet") for s in ("costs", "plan", "checks"))
MUNICIPAL, TOTAL = shown("budget.doc.municipal_sheet"), shown("budget.doc.total")

ASSOCIATION = "yhdistys tai muu järjestö"
MUNICIPALITY = "kunta tai työllisyysalue"


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Bot]:
    async with Bot(db, content=seed_content()) as running:
        yield running


# --- walking through ---------------------------------------------------------------------------


async def open_budget(person: Person) -> None:
    await person.says("/start")
    await press_key(person, "menu.budget")
    await press(person, "Flat rate 40 % kehittäminen")


async def staff_total(person: Person, total: str) -> Delivered:
    await open_budget(person)
    await press_key(person, "budget.staff_total")
    return await say(person, total)


async def finance(
    person: Person,
    *,
    applicant: str,
    income: str = "0",
    eu: str | None = None,
    rows: Mapping[str, str] | None = None,
    own: str = "rest",
    split: bool = False,
) -> Delivered:
    """From the income question to the summary (or to the split question with ``split``)."""
    await say(person, income)
    await press(person, applicant)
    if eu is None:
        await tap_key(person, "budget.eu_use_max")
    else:
        await press_key(person, "budget.eu_other")
        await say(person, eu)
    for label in rows or {}:
        await press(person, label)
    last = await tap_key(person, "applicant.done")
    for value in (rows or {}).values():
        last = await say(person, value)
    if own == "rest":
        last = await tap_key(person, "budget.own_rest")
    elif own == "none":
        last = await tap_key(person, "budget.own_none")
    else:
        await press_key(person, "budget.own_typed")
        last = await say(person, own)
    if "Jaetaanko se kuntien kesken" in last.text and not split:
        last = await tap_key(person, "budget.split_no")
    return last


def fi_cents(amount: Decimal) -> str:
    """ "24 565,68 €" (with plain spaces) for checking figures computed in a test."""
    return f"{amount:,.2f} €".replace(",", " ").replace(".", ",")


def fi_euros(amount: Decimal) -> str:
    return f"{amount:,.0f} €".replace(",", " ")


def lines_of(message: Delivered) -> list[str]:
    return plain(message.text).splitlines()


# --- the seed budgets ----------------------------------------------------------------------------


async def test_seed_000_to_the_euro(bot: Bot) -> None:
    person = bot.person()
    flat = await staff_total(person, "154 727")
    assert "40 % × 154 727 € = 61 890,80 € → 61 891 €" in plain(flat.text)
    summary = await finance(
        person,
        applicant=ASSOCIATION,
        rows={"Kuntarahoitus": "19 499", "Muu julkinen rahoitus": "19 499 €"},
    )
    shown = lines_of(summary)
    for line in (
        "Palkkakustannukset: 154 727 €",
        "Flat rate 40 % kehittäminen: 61 891 €",
        "Tulot (vähennetään kustannuksista): 0 €",
        "Nettokustannusarvio yhteensä: 216 618 €",
        "Haettava EU- ja valtion rahoitus: 173 294 € (80,00 %)",
        "Omarahoitus: Yksityinen rahoitus: 4 326 € (2,00 %)",
        "Kuntarahoitus: 19 499 € (9,00 %)",
        "Muu julkinen rahoitus: 19 499 € (9,00 %)",
        "Yksityinen rahoitus: 0 € (0,00 %)",
        "Rahoitussuunnitelma yhteensä: 216 618 € (100,00 %)",
    ):
        assert line in shown, (line, shown)
    assert "✅" in summary.text and "⚠️" not in summary.text


async def test_seed_002_municipal_applicant(bot: Bot) -> None:
    person = bot.person()
    await staff_total(person, "618 629")
    summary = await finance(person, applicant=MUNICIPALITY)
    shown = lines_of(summary)
    for line in (
        "Flat rate 40 % kehittäminen: 247 452 €",
        "Nettokustannusarvio yhteensä: 866 081 €",
        "Haettava EU- ja valtion rahoitus: 692 864 € (80,00 %)",
        "Omarahoitus: Kuntarahoitus: 173 217 € (20,00 %)",
        "Rahoitussuunnitelma yhteensä: 866 081 € (100,00 %)",
    ):
        assert line in shown, (line, shown)
    assert "⚠️" not in summary.text


async def test_seed_003_figures_and_its_inconsistencies(bot: Bot) -> None:
    person = bot.person()
    await staff_total(person, "185 294")
    summary = await finance(
        person,
        applicant=ASSOCIATION,
        eu="207 522 € 80 %",
        rows={"Kuntarahoitus": "25 945 € (10 %)"},
        own="25 945 € 10 %",
    )
    text = plain(summary.text)
    for line in (
        "Flat rate 40 % kehittäminen: 74 118 €",
        "Nettokustannusarvio yhteensä: 259 412 €",
        "Haettava EU- ja valtion rahoitus: 207 522 € (80,00 %)",
        "Omarahoitus: Yksityinen rahoitus: 25 945 € (10,00 %)",
        "Kuntarahoitus: 25 945 € (10,00 %)",
        "Rahoitussuunnitelma yhteensä: 259 412 € (100,00 %)",
    ):
        assert line in text.splitlines(), (line, text)
    # EU + state 7,60 € below 80 %; each 10 % row 3,80 € above.
    assert (
        "Haettava EU- ja valtion rahoitus: 207 522,00 €, mutta 80,00 % nettokustannuksista on"
        " 207 529,60 € (ero -7,60 €)" in text.replace("\u2212", "-")
    )
    assert (
        "Omarahoitus: Yksityinen rahoitus: 25 945,00 €, mutta 10,00 % nettokustannuksista"
        " on 25 941,20 € (ero +3,80 €)" in text
    )
    assert (
        "Kuntarahoitus: 25 945,00 €, mutta 10,00 % nettokustannuksista on 25 941,20 € (ero +3,80 €)"
        in text
    )
    assert text.count("• ") == 3
    assert "rivit ovat yhteensä" not in text.lower()  # the rows do sum


async def test_seed_004_figures_and_its_inconsistency(bot: Bot) -> None:
    person = bot.person()
    await staff_total(person, "6 161 688")
    summary = await finance(
        person, applicant=MUNICIPALITY, eu="6 901 089 € 80 %", own="1 725 274 € 20 %"
    )
    text = plain(summary.text).replace("\u2212", "-")
    for line in (
        "Flat rate 40 % kehittäminen: 2 464 675 €",
        "Nettokustannusarvio yhteensä: 8 626 363 €",
        "Haettava EU- ja valtion rahoitus: 6 901 089 € (80,00 %)",
        "Omarahoitus: Kuntarahoitus: 1 725 274 € (20,00 %)",
        "Rahoitussuunnitelma yhteensä: 8 626 363 € (100,00 %)",
    ):
        assert line in text.splitlines(), (line, text)
    assert "6 901 090,40 € (ero -1,40 €)" in text
    assert "1 725 272,60 € (ero +1,40 €)" in text


async def test_osuva_municipal_amounts_per_year_and_the_unstated_share(bot: Bot) -> None:
    person = bot.person()
    await staff_total(person, "100 000")
    await finance(person, applicant=ASSOCIATION, rows={"Kuntarahoitus": "18 401"}, split=True)
    await press_key(person, "budget.split_yes")
    await say(person, "2")
    await say(person, "Hirvensalmi, Juva, Kangasniemi, Mikkeli")
    await press_key(person, "budget.method.amounts")
    summary = await say(person, "2 533,65; 3 333,35; 3 333,35; -")
    text = plain(summary.text).replace("\u2212", "-")
    assert "Hirvensalmi: 5 067,30 €" in text
    assert "Juva: 6 666,70 €" in text
    assert "Mikkeli: summaa ei ole kerrottu" in text
    assert "– 1. vuosi: 9 200,35 €" in text and "– 2. vuosi: 9 200,35 €" in text
    assert "Kunnan Mikkeli osuutta ei ole kerrottu." in text
    shares = lines_shown(
        "budget.flag.municipal_split_mismatch",
        amount=Money(Decimal("18400.70"), cents=True),
        expected=Money(Decimal("18401.00"), cents=True),
    )
    assert plain(shares) in text


async def test_municipal_share_split_equally_and_by_weights(bot: Bot) -> None:
    person = bot.person()
    await staff_total(person, "154 727")
    await finance(person, applicant=ASSOCIATION, rows={"Kuntarahoitus": "19 499"}, split=True)
    await press_key(person, "budget.split_yes")
    await say(person, "2")
    await say(person, "Mikkeli, Juva")
    await press_key(person, "budget.method.weights")
    bad = await say(person, "3")
    assert plain(shown("budget.error.count", count=2)) in plain(bad.text)
    summary = await say(person, "3; 1")
    text = plain(summary.text)
    assert "Mikkeli: 14 624,25 €" in text and "Juva: 4 874,75 €" in text
    assert "⚠️" not in text
    await press_key(person, "budget.edit_financing")
    await press(person, ASSOCIATION)
    await tap_key(person, "budget.eu_use_max")
    await press_key(person, "applicant.done")  # municipal still chosen
    await say(person, "19 499")
    await tap_key(person, "budget.own_rest")
    await press_key(person, "budget.split_yes")
    await say(person, "1")
    await say(person, "Mikkeli; Juva; Kangasniemi")
    summary = await tap_key(person, "budget.method.equal")
    text = plain(summary.text)
    assert "Mikkeli: 6 499,67 €" in text and "Kangasniemi: 6 499,66 €" in text


# --- staff lines -------------------------------------------------------------------------------


async def add_monthly_line(
    person: Person, title: str, pay: str, percent: str, months: str
) -> Delivered:
    await say(person, title)
    await person.presses_payload("b:side:general")
    await press_key(person, "budget.pay_monthly")
    await say(person, pay)
    await say(person, percent)
    return await say(person, months)


async def test_staff_lines_show_the_arithmetic_and_can_be_edited_and_removed(
    bot: Bot, db: Database
) -> None:
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    first = await add_monthly_line(person, "Projektipäällikkö", "3 300", "100", "24")
    text = plain(first.text)
    # DOMAIN.md: 3 300 €/month → 23,02 €/h → 29,11 €/h → 50 070 €/year full time. The sum
    # uses the exact rate (29,1106…), so 3 440 h × 29,11 €/h (= 100 138,40 €) is not shown as
    # 100 140,48 €: the rates are marked rounded and the cost is shown in exact figures.
    assert "3 300,00 €/kk × 12 / 1 720 h ≈ 23,02 €/h" in text
    side = Percent(Decimal("26.44"))
    about = shown("budget.calc.side_about", side=side, rate=Money(Decimal("29.11"), decimals=2))
    assert plain(about) in text
    assert "1 720 h × 100 % × 24 kk / 12 = 3 440 h" in text
    assert "3 300,00 €/kk × 24 kk × 100 % × (100 % + 26,44 %) = 100 140,48 €" in text
    assert "× 29,11 €/h =" not in text
    assert Decimal(3300) * 24 * Decimal("1.2644") == Decimal("100140.48")
    assert "1. Projektipäällikkö: 100 140,48 €" in text

    await press_key(person, "budget.add_line")
    await say(person, "Ohjaaja")
    await person.presses_payload("b:side:uas-teacher")
    await press_key(person, "budget.pay_hourly")
    await say(person, "25,50")
    second = await say(person, "800")
    text = plain(second.text)
    rate = Decimal("25.50") * Decimal("1.2042")
    # 25,50 × 1,2042 = 30,7071 €/h exactly: shown with the decimals the sum uses.
    assert plain(shown("budget.calc.hourly", hourly=Money(Decimal("25.50"), cents=True))) in text
    exact = shown("budget.calc.side", side=Percent(Decimal("20.42")), rate=Money(rate, decimals=4))
    assert plain(exact) in text
    expected = (rate * 800).quantize(Decimal("0.01"))
    assert f"800 h × 30,7071 €/h = {fi_cents(expected)}" in text

    # Edit line 1 to half time for 12 months.
    await press_key(person, "budget.edit_line")
    await press(person, "1. Projektipäällikkö")
    edited = await add_monthly_line(person, "Projektipäällikkö", "3 300", "50", "12")
    assert "1 720 h × 50 % × 12 kk / 12 = 860 h" in plain(edited.text)
    assert "1. Projektipäällikkö: 25 035,12 €" in plain(edited.text)  # 50 070,24 € × 50 %
    assert "2. Ohjaaja" in plain(edited.text)

    # Remove line 2.
    await press_key(person, "budget.remove_line")
    removed = await tap(person, "2. Ohjaaja")
    assert removed.shows("budget.removed") and "Ohjaaja." in plain(removed.text)
    assert "Ohjaaja:" not in plain(removed.text)
    flat = await tap_key(person, "budget.lines_done")
    assert "Palkkakustannukset: 25 035 €" in plain(flat.text)
    assert "40 % × 25 035 € = 10 014,00 € → 10 014 €" in plain(flat.text)
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "income"
    assert [line["title"] for line in state[2]["lines"]] == ["Projektipäällikkö"]


async def test_editing_staff_from_the_summary_recomputes_everything(bot: Bot) -> None:
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    await add_monthly_line(person, "Koordinaattori", "3 300", "100", "12")
    await press_key(person, "budget.lines_done")
    summary = await finance(person, applicant=ASSOCIATION)
    assert "Palkkakustannukset: 50 070 €" in plain(summary.text)
    await press_key(person, "budget.edit_staff")
    await press_key(person, "budget.add_line")
    await add_monthly_line(person, "Ohjaaja", "2 500", "100", "12")
    summary = await tap_key(person, "budget.lines_done")  # straight back to the summary
    staff = cost_summary(
        [
            StaffLine("a", monthly_pay=Decimal(3300), months=Decimal(12)),
            StaffLine("b", monthly_pay=Decimal(2500), months=Decimal(12)),
        ]
    ).staff
    assert f"Palkkakustannukset: {fi_euros(staff)}" in plain(summary.text)
    assert "Rahoitussuunnitelma yhteensä" in summary.text


async def test_title_is_escaped_and_emoji_only_is_refused(bot: Bot) -> None:
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    refused = await say(person, "🙂🙂")
    assert refused.shows("budget.error.title")
    asked = await say(person, "<b>Johtaja</b> & co")
    assert "&lt;b&gt;Johtaja&lt;/b&gt; &amp; co" in asked.html
    assert "<b>Johtaja</b>" not in asked.html


# --- bad input at every typed step -------------------------------------------------------------

BAD_INPUTS = ("abc", "-5", "999 999 999 999 999", "<b>5</b>", "🙂", "   ")


async def _to_step(person: Person, step: str) -> None:
    """Walk to ``step`` with valid answers."""
    await open_budget(person)
    if step == "staff_total":
        await press_key(person, "budget.staff_total")
        return
    if step.startswith("line_"):
        await press_key(person, "budget.staff_lines")
        if step == "line_title":
            return
        await say(person, "Ohjaaja")
        await person.presses_payload("b:side:general")
        if step in ("line_hourly", "line_hours"):
            await press_key(person, "budget.pay_hourly")
            if step == "line_hours":
                await say(person, "25")
            return
        await press_key(person, "budget.pay_monthly")
        if step == "line_monthly":
            return
        await say(person, "3 000")
        if step == "line_months":
            await say(person, "100")
        return
    await press_key(person, "budget.staff_total")
    await say(person, "154 727")
    if step == "income":
        return
    await say(person, "0")
    await press(person, ASSOCIATION)
    if step == "eu_typed":
        await press_key(person, "budget.eu_other")
        return
    await tap_key(person, "budget.eu_use_max")
    if step == "row_typed":
        await press(person, "Kuntarahoitus")
        await press_key(person, "applicant.done")
        return
    if step == "own_typed":
        await press_key(person, "applicant.done")
        await press_key(person, "budget.own_typed")
        return
    await press(person, "Kuntarahoitus")
    await press_key(person, "applicant.done")
    await say(person, "19 499")
    await tap_key(person, "budget.own_rest")
    await press_key(person, "budget.split_yes")
    if step == "years":
        return
    await say(person, "2")
    if step == "names":
        return
    await say(person, "Mikkeli, Juva")
    await press_key(
        person, "budget.method.weights" if step == "weights" else "budget.method.amounts"
    )


TYPED_STEPS = {
    "staff_total": "154 727",
    "line_title": "Ohjaaja",
    "line_monthly": "3 000",
    "line_percent": "80",
    "line_months": "12",
    "line_hourly": "25",
    "line_hours": "800",
    "income": "0",
    "eu_typed": "75 %",
    "row_typed": "19 499",
    "own_typed": "5 %",
    "years": "2",
    "names": "Mikkeli, Juva",
    "weights": "2; 1",
    "amounts": "1 000; 2 000",
}


@pytest.mark.parametrize("step", sorted(TYPED_STEPS))
async def test_bad_input_at_every_typed_step_keeps_the_step(
    bot: Bot, db: Database, step: str
) -> None:
    person = bot.person()
    await _to_step(person, step)
    before = await conversation(db, person.user_id)
    assert before is not None and before[1] == step, before
    for text in BAD_INPUTS:
        if step in ("line_title", "names") and text == "abc":
            continue  # letters are a fine title / municipality
        if step == "line_title" and text == "<b>5</b>":
            continue  # a title with letters is accepted (and shown escaped)
        answer = await say(person, text)
        assert_no_failure(answer)
        assert answer.labels == [], (step, text)  # an explanation, no new keyboard
        after = await conversation(db, person.user_id)
        assert after is not None and after[:2] == before[:2], (step, text, after)
        if text.strip():
            assert "<b>5</b>" not in answer.html
    moved = await say(person, TYPED_STEPS[step])
    assert_no_failure(moved)
    after = await conversation(db, person.user_id)
    assert after is not None and after[1] != step


async def test_typical_mistakes_get_specific_answers(bot: Bot) -> None:
    person = bot.person()
    await _to_step(person, "row_typed")
    assert (await say(person, "10")).shows("budget.error.percent_or_euro")
    assert (await say(person, "300 000")).shows("budget.error.amount_above_total")
    assert (await say(person, "19 499,50")).shows("budget.error.not_whole_euros")
    assert (await say(person, "19,499")).shows("money.error.ambiguous")
    person2 = bot.person(2)
    await _to_step(person2, "line_monthly")
    assert "enintään 30 000 €" in plain((await say(person2, "45 000")).text)
    assert (await say(person2, "0")).shows("budget.error.zero_pay")
    person3 = bot.person(3)
    await _to_step(person3, "income")
    assert (await say(person3, "300 000")).shows("budget.error.income_exceeds_costs")
    person4 = bot.person(4)
    await _to_step(person4, "line_percent")
    assert (await say(person4, "0")).shows("budget.error.working_time_range")
    assert (await say(person4, "150")).shows("percent.error.too_large")


async def test_a_choice_step_refuses_typed_text_and_shows_the_options_again(
    bot: Bot, db: Database
) -> None:
    person = bot.person()
    await open_budget(person)
    answer = await say(person, "kaikki")
    assert answer.keys == ("applicant.use_buttons", "budget.staff_mode_ask")
    assert answer.label_keys == ["budget.staff_lines", "budget.staff_total"]
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "staff_mode"


async def test_typing_an_options_text_picks_it(bot: Bot, db: Database) -> None:
    person = bot.person()
    await _to_step(person, "income")
    await say(person, "0")
    picked = await say(person, "yhdistyksenä")  # "Yhdistys tai muu järjestö"
    assert not picked.shows("applicant.use_buttons")
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "eu" and state[2]["applicant"] == "association"
    other = bot.person(2)
    await _to_step(other, "income")
    await say(other, "0")
    await say(other, "Kunta")
    state = await conversation(db, other.user_id)
    assert state is not None and state[2]["applicant"] == "municipality"


async def test_numbered_transports_read_typed_numbers_as_answers(db: Database) -> None:
    numbered = Capabilities(numbers_buttons=True)
    async with Bot(db, content=seed_content(), capabilities=numbered) as bot:
        person = bot.person()
        await open_budget(person)
        await person.says("1")  # presses "Lisään henkilöt yksi kerrallaan"
        await say(person, "Ohjaaja")
        await person.says("1")  # general side costs
        await person.says("1")  # monthly pay
        await say(person, "2 000")
        await say(person, "50")
        done = await say(person, "2")  # 2 months, not button 2
        assert "1 720 h × 50 % × 2 kk / 12 = 143,33 h" in plain(done.text)
        await person.says("4")  # "Valmis, jatketaan" (add, edit, remove, done)
        income = await say(person, "1")  # 1 € of income
        assert "− 1 €" in plain(income.text)


async def test_cancel_forgets_the_budget_after_asking_once(bot: Bot, db: Database) -> None:
    person = bot.person()
    await staff_total(person, "154 727")
    [asked] = await person.says("/peru")
    assert asked.shows("cancel.confirm_budget")
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "income"  # nothing thrown away yet
    [done] = await person.says("/peru")  # the second time it is done
    assert done.shows("cancel.done")
    assert await conversation(db, person.user_id) is None


async def test_cancel_question_can_be_answered_both_ways(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    await add_monthly_line(person, "Ohjaaja", "3 000", "100", "12")
    [asked] = await person.says("peru")  # typed without a slash
    assert asked.shows("cancel.confirm_budget")
    [back] = await press_key(person, "cancel.keep_going")
    assert back.shows("budget.lines")  # the question it was at, again
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "lines" and len(state[2]["lines"]) == 1
    await person.says("/peru")
    [done] = await press_key(person, "cancel.really")
    assert done.shows("cancel.done")
    assert await conversation(db, person.user_id) is None


async def test_cancel_before_any_figure_asks_nothing(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_budget(person)
    [done] = await person.says("/peru")
    assert done.shows("cancel.done")
    assert await conversation(db, person.user_id) is None


# --- files ------------------------------------------------------------------------------------


async def _summary_000(person: Person) -> Delivered:
    await staff_total(person, "154 727")
    return await finance(
        person,
        applicant=ASSOCIATION,
        rows={"Kuntarahoitus": "19 499", "Muu julkinen rahoitus": "19 499"},
    )


async def test_xlsx_holds_the_funders_rows_as_numbers(bot: Bot) -> None:
    person = bot.person()
    await _summary_000(person)
    [file] = await press_key(person, "budget.file_xlsx")
    assert file.document is not None
    name, content = file.document
    assert name == shown("budget.doc.basename") + ".xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [COSTS, PLAN, CHECKS]
    plan = workbook[PLAN]
    table = {row[0]: row[1:] for row in plan.iter_rows(values_only=True)}
    assert table["Haettava EU- ja valtion rahoitus"] == (173294, pytest.approx(0.8))
    assert table["Omarahoitus: Yksityinen rahoitus"][0] == 4326
    assert table["Kuntarahoitus"][0] == table["Muu julkinen rahoitus"][0] == 19499
    assert table["Rahoitussuunnitelma yhteensä"] == (216618, pytest.approx(1.0))
    assert plan["B2"].number_format == '#,##0 "€"'
    costs = {row[0]: row[1] for row in workbook[COSTS].iter_rows(values_only=True) if row}
    assert costs["Flat rate 40 % kehittäminen"] == 61891
    assert costs["Nettokustannusarvio yhteensä"] == 216618
    assert workbook[CHECKS]["A1"].value == shown("budget.doc.no_findings")


async def test_xlsx_has_staff_lines_municipalities_and_findings(bot: Bot) -> None:
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    await add_monthly_line(person, "Projektipäällikkö", "3 300", "100", "24")
    await press_key(person, "budget.lines_done")
    await finance(
        person, applicant=ASSOCIATION, rows={"Kuntarahoitus": "20 000 € 10 %"}, split=True
    )
    await press_key(person, "budget.split_yes")
    await say(person, "2")
    await say(person, "Mikkeli, Juva")
    await press_key(person, "budget.method.equal")
    [file] = await press_key(person, "budget.file_xlsx")
    assert file.document is not None
    workbook = openpyxl.load_workbook(io.BytesIO(file.document[1]))
    assert workbook.sheetnames == [COSTS, PLAN, MUNICIPAL, CHECKS]
    costs = list(workbook[COSTS].iter_rows(values_only=True))
    header = next(row for row in costs if row and row[0] == "Tehtävä")
    line = costs[costs.index(header) + 1]
    assert line[0] == "Projektipäällikkö" and line[1] == 3300
    assert line[6] == pytest.approx(100140.48)
    municipal = list(workbook[MUNICIPAL].iter_rows(values_only=True))
    assert municipal[0] == (shown("budget.doc.municipality"), TOTAL, "1. vuosi", "2. vuosi")
    assert municipal[1][0] == "Mikkeli" and municipal[-1][0] == TOTAL
    assert municipal[-1][1] == pytest.approx(20000)
    findings = [row[0] for row in workbook[CHECKS].iter_rows(values_only=True)]
    assert any("Kuntarahoitus" in plain(f) and "10,00 %" in plain(f) for f in findings)


async def test_csv_is_semicolon_separated_with_decimal_commas(bot: Bot) -> None:
    person = bot.person()
    await _summary_000(person)
    [file] = await press_key(person, "budget.file_csv")
    assert file.document is not None
    name, content = file.document
    assert name == shown("budget.doc.basename") + ".csv" and content.startswith(b"\xef\xbb\xbf")
    rows_ = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert ["Haettava EU- ja valtion rahoitus", "173294", "80,00"] in rows_
    assert ["Rahoitussuunnitelma yhteensä", "216618", "100,00"] in rows_
    assert ["Nettokustannusarvio yhteensä", "216618"] in rows_


async def test_csv_writes_hours_and_rates_as_plain_decimals(bot: Bot) -> None:
    # Issue 14: hours were written "1,72E+3" (str of a normalised Decimal), and the rate
    # 29,11 although the cost uses the exact 29,1106… .
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    await add_monthly_line(person, "Projektipäällikkö", "3 300", "100", "12")
    await press_key(person, "budget.lines_done")
    await finance(person, applicant=ASSOCIATION, rows={})
    [file] = await press_key(person, "budget.file_csv")
    assert file.document is not None
    rows_ = list(csv.reader(io.StringIO(file.document[1].decode("utf-8-sig")), delimiter=";"))
    line = next(row for row in rows_ if row and row[0] == "Projektipäällikkö")
    assert line[5] == "1720" and "E" not in ";".join(line)
    rate, hours, cost = (Decimal(line[i].replace(",", ".")) for i in (4, 5, 6))
    assert cost == Decimal("50070.24")
    assert (rate * hours).quantize(Decimal("0.01")) == cost


async def test_png_chart_is_a_real_picture(bot: Bot) -> None:
    person = bot.person()
    await _summary_000(person)
    [file] = await press_key(person, "budget.file_png")
    assert file.document is not None
    name, content = file.document
    assert name == shown("budget.doc.basename") + ".png" and content.startswith(
        b"\x89PNG\r\n\x1a\n"
    )
    assert len(content) > 10_000
    image = Image.open(io.BytesIO(content))
    assert image.width > 600 and image.height > 300
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 20  # bars, text and anti-aliasing


async def test_without_the_charts_extra_no_chart_is_offered(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lean install (no matplotlib): the summary offers the spreadsheet files only."""
    monkeypatch.setattr(extras, "charts_available", lambda: False)
    person = bot.person()
    summary = await _summary_000(person)
    assert summary.has_button("budget.file_xlsx") and summary.has_button("budget.file_csv")
    assert not summary.has_button("budget.file_png")
    monkeypatch.setattr(extras, "charts_available", lambda: True)
    assert (await _summary_000(bot.person(2))).has_button("budget.file_png")


async def test_files_in_english_use_english_labels(db: Database) -> None:
    async with Bot(db, content=seed_content()) as bot:
        person = bot.person(1, "en")
        await person.says("/start")
        await press_key(person, "menu.budget")
        await press(person, "Flat rate 40 % development")
        await press_key(person, "budget.staff_total")
        await say(person, "154 727")
        await say(person, "0")
        await press(person, "association or other NGO")
        await tap_key(person, "budget.eu_use_max")
        await press_key(person, "applicant.done")
        summary = await tap_key(person, "budget.own_rest")
        shown = plain(summary.text)
        assert shown.startswith("Budget summary (Flat rate 40 % development)")
        # The funder's form labels stay Finnish, translated in brackets.
        assert (
            "Haettava EU- ja valtion rahoitus (EU and state funding applied for):"
            " 173 294 € (80,00 %)" in shown
        )
        assert "Flat rate 40 % kehittäminen (Flat rate 40 % development): 61 891 €" in shown
        [file] = await press_key(person, "budget.file_xlsx")
        assert file.document is not None and file.document[0] == "budget.xlsx"
        workbook = openpyxl.load_workbook(io.BytesIO(file.document[1]))
        assert workbook.sheetnames == ["Costs", "Financing", "Checks"]
        assert workbook["Checks"]["A1"].value == "Nothing to point out."
        plan = {row[0]: row[1] for row in workbook["Financing"].iter_rows(values_only=True)}
        assert plan["Kuntarahoitus (Municipal funding)"] == 0


# --- property: the chat's plan always sums to the net total ------------------------------------

_money = st.decimals(min_value=Decimal(1000), max_value=Decimal(9000), places=2)
_lines = st.lists(
    st.one_of(
        st.builds(
            bd.DraftLine,
            title=st.just("Työntekijä"),
            side=st.sampled_from([None, "uas-teacher"]),
            monthly_pay=_money,
            working_time=st.integers(min_value=1, max_value=100).map(Decimal),
            months=st.integers(min_value=1, max_value=48).map(Decimal),
        ),
        st.builds(
            bd.DraftLine,
            title=st.just("Tuntityö"),
            hourly_pay=st.decimals(min_value=Decimal(12), max_value=Decimal(80), places=2),
            hours=st.integers(min_value=1, max_value=5000).map(Decimal),
        ),
    ),
    min_size=1,
    max_size=6,
)
_percent = st.integers(min_value=0, max_value=20).map(Decimal)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=_lines,
    eu=st.integers(min_value=50, max_value=80).map(Decimal),
    municipal=_percent,
    other=_percent,
    applicant=st.sampled_from(["association", "municipality"]),
)
def test_any_staff_lines_give_a_plan_that_sums_to_the_net_total(
    lines: list[bd.DraftLine], eu: Decimal, municipal: Decimal, other: Decimal, applicant: str
) -> None:
    programme = seed_content().programme
    draft = bd.Draft(
        lines=tuple(lines),
        applicant=applicant,
        eu=Contribution(percent=eu),
        rows={
            "municipal": Contribution(percent=municipal),
            "other_public": Contribution(percent=other),
        },
    )
    result = bd.compute(programme, draft)
    rules = rules_from_programme(programme)
    exact = sum((staff_cost(line.staff_line(programme), rules).cost for line in lines), Decimal(0))
    assert abs(result.costs.staff - exact) <= Decimal("0.5")
    assert result.plan.total == result.costs.net_total
    assert sum(row.amount for row in result.plan.rows) == result.costs.net_total
    assert FlagCode.ROWS_DO_NOT_SUM not in {flag.code for flag in result.flags}
    # The summary the chat shows renders and names the same total.
    renderer = Renderer(ZoneInfo("Europe/Helsinki"))
    shown = html_to_plain(
        renderer.text("fi", "budget.summary", summary_params(programme, draft, result, "fi"))
    )
    total = f"{result.costs.net_total:,}".replace(",", "\u00a0")
    assert f"Rahoitussuunnitelma yhteensä: {total}\u00a0€ (100,00\u00a0%)" in shown


@settings(max_examples=40, deadline=None)
@given(lines=_lines, own=st.integers(min_value=0, max_value=10_000).map(Decimal))
def test_a_plan_of_amounts_that_does_not_sum_is_flagged(
    lines: list[bd.DraftLine], own: Decimal
) -> None:
    programme = seed_content().programme
    draft = bd.Draft(lines=tuple(lines), applicant="association", rows={"own": Contribution(own)})
    result = bd.compute(programme, draft)
    codes = {flag.code for flag in result.flags}
    if result.plan.total != result.costs.net_total:
        assert FlagCode.ROWS_DO_NOT_SUM in codes
    else:
        assert FlagCode.ROWS_DO_NOT_SUM not in codes


# --- the readers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "percent"),
    [
        ("19 499", Decimal(19499), None),
        ("19 499 €", Decimal(19499), None),
        ("9 %", None, Decimal(9)),
        ("12,5 %", None, Decimal("12.50")),
        ("25 945 € 10 %", Decimal(25945), Decimal(10)),
        ("25 945 € (10,00 %)", Decimal(25945), Decimal(10)),
        ("10 % = 25 945", Decimal(25945), Decimal(10)),
        ("0", Decimal(0), None),
        ("50 €", Decimal(50), None),
    ],
)
def test_parse_row_reads_amounts_percentages_or_both(
    text: str, amount: Decimal | None, percent: Decimal | None
) -> None:
    value = bd.parse_row(text, "fi", total=Decimal(259412))
    assert (value.amount, value.percent) == (amount, percent)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("10", "budget.error.percent_or_euro"),
        ("5 % 6 %", "budget.error.row_format"),
        ("abc", "money.error.format"),
        ("-5", "money.error.negative"),
        ("300 000", "budget.error.amount_above_total"),
        ("150 %", "percent.error.too_large"),
        ("100,5", "budget.error.not_whole_euros"),
    ],
)
def test_parse_row_refuses_what_it_would_have_to_guess(text: str, key: str) -> None:
    with pytest.raises(bd.EntryError) as error:
        bd.parse_row(text, "fi", total=Decimal(259412))
    assert error.value.key == key


def test_quantities_names_and_amounts() -> None:
    assert bd.parse_quantity("1 720", key="k", maximum=Decimal(2000)) == Decimal(1720)
    assert bd.parse_quantity("10,5", key="k", maximum=Decimal(20)) == Decimal("10.5")
    for bad in ("0", "-1", "1,234", "1.2.3", "21", "2 00", "x"):
        with pytest.raises(bd.EntryError):
            bd.parse_quantity(bad, key="k", maximum=Decimal(20))
    with pytest.raises(bd.EntryError):
        bd.parse_quantity("2,5", key="k", maximum=Decimal(10), whole=True)
    assert bd.parse_names("Mikkeli, Juva;Pieksämäki\nSan Marino") == [
        "Mikkeli",
        "Juva",
        "Pieksämäki",
        "San Marino",
    ]
    for bad in ("Mikkeli, mikkeli", "Mikkeli, 123", ", ,", "<b>x</b>"):
        with pytest.raises(bd.EntryError):
            bd.parse_names(bad)
    assert bd.parse_amounts("2 533,65; -; ?", 3, "fi") == [Decimal("2533.65"), None, None]
    with pytest.raises(bd.EntryError):
        bd.parse_amounts("1; 2", 3, "fi")


async def test_rows_above_the_total_are_explained_and_flagged(bot: Bot) -> None:
    person = bot.person()
    await staff_total(person, "154 727")
    await say(person, "0")
    await press(person, ASSOCIATION)
    await tap_key(person, "budget.eu_use_max")
    await press(person, "Kuntarahoitus")
    await press_key(person, "applicant.done")
    own = await say(person, "200 000")
    over = lines_shown("budget.own_ask_over", amount=Money(Decimal(156676)))
    assert plain(over) in plain(own.text)
    assert "budget.own_rest" not in own.label_keys
    await press_key(person, "budget.own_typed")
    await say(person, "0")
    summary = await tap_key(person, "budget.split_no")
    text = plain(summary.text).replace("\u2212", "-")
    figures = shown(
        "budget.flag.rows_do_not_sum",
        amount=Money(Decimal(373294)),
        expected=Money(Decimal(216618)),
        difference=Money(Decimal(156676), signed=True),
    )
    assert plain(figures) in text


# --- input as typed (issue 13, item 5) ----------------------------------------------------------


async def test_pay_with_its_unit_and_zero_in_words(bot: Bot, db: Database) -> None:
    person = bot.person()
    await _to_step(person, "line_hourly")
    assert (await say(person, "18,50 €/kk")).shows("money.error.wrong_unit_hour")
    assert (await say(person, "kaksikymmentä")).shows("money.error.format_hour")
    await say(person, "18,50 €/h")
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "line_hours"
    assert state[2]["line"]["hourly_pay"] == "18.50"

    monthly = bot.person(2)
    await _to_step(monthly, "line_monthly")
    assert (await say(monthly, "3 300 €/h")).shows("money.error.wrong_unit_month")
    await say(monthly, "3 300 €/kk")
    state = await conversation(db, monthly.user_id)
    assert state is not None and state[1] == "line_percent"
    assert state[2]["line"]["monthly_pay"] == "3300"

    income = bot.person(3)
    await _to_step(income, "income")
    assert (await say(income, "3 300 €/kk")).shows("money.error.wrong_unit_total")
    await say(income, "ei ole")
    state = await conversation(db, income.user_id)
    assert state is not None and state[1] == "applicant" and state[2]["income"] == "0"


# --- editing a line keeps what is not changed (issue 13, item 3) --------------------------------


async def test_editing_a_line_shows_each_old_value_and_keeps_it(bot: Bot, db: Database) -> None:
    person = bot.person()
    await open_budget(person)
    await press_key(person, "budget.staff_lines")
    await add_monthly_line(person, "Projektipäällikkö", "3 300", "100", "24")
    await press_key(person, "budget.edit_line")
    [title] = await press(person, "1. Projektipäällikkö")
    assert title.shows("budget.line_old") and "Projektipäällikkö" in title.text
    side = await say(person, "sama")  # the title stays
    assert side.shows("budget.line_old")
    await press_key(person, "budget.keep")  # the side costs stay
    pay_kind = person.last
    assert pay_kind.shows("budget.line_old")
    monthly = await tap_key(person, "budget.keep")  # monthly pay stays the kind
    assert monthly.shows("budget.line_old") and "3 300,00 €" in plain(monthly.text)
    percent = await say(person, "Sama.")
    assert percent.shows("budget.line_old") and "100 %" in plain(percent.text)
    await say(person, "50")  # the one change
    months = person.last
    assert months.shows("budget.line_old") and "24" in plain(months.text)
    await tap_key(person, "budget.keep")
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "lines"
    [line] = state[2]["lines"]
    assert line["title"] == "Projektipäällikkö" and line["monthly_pay"] == "3300"
    assert line["working_time"] == "50" and line["months"] == "24"
    assert line["side"] is None and line["hourly_pay"] is None


async def test_a_new_line_has_no_old_values(bot: Bot) -> None:
    person = bot.person()
    await open_budget(person)
    [title] = await press_key(person, "budget.staff_lines")
    assert not title.shows("budget.line_old") and "budget.keep" not in title.label_keys
    assert (await say(person, "sama")).shows("budget.line_side_ask")  # a title like any


async def test_a_cancelled_budget_can_be_continued_for_7_days(bot: Bot, db: Database) -> None:
    person = bot.person()
    await staff_total(person, "154 727")
    await person.says("/peru")
    [done] = await person.presses_key("cancel.really")
    assert done.shows("cancel.done") and done.shows("budget.draft_kept")
    assert await conversation(db, person.user_id) is None
    await person.says("/start")
    [offer] = await press_key(person, "menu.budget")
    assert offer.shows("budget.draft_offer")
    [income] = await press_key(person, "budget.draft_continue")
    assert income.shows("budget.income_ask")
    state = await conversation(db, person.user_id)
    assert state is not None and state[1] == "income" and state[2]["staff_total"] == "154727"
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT COUNT(*) FROM budget_drafts")
        row = await cursor.fetchone()
        assert row is not None and row[0] == 0  # taken back


async def test_a_budget_draft_is_offered_only_for_7_days_and_can_be_dropped(
    bot: Bot, db: Database
) -> None:
    person = bot.person()
    await staff_total(person, "154 727")
    await person.says("/peru")
    await person.says("/peru")
    await person.says("/start")
    [offer] = await press_key(person, "menu.budget")
    assert offer.shows("budget.draft_offer")
    [model] = await press_key(person, "budget.draft_new")
    assert model.shows("budget.model_ask") and not model.shows("budget.draft_offer")
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT COUNT(*) FROM budget_drafts")
        row = await cursor.fetchone()
        assert row is not None and row[0] == 0


async def test_budget_drafts_older_than_7_days_are_not_found_and_are_pruned(db: Database) -> None:
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    async with db.transaction() as conn:
        await users.touch(conn, "test:1", "test:1", locale="fi", now=now, private_chat=True)
        await budget_drafts.save(conn, "test:1", "income", {"staff_total": "1"}, now)
        found = await budget_drafts.find(conn, "test:1", now + dt.timedelta(days=6))
        assert found is not None and found.data == {"staff_total": "1"}
        assert await budget_drafts.find(conn, "test:1", now + dt.timedelta(days=8)) is None
    done = await maintenance.run_once(db, now + dt.timedelta(days=8))
    assert done.budget_drafts_deleted == 1


async def test_a_budget_draft_is_exported_and_forgotten(bot: Bot, db: Database) -> None:
    person = bot.person()
    await staff_total(person, "154 727")
    await person.says("/peru")
    await person.says("/peru")
    async with db.transaction() as conn:
        exported = await personal_data.export(conn, person.user_id, person.user_id)
        [draft] = exported["budget_drafts"]
        assert draft["step"] == "income" and draft["data"]["staff_total"] == "154727"
        await personal_data.delete(conn, person.user_id, person.user_id)
        cursor = await conn.execute("SELECT COUNT(*) FROM budget_drafts")
        row = await cursor.fetchone()
        assert row is not None and row[0] == 0
