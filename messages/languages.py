"""The languages hankebot speaks: those with a catalog and a word file in ``messages/``.

A language is ``messages/<locale>.po`` plus ``messages/words/<locale>.toml``; the word file
gives its place in lists and its Babel locale (see :mod:`messages.words`).
"""

from __future__ import annotations

from messages.words import SOURCE_LOCALE, all_words

__all__ = ["BABEL_LOCALES", "LOCALES", "SOURCE_LOCALE", "base_locale"]

LOCALES: tuple[str, ...] = tuple(all_words())
# Finnish conventions in every language: a Swedish- or English-speaking person in Finland
# still reads "216 618 €" and "24.11." as their letters and bank do.
BABEL_LOCALES: dict[str, str] = {
    locale: language.babel_locale for locale, language in all_words().items()
}


def base_locale(hint: str | None) -> str:
    """Map a platform language code ("fi", "sv-FI", "en_US") to a supported locale."""
    if not hint:
        return SOURCE_LOCALE
    base = hint.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LOCALES else SOURCE_LOCALE
