"""What a typed message means as an answer to a question the bot asked (pure, no I/O).

The bot asks participants a few questions: a reminder's "can you come?", the rating after a
meeting, the check-in after a missed one, the optional question on leaving, and "may I pass
what you wrote on to the coordinator?". People answer them with words as often as with
buttons: ``tulen``, ``en pääse, olen kipeä``, ``voisko siirtää``, ``4``, ``opiskelen``.

:func:`read_reply` reads one message against one kind of question and says one of three
things (:class:`Verdict`): an answer (the value its button would carry), an attempt at an
answer that was not understood (the bot says so and shows the options again), or something
unrelated (a question for the FAQ, small talk), which goes on as before. A wrong answer is
worse than a question back, so anything doubtful is an attempt: hedges (``ehkä``,
``en tiedä``), question words or a question mark, two answers that disagree, a weak word
(``kyllä``, ``ei``, ``käy``) with more words around it or when the question is not the bot's
latest one.

The words are data: ``[replies]`` of ``messages/words/<locale>.toml``. Text is read by
:func:`normalise` (case, punctuation, emoji, letters repeated for emphasis), the one place a
lemmatiser can plug in; words are compared by :func:`key` (ä/ö/å folded, double letters
single) and a word of five letters or more also matches with one slip of the finger (a
neighbouring key, a letter missing, doubled or swapped).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from messages.words import ReplyWords, all_words


class Question(StrEnum):
    """The kinds of question a typed answer can be for."""

    RSVP = "rsvp"  # a reminder or a new time: yes | no | other
    RATING = "rating"  # after a meeting: 1–5 | x (did not make it)
    CHECK_IN = "check_in"  # after a missed meeting: yes | no | other (the next one) | talk
    EXIT = "exit"  # on leaving: a situation category | none
    CONSENT = "consent"  # may the typed reason be passed on: yes | no
    LEAVE = "leave"  # do you want to leave the project: yes | no


class Verdict(StrEnum):
    ANSWER = "answer"
    ATTEMPT = "attempt"  # looks like an answer, but not clear enough to record
    UNRELATED = "unrelated"  # a question or small talk: not for this question


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    answer: str | None = None
    # The message says more than the answer (a reason, "I'll be late"): it may be passed on
    # to the coordinator if the person agrees.
    says_more: bool = False
    intents: tuple[str, ...] = ()  # what was found ("not_coming", "sick" …)


UNRELATED = Reading(Verdict.UNRELATED)
ATTEMPT = Reading(Verdict.ATTEMPT)

_RSVP = {
    "coming": "yes",
    "not_coming": "no",
    "other_time": "other",
    "late": "yes",
    "sick": "no",
    "yes": "yes",
    "no": "no",
    "accept": "yes",
}
#: Each question's intents and the value each stands for.
ANSWERS: Mapping[Question, Mapping[str, str]] = {
    Question.RSVP: _RSVP,
    Question.CHECK_IN: {
        **{k: v for k, v in _RSVP.items() if k not in ("yes", "no", "accept")},
        "talk": "talk",
    },
    Question.RATING: {"missed": "x", "worst": "1", "best": "5"},
    Question.EXIT: {
        "job_searching": "job_searching",
        "education": "education",
        "qualification": "qualification",
        "employment": "employment",
        "exit_other": "other",
        "exit_none": "none",
    },
    Question.CONSENT: {
        "tell": "yes",
        "yes": "yes",
        "accept": "yes",
        "dont_tell": "no",
        "no": "no",
        "exit_none": "no",
    },
    Question.LEAVE: {"yes": "yes", "leave": "yes", "no": "no", "stay": "no"},
}
#: Intents that count only alone and only for the bot's latest question.
WEAK = frozenset({"yes", "no", "accept"})
#: Intents that say more than the bare answer.
REASONS = frozenset({"late", "sick"})
#: Longest message (in words) still read as an answer with a reason.
MAX_WORDS = 25
#: A message this short that means nothing known, sent while the question is the latest,
#: is taken as an attempt to answer it.
SHORT = 3

_EMOJI = "\U0001f300-\U0001faff\u2600-\u27bf\u2b50"
_TOKEN = re.compile(rf"\d+|[^\W\d_]+(?:'[^\W\d_]+)*|[{_EMOJI}]")
_SCORE_OF_FIVE = re.compile(r"\b([0-9])\s*/\s*5\b")
_MODIFIERS = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
_REPEATS = re.compile(r"(.)\1{2,}")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "a", "é": "e", "ü": "u", "'": ""})
_ROWS = ("qwertyuiopå", "asdfghjklöä", "zxcvbnm")


def normalise(text: str) -> tuple[str, ...]:
    """The words of ``text``: case-folded, without punctuation, letters repeated three or
    more times cut to two ("joooo" → "joo"), emoji as words of their own, "4/5" as "4". The
    one place where a lemmatiser (base forms) can be plugged in."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("`", "'")
    text = _MODIFIERS.sub("", text).replace("<3", " ❤ ")
    text = _SCORE_OF_FIVE.sub(r" \1 ", text)
    return tuple(_REPEATS.sub(r"\1\1", token) for token in _TOKEN.findall(text))


def key(word: str) -> str:
    """How two words are compared: ä/ö/å folded, every double letter single ("pääse" and
    "paase" → "pase", "tuun" → "tun")."""
    folded = word.translate(_FOLD)
    return re.sub(r"(.)\1+", r"\1", folded)


def _neighbours() -> dict[str, set[str]]:
    """Keys next to each key on a Finnish keyboard (ä, ö and å folded as :func:`key` does)."""
    near: dict[str, set[str]] = {}
    for row_index, row in enumerate(_ROWS):
        for col, char in enumerate(row):
            around: set[str] = set()
            for other in (row_index - 1, row_index, row_index + 1):
                if 0 <= other < len(_ROWS):
                    line = _ROWS[other]
                    around.update(line[i] for i in (col - 1, col, col + 1) if 0 <= i < len(line))
            around.discard(char)
            near.setdefault(key(char), set()).update(key(c) for c in around)
    return near


_NEAR = _neighbours()


def one_slip(typed: str, word: str) -> bool:
    """``typed`` is ``word`` (five letters or more) with one slip: a neighbouring key, one
    letter left out or added, or two letters swapped."""
    if len(word) < 5 or typed == word:
        return False
    if len(typed) == len(word):
        diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(diff) == 1:
            return typed[diff[0]] in _NEAR.get(word[diff[0]], set())
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and typed[diff[0]] == word[diff[1]]
            and typed[diff[1]] == word[diff[0]]
        )
    shorter, longer = (typed, word) if len(typed) < len(word) else (word, typed)
    if len(longer) - len(shorter) != 1 or len(shorter) < 5:
        return False
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@dataclass(frozen=True)
class _Phrase:
    keys: tuple[str, ...]
    label: str  # an intent, "unsure", "question", "filler" or "number:N"


@dataclass(frozen=True)
class _Lexicon:
    phrases: tuple[_Phrase, ...]  # longest first
    by_first: Mapping[str, tuple[_Phrase, ...]]
    fillers: frozenset[str]  # one-word fillers: may stand between a phrase's words


_PRIORITY = {"filler": 3, "question": 2, "unsure": 1}


def _lexicon_of(words: ReplyWords) -> _Lexicon:
    entries: list[tuple[str, str]] = []
    for intent, phrases in words.intents.items():
        entries.extend((phrase, intent) for phrase in phrases)
    for label, phrases in (
        ("unsure", words.unsure),
        ("question", words.question),
        ("filler", words.filler),
    ):
        entries.extend((phrase, label) for phrase in phrases)
    for level, phrases in enumerate(words.numbers, start=1):
        entries.extend((phrase, f"number:{level}") for phrase in phrases)
    seen: set[tuple[tuple[str, ...], str]] = set()
    phrases_out: list[_Phrase] = []
    for text, label in entries:
        keys = tuple(key(word) for word in normalise(text))
        if keys and (keys, label) not in seen:
            seen.add((keys, label))
            phrases_out.append(_Phrase(keys, label))
    phrases_out.sort(key=lambda p: (-len(p.keys), _PRIORITY.get(p.label, 0)))
    first: dict[str, list[_Phrase]] = {}
    for phrase in phrases_out:
        first.setdefault(phrase.keys[0], []).append(phrase)
    fillers = frozenset(p.keys[0] for p in phrases_out if p.label == "filler" and len(p.keys) == 1)
    return _Lexicon(tuple(phrases_out), {k: tuple(v) for k, v in first.items()}, fillers)


@cache
def _lexicon(locale: str) -> _Lexicon:
    return _lexicon_of(all_words()[locale].replies)


def _fits(
    typed: tuple[str, ...], phrase: tuple[str, ...], exact: bool, fillers: frozenset[str]
) -> int:
    """How many typed words ``phrase`` covers from the start of ``typed`` (0: it does not
    fit): its words in order, with filler words allowed between them ("en valitettavasti
    pääse")."""
    at = 0
    for index, word in enumerate(phrase):
        while index and at < len(typed) and typed[at] != word and typed[at] in fillers:
            at += 1
        if at >= len(typed):
            return 0
        if not (typed[at] == word or (not exact and one_slip(typed[at], word))):
            return 0
        at += 1
    return at


@dataclass(frozen=True)
class _Scan:
    labels: tuple[str, ...]  # what was found, in order
    rest: int  # words left over that mean nothing known
    numbers: tuple[int, ...]  # digits typed


def _scan(tokens: tuple[str, ...], lexicon: _Lexicon) -> _Scan:
    keys = tuple(key(token) for token in tokens)
    labels: list[str] = []
    numbers: list[int] = []
    rest = 0
    i = 0
    while i < len(keys):
        if keys[i].isdigit():
            numbers.append(int(keys[i]) if len(keys[i]) < 4 else -1)
            i += 1
            continue
        window, fillers = keys[i:], lexicon.fillers
        exact = lexicon.by_first.get(keys[i], ())
        found = next(((p, n) for p in exact if (n := _fits(window, p.keys, True, fillers))), None)
        if found is None:
            found = next(
                ((p, n) for p in lexicon.phrases if (n := _fits(window, p.keys, False, fillers))),
                None,
            )
        if found is None:
            rest += 1
            i += 1
            continue
        labels.append(found[0].label)
        i += found[1]
    return _Scan(tuple(labels), rest, tuple(numbers))


def _stars(text: str) -> int:
    return text.count("⭐") + text.count("★")


def read_reply(text: str, question: Question, locale: str, *, latest: bool = True) -> Reading:
    """``text`` read as an answer to ``question`` in ``locale``'s words, then (for strong
    answers only) in the other languages' words. ``latest``: the question is the last thing
    the bot asked in this chat (weak words and short attempts count only then)."""
    own = _read(text, question, locale, latest=latest, guess=False)
    if own.verdict is not Verdict.UNRELATED:
        return own
    for other in all_words():
        if other == locale:
            continue
        found = _read(text, question, other, latest=latest, strict=True)
        if found.verdict is Verdict.ANSWER:
            return found
    return _read(text, question, locale, latest=latest)


def _read(
    text: str,
    question: Question,
    locale: str,
    *,
    latest: bool,
    strict: bool = False,
    guess: bool = True,
) -> Reading:
    """One language's reading; ``strict``: only a plain strong answer counts (another
    language than the chat's); ``guess``: a short unknown message is an attempt."""
    tokens = normalise(text)
    stars = _stars(text)
    if not tokens and not stars:
        return UNRELATED
    scan = _scan(tokens, _lexicon(locale))
    values = ANSWERS[question]
    labels = scan.labels
    intents = [label for label in labels if label in all_words()[locale].replies.intents]
    numbers = list(scan.numbers)
    numbers += [int(label.split(":")[1]) for label in labels if label.startswith("number:")]
    if stars:
        numbers.append(stars)
    asks = "?" in text or "question" in labels
    hedges = "unsure" in labels
    chosen = {values[intent] for intent in intents if intent in values}
    foreign = [intent for intent in intents if intent not in values]
    if question is Question.RATING:
        chosen |= {str(n) for n in numbers}
        if any(not 1 <= n <= 5 for n in numbers):
            return ATTEMPT if latest else UNRELATED
    elif numbers and not intents:  # a number beside an answer is a time ("10 min")
        only_numbers = scan.rest == 0
        return ATTEMPT if only_numbers and latest and not strict else UNRELATED
    if not chosen and not foreign:
        if strict or asks:
            return UNRELATED
        short = (hedges or (guess and 0 < scan.rest <= SHORT)) and len(tokens) <= SHORT + 1
        return ATTEMPT if latest and short else UNRELATED
    if strict and (scan.rest or hedges or asks or foreign):
        return UNRELATED
    if labels[:1] == ("question",) and "other_time" not in intents:
        return UNRELATED  # "miten pääsen mukaan?" is a question, not "pääsen"
    if not chosen:  # only another question's words ("älä kerro" to a reminder)
        return ATTEMPT if latest else UNRELATED
    if hedges or foreign or len(chosen) > 1:
        return ATTEMPT
    if asks and not (set(intents) <= {"other_time"} and question is not Question.RATING):
        return ATTEMPT
    answer = next(iter(chosen))
    strong = bool(numbers) or any(intent not in WEAK for intent in intents)
    if not strong:
        if strict or not latest:
            return UNRELATED
        if scan.rest:
            return ATTEMPT
    if len(tokens) > MAX_WORDS:
        return ATTEMPT
    says_more = scan.rest > 0 or any(intent in REASONS for intent in intents)
    return Reading(Verdict.ANSWER, answer, says_more=says_more, intents=tuple(intents))


def options_of(question: Question) -> Iterable[str]:
    """The values an answer to ``question`` can have (for tests and callers)."""
    if question is Question.RATING:
        return ("1", "2", "3", "4", "5", "x")
    return tuple(dict.fromkeys(ANSWERS[question].values()))
