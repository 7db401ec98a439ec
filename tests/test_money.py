"""Reading and writing euro amounts and percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.money import (
    InputProblem,
    MoneyInputError,
    Per,
    PercentInputError,
    format_money,
    format_percent,
    parse_money,
    parse_percent,
)

NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("154 727", "154727"),
        ("154727", "154727"),
        ("154 727,50 €", "154727.50"),
        ("154727e", "154727"),
        ("154727 €", "154727"),
        ("€154727", "154727"),
        ("154 727 euroa", "154727"),
        ("154 727 eur", "154727"),
        (f"154{NBSP}727", "154727"),
        (f"154{NNBSP}727,5", "154727.50"),
        ("1 234 567", "1234567"),
        ("154 727,-", "154727"),
        ("1,5 milj.", "1500000"),
        ("1.5 milj", "1500000"),
        ("1,5 milj. €", "1500000"),
        ("1,5 M€", "1500000"),
        ("2 t€", "2000"),
        ("3 keur", "3000"),
        ("5 tuhatta euroa", "5000"),
        ("1,23456789 milj", "1234567.89"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("0", "0"),
        ("0,5", "0.50"),
        ("  7 €  ", "7"),
    ],
)
def test_parse_money_accepts_finnish_habits(text: str, expected: str) -> None:
    assert parse_money(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", InputProblem.EMPTY),
        ("   ", InputProblem.EMPTY),
        ("-5", InputProblem.NEGATIVE),
        ("− 5 €", InputProblem.NEGATIVE),
        ("€ -5", InputProblem.NEGATIVE),
        ("abc", InputProblem.FORMAT),
        ("12 kissaa", InputProblem.FORMAT),
        ("1e6", InputProblem.FORMAT),
        ("500 m", InputProblem.FORMAT),
        ("12 3456", InputProblem.FORMAT),
        ("1 234 56", InputProblem.FORMAT),
        ("154727,", InputProblem.FORMAT),
        ("154 727,505", InputProblem.TOO_MANY_DECIMALS),
        ("1,234567891 milj", InputProblem.TOO_MANY_DECIMALS),
        ("2000000000", InputProblem.TOO_LARGE),
        ("1 000 000 000,01", InputProblem.TOO_LARGE),
        ("2 milj. milj.", InputProblem.FORMAT),
        ("154,727", InputProblem.AMBIGUOUS),
        ("154.727", InputProblem.AMBIGUOUS),
    ],
)
def test_parse_money_refuses_with_a_reason(text: str, reason: InputProblem) -> None:
    with pytest.raises(MoneyInputError) as caught:
        parse_money(text)
    assert caught.value.reason is reason


def test_english_reads_a_comma_as_a_group_separator() -> None:
    assert parse_money("€154,727", "en") == Decimal(154727)
    assert parse_money("154,727.5", "en") == Decimal("154727.50")
    with pytest.raises(MoneyInputError):
        parse_money("154,727", "fi")


def test_the_limit_is_inclusive_and_adjustable() -> None:
    assert parse_money("1 000 000 000") == Decimal(1_000_000_000)
    with pytest.raises(MoneyInputError) as caught:
        parse_money("101", maximum=Decimal(100))
    assert caught.value.reason is InputProblem.TOO_LARGE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80", "80"),
        ("80 %", "80"),
        ("80,00 %", "80"),
        ("12,5%", "12.5"),
        ("26.44", "26.44"),
        ("0", "0"),
        ("100 prosenttia", "100"),
    ],
)
def test_parse_percent(text: str, expected: str) -> None:
    assert parse_percent(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", InputProblem.EMPTY),
        ("-3", InputProblem.NEGATIVE),
        ("101", InputProblem.TOO_LARGE),
        ("12,345", InputProblem.TOO_MANY_DECIMALS),
        ("kahdeksankymmentä", InputProblem.FORMAT),
    ],
)
def test_parse_percent_refuses(text: str, reason: InputProblem) -> None:
    with pytest.raises(PercentInputError) as caught:
        parse_percent(text)
    assert caught.value.reason is reason


def test_format_money_in_finnish_conventions() -> None:
    assert format_money(Decimal(216618), "fi") == f"216{NBSP}618{NBSP}€"
    assert format_money(Decimal("154727.5"), "fi", cents=True) == f"154{NBSP}727,50{NBSP}€"
    # Every language follows Finnish conventions, as the bot's catalogs do.
    assert format_money(Decimal(216618), "en") == format_money(Decimal(216618), "fi")
    assert format_money(Decimal(216618), "sv-FI") == format_money(Decimal(216618), "fi")


def test_a_signed_difference_shows_its_sign_both_ways() -> None:
    assert format_money(Decimal("1.4"), "fi", cents=True, signed=True) == f"+1,40{NBSP}€"
    assert format_money(Decimal("-1.4"), "fi", cents=True, signed=True) == f"-1,40{NBSP}€"
    assert format_money(Decimal("0.001"), "fi", cents=True, signed=True) == f"0,00{NBSP}€"
    assert format_money(Decimal("1.4"), "fi", cents=True) == f"1,40{NBSP}€"


def test_format_money_rounds_half_up() -> None:
    assert format_money(Decimal("2.5"), "fi") == f"3{NBSP}€"
    assert format_money(Decimal("0.125"), "fi", cents=True) == f"0,13{NBSP}€"


def test_format_percent() -> None:
    assert format_percent(Decimal(80), "fi") == f"80,00{NBSP}%"
    assert format_percent(Decimal("12.345"), "en") == f"12,35{NBSP}%"
    assert format_percent(Decimal("12.5"), "sv", decimals=0) == f"13{NBSP}%"


LOCALES = st.sampled_from(["fi", "sv", "en"])


@given(st.integers(min_value=0, max_value=1_000_000_000), LOCALES)
def test_whole_euros_survive_formatting(amount: int, locale: str) -> None:
    value = Decimal(amount)
    assert parse_money(format_money(value, locale), locale) == value


@given(st.integers(min_value=0, max_value=100_000_000_000), LOCALES)
def test_cents_survive_formatting(cents: int, locale: str) -> None:
    value = Decimal(cents) / 100
    assert parse_money(format_money(value, locale, cents=True), locale) == value


# --- amounts with a unit and words for zero (issue 13, item 5) ------------------------------


@pytest.mark.parametrize(
    ("text", "per", "expected"),
    [
        ("18,50 €/h", Per.HOUR, "18.50"),
        ("18,50€/h", Per.HOUR, "18.50"),
        ("18,50 € / h", Per.HOUR, "18.50"),
        ("18,50/h", Per.HOUR, "18.50"),
        ("18,50 e/h", Per.HOUR, "18.50"),
        ("18,50 euroa tunnissa", Per.HOUR, "18.50"),
        ("25 €/t", Per.HOUR, "25"),
        ("3 300 €/kk", Per.MONTH, "3300"),
        ("3300 e/kk", Per.MONTH, "3300"),
        ("3 300 euroa kuussa", Per.MONTH, "3300"),
        ("3 300 €/mån", Per.MONTH, "3300"),
        ("3,300 €/month", Per.MONTH, None),  # ambiguous in Finnish chats: refused below
        ("3 300 € a month", Per.MONTH, "3300"),
        ("18.50 €/hour", Per.HOUR, "18.50"),
        ("3 300", Per.MONTH, "3300"),  # the unit may be left out
        ("154 727,50 €", None, "154727.50"),
    ],
)
def test_amounts_with_the_unit_of_the_question(
    text: str, per: Per | None, expected: str | None
) -> None:
    if expected is None:
        with pytest.raises(MoneyInputError) as refused:
            parse_money(text, per=per)
        assert refused.value.reason is InputProblem.AMBIGUOUS
        return
    assert parse_money(text, per=per) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "per"),
    [
        ("18,50 €/kk", Per.HOUR),
        ("3 300 €/h", Per.MONTH),
        ("3 300 euroa tunnissa", Per.MONTH),
        ("18,50 €/h", None),
        ("3 300 €/kk", None),
    ],
)
def test_a_wrong_unit_is_refused_as_such(text: str, per: Per | None) -> None:
    with pytest.raises(MoneyInputError) as refused:
        parse_money(text, per=per)
    assert refused.value.reason is InputProblem.WRONG_UNIT


@pytest.mark.parametrize(
    "text", ["ei ole", "Ei ole.", "ei", "ei mitään", "EI MITÄÄN!", "nolla", "0", "inga", "none"]
)
def test_words_for_zero(text: str) -> None:
    assert parse_money(text) == Decimal(0)


@pytest.mark.parametrize("text", ["ole", "ei ole 5", "5 ei ole", "/h", "€/kk", "kk"])
def test_half_a_zero_word_or_a_bare_unit_is_refused(text: str) -> None:
    with pytest.raises(MoneyInputError):
        parse_money(text, per=Per.MONTH)
