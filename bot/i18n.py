"""Message catalogs (gettext .po files in ``messages/``, read with Babel) and rendering.

A catalog entry's msgid is a stable key such as ``menu.help``; its msgstr is the text in
that language, written in the Telegram HTML subset (``<b>``, ``<i>``, ``<a href>``) with
``str.format`` placeholders. Parameters are escaped or formatted per locale here, so no
user-supplied text reaches a platform unescaped.
"""

from __future__ import annotations

import datetime as dt
import html
import string
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.markup import html_to_plain
from handlers.core.types import Day, Lines, Money, Param, Percent, Raw, Text, When
from handlers.domain.money import format_money
from messages.languages import BABEL_LOCALES, LOCALES, SOURCE_LOCALE, base_locale
from messages.words import words


def normalise_locale(hint: str | None) -> str:
    """Map a platform language code ("fi", "sv-FI", "en_US") to a supported locale."""
    return base_locale(hint)


@cache
def catalog(locale: str) -> dict[str, str]:
    """Key → text for one language, read once from ``messages/<locale>.po``."""
    source = resources.files("messages").joinpath(f"{locale}.po")
    with source.open("rb") as handle:
        po = read_po(handle, locale=BABEL_LOCALES[locale])
    entries: dict[str, str] = {}
    for message in po:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            entries[message.id] = message.string
    return entries


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
        template = catalog(locale).get(key) or catalog(SOURCE_LOCALE).get(key)
        if template is None:
            raise KeyError(f"no catalog entry {key!r}")
        rendered = {name: self.param(locale, value) for name, value in (params or {}).items()}
        return template.format(**rendered)

    def param(self, locale: str, value: Param) -> str:
        babel_locale = BABEL_LOCALES[locale]
        patterns = words(locale).patterns  # messages/words/<locale>.toml
        match value:
            case Raw(html=markup):
                return markup
            case Text(key=key, params=params):
                return self.text(locale, key, params)
            case Lines(items=items):
                return "\n".join(self.param(locale, item) for item in items)
            case bool():
                raise TypeError("booleans have no wording; pass a Text")
            case int() | Decimal():
                return format_decimal(value, locale=babel_locale)
            case Money(amount=amount, cents=cents):
                return format_money(amount, locale, cents=cents)
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
