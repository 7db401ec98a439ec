"""The languages hankebot speaks: one list, used by the catalogs, content and formatting."""

from __future__ import annotations

LOCALES: tuple[str, ...] = ("fi", "sv", "en")
SOURCE_LOCALE = "fi"  # the catalogs are written in Finnish first
# Finnish conventions in every language: a Swedish- or English-speaking person in Finland
# still reads "216 618 €" and "24.11." as their letters and bank do.
BABEL_LOCALES: dict[str, str] = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}


def base_locale(hint: str | None) -> str:
    """Map a platform language code ("fi", "sv-FI", "en_US") to a supported locale."""
    if not hint:
        return SOURCE_LOCALE
    base = hint.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LOCALES else SOURCE_LOCALE
