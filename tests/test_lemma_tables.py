"""The language layer's packaged tables (messages/lemmas, issue 17): fresh for the current
vocabulary, and the only dictionary the bot reads while it runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from simplemma.strategies.dictionaries import dictionary_factory

from content.loader import load_content
from handlers.applicant.join_check import all_municipalities, match_municipality
from handlers.domain import lemmas
from handlers.domain.faq_match import FaqMatcher
from handlers.domain.lemmas import Lemmatizer, SimplemmaBackend
from handlers.domain.option_match import pick_option
from messages import lemmas as tables
from messages.languages import LOCALES

ROOT = Path(__file__).resolve().parent.parent


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "lemma_tables", ROOT / "tools" / "lemma_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lemma_tables", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("locale", LOCALES)
def test_the_tables_were_built_from_the_current_vocabulary(locale: str) -> None:
    tool = _tool()
    missing = sorted(tool.vocabulary_tokens() - tables.table(locale).tokens)
    assert not missing, (
        f"messages/lemmas/{locale}.tsv.gz is older than the vocabulary (new words: "
        f"{missing[:20]}); rebuild the tables with: {tool.COMMAND}"
    )


def test_a_table_reads_back_as_written(tmp_path: Path) -> None:
    forms = {"kunnat": "kunta", "kuntien": "kunta", "Mikkelissä": "Mikkeli"}
    tables.write("fi", tables.render(forms, ["kunta", "mikkeli"], per_line=1), tmp_path)
    known = tables.KnownForms.build(["kunnat", "talo"], 2)
    tables.write_known("fi", known, tmp_path)
    read = tables.read("fi", tmp_path)
    assert dict(read.forms) == forms
    assert read.tokens == {"kunta", "mikkeli"}
    assert "talo" in read.known and "Talo" in read.known
    assert tables.read("sv", tmp_path).forms == {}


def test_a_word_the_bot_does_not_use_is_its_own_lemma() -> None:
    # "käytännössä" (käytäntö) is in no FAQ text; against the small table alone simplemma's
    # rules read it as a form of "käyttää", which the FAQ does use
    assert "käytännössä" in tables.table("fi").known
    assert Lemmatizer(SimplemmaBackend()).analyse("käytännössä", "fi").lemma == "käytännössä"


@pytest.fixture
def no_full_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("simplemma's full dictionary was loaded at run time")

    monkeypatch.setattr(dictionary_factory, "_read_decompressed", refuse)
    monkeypatch.setattr(dictionary_factory, "_load_dictionary_from_disk", refuse)
    # the shared default instance may hold a cached dictionary from another test
    monkeypatch.setattr(dictionary_factory.DEFAULT_DICTIONARY_FACTORY, "_get_dictionary", refuse)
    layer = Lemmatizer(SimplemmaBackend())
    monkeypatch.setattr(lemmas, "lemmatizer", lambda: layer)
    monkeypatch.setattr("handlers.applicant.join_check.lemmatizer", lambda: layer)


@pytest.mark.usefixtures("no_full_dictionary")
def test_matching_never_loads_simplemmas_full_dictionaries() -> None:
    content = load_content()
    matcher = FaqMatcher(content.programme.faq, lemmas=Lemmatizer(SimplemmaBackend()))
    assert matcher.match("Voiko ammattikorkeakoulu hakea?", "fi")
    assert matcher.match("Kan en yrkeshögskola ansöka?", "sv")
    assert matcher.match("Can a university of applied sciences apply?", "en")
    places = all_municipalities(content)
    assert match_municipality("asun mikkelissä", places, "fi") == "Mikkeli"
    assert pick_option("yhdistyksenä", ["Yhdistys", "Yritys"], "fi", whole=False) == 0
