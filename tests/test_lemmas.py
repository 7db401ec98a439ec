"""The language layer (handlers/domain/lemmas.py), both back ends (issue 13 item 2, 14 item 1).

The Voikko back end runs on the real libvoikko where it is installed and otherwise on
analyses recorded from it (tests/data/voikko_analyses.json), so its parsing is tested on
every machine; the simplemma back end always runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from handlers.domain import lemmas
from handlers.domain.lemmas import (
    MAX_TEXT,
    MAX_WORDS,
    Lemmatizer,
    SimplemmaBackend,
    VoikkoBackend,
    load_voikko,
    voikko_parts,
)

RECORDED = json.loads(
    (Path(__file__).parent / "data" / "voikko_analyses.json").read_text(encoding="utf-8")
)


class RecordedVoikko:
    """libvoikko.Voikko("fi").analyze as recorded from the real library."""

    def analyze(self, word: str) -> list[dict[str, str]]:
        return list(RECORDED.get(word, []))


def _voikko() -> Lemmatizer:
    return Lemmatizer(load_voikko() or VoikkoBackend(RecordedVoikko()))


@pytest.fixture(scope="module", params=["simplemma", "voikko"])
def layer(request: pytest.FixtureRequest) -> Lemmatizer:
    return Lemmatizer(SimplemmaBackend()) if request.param == "simplemma" else _voikko()


# The words of the issues: lemma, and the parts a compound must give.
WORDS = [
    ("hankkeeseen", "hanke", ()),
    ("mikkelissä", "mikkeli", ()),
    ("pieksämäellä", "pieksämäki", ()),
    ("juvalla", "juva", ()),
    ("sivukuluja", "sivukulu", ("sivu", "kulu")),
    ("yhdistyksenä", "yhdistys", ()),
]


@pytest.mark.parametrize(("word", "lemma", "parts"), WORDS)
def test_lemmas_of_the_issue_words(
    layer: Lemmatizer, word: str, lemma: str, parts: tuple[str, ...]
) -> None:
    analysis = layer.analyse(word, "fi")
    assert analysis.lemma == lemma
    assert set(parts) <= set(analysis.parts)


def test_voikko_splits_omarahoitusosuus_in_three() -> None:
    analysis = _voikko().analyse("omarahoitusosuutta", "fi")
    assert analysis.lemma == "omarahoitusosuus"
    assert analysis.parts == ("oma", "rahoitus", "osuus")


def test_simplemma_splits_compounds_against_its_dictionary() -> None:
    analysis = Lemmatizer(SimplemmaBackend()).analyse("omarahoitusosuutta", "fi")
    assert analysis.lemma == "omarahoitusosuus"
    assert analysis.parts == ("oma", "rahoitus", "osuus")  # a known tail is split further


def test_simplemma_keeps_a_compound_head_that_it_reads_as_another_word() -> None:
    # simplemma gives "sinä" for "työ" (a dialect pronoun): "työvoimapalveluja" lost its "työ"
    analysis = Lemmatizer(SimplemmaBackend()).analyse("työvoimapalveluja", "fi")
    assert analysis.parts == ("työ", "voima", "palvelu")
    assert Lemmatizer(SimplemmaBackend()).analyse("kuntarahoitusta", "fi").parts[0] == "kunta"


def test_voikko_parts_joins_derivations() -> None:
    wordbases = "+oma(oma)+rahoit(rahoittaa)+us(+us)+osuus(osuus)"
    assert voikko_parts("omarahoitusosuus", wordbases) == ("oma", "rahoitus", "osuus")
    assert voikko_parts("hanke", "+hanke(hanke)") == ()


def test_voikko_falls_back_to_simplemma_for_other_languages_and_unknown_words() -> None:
    backend = VoikkoBackend(RecordedVoikko())
    assert backend.analyse("föreningar", "sv").lemma == "förening"
    assert backend.analyse("helsingissä", "fi").lemma == "helsinki"  # not recorded


def test_without_libvoikko_the_default_is_simplemma(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_voikko(name: str, *args: object, **kwargs: object) -> object:
        if name == "libvoikko":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_voikko)
    assert load_voikko() is None
    lemmas.default_backend.cache_clear()
    try:
        assert lemmas.default_backend().name == "simplemma"
    finally:
        lemmas.default_backend.cache_clear()


def test_work_per_message_is_bounded(layer: Lemmatizer) -> None:
    text = ("y" * 3999 + " ") * 3 + "sana " * 1000
    started = time.perf_counter()
    analysed = layer.text(text, "fi")
    assert len(analysed) <= MAX_WORDS
    assert sum(len(a.word) + 1 for a in analysed) <= MAX_TEXT + 1
    assert time.perf_counter() - started < 1.0


def test_normalise_reply_and_same_words(layer: Lemmatizer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lemmas, "lemmatizer", lambda: layer)
    assert lemmas.normalise_reply("Hankkeeseen!", "fi") == ("hanke",)
    assert lemmas.same_words("yhdistyksenä", "Yhdistys", "fi")
    assert not lemmas.same_words("kunta", "Yhdistys", "fi")
    assert not lemmas.same_words("", "Yhdistys", "fi")
