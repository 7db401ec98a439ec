"""FAQ matcher accuracy on tests/data/faq_eval.yaml, side by side with a plain baseline.

Run from the repository root: ``.venv/bin/python -m bench.faq_accuracy``. Prints ratios,
not timings, for the tuning set (faq_eval.yaml, also guarded by a test) and the held-out set
(faq_holdout.yaml, never used for tuning):

- top-1: the expected entry ranks first (in-scope questions);
- answered: ranks first *and* clears the threshold (what the user sees);
- rejected: out-of-scope questions that fall below the threshold.

The baseline is plain token overlap without stemming or compound splitting: the share of
the question's words (stop words removed) found in an entry, the same threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.figures import Figure
from content import load_content
from content.schema import FaqEntry
from handlers.domain.faq_match import FaqMatcher, tokenize
from messages.words import words as language_words

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
EVAL_FILE = DATA / "faq_eval.yaml"
HOLDOUT_FILE = DATA / "faq_holdout.yaml"

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


def report(title: str, cases: list[dict[str, str | None]], entries: list[FaqEntry]) -> None:
    matcher = FaqMatcher(entries)
    ours = evaluate(matcher_ranker(matcher), matcher.threshold, cases)
    base = evaluate(baseline_ranker(entries), matcher.threshold, cases)
    in_scope = sum(case["expected"] is not None for case in cases)
    print(
        f"{title}: {in_scope} in scope + {len(cases) - in_scope} out of scope, "
        f"{len(entries)} FAQ entries, threshold {matcher.threshold}"
    )
    print(f"  {'metric':<10}{'matcher':>10}{'baseline':>10}{'ratio':>8}")
    for name in ("top1", "answered", "rejected"):
        mine, theirs = getattr(ours, name), getattr(base, name)
        ratio = f"{mine / theirs:.2f}" if theirs else "inf"
        print(f"  {name:<10}{mine:>10.2%}{theirs:>10.2%}{ratio:>8}")


#: The floors tests/test_faq_match.py holds the tuning set to (top-1, answered, rejected).
TUNING_FLOORS = {"top1": 0.85, "answered": 0.80, "rejected": 0.90}


def run() -> list[Figure]:
    entries = list(load_content().programme.faq)
    figures = []
    for title, path, floors in (
        ("tuning set", EVAL_FILE, TUNING_FLOORS),
        ("held-out set", HOLDOUT_FILE, {}),
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
    report("tuning set", load_eval(EVAL_FILE), entries)
    report("held-out set", load_eval(HOLDOUT_FILE), entries)


if __name__ == "__main__":
    main()
