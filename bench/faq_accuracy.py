"""FAQ matcher accuracy on tests/data/faq_eval.yaml, side by side with the baselines.

Run from the repository root: ``.venv/bin/python -m bench.faq_accuracy``. Prints ratios,
not timings, for the tuning set (faq_eval.yaml, also guarded by a test) and the held-out sets
(faq_holdout.yaml and faq_plain.yaml, plain users' words, never used for tuning), for the
language layer's back ends (Voikko when installed, simplemma) and for the old Snowball
matcher. The threshold is calibrated on the tuning set only (:func:`calibrate`). What the
person sees is measured: small talk and messages with no FAQ word get "this is what I can
help with", so they are no answer either.

- top-1: the expected entry ranks first (in-scope questions);
- answered: ranks first *and* clears the threshold (what the user sees);
- rejected: out-of-scope questions that fall below the threshold.

The baseline is plain token overlap without stemming or compound splitting: the share of
the question's words (stop words removed) found in an entry, the same threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.figures import Figure
from content import load_content
from content.schema import FaqEntry
from handlers.applicant.faq import small_talk
from handlers.domain.faq_match import FaqMatcher, tokenize
from handlers.domain.lemmas import Lemmatizer, SimplemmaBackend, load_voikko
from messages.words import words as language_words

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
EVAL_FILE = DATA / "faq_eval.yaml"
HOLDOUT_FILE = DATA / "faq_holdout.yaml"
PLAIN_FILE = DATA / "faq_plain.yaml"

Ranker = Callable[[str, str], tuple[str | None, float]]


@dataclass(frozen=True)
class Score:
    top1: float
    answered: float
    rejected: float


def load_eval(path: Path = EVAL_FILE) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8") as handle:
        data: list[dict[str, str | None]] = yaml.safe_load(handle)
    return data


def evaluate(rank: Ranker, threshold: float, cases: list[dict[str, str | None]]) -> Score:
    in_scope = [case for case in cases if case["expected"] is not None]
    out_of_scope = [case for case in cases if case["expected"] is None]
    top1 = answered = rejected = 0
    for case in in_scope:
        best, confidence = rank(str(case["question"]), str(case["locale"]))
        top1 += best == case["expected"]
        answered += best == case["expected"] and confidence >= threshold
    for case in out_of_scope:
        _, confidence = rank(str(case["question"]), str(case["locale"]))
        rejected += confidence < threshold
    return Score(
        top1 / len(in_scope),
        answered / len(in_scope),
        rejected / max(len(out_of_scope), 1),
    )


def matcher_ranker(matcher: FaqMatcher) -> Ranker:
    def rank(question: str, locale: str) -> tuple[str | None, float]:
        if small_talk(question) is not None or matcher.off_topic(question, locale):
            return None, 0.0
        matches = matcher.match(question, locale, limit=1)
        return (matches[0].faq_id, matches[0].confidence) if matches else (None, 0.0)

    return rank


def baseline_ranker(entries: list[FaqEntry]) -> Ranker:
    """Share of the question's words that appear verbatim in an entry's text."""

    def words(text: str, locale: str) -> set[str]:
        stop = language_words(locale).faq.stop_words
        return {word for word in tokenize(text) if word not in stop}

    vocabularies = {
        locale: [
            (
                entry.id,
                words(" ".join([*entry.questions.get(locale), entry.answer.get(locale)]), locale),
            )
            for entry in entries
        ]
        for locale in ("fi", "sv", "en")
    }

    def rank(question: str, locale: str) -> tuple[str | None, float]:
        query = words(question, locale)
        if not query:
            return None, 0.0
        best_id, best = max(
            ((entry_id, len(query & vocabulary)) for entry_id, vocabulary in vocabularies[locale]),
            key=lambda pair: pair[1],
        )
        return (best_id, best / len(query)) if best else (None, 0.0)

    return rank


def calibrate(rank: Ranker, cases: list[dict[str, str | None]]) -> float:
    """The lowest threshold (in steps of 0.01) that no out-of-scope question of ``cases``
    (the tuning set) reaches: an answer is given only above what junk scored."""
    worst = max(
        (
            rank(str(case["question"]), str(case["locale"]))[1]
            for case in cases
            if case["expected"] is None
        ),
        default=0.0,
    )
    return math.floor(worst * 100 + 1) / 100


def rankers(entries: list[FaqEntry]) -> dict[str, Ranker]:
    """The matchers compared: each back end of the language layer, Snowball, plain words."""
    found: dict[str, Ranker] = {}
    voikko = load_voikko()
    if voikko is not None:
        found["voikko"] = matcher_ranker(FaqMatcher(entries, lemmas=Lemmatizer(voikko)))
    found["simplemma"] = matcher_ranker(FaqMatcher(entries, lemmas=Lemmatizer(SimplemmaBackend())))
    found["snowball"] = matcher_ranker(FaqMatcher(entries, snowball=True))
    found["plain"] = baseline_ranker(entries)
    return found


#: The floors the tuning set is held to (top-1, answered, off-topic rejected), here and in
#: tests/test_faq_match.py (which imports them). Measured with the language layer and the
#: threshold calibrated on it (issue 13 item 4): top-1 88 %, answered 71 %, rejected 100 %;
#: the threshold was 0.2 before and answered 86 %, but it answered 3 of 14 off-topic
#: questions: a wrong answer given with confidence costs more than "ask a person".
TUNING_FLOORS = {"top1": 0.85, "answered": 0.68, "rejected": 1.0}


def run() -> list[Figure]:
    entries = list(load_content().programme.faq)
    figures = []
    for title, path, floors in (
        ("tuning set", EVAL_FILE, TUNING_FLOORS),
        ("held-out set", HOLDOUT_FILE, {}),
        # issue 14's goal: plain users' words, never used for tuning
        ("plain held-out set", PLAIN_FILE, {"top1": 0.92, "rejected": 1.0}),
    ):
        cases = load_eval(path)
        matcher = FaqMatcher(entries)
        ours = evaluate(matcher_ranker(matcher), matcher.threshold, cases)
        base = evaluate(baseline_ranker(entries), matcher.threshold, cases)
        for name in ("top1", "answered", "rejected"):
            floor = floors.get(name)
            figures.append(
                Figure(
                    f"{title}: {name}",
                    getattr(ours, name) * 100,
                    "%",
                    getattr(base, name) * 100,
                    at_least=floor * 100 if floor is not None else None,
                )
            )
    return figures


def main() -> None:
    entries = list(load_content().programme.faq)
    tuning = load_eval(EVAL_FILE)
    sets = {
        "tuning": tuning,
        "held-out": load_eval(HOLDOUT_FILE),
        "plain held-out": load_eval(PLAIN_FILE),
    }
    print(f"{len(entries)} FAQ entries; threshold calibrated on the tuning set per matcher")
    print(
        f"  {'matcher':<10}{'thr':>5}  {'set':<15}{'top1':>8}{'answered':>10}"
        f"{'rejected':>10}{'false answers':>15}"
    )
    for name, rank in rankers(entries).items():
        threshold = calibrate(rank, tuning)
        for title, cases in sets.items():
            score = evaluate(rank, threshold, cases)
            off = sum(case["expected"] is None for case in cases)
            false = round((1 - score.rejected) * off)
            print(
                f"  {name:<10}{threshold:>5.2f}  {title:<15}{score.top1:>8.2%}"
                f"{score.answered:>10.2%}{score.rejected:>10.2%}{false:>8} of {off}"
            )
    print(f"  the bot's threshold: {FaqMatcher(entries).threshold}")


if __name__ == "__main__":
    main()
