"""Every check a language must pass, as functions of a messages folder, so that they run on
the real languages and on a throwaway one made in a test (tests/test_languages.py).

Each returns a list of problems (empty when the language set is complete)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from bot.i18n import Catalog, placeholders, read_catalog
from content.loader import DEFAULT_CONTENT_DIR, check_content
from messages import words

# Placeholders that hold a number of things: an entry with one is a plural entry.
COUNT_PLACEHOLDERS = frozenset(
    {
        "count",
        "days",
        "done",
        "failed",
        "hours",
        "length",
        "limit",
        "minutes",
        "missed",
        "months",
        "people",
        "present",
        "sent",
        "unreachable",
        "no",
        "yes",
    }
)
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote"})


def catalogs(directory: Path) -> dict[str, Catalog]:
    """The catalog of every language in a messages folder (see messages.words.locales_in)."""
    raw = {
        locale: words.read(directory / "words" / f"{locale}.toml")
        for locale in words.locales_in(directory)
    }
    return {
        locale: read_catalog(directory / f"{locale}.po", data["language"]["babel_locale"])
        for locale, data in raw.items()
    }


def _forms(book: Catalog, key: str) -> tuple[str, ...]:
    plural = book.plurals.get(key)
    return plural.forms if plural else (book.texts[key],)


def same_keys(books: Mapping[str, Catalog]) -> list[str]:
    source = set(books[words.SOURCE_LOCALE].texts)
    return [
        f"{locale}: keys differ: {sorted(set(book.texts) ^ source)}"
        for locale, book in books.items()
        if set(book.texts) != source
    ]


def same_placeholders(books: Mapping[str, Catalog]) -> list[str]:
    found = []
    source = books[words.SOURCE_LOCALE]
    for key in source.texts:
        expected = placeholders(source.texts[key])
        for locale, book in books.items():
            for form in _forms(book, key) if key in book.texts else ():
                if placeholders(form) != expected:
                    found.append(f"{locale}: {key}: placeholders {sorted(placeholders(form))}")
    return found


def nothing_empty(books: Mapping[str, Catalog]) -> list[str]:
    return [
        f"{locale}: {key}: empty"
        for locale, book in books.items()
        for key in book.texts
        if any(not form.strip() for form in _forms(book, key))
    ]


def telegram_markup(books: Mapping[str, Catalog]) -> list[str]:
    found = []
    for locale, book in books.items():
        for key in book.texts:
            for form in _forms(book, key):
                tags = set(re.findall(r"</?([a-zA-Z0-9-]+)", form))
                if not tags <= ALLOWED_TAGS:
                    found.append(f"{locale}: {key}: tags {sorted(tags - ALLOWED_TAGS)}")
                if re.search(r"&(?![a-z]+;|#\d+;)", form):
                    found.append(f"{locale}: {key}: a bare &")
    return found


def counts_are_plural(books: Mapping[str, Catalog]) -> list[str]:
    """An entry with a count placeholder is a plural entry in every language; every plural
    entry counts by the same placeholder in every language and has as many forms as the
    language's Plural-Forms header says."""
    found = []
    source = books[words.SOURCE_LOCALE]
    for key, text in source.texts.items():
        counted = placeholders(text) & COUNT_PLACEHOLDERS
        plural = source.plurals.get(key)
        if counted and plural is None:
            found.append(f"{key}: counts {sorted(counted)} but has no plural forms")
        for locale, book in books.items():
            other = book.plurals.get(key)
            if (plural is None) != (other is None):
                found.append(f"{locale}: {key}: plural in one language only")
            elif plural is not None and other is not None:
                if other.count != plural.count or other.count not in placeholders(text):
                    found.append(f"{locale}: {key}: counts by {other.count!r}")
                if len(other.forms) != book.plural_forms:
                    found.append(f"{locale}: {key}: {len(other.forms)} forms")
    return found


def languages_named(books: Mapping[str, Catalog]) -> list[str]:
    """Every language has its name ("language.<locale>") for the language chooser."""
    known = books[words.SOURCE_LOCALE].texts
    return [
        f"{locale}: no entry language.{locale}"
        for locale in books
        if f"language.{locale}" not in known
    ]


CATALOG_CHECKS = (
    same_keys,
    same_placeholders,
    nothing_empty,
    telegram_markup,
    counts_are_plural,
    languages_named,
)


def word_files(directory: Path) -> list[str]:
    raw = {
        locale: words.read(directory / "words" / f"{locale}.toml")
        for locale in words.locales_in(directory)
    }
    return words.problems(raw)


def content_texts(directory: Path) -> list[str]:
    """Every content text (content/: programme and projects) is in every language of the
    messages folder, and in no other: the content beside it (``../content``), or the
    packaged one."""
    beside = directory.parent / "content"
    _, issues = check_content(
        beside if beside.is_dir() else DEFAULT_CONTENT_DIR, languages=words.locales_in(directory)
    )
    return [f"{issue.file.name}: {issue.location}: {issue.message}" for issue in issues]


def every_problem(directory: Path) -> list[str]:
    """All checks on one messages folder (and the content texts of its languages)."""
    books = catalogs(directory)
    return (
        [problem for check in CATALOG_CHECKS for problem in check(books)]
        + word_files(directory)
        + content_texts(directory)
    )
