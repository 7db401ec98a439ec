"""Message catalogs (gettext .po files in ``messages/``, read with Babel) and rendering.

A catalog entry's msgid is a stable key such as ``menu.help``; its msgstr is the text in
that language, written in the Telegram HTML subset (``<b>``, ``<i>``, ``<a href>``) with
``str.format`` placeholders. Parameters are escaped or formatted per locale here, so no
user-supplied text reaches a platform unescaped.

An entry that counts something is a plural entry (``msgid_plural``, ``msgstr[0]``,
``msgstr[1]`` …): its ``msgid_plural`` names the parameter that counts (usually ``count``),
and the renderer picks the form by that number with the gettext rule in the catalog's
``Plural-Forms`` header (fi, sv, en: ``nplurals=2; plural=(n != 1);``). A fraction
("0,5 months") takes the last, general form.
"""

from __future__ import annotations

import datetime as dt
import gettext
import html
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.markup import html_to_plain
from handlers.core.types import Day, Lines, Money, Param, Percent, Raw, Text, When
from handlers.domain.money import format_money
from messages.languages import BABEL_LOCALES, LOCALES, SOURCE_LOCALE, base_locale
from messages.words import MESSAGES_DIR, words


def normalise_locale(hint: str | None) -> str:
    """Map a platform language code ("fi", "sv-FI", "en_US") to a supported locale."""
    return base_locale(hint)


@dataclass(frozen=True)
class Plural:
    """A plural entry: ``forms[i]`` is the text for the counts the language's rule maps to
    ``i``; ``count`` names the parameter that counts."""

    count: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """One language's entries as read from its ``.po`` file."""

    texts: dict[str, str]  # every entry; a plural entry's last (general) form
    plurals: dict[str, Plural]
    plural_forms: int  # nplurals of the header
    rule: Callable[[int], int]  # its plural expression: count → form index

    def form(self, key: str, count: object) -> str:
        """The text of plural entry ``key`` for ``count``."""
        forms = self.plurals[key].forms
        if isinstance(count, bool) or not isinstance(count, int | Decimal):
            raise TypeError(f"{key}: the count must be a number, not {type(count).__name__}")
        if isinstance(count, Decimal) and count != count.to_integral_value():
            return forms[-1]
        return forms[self.rule(abs(int(count)))]


def read_catalog(path: Path, babel_locale: str) -> Catalog:
    """A ``.po`` file as a :class:`Catalog`."""
    with path.open("rb") as handle:
        po = read_po(handle, locale=babel_locale)
    texts: dict[str, str] = {}
    plurals: dict[str, Plural] = {}
    for message in po:
        if isinstance(message.id, tuple) and isinstance(message.string, tuple):
            key, count = (str(part) for part in message.id[:2])
            forms = tuple(str(form) for form in message.string)
            plurals[key] = Plural(count, forms)
            texts[key] = forms[-1]
        elif message.id and isinstance(message.id, str) and isinstance(message.string, str):
            texts[message.id] = message.string
    return Catalog(texts, plurals, po.num_plurals, gettext.c2py(po.plural_expr))


@cache
def catalog_of(locale: str) -> Catalog:
    """One language's catalog, read once from ``messages/<locale>.po``."""
    return read_catalog(MESSAGES_DIR / f"{locale}.po", BABEL_LOCALES[locale])


def catalog(locale: str) -> dict[str, str]:
    """Key → text for one language (a plural entry gives its general form)."""
    return catalog_of(locale).texts


def plurals(locale: str) -> dict[str, Plural]:
    """The plural entries of one language."""
    return catalog_of(locale).plurals


@cache
def renderer(timezone: str = "Europe/Helsinki") -> Renderer:
    """The renderer for ``timezone``, made once."""
    return Renderer(ZoneInfo(timezone))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


class Renderer:
    """Turns (key, params) into HTML text in one language."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self.timezone = timezone

    def text(self, locale: str, key: str, params: Mapping[str, Param] | None = None) -> str:
        locale = locale if locale in LOCALES else SOURCE_LOCALE
        book = catalog_of(locale)
        if not book.texts.get(key):
            book = catalog_of(SOURCE_LOCALE)
        if key not in book.texts:
            raise KeyError(f"no catalog entry {key!r}")
        template = book.texts[key]
        if key in book.plurals:
            counted = book.plurals[key].count
            template = book.form(key, (params or {}).get(counted))
        rendered = {name: self.param(locale, value) for name, value in (params or {}).items()}
        return template.format(**rendered)

    def param(self, locale: str, value: Param) -> str:
        babel_locale = BABEL_LOCALES[locale]
        patterns = words(locale).patterns  # messages/words/<locale>.toml
        match value:
            case Raw(html=markup):
                return markup
            case Text(key=key, params=params, locale=fixed):
                return self.text(fixed or locale, key, params)
            case Lines(items=items):
                return "\n".join(self.param(locale, item) for item in items)
            case bool():
                raise TypeError("booleans have no wording; pass a Text")
            case int() | Decimal():
                return format_decimal(value, locale=babel_locale)
            case Money(amount=amount, cents=cents, decimals=decimals, signed=signed):
                return format_money(amount, locale, cents=cents, decimals=decimals, signed=signed)
            case Percent(value=share, decimals=decimals):
                pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
                return format_decimal(share, format=pattern, locale=babel_locale) + "\u00a0%"
            case When(moment=moment, until=until):
                local = moment.astimezone(self.timezone)
                shown = format_datetime(local, patterns.when, locale=babel_locale)
                if until is None:
                    return shown
                end = until.astimezone(self.timezone)
                return shown + "\u2013" + format_datetime(end, patterns.time, locale=babel_locale)
            case Day(date=day):
                return format_date(day, patterns.day, locale=babel_locale)
            case str():
                return html.escape(value, quote=False)
        raise TypeError(f"cannot render parameter of type {type(value).__name__}")

    def plain(self, locale: str, key: str, params: Mapping[str, Param] | None = None) -> str:
        return html_to_plain(self.text(locale, key, params))

    def to_plain(self, markup: str) -> str:
        return html_to_plain(markup)

    def in_timezone(self, timezone: str) -> Renderer:
        return renderer(timezone)

    def local_time(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.timezone)
