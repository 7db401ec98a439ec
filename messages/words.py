"""The words of each language that are not catalog texts: ``messages/words/<locale>.toml``.

One file per language holds its command names, the words people type (weekdays, "klo",
"huomenna", money multipliers, "ohita", answers to the bot's questions such as "en pääse"),
the date patterns texts are shown with, its Babel locale and its FAQ stop words. Every file
must have the same keys as the source language's (Finnish) file, with values of the same
kinds; :func:`problems` says where one does not, and :func:`load` refuses such a set. A
language is the pair ``<locale>.po`` + ``words/<locale>.toml`` in the messages folder
(:func:`locales_in`).

This module reads files only; it imports nothing of the project, so ``handlers.domain``
may use it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MESSAGES_DIR = Path(__file__).resolve().parent
SOURCE_LOCALE = "fi"  # the catalogs and word files are written in Finnish first

Raw = Mapping[str, Any]


class WordFileError(ValueError):
    """The word files do not agree with each other (see :func:`problems`)."""


@dataclass(frozen=True)
class Patterns:
    """Babel/CLDR patterns: a moment ("ti 24.11. klo 13.00"), a day, a time of day."""

    when: str
    day: str
    time: str


@dataclass(frozen=True)
class DateWords:
    weekdays: tuple[tuple[str, ...], ...]  # Monday first
    today: tuple[str, ...]
    tomorrow: tuple[str, ...]
    day_after_tomorrow: tuple[str, ...]
    time_markers: tuple[str, ...]
    glued_time_markers: tuple[str, ...]


@dataclass(frozen=True)
class MoneyWords:
    thousand: tuple[str, ...]
    million: tuple[str, ...]
    currency: tuple[str, ...]
    percent: tuple[str, ...]
    per_hour: tuple[str, ...]  # "€/h", "euroa tunnissa": an hourly pay
    per_month: tuple[str, ...]  # "€/kk", "euroa kuussa": a monthly pay
    zero: tuple[str, ...]  # "ei ole", "ei mitään": nothing, where nothing is an answer


@dataclass(frozen=True)
class AnswerWords:
    skip: tuple[str, ...]
    age_units: tuple[str, ...]
    join: tuple[str, ...]
    file: tuple[str, ...]
    keep: tuple[str, ...]  # "sama": keep the old value when something is edited


@dataclass(frozen=True)
class StepWords:
    """Words that work at the steps of multi-step flows (``[steps]``)."""

    back: tuple[str, ...]  # one question back (handlers/core/ways.py)


@dataclass(frozen=True)
class ReplyWords:
    """Typed answers to the bot's own questions (``handlers/domain/reply_intent.py``): each
    intent's phrases, the hedges and question words that stop a capture, filler words, the
    rating's number words (1–5) and the scale's two ends."""

    intents: dict[str, tuple[str, ...]]
    unsure: tuple[str, ...]
    question: tuple[str, ...]
    filler: tuple[str, ...]
    numbers: tuple[tuple[str, ...], ...]


#: The keys of ``[replies]`` that are not intents.
REPLY_SPECIAL = ("unsure", "question", "filler", "numbers")


@dataclass(frozen=True)
class FaqWords:
    stemmer: str
    split_compounds: bool
    stop_words: frozenset[str]
    greeting: tuple[str, ...]  # regular expressions
    greeting_tail: tuple[str, ...]
    how_are_you: tuple[str, ...]
    thanks: tuple[str, ...]
    capabilities: tuple[str, ...]  # "what can you do?"
    #: "canonical: variant variant": a variant the FAQ does not use also reads as the
    #: canonical word ("yritys: firma")
    synonyms: tuple[tuple[str, tuple[str, ...]], ...]
    #: question words by what they ask (where, when, why, ...): they rank entries asked the
    #: same way, but give no confidence
    question_words: dict[str, frozenset[str]]


@dataclass(frozen=True)
class CalendarWords:
    columns: dict[str, tuple[str, ...]]  # column id → names in this language
    repeat: dict[str, tuple[str, ...]]  # repeat kind → words


@dataclass(frozen=True)
class FileNames:
    document: str
    picture: str


@dataclass(frozen=True)
class Words:
    locale: str
    order: int
    babel_locale: str
    commands: dict[str, tuple[str, ...]]
    patterns: Patterns
    dates: DateWords
    money: MoneyWords
    answers: AnswerWords
    steps: StepWords
    replies: ReplyWords
    faq: FaqWords
    calendar: CalendarWords
    files: FileNames


def read(path: Path) -> dict[str, Any]:
    """One word file as TOML data."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


def locales_in(directory: Path = MESSAGES_DIR) -> tuple[str, ...]:
    """The languages in a messages folder: each has ``<locale>.po`` and
    ``words/<locale>.toml``; ordered by the word file's ``language.order``."""
    found = {
        path.stem: read(path)
        for path in (directory / "words").glob("*.toml")
        if (directory / f"{path.stem}.po").is_file()
    }
    return tuple(sorted(found, key=lambda locale: (found[locale]["language"]["order"], locale)))


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _compare(where: str, source: object, other: object, found: list[str]) -> None:
    if _kind(source) != _kind(other):
        found.append(f"{where}: a {_kind(other)}, the source has a {_kind(source)}")
        return
    if isinstance(source, dict) and isinstance(other, dict):
        for key in source.keys() - other.keys():
            found.append(f"{where}.{key}: missing")
        for key in other.keys() - source.keys():
            found.append(f"{where}.{key}: not in the source language")
        for key in source.keys() & other.keys():
            _compare(f"{where}.{key}", source[key], other[key], found)
    elif isinstance(source, list) and isinstance(other, list):
        nested = [item for item in source if isinstance(item, list)]
        if nested and len(source) != len(other):
            found.append(f"{where}: {len(other)} items, the source has {len(source)}")
        for index, item in enumerate(other):
            if not isinstance(item, list | str):
                found.append(f"{where}[{index}]: a {_kind(item)}, words are strings")
            elif isinstance(item, list) and not all(isinstance(word, str) for word in item):
                found.append(f"{where}[{index}]: words are strings")
    elif isinstance(source, str) and isinstance(other, str) and source.strip() and not other:
        found.append(f"{where}: empty")


def problems(raw: Mapping[str, Raw], source: str = SOURCE_LOCALE) -> list[str]:
    """Where the word files disagree with the source language's: missing or extra keys,
    values of another kind, a weekday list of another length, an empty text; and command
    names or weekday words that mean two things."""
    if source not in raw:
        return [f"{source}: no word file for the source language"]
    found: list[str] = []
    for locale, data in raw.items():
        _compare(locale, raw[source], data, found)
    if found:
        return found
    names: dict[str, str] = {}
    weekdays: dict[str, int] = {}
    for locale, data in raw.items():
        for command, aliases in data["commands"].items():
            if not aliases:
                found.append(f"{locale}.commands.{command}: no name")
            for name in aliases:
                if names.setdefault(name, command) != command:
                    found.append(f"{locale}.commands.{command}: {name!r} is {names[name]!r}")
        for index, day in enumerate(data["dates"]["weekdays"]):
            for word in day:
                if weekdays.setdefault(word, index) != index:
                    found.append(f"{locale}.dates.weekdays: {word!r} names two days")
    return found


def _words(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


def parse(locale: str, data: Raw) -> Words:
    """Typed words of one language (the data must have passed :func:`problems`)."""
    dates, money, answers, faq = data["dates"], data["money"], data["answers"], data["faq"]
    calendar = data["calendar"]
    return Words(
        locale=locale,
        order=int(data["language"]["order"]),
        babel_locale=str(data["language"]["babel_locale"]),
        commands={command: _words(names) for command, names in data["commands"].items()},
        patterns=Patterns(**{key: str(value) for key, value in data["patterns"].items()}),
        dates=DateWords(
            weekdays=tuple(_words(day) for day in dates["weekdays"]),
            today=_words(dates["today"]),
            tomorrow=_words(dates["tomorrow"]),
            day_after_tomorrow=_words(dates["day_after_tomorrow"]),
            time_markers=_words(dates["time_markers"]),
            glued_time_markers=_words(dates["glued_time_markers"]),
        ),
        money=MoneyWords(**{key: _words(value) for key, value in money.items()}),
        answers=AnswerWords(**{key: _words(value) for key, value in answers.items()}),
        steps=StepWords(**{key: _words(value) for key, value in data["steps"].items()}),
        replies=_replies(data["replies"]),
        faq=FaqWords(
            stemmer=str(faq["stemmer"]),
            split_compounds=bool(faq["split_compounds"]),
            stop_words=frozenset(str(faq["stop_words"]).split()),
            greeting=_words(faq["greeting"]),
            greeting_tail=_words(faq["greeting_tail"]),
            how_are_you=_words(faq["how_are_you"]),
            thanks=_words(faq["thanks"]),
            capabilities=_words(faq["capabilities"]),
            synonyms=_synonyms(faq["synonyms"]),
            question_words={
                kind: frozenset(names) for kind, names in faq["question_words"].items()
            },
        ),
        calendar=CalendarWords(
            columns={key: _words(value) for key, value in calendar["columns"].items()},
            repeat={key: _words(value) for key, value in calendar["repeat"].items()},
        ),
        files=FileNames(**{key: str(value) for key, value in data["files"].items()}),
    )


def _synonyms(lines: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``["yritys: firma puulaaki"]`` → ``(("yritys", ("firma", "puulaaki")),)``."""
    found = []
    for line in lines:
        canonical, _, variants = str(line).partition(":")
        found.append((canonical.strip(), tuple(variants.split())))
    return tuple(found)


def _replies(data: Raw) -> ReplyWords:
    return ReplyWords(
        intents={key: _words(value) for key, value in data.items() if key not in REPLY_SPECIAL},
        unsure=_words(data["unsure"]),
        question=_words(data["question"]),
        filler=_words(data["filler"]),
        numbers=tuple(_words(level) for level in data["numbers"]),
    )


def load(directory: Path = MESSAGES_DIR) -> dict[str, Words]:
    """Every language's words from a messages folder, checked against each other."""
    raw = {locale: read(directory / "words" / f"{locale}.toml") for locale in locales_in(directory)}
    found = problems(raw)
    if found:
        raise WordFileError("; ".join(found))
    return {locale: parse(locale, data) for locale, data in raw.items()}


@cache
def all_words() -> dict[str, Words]:
    """Every language's words (from the packaged files), read once."""
    return load()


def words(locale: str) -> Words:
    """One language's words."""
    return all_words()[locale]


def every(pick: Callable[[Words], Iterable[str]]) -> tuple[str, ...]:
    """The words ``pick`` chooses, of every language, in language order, each once."""
    seen: dict[str, None] = {}
    for language in all_words().values():
        seen.update(dict.fromkeys(pick(language)))
    return tuple(seen)


def command_names(command: str) -> dict[str, tuple[str, ...]]:
    """A command's names per language ("help" → {"fi": ("apua",), "sv": ("hjalp",), …})."""
    return {locale: language.commands[command] for locale, language in all_words().items()}
