"""Real plural forms: a catalog entry that counts something has a form per plural of its
language (the .po header's Plural-Forms), and the renderer picks it by the count."""

from __future__ import annotations

import runpy
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Plural, Renderer, plurals, read_catalog
from handlers.core.types import Param
from messages.words import MESSAGES_DIR
from tests.language_checks import (
    catalogs,
    counts_are_plural,
    nothing_empty,
    same_placeholders,
    telegram_markup,
)

ROOT = Path(__file__).resolve().parent.parent

RENDER = Renderer(ZoneInfo("Europe/Helsinki"))

# The singular where the language needs one, with its plural beside it.
SINGULARS: list[tuple[str, str, dict[str, Any], str, str]] = [
    (
        "fi",
        "audit.csv_ready",
        {},
        "Tapahtumaloki tiedostona: 1 rivi.",
        "Tapahtumaloki tiedostona: 2 riviä.",
    ),
    (
        "sv",
        "audit.csv_ready",
        {},
        "Händelseloggen som fil: 1 rad.",
        "Händelseloggen som fil: 2 rader.",
    ),
    (
        "en",
        "audit.csv_ready",
        {},
        "The audit log as a file: 1 line.",
        "The audit log as a file: 2 lines.",
    ),
    (
        "fi",
        "broadcast.missing_ready",
        {"id": 7},
        "Tiedote #7: 1 henkilö ei saanut sitä.",
        "Tiedote #7: 2 henkilöä ei saanut sitä.",
    ),
    (
        "en",
        "broadcast.missing_ready",
        {"id": 7},
        "Announcement #7: 1 person did not get it.",
        "Announcement #7: 2 people did not get it.",
    ),
    (
        "sv",
        "broadcast.missing_ready",
        {"id": 7},
        "Meddelande #7: 1 person fick det inte.",
        "Meddelande #7: 2 personer fick det inte.",
    ),
    ("fi", "privacy.period_days", {}, "1 päivä", "2 päivää"),
    ("sv", "privacy.period_days", {}, "1 dag", "2 dagar"),
    ("en", "privacy.period_days", {}, "1 day", "2 days"),
    ("fi", "privacy.period_years", {}, "1 vuosi", "2 vuotta"),
    ("en", "privacy.period_years", {}, "1 year", "2 years"),
    (
        "fi",
        "meeting.rule_count",
        {"rhythm": "joka viikko"},
        "joka viikko, 1 kerran",
        "joka viikko, 2 kertaa",
    ),
    ("en", "meeting.rule_count", {"rhythm": "weekly"}, "weekly, 1 time", "weekly, 2 times"),
    (
        "fi",
        "import.failed",
        {},
        "Tiedostoa ei tuotu, koska siinä on 1 virhe. Korjaa se ja lähetä tiedosto uudelleen:",
        "Tiedostoa ei tuotu, koska siinä on 2 virhettä. Korjaa ne ja lähetä tiedosto uudelleen:",
    ),
    (
        "en",
        "meetings.changed",
        {},
        "Saved. 1 participant was told.",
        "Saved. 2 participants were told.",
    ),
    (
        "en",
        "broadcast.summary_opted_out",
        {},
        "1 has said no to announcements and gets nothing.",
        "2 have said no to announcements and get nothing.",
    ),
    (
        "sv",
        "codes.paused",
        {},
        "Kontrollen av koder har en kort paus nu. Vänta 1 minut och försök sedan igen.",
        "Kontrollen av koder har en kort paus nu. Vänta 2 minuter och försök sedan igen.",
    ),
    (
        "fi",
        "error.too_long",
        {},
        "Viesti on liian pitkä. Kirjoita enintään 1 merkki.",
        "Viesti on liian pitkä. Kirjoita enintään 2 merkkiä.",
    ),
]

# The parameter that counts, where it is not called count.
COUNTED_BY = {
    "privacy.period_days": "days",
    "privacy.period_years": "years",
    "meetings.changed": "people",
    "codes.paused": "minutes",
    "error.too_long": "limit",
}


@pytest.mark.parametrize(("locale", "key", "params", "one", "two"), SINGULARS)
def test_one_and_two_read_right(
    locale: str, key: str, params: dict[str, Any], one: str, two: str
) -> None:
    counted = COUNTED_BY.get(key, "count")
    assert RENDER.text(locale, key, {**params, counted: 1}) == one
    assert RENDER.text(locale, key, {**params, counted: 2}) == two
    assert RENDER.text(locale, key, {**params, counted: 0}) == two.replace("2", "0")


def test_a_fraction_takes_the_general_form() -> None:
    params: dict[str, Param] = {"hours_year": 1720, "percent": "100 %", "hours": Decimal("71.67")}
    half = RENDER.text("en", "budget.calc.hours", {**params, "months": Decimal("0.5")})
    one = RENDER.text("en", "budget.calc.hours", {**params, "months": Decimal("1.00")})
    assert "× 0,5 months / 12" in half
    assert "× 1 month / 12" in one


def test_every_count_is_a_plural_entry_in_every_language() -> None:
    assert counts_are_plural(catalogs(MESSAGES_DIR)) == []


def test_every_form_of_every_language_has_the_source_placeholders() -> None:
    books = catalogs(MESSAGES_DIR)
    assert same_placeholders(books) == []
    assert nothing_empty(books) == []
    assert telegram_markup(books) == []


def test_a_count_without_plural_forms_fails_the_check() -> None:
    books = catalogs(MESSAGES_DIR)
    fi = books["fi"]
    plain = dict(fi.plurals)
    del plain["audit.csv_ready"]
    broken = {**books, "fi": replace(fi, plurals=plain)}
    assert counts_are_plural(broken) == [
        "audit.csv_ready: counts ['count'] but has no plural forms",
        "sv: audit.csv_ready: plural in one language only",
        "en: audit.csv_ready: plural in one language only",
    ]


def test_the_count_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="the count must be a number"):
        RENDER.text("fi", "audit.csv_ready", {"count": "1"})
    with pytest.raises(TypeError, match="the count must be a number"):
        RENDER.text("fi", "audit.csv_ready", {})


def test_the_catalog_tool_writes_plural_entries(tmp_path, monkeypatch) -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "catalog.py"))
    for locale in ("fi", "sv", "en"):
        shutil.copy(MESSAGES_DIR / f"{locale}.po", tmp_path / f"{locale}.po")
    tool["update"].__globals__["CATALOG_DIR"] = tmp_path
    tool["update"](
        {
            "test.people": {
                "count": "people",
                "fi": ("{people} henkilö", "{people} henkilöä"),
                "sv": ("{people} person", "{people} personer"),
                "en": ("{people} person", "{people} people"),
            },
            "test.plain": {"fi": "Hei", "sv": "Hej", "en": "Hi"},
        }
    )
    books = {
        locale: read_catalog(tmp_path / f"{locale}.po", babel)
        for locale, babel in (("fi", "fi_FI"), ("sv", "sv_FI"), ("en", "en_FI"))
    }
    assert books["en"].plurals["test.people"] == Plural(
        "people", ("{people} person", "{people} people")
    )
    assert books["fi"].texts["test.plain"] == "Hei"
    assert books["sv"].form("test.people", 1) == "{people} person"
    assert books["fi"].plurals["audit.csv_ready"] == plurals("fi")["audit.csv_ready"]
    with pytest.raises(SystemExit, match="2 plural forms, not 1"):
        tool["update"]({"test.bad": {"count": "n", "fi": ("{n}",), "sv": ("{n}",), "en": ("{n}",)}})
