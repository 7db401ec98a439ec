"""The FAQ matcher: its parts, and its accuracy on paraphrased questions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bench.faq_accuracy import TUNING_FLOORS
from content import load_content
from handlers.domain.faq_match import FaqMatcher, tokenize

DATA = Path(__file__).parent / "data"

# The floors on tests/data/faq_eval.yaml (86 in scope, 14 out of scope) are bench's, one
# definition with the reason for them; bench/faq_accuracy.py also prints the held-out sets.
TOP1_FLOOR = TUNING_FLOORS["top1"]
ANSWERED_FLOOR = TUNING_FLOORS["answered"]
REJECTED_FLOOR = TUNING_FLOORS["rejected"]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(load_content().programme.faq)


def load_cases() -> list[dict[str, str | None]]:
    cases: list[dict[str, str | None]] = yaml.safe_load(
        (DATA / "faq_eval.yaml").read_text(encoding="utf-8")
    )
    return cases


def test_eval_set_is_broad_and_refers_to_real_entries() -> None:
    cases = load_cases()
    ids = {entry.id for entry in load_content().programme.faq}
    in_scope = [case for case in cases if case["expected"] is not None]
    assert len(in_scope) >= 60
    assert sum(case["expected"] is None for case in cases) >= 10
    assert {case["locale"] for case in cases} == {"fi", "sv", "en"}
    assert all(case["expected"] in ids for case in in_scope)


def test_accuracy_floor(matcher: FaqMatcher) -> None:
    cases = load_cases()
    in_scope = [case for case in cases if case["expected"] is not None]
    out_of_scope = [case for case in cases if case["expected"] is None]
    top1 = answered = 0
    for case in in_scope:
        matches = matcher.match(str(case["question"]), str(case["locale"]))
        if matches and matches[0].faq_id == case["expected"]:
            top1 += 1
            answered += matches[0].confidence >= matcher.threshold
    rejected = sum(
        matcher.best(str(case["question"]), str(case["locale"])) is None for case in out_of_scope
    )
    assert top1 / len(in_scope) >= TOP1_FLOOR
    assert answered / len(in_scope) >= ANSWERED_FLOOR
    assert rejected / len(out_of_scope) >= REJECTED_FLOOR


def test_the_threshold_is_calibrated_on_the_tuning_set(matcher: FaqMatcher) -> None:
    from bench.faq_accuracy import calibrate, matcher_ranker

    assert matcher.threshold == calibrate(matcher_ranker(matcher), load_cases())


def test_a_lone_number_is_no_question(matcher: FaqMatcher) -> None:
    assert matcher.match("7", "fi") == []
    assert matcher.off_topic("7", "fi") and matcher.off_topic("asdfgh", "fi")
    assert not matcher.off_topic("mikä on omarahoitus", "fi")


def test_tokenize_keeps_finnish_letters_and_numbers() -> None:
    assert tokenize("Mitä 40 %:n flat rate KATTAA?") == [
        "mitä",
        "40",
        "n",
        "flat",
        "rate",
        "kattaa",
    ]


def test_inflected_forms_meet(matcher: FaqMatcher) -> None:
    analyzer = matcher.analyzers["fi"]
    assert set(analyzer.terms("hakemus")) & set(analyzer.terms("hakemuksen"))
    # Consonant gradation defeats the stemmer; the shared prefix still ties the words.
    assert set(analyzer.terms("hylättiin")) & set(analyzer.terms("hylätyissä"))


def test_compounds_are_split_into_known_parts(matcher: FaqMatcher) -> None:
    terms = matcher.analyzers["fi"].terms("omarahoitusosuus")
    assert "osuus" in terms and any(term.startswith("omarahoitu") for term in terms)


def test_stop_words_alone_match_nothing(matcher: FaqMatcher) -> None:
    assert matcher.analyzers["fi"].terms("mikä se on ja miten") == []
    assert matcher.best("mikä se on ja miten", "fi") is None
    assert matcher.match("", "fi") == []


def test_confident_answer_and_unknown_question(matcher: FaqMatcher) -> None:
    best = matcher.best("Mikä on omarahoitusosuus?", "fi")
    assert best is not None and best.faq_id == "own-financing"
    assert matcher.best("Paras pizzeria Joensuussa?", "fi") is None


def test_confidence_orders_matches(matcher: FaqMatcher) -> None:
    matches = matcher.match("paljonko sivukuluja palkkaan lisätään", "fi", limit=3)
    assert matches[0].faq_id == "side-costs"
    confidences = [match.confidence for match in matches]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= value <= 1 for value in confidences)


def test_other_languages_are_a_fallback(matcher: FaqMatcher) -> None:
    match = matcher.best("What does the 40 percent flat rate cover?", "fi")
    assert match is not None
    assert (match.faq_id, match.locale) == ("flat-rate-40", "en")
    home = matcher.best("Mitä flat rate 40 % kattaa?", "fi")
    assert home is not None and home.locale == "fi"


@pytest.mark.parametrize(
    ("question", "locale"),
    [("a", "fi"), ("<code>x</code>", "fi"), ("12", "sv"), ("2026", "en"), ("a b", "fi")],
)
def test_junk_is_never_answered_from_another_language(
    matcher: FaqMatcher, question: str, locale: str
) -> None:
    # issue 16 item 7: "a" from a Finnish user got the Swedish entry on output indicators
    for match in matcher.match(question, locale):
        assert match.locale == locale, (question, match)


def test_a_long_word_costs_a_bounded_number_of_stems(
    matcher: FaqMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 16 item 6: compound splitting stemmed every cut of "y" * 3999 (quadratic)
    calls = 0
    for analyzer in matcher.analyzers.values():
        real = analyzer.stem

        def counting(word: str, real: Callable[[str], str] = real) -> str:
            nonlocal calls
            calls += 1
            return real(word)

        monkeypatch.setattr(analyzer, "stem", counting)
    matcher.match("y" * 3999, "fi")
    matcher.match(" ".join(["kuntarahoitusosuus"] * 2000), "fi")
    assert calls <= 500


def test_a_misspelt_word_reads_as_the_faq_word_it_is_close_to(matcher: FaqMatcher) -> None:
    # issue 14 item 1: "rahottaa" (a typo of "rahoittaa") was a word the FAQ never uses
    analyzer = matcher.analyzers["fi"]
    assert "rahoittaa" in analyzer.terms("rahottaa")
    assert analyzer.typo("kissanpentu", "kissanpentu") is None  # nothing close: no guess
    assert analyzer.typo("aaaa", "aaaa") is None  # too short to guess at


def test_the_typo_cache_is_bounded(matcher: FaqMatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers.domain import faq_match

    analyzer = matcher.analyzers["fi"]
    monkeypatch.setattr(faq_match, "_TYPO_CACHE", 3)
    for index in range(10):
        analyzer.typo(f"sanaton{index}x", f"sanaton{index}x")
        assert len(analyzer._typos) <= 3


def test_synonyms_of_the_word_files_read_as_the_faq_word(matcher: FaqMatcher) -> None:
    # messages/words/fi.toml [faq] synonyms: "firma" and "amk" are words people type
    analyzer = matcher.analyzers["fi"]
    assert "yritys" in analyzer.terms("firma")
    assert "ammattikorkeakoulu" in analyzer.terms("amk")
    # the FAQ's own texts are not expanded (their words are the canonical ones)
    assert "jättää" not in analyzer.terms("lähettää", expand=False)


def test_what_a_question_word_asks_ranks_but_gives_no_confidence(matcher: FaqMatcher) -> None:
    # "mistä … jättää" asks where (EURA), "milloin … jättää" when (the calls' deadlines)
    where = matcher.match("mistä hakemus jätetään", "fi", limit=1)
    when = matcher.match("milloin hakemus jätetään", "fi", limit=1)
    assert where[0].faq_id == "where-to-apply"
    assert when[0].faq_id == "deadlines"
    assert matcher.analyzers["fi"].asked("missä ja milloin") == ["?where", "?when"]
    # a question word alone says nothing about the FAQ
    assert matcher.best("missä", "fi") is None


def test_each_word_counts_once_in_the_ranking(matcher: FaqMatcher) -> None:
    # a word's lemma, its prefix and its parts are one word, not three (a compound or a
    # misspelt word outranked entries that have the word itself)
    index = matcher.indexes["fi"]
    words = matcher.analyzers["fi"].word_terms("sivukuluja")
    ((lemmas, others),) = words
    once = index.word_scores(words)
    by_lemma = index.word_scores([(lemmas, ())])
    every_term = index.scores([*lemmas, *others])
    for doc, score in enumerate(once):
        assert score == by_lemma[doc] if by_lemma[doc] else score <= every_term[doc]
    assert any(score < every_term[doc] for doc, score in enumerate(once))


def test_a_question_clearly_in_another_language_is_not_off_topic(matcher: FaqMatcher) -> None:
    """A Finnish reader's Swedish question was "off-topic" (no Finnish word the FAQ uses), so
    it got "this is what I can help with" instead of the Swedish answer."""
    assert not matcher.off_topic("Hur beräknas enhetskostnaden för löner?", "fi")
    assert not matcher.off_topic("How many points are needed for funding?", "sv")
    for junk in ("a", "7", "<code>x</code>", "hej hej"):
        assert matcher.off_topic(junk, "fi"), junk
