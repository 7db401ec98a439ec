"""Reading and writing euro amounts and percentages the way people in Finland type them.

``parse_money`` is strict: it accepts the habits of Finnish budget writing ("154 727",
"154 727,50 €", "154727e", "154 727 euroa", "154 727,-", "1,5 milj. €", "2 t€", no-break and
narrow no-break spaces as group separators) and refuses anything it would have to guess, with a
machine-readable :class:`InputProblem`. Formatting follows Finnish conventions in every
language ("216 618 €"), as the funder's forms and people's banks show amounts.

Absurd input is refused like any other wrong input, never with an exception of its own: a
text longer than :data:`MAX_INPUT_LENGTH` is refused before any pattern search (which could
take seconds on 10 000 digits), as TOO_LARGE if it is only digits; a number above the
maximum (40 digits, 10^400) is TOO_LARGE before it is rounded (``Decimal.quantize`` of such
a number raises ``InvalidOperation``); "1e999", "NaN" or "Infinity" are not written the way
a person writes an amount (FORMAT).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from babel.numbers import format_currency
from babel.numbers import format_percent as babel_format_percent

from messages.languages import BABEL_LOCALES, base_locale
from messages.words import every


def _alternatives(words: Iterable[str]) -> list[str]:
    """Words as regular-expression alternatives, longest first."""
    return sorted((re.escape(word) for word in words), key=len, reverse=True)


# Finnish number conventions in every language (same choice as bot.i18n).
DEFAULT_MAXIMUM = Decimal(1_000_000_000)
MAX_INPUT_LENGTH = 60  # "1 000 000 000,00 euroa" is 22

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " "})
_MINUS = ("-", "\u2212", "\u2013", "\u2014")
# The words of every language (messages/words/*.toml); "€", "eur" and "%" are symbols.
_MULTIPLIERS = {
    **dict.fromkeys(every(lambda language: language.money.thousand), 1_000),
    **dict.fromkeys(every(lambda language: language.money.million), 1_000_000),
}
_CURRENCY = (
    "(?:"
    + "|".join(_alternatives(["€", "eur", *every(lambda language: language.money.currency)]))
    + ")"
)
# Single letters count as multipliers only right before a currency sign: "2 t€", "1,5 M€".
_MULTIPLIER = (
    "|".join(_alternatives(word for word in _MULTIPLIERS if len(word) > 1))
    + "|["
    + "".join(sorted(re.escape(word) for word in _MULTIPLIERS if len(word) == 1))
    + f"](?={_CURRENCY})"
)
_MONEY_RE = re.compile(
    rf"^(?:€|eur)?\s*(?P<number>\d[\d ,.]*?)\s*(?:,-{{1,2}})?"
    rf"(?:\s*(?P<mult>{_MULTIPLIER})\.?)?\s*{_CURRENCY}?\.?$"
)
_NEGATIVE_RE = re.compile(r"^(?:€|eur)?\s*[-\u2212\u2013\u2014]")
_PERCENT_RE = re.compile(
    r"^(?P<number>\d+(?:[.,]\d+)?)\s*(?:"
    + "|".join(_alternatives(["%", *every(lambda language: language.money.percent)]))
    + ")?$"
)


class Per(StrEnum):
    """What an amount is per, as a question asks it: an hourly or a monthly pay."""

    HOUR = "hour"
    MONTH = "month"


_UNITS: dict[Per, tuple[str, ...]] = {
    Per.HOUR: ("/h", *every(lambda language: language.money.per_hour)),
    Per.MONTH: every(lambda language: language.money.per_month),
}
_UNIT_OF = {word.lower(): per for per, words in _UNITS.items() for word in words}
# A unit at the end, after the number or the currency: "18,50 €/h", "3 300 euroa kuussa".
_UNIT_RE = re.compile(
    r"^(?P<rest>.*?[\d€.\-a-zé])\s*(?P<unit>" + "|".join(_alternatives(_UNIT_OF)) + r")\.?$"
)
_ZERO = frozenset(word.lower() for word in every(lambda language: language.money.zero))


class InputProblem(StrEnum):
    """Why a typed number was refused; the caller maps it to a catalog key."""

    EMPTY = "empty"
    FORMAT = "format"
    NEGATIVE = "negative"
    TOO_LARGE = "too_large"
    TOO_MANY_DECIMALS = "too_many_decimals"
    AMBIGUOUS = "ambiguous"
    WRONG_UNIT = "wrong_unit"  # "€/kk" where an hourly pay is asked, "€/h" for a total


class NumberInputError(ValueError):
    """A typed number could not be accepted; ``reason`` says why."""

    def __init__(self, reason: InputProblem, text: str) -> None:
        super().__init__(f"{reason.value}: {text!r}")
        self.reason = reason
        self.text = text


class MoneyInputError(NumberInputError):
    """A typed euro amount could not be accepted."""


class PercentInputError(NumberInputError):
    """A typed percentage could not be accepted."""


def parse_money(
    text: str,
    locale: str = "fi",
    *,
    maximum: Decimal = DEFAULT_MAXIMUM,
    per: Per | None = None,
) -> Decimal:
    """Read a non-negative euro amount with at most two decimals.

    ``locale`` only settles "1,500" (a thousand and five hundred in English, an ambiguous
    amount otherwise). Returns whole euros as an integral Decimal, otherwise two decimals.
    ``per`` is the unit the question asks ("18,50 €/h" for :attr:`Per.HOUR`); the unit may
    be left out, another unit is :attr:`InputProblem.WRONG_UNIT` (so is any unit where a
    total is asked, ``per`` None). Words for nothing ("ei ole", "ei mitään") are 0.
    """
    cleaned = text.translate(_SPACES).strip().lower()
    cleaned = re.sub(r" {2,}", " ", cleaned)
    if not cleaned:
        raise MoneyInputError(InputProblem.EMPTY, text)
    if len(cleaned) > MAX_INPUT_LENGTH:
        raise MoneyInputError(_too_long(cleaned), text)
    if cleaned.rstrip(".!") in _ZERO:
        return Decimal(0)
    cleaned = re.sub(r"\s*/\s*", "/", cleaned)
    unit = _UNIT_RE.match(cleaned)
    if unit is not None:
        if _UNIT_OF[unit["unit"]] is not per:
            raise MoneyInputError(InputProblem.WRONG_UNIT, text)
        cleaned = unit["rest"].strip()
    if _NEGATIVE_RE.match(cleaned):
        raise MoneyInputError(InputProblem.NEGATIVE, text)
    found = _MONEY_RE.match(cleaned)
    if found is None:
        raise MoneyInputError(InputProblem.FORMAT, text)
    multiplier = _MULTIPLIERS[found["mult"]] if found["mult"] else 1
    number = found["number"].strip()
    value = _read_number(number, base_locale(locale), text, scaled=multiplier != 1) * multiplier
    if value > maximum:  # first: rounding 40 digits to cents would raise InvalidOperation
        raise MoneyInputError(InputProblem.TOO_LARGE, text)
    if value != value.quantize(Decimal("0.01")):
        raise MoneyInputError(InputProblem.TOO_MANY_DECIMALS, text)
    return _tidy(value)


def _too_long(cleaned: str) -> InputProblem:
    """A text too long to be an amount: digits only are a number too large, else FORMAT."""
    return InputProblem.TOO_LARGE if cleaned.replace(" ", "").isdecimal() else InputProblem.FORMAT


def _read_number(number: str, locale: str, text: str, *, scaled: bool) -> Decimal:
    """Digits with group separators and at most one decimal separator, as a Decimal."""
    decimal_sep = _decimal_separator(number, locale, text, scaled=scaled)
    if decimal_sep is None:
        integer, fraction = number, ""
    else:
        integer, fraction = number.rsplit(decimal_sep, 1)
        if not fraction.isdigit():
            raise MoneyInputError(InputProblem.FORMAT, text)
        if len(fraction) > 2 and not scaled:
            raise MoneyInputError(InputProblem.TOO_MANY_DECIMALS, text)
    digits = _ungroup(integer.strip(), text)
    try:
        return Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation as error:  # pragma: no cover - regex admits digits only
        raise MoneyInputError(InputProblem.FORMAT, text) from error


def _decimal_separator(number: str, locale: str, text: str, *, scaled: bool) -> str | None:
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        last = "," if number.rfind(",") > number.rfind(".") else "."
        if number.count(last) > 1:
            raise MoneyInputError(InputProblem.FORMAT, text)
        return last
    if not commas and not dots:
        return None
    sep = "," if commas else "."
    if number.count(sep) > 1:
        return None  # "1,234,567" or "1.234.567": grouping only
    after = number.rsplit(sep, 1)[1]
    if scaled or len(after) != 3 or " " in number:
        return sep
    # "1,500" / "154.727": a group separator or three decimals?
    if locale == "en":
        return None if sep == "," else sep
    raise MoneyInputError(InputProblem.AMBIGUOUS, text)


def _ungroup(integer: str, text: str) -> str:
    """ "154 727" / "154,727" / "154.727" → "154727", checking groups of three."""
    if integer.isdigit():
        return integer
    groups = re.split(r"[ ,.]", integer)
    separators = set(re.findall(r"[ ,.]", integer))
    valid = (
        len(separators) == 1
        and 1 <= len(groups[0]) <= 3
        and all(group.isdigit() for group in groups)
        and all(len(group) == 3 for group in groups[1:])
    )
    if not valid:
        raise MoneyInputError(InputProblem.FORMAT, text)
    return "".join(groups)


def _tidy(value: Decimal) -> Decimal:
    """Whole numbers as integral Decimals ("80"), anything else with two decimals."""
    whole = value.to_integral_value()
    return Decimal(int(whole)) if value == whole else value.quantize(Decimal("0.01"))


def parse_percent(text: str, *, maximum: Decimal = Decimal(100)) -> Decimal:
    """Read a percentage such as "80", "80 %", "80,00 %" or "12,5%" (0–100, two decimals)."""
    cleaned = text.translate(_SPACES).strip().lower()
    if not cleaned:
        raise PercentInputError(InputProblem.EMPTY, text)
    if len(cleaned) > MAX_INPUT_LENGTH:
        raise PercentInputError(_too_long(cleaned), text)
    if cleaned.startswith(_MINUS):
        raise PercentInputError(InputProblem.NEGATIVE, text)
    found = _PERCENT_RE.match(cleaned)
    if found is None:
        raise PercentInputError(InputProblem.FORMAT, text)
    value = Decimal(found["number"].replace(",", "."))
    if value > maximum:  # first, as in parse_money
        raise PercentInputError(InputProblem.TOO_LARGE, text)
    if value != value.quantize(Decimal("0.01")):
        raise PercentInputError(InputProblem.TOO_MANY_DECIMALS, text)
    return _tidy(value)


def format_money(
    amount: Decimal,
    locale: str,
    cents: bool = False,
    decimals: int | None = None,
    signed: bool = False,
) -> str:
    """ "216 618 €" (whole euros, rounded half-up), "154 727,50 €" with ``cents``, or
    ``decimals`` decimals ("30,7071 €", a rate); ``signed`` puts "+" before a positive
    amount (a difference: "+1,40 €" beside "-1,40 €")."""
    places = decimals if decimals is not None else (2 if cents else 0)
    quantum = Decimal(1).scaleb(-places)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    pattern = ("#,##0." + "0" * places if places else "#,##0") + "\u00a0¤"
    sign = "+" if signed and rounded > 0 else ""
    return sign + format_currency(
        rounded,
        "EUR",
        format=pattern,
        locale=BABEL_LOCALES[base_locale(locale)],
        currency_digits=False,
    )


def format_percent(value: Decimal, locale: str, decimals: int = 2) -> str:
    """``Decimal("80")`` → "80,00 %" (value is in percent, not a fraction)."""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0%"
    return babel_format_percent(
        rounded / 100, format=pattern, locale=BABEL_LOCALES[base_locale(locale)]
    )
