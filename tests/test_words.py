"""The word files (messages/words/*.toml): complete in every language, and the one source
of command names."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from handlers.registry import build_registry
from messages import words
from messages.languages import BABEL_LOCALES, LOCALES, SOURCE_LOCALE


def raw_files() -> dict[str, dict[str, Any]]:
    return {
        locale: words.read(words.MESSAGES_DIR / "words" / f"{locale}.toml") for locale in LOCALES
    }


def test_every_language_has_every_word_key() -> None:
    assert words.problems(raw_files()) == []


def test_languages_come_from_the_files() -> None:
    assert LOCALES == words.locales_in() == ("fi", "sv", "en")
    assert SOURCE_LOCALE == "fi"
    assert BABEL_LOCALES == {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}


def test_a_missing_key_a_wrong_kind_and_a_short_weekday_list_are_problems() -> None:
    raw = raw_files()
    broken = copy.deepcopy(raw)
    del broken["sv"]["dates"]["tomorrow"]
    broken["en"]["money"]["thousand"] = "k"
    broken["en"]["dates"]["weekdays"] = broken["en"]["dates"]["weekdays"][:6]
    found = words.problems(broken)
    assert "sv.dates.tomorrow: missing" in found
    assert any(problem.startswith("en.money.thousand: a str") for problem in found)
    assert any(problem.startswith("en.dates.weekdays: 6 items") for problem in found)


def test_a_name_for_two_commands_or_a_word_for_two_days_is_a_problem() -> None:
    raw = copy.deepcopy(raw_files())
    raw["sv"]["commands"]["menu"] = ["hjalp"]
    raw["en"]["dates"]["weekdays"][1].append("mon")
    found = words.problems(raw)
    assert any("'hjalp' is 'help'" in problem for problem in found)
    assert any("'mon' names two days" in problem for problem in found)


def test_loading_refuses_an_incomplete_language(tmp_path) -> None:
    (tmp_path / "words").mkdir()
    for locale in ("fi", "sv"):
        source = (words.MESSAGES_DIR / "words" / f"{locale}.toml").read_text(encoding="utf-8")
        if locale == "sv":
            source = source.replace('picture = "bild"', "")
        (tmp_path / "words" / f"{locale}.toml").write_text(source, encoding="utf-8")
        (tmp_path / f"{locale}.po").write_text("", encoding="utf-8")
    with pytest.raises(words.WordFileError, match=r"sv\.files\.picture: missing"):
        words.load(tmp_path)


def test_every_command_takes_its_names_from_the_word_files() -> None:
    registry = build_registry()
    ids = {command.description_key.removeprefix("cmd.") for command in registry.commands}
    assert ids == set(words.words(SOURCE_LOCALE).commands)
    for command in registry.commands:
        names = words.command_names(command.description_key.removeprefix("cmd."))
        assert command.names == names
        assert list(command.names) == list(LOCALES)
