"""Which option of a button step a typed text names (pure; issue 13 item 2).

At a step that shows options as buttons, a person may type an option's text instead of
pressing it: ``yhdistys`` or ``Yhdistyksenä`` for "Yhdistys tai muu järjestö". Words are
compared by their lemmas and compound parts (:mod:`handlers.domain.lemmas`), in the reader's
language, case and inflection aside; one-letter words and numbers are not names of options.

Two strengths:

- ``whole``: the text is the whole label and nothing else (its words, case and order aside;
  not inflected). This is the only kind used where the step also takes free text (a meeting's title
  with a "use the group's name" button), so a title is never taken for a button by one word.
- otherwise every typed word is a word of the label, and no other label has them all:
  "yhdistys" names "Yhdistys tai muu järjestö". A yes or no word ("kyllä", "ei") counts only
  in the whole label, so "kyllä" never confirms "Kyllä, poista" by itself.

The answer is the index of the one option named, or None when none is, or more than one.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.domain.lemmas import MAX_WORDS, analyse, tokenize
from messages.words import every

#: A longer text is not an option's name (labels are a few words).
MAX_TYPED_WORDS = 8
#: Yes and no words ("kyllä", "ei", "ok") name an option only as its whole label: "kyllä"
#: alone is not "Kyllä, poista" (answers to the bot's questions read them, not this).
_WEAK = frozenset(
    word
    for phrase in every(
        lambda w: [p for i in ("yes", "no", "accept") for p in w.replies.intents.get(i, ())]
    )
    for word in tokenize(phrase)
)


def _terms(text: str, locale: str) -> list[frozenset[str]]:
    """Each word's lemma, alternatives and compound parts (words of one letter and numbers
    left out)."""
    words = [w for w in tokenize(text)[:MAX_WORDS] if len(w) > 1 and not w.isdigit()]
    return [frozenset((w, *analyse(w, locale).terms)) for w in words]


def _says(word: frozenset[str], label: Sequence[frozenset[str]]) -> bool:
    return any(word & other for other in label)


def _words(text: str) -> tuple[str, ...]:
    return tuple(sorted(w for w in tokenize(text) if len(w) > 1 and not w.isdigit()))


def pick_option(text: str, labels: Sequence[str], locale: str, *, whole: bool) -> int | None:
    """The index in ``labels`` of the one option ``text`` names, else None."""
    if whole:
        # Where text is also an answer, the label's own words (case aside) and nothing else;
        # no lemmas, so a step that takes text does not wait for the dictionaries to load.
        said = _words(text)
        same = [index for index, label in enumerate(labels) if said and _words(label) == said]
        return same[0] if len(same) == 1 else None
    typed = _terms(text, locale)
    if not typed or len(typed) > MAX_TYPED_WORDS:
        return None
    options = [_terms(label, locale) for label in labels]
    exact = [
        index
        for index, label in enumerate(options)
        if label
        and all(_says(word, label) for word in typed)
        and all(_says(word, typed) for word in label)
    ]
    if len(exact) == 1:
        return exact[0]
    if whole or exact or any(word & _WEAK for word in typed):
        return None
    named = [
        index
        for index, label in enumerate(options)
        if label and all(_says(word, label) for word in typed)
    ]
    return named[0] if len(named) == 1 else None
