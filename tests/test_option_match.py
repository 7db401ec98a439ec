"""Typed text naming a button step's option (issue 13 item 2)."""

from __future__ import annotations

import pytest

from handlers.domain.option_match import pick_option

APPLICANTS = ["Yhdistys tai muu järjestö", "Kunta tai työllisyysalue", "Yritys", "Oppilaitos"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yhdistys", 0),
        ("Yhdistys", 0),
        ("YHDISTYS!", 0),
        ("yhdistyksenä", 0),
        ("järjestö", 0),
        ("kunta", 1),
        ("kuntana", 1),
        ("työllisyysalue", 1),
        ("yritys", 2),
        ("kunta tai työllisyysalue", 1),
        ("oppilaitos", 3),
    ],
)
def test_an_option_named_by_its_words(text: str, expected: int) -> None:
    assert pick_option(text, APPLICANTS, "fi", whole=False) == expected


@pytest.mark.parametrize(
    "text",
    ["tai", "en tiedä", "yhdistys tai kunta", "3", "x", "", "🙂", "mikä on flat rate?", "kaikki"],
)
def test_no_option_or_more_than_one_is_none(text: str) -> None:
    assert pick_option(text, APPLICANTS, "fi", whole=False) is None


def test_where_text_is_also_an_answer_only_the_whole_label_counts() -> None:
    labels = ["Käytä nimeä Ryhmä Aamu"]
    assert pick_option("ryhmä", labels, "fi", whole=True) is None
    assert pick_option("käytä nimeä ryhmä aamu", labels, "fi", whole=True) == 0
    assert pick_option("Ohita", ["Ohita"], "fi", whole=True) == 0
    assert pick_option("ohita tämä", ["Ohita"], "fi", whole=True) is None


def test_swedish_and_english_labels() -> None:
    assert (
        pick_option("förening", ["Förening eller organisation", "Kommun"], "sv", whole=False) == 0
    )
    assert pick_option("municipality", ["Association", "Municipality"], "en", whole=False) == 1


def test_a_yes_or_no_word_alone_confirms_nothing() -> None:
    labels = ["Kyllä, poista", "Ei, pidä tiedot"]
    assert pick_option("kyllä", labels, "fi", whole=False) is None
    assert pick_option("ei", labels, "fi", whole=False) is None
    assert pick_option("ok", labels, "fi", whole=False) is None
    assert pick_option("kyllä poista", labels, "fi", whole=False) == 0
    assert pick_option("pidä tiedot", labels, "fi", whole=False) == 1
