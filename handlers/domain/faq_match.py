"""Match a free-text question to the FAQ (Finnish-aware BM25, no I/O).

Each FAQ entry becomes one document per language: its question variants (counted twice)
plus its answer. Words are lower-cased and stop words dropped; each word then gives its
Snowball stem and, in Finnish and Swedish, its first five letters (Snowball leaves consonant
gradation alone) and the two known parts of a compound ("omarahoitusosuus" → "omarahoitus" +
"osuus"). Ranking is Okapi BM25.

The confidence is not the raw BM25 score (which grows with the question's length) but the
share of the question's information the best entry explains: the idf mass of the question's
terms that the entry contains (half for a term only its answer contains) over the idf mass of
all of them, where a word the FAQ never uses weighs as much as its rarest word; it is scaled
down when the runner-up scores close. Below ``threshold`` the caller should say it does not
know. The user's locale is searched first; the other languages are a fallback when it finds
nothing confident (someone writing English in a Finnish chat).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from content.schema import FaqEntry
from handlers.domain.lemmas import Lemmatizer, lemmatizer
from messages.languages import LOCALES
from messages.words import words

if TYPE_CHECKING:
    import snowballstemmer

DEFAULT_THRESHOLD = 0.43  # calibrated on the tuning set: bench/faq_accuracy.py calibrate()
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MIN_HEAD = 3  # shortest first part of a compound, and shortest stemmed second part
_MIN_TAIL = 4  # shortest second part before stemming (not just a case ending)
_ANSWER_ONLY = 0.5  # weight, in the confidence, of a word found only in an answer
_STEM_CACHE = 50_000
_PREFIX = 5  # Finnish/Swedish words also match on their first five letters
#: Bounds on the work one message may cause (issue 16: "y" * 3999 took 4 s of compound
#: splitting while everyone else waited): a question is read up to this many characters,
#: and a word longer than any real compound is stemmed but not split.
MAX_QUESTION = 500
_MAX_SPLIT = 40
#: Another language's entries answer only a question clearly written in it: at least this
#: many of its words are that language's FAQ words, one of them not the person's language's.
_CLEARLY_OTHER = 2
#: Typo tolerance: a word the FAQ does not use, at least this long, also reads as the FAQ
#: word it is this similar to (rapidfuzz's normalised Indel ratio, 0-100): "rahottaa" is
#: "rahoittaa".
_TYPO_MIN = 5
_TYPO_SIMILARITY = 88
_TYPO_CACHE = 20_000
_ASKS = "?"  # prefix of the terms for question words ("?where")


#: One word of a question: its possible lemmas (or its stem) and its other terms.
Word = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Match:
    """A candidate answer: the FAQ id, a confidence in [0, 1] and the language matched."""

    faq_id: str
    confidence: float
    locale: str


def tokenize(text: str) -> list[str]:
    """Lower-cased words (letters or digits), NFKC-normalised."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


@cache
def _stemmer(locale: str) -> snowballstemmer.stemmer:
    # Imported at the first question, not at start: 4 MB of idle memory (issue 17).
    import snowballstemmer

    return snowballstemmer.stemmer(words(locale).faq.stemmer)


class _Index:
    """BM25 over one language's documents."""

    def __init__(
        self,
        locale: str,
        documents: Sequence[tuple[str, Counter[str], frozenset[str]]],
        k1: float,
        b: float,
    ) -> None:
        self.locale = locale
        self.k1, self.b = k1, b
        self.ids = [doc_id for doc_id, _, _ in documents]
        self.docs = [terms for _, terms, _ in documents]
        self.question_terms = [asked for _, _, asked in documents]
        self.lengths = [sum(terms.values()) for terms in self.docs]
        self.average = sum(self.lengths) / max(len(self.lengths), 1)
        frequency: Counter[str] = Counter()
        for terms in self.docs:
            frequency.update(terms.keys())
        total = len(self.docs)
        self.idf = {
            term: math.log(1 + (total - count + 0.5) / (count + 0.5))
            for term, count in frequency.items()
        }
        self.unseen_idf = math.log(1 + (total + 0.5) / 0.5)

    def scores(self, query: Sequence[str]) -> list[float]:
        return self.word_scores([((term,), ()) for term in query])

    def word_scores(self, words: Sequence[Word]) -> list[float]:
        """BM25 with each word counted once: the best of its lemmas, else the mean of its
        other terms (a compound's parts and a word's prefix do not add up to more than the
        word itself)."""
        results = []
        for terms, length in zip(self.docs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / self.average)

            def weight(term: str, terms: Counter[str] = terms, norm: float = norm) -> float:
                tf = terms.get(term, 0)
                return self.idf[term] * tf * (self.k1 + 1) / (tf + norm) if tf else 0.0

            score = 0.0
            for lemmas, others in words:
                best = max((weight(term) for term in lemmas), default=0.0)
                if not best and others:
                    best = sum(weight(term) for term in others) / len(others)
                score += best
            results.append(score)
        return results

    def coverage(self, words: Sequence[Word], doc: int) -> float:
        """Share of the question's information that document ``doc`` contains. Each word
        weighs the idf of its lemma (of the first of its possible lemmas the FAQ uses; a
        word the FAQ never uses weighs the most); it is explained wholly by a lemma, else by
        the share of its other terms (a compound's parts, a prefix) found. A term found only
        in the answer, in no question variant, counts half."""
        total = found = 0.0
        for lemmas, others in words:
            known = [lemma for lemma in lemmas if lemma in self.idf]
            weight = self.idf[known[0]] if known else self.unseen_idf
            total += weight
            credit = max((self._found(lemma, doc) for lemma in lemmas), default=0.0)
            if credit < 1 and others:
                rest = [self._found(term, doc) for term in others]
                credit = max(credit, sum(rest) / len(rest))
            found += weight * credit
        return found / total if total else 0.0

    def _found(self, term: str, doc: int) -> float:
        if term in self.question_terms[doc]:
            return 1.0
        return _ANSWER_ONLY if term in self.docs[doc] else 0.0


class _Analyzer:
    """Stop words, lemmas (or Snowball stems) and compound parts for one language."""

    def __init__(
        self, locale: str, lemmas: Lemmatizer | None = None, prefixes: bool = True
    ) -> None:
        self.locale = locale
        self.lemmas = lemmas
        self.prefixes = prefixes
        # function words that say nothing about the topic (question words included)
        self.stop = words(locale).faq.stop_words
        self.split = words(locale).faq.split_compounds
        self.known: frozenset[str] = frozenset()
        self._stems: dict[str, str] = {}
        self.stop_lemmas: frozenset[str] = (
            frozenset(lemmas.analyse(word, locale).lemma for word in self.stop)
            if lemmas
            else frozenset()
        )
        self.asks = {
            word: _ASKS + kind
            for kind, names in words(locale).faq.question_words.items()
            for word in names
        }
        self.synonyms: dict[str, str] = {}  # a variant's lemma → the FAQ word's lemma
        if lemmas is not None:
            for canonical, variants in words(locale).faq.synonyms:
                target = lemmas.analyse(canonical, locale).lemma
                for variant in variants:
                    self.synonyms.setdefault(variant, target)
                    self.synonyms.setdefault(lemmas.analyse(variant, locale).lemma, target)
        self.vocabulary: dict[str, str] = {}  # the FAQ's words and lemmas → lemma
        self._typos: dict[str, str | None] = {}

    def stem(self, word: str) -> str:
        stemmed = self._stems.get(word)
        if stemmed is None:
            if len(self._stems) >= _STEM_CACHE:  # user input must not grow it forever
                self._stems.clear()
            stemmed = self._stems[word] = str(_stemmer(self.locale).stemWord(word))
        return stemmed

    def words(self, text: str) -> list[str]:
        return [word for word in tokenize(text) if word not in self.stop]

    def learn(self, texts: Iterable[str]) -> None:
        """Remember the corpus's stems, the parts compounds are split into, and (with the
        language layer) its words and lemmas, which a misspelt word is compared with."""
        corpus = [word for text in texts for word in self.words(text)]
        self.known = frozenset(self.stem(word) for word in corpus)
        if self.lemmas is not None:
            for word in corpus:
                lemma = self.lemmas.analyse(word, self.locale).lemma
                if lemma not in self.stop_lemmas and not lemma.isdigit():
                    self.vocabulary.setdefault(lemma, lemma)
                    self.vocabulary.setdefault(word, lemma)

    def asked(self, text: str) -> list[str]:
        """What the question words of ``text`` ask ("?where"), each once."""
        return list(dict.fromkeys(self.asks[word] for word in tokenize(text) if word in self.asks))

    def typo(self, word: str, lemma: str) -> str | None:
        """The FAQ lemma that ``word`` (of lemma ``lemma``, neither used by the FAQ) is a
        typo of, if one is close enough; bounded work: one C-level scan of the FAQ's
        vocabulary per new word, cached."""
        if len(word) < _TYPO_MIN or not self.vocabulary:
            return None
        if word in self._typos:
            return self._typos[word]
        if len(self._typos) >= _TYPO_CACHE:  # user input must not grow it forever
            self._typos.clear()
        # Imported at the first unknown word, not at start: 3 MB of idle memory (issue 17).
        from rapidfuzz import fuzz, process

        found = None
        for probe in dict.fromkeys((word, lemma)):
            hit = process.extractOne(
                probe, self.vocabulary.keys(), scorer=fuzz.ratio, score_cutoff=_TYPO_SIMILARITY
            )
            if hit is not None:
                found = self.vocabulary[hit[0]]
                break
        self._typos[word] = found
        return found

    def terms(self, text: str, *, expand: bool = True) -> list[str]:
        return [
            term
            for lemmas, others in self.word_terms(text, expand=expand)
            for term in (*lemmas, *others)
        ]

    def word_terms(self, text: str, *, expand: bool = True) -> list[Word]:
        """Each word's possible lemmas (or its stem) and its other terms; stop words and
        words of no term left out. ``expand``: a question's words also read as their
        synonyms and as the FAQ word they are a typo of (not the FAQ's own texts)."""
        result = []
        seen: dict[str, Word] = {}  # a repeated word is analysed once
        for word in self.words(text):
            terms = seen.get(word)
            if terms is None:
                terms = seen[word] = self._word_terms(word, expand)
            if terms[0] or terms[1]:
                result.append(terms)
        return result

    def _word_terms(self, word: str, expand: bool = True) -> Word:
        if self.lemmas is not None:
            analysis = self.lemmas.analyse(word, self.locale)
            lemmas = tuple(
                lemma
                for lemma in (analysis.lemma, *analysis.alternatives)
                if lemma not in self.stop_lemmas
            )
            if not lemmas:
                return (), ()
            extra = (
                [self.synonyms[term] for term in (word, *lemmas) if term in self.synonyms]
                if expand
                else []
            )
            if (
                expand
                and not extra
                and self.vocabulary
                and not any(lemma in self.vocabulary for lemma in lemmas)
                and word not in self.vocabulary
                and len(word) <= _MAX_SPLIT
            ):
                typo = self.typo(word, analysis.lemma)
                if typo is not None:
                    extra.append(typo)
            lemmas = tuple(dict.fromkeys((*lemmas, *extra)))
            others = [part for part in analysis.parts if part not in self.stop_lemmas]
            if self.prefixes and self.split and len(word) > _PREFIX:
                # the first letters tie a misspelt word to its kin ("rahottaa", "rahoitus")
                others.append("#" + word[:_PREFIX])
            return lemmas, tuple(others)
        others = []
        if self.split and len(word) <= _MAX_SPLIT:
            if len(word) > _PREFIX:
                # Snowball stems inflections apart ("hylättiin" → "hylät", "hylätyissä"
                # → "hyläty"); a shared five-letter prefix still ties them.
                others.append("#" + word[:_PREFIX])
            others.extend(self._parts(word))
        return (self.stem(word),), tuple(others)

    def _parts(self, word: str) -> list[str]:
        """Split a compound into two known stems: the longest known head that leaves a known,
        stemmed tail ("kuntarahoitus" → "kunt", "rahoitus")."""
        for cut in range(len(word) - _MIN_TAIL, _MIN_HEAD - 1, -1):
            head, tail = word[:cut], word[cut:]
            head_stem, tail_stem = self.stem(head), self.stem(tail)
            if (
                len(tail_stem) >= _MIN_HEAD
                and tail_stem in self.known
                and (head in self.known or head_stem in self.known)
            ):
                return [head_stem, tail_stem]
        return []


class FaqMatcher:
    """Ranks FAQ entries for a question; build once, query many times."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        k1: float = 1.2,
        b: float = 0.75,
        question_weight: int = 2,
        lemmas: Lemmatizer | None = None,
        snowball: bool = False,
        prefixes: bool = True,
    ) -> None:
        """``lemmas``: the language layer (default: the process's); ``snowball``: stem with
        Snowball instead (the old matcher, kept as the benchmark's baseline)."""
        self.threshold = threshold
        layer = None if snowball else (lemmas or lemmatizer())
        self.analyzers = {locale: _Analyzer(locale, layer, prefixes) for locale in LOCALES}
        self.indexes: dict[str, _Index] = {}
        for locale in LOCALES:
            analyzer = self.analyzers[locale]
            analyzer.learn(
                text
                for entry in entries
                for text in [*entry.questions.get(locale), entry.answer.get(locale)]
            )
            documents = []
            for entry in entries:
                terms: Counter[str] = Counter()
                for question in entry.questions.get(locale):
                    said = analyzer.terms(question, expand=False)
                    for term in (*said, *analyzer.asked(question)):
                        terms[term] += question_weight
                asked = frozenset(terms)
                terms.update(analyzer.terms(entry.answer.get(locale), expand=False))
                documents.append((entry.id, terms, asked))
            self.indexes[locale] = _Index(locale, documents, k1, b)

    def _rank(self, question: str, locale: str, limit: int) -> list[Match]:
        index = self.indexes[locale]
        analyzer = self.analyzers[locale]
        words = analyzer.word_terms(question)
        query = [term for lemmas, others in words for term in (*lemmas, *others)]
        if not query or all(term.isdigit() for term in query):  # a lone "7" is no question
            return []
        # what the question words ask ranks the entries (not the confidence: "missä on
        # lähin kauppa" asks where, and that says nothing about the FAQ)
        scores = index.word_scores([*words, *(((kind,), ()) for kind in analyzer.asked(question))])
        order = sorted(range(len(scores)), key=lambda doc: -scores[doc])
        matches = []
        for rank, doc in enumerate(order[:limit]):
            if scores[doc] <= 0:
                break
            runner_up = scores[order[rank + 1]] if rank + 1 < len(order) else 0.0
            lead = 1.0 if rank == 0 else scores[doc] / scores[order[0]]
            margin = 0.5 + 0.5 * (1 - runner_up / scores[doc]) if rank == 0 else lead * 0.5
            confidence = index.coverage(words, doc) * margin
            matches.append(Match(index.ids[doc], round(min(confidence, 1.0), 4), locale))
        return matches

    def match(self, question: str, locale: str, limit: int = 3) -> list[Match]:
        """The best entries, most confident first (possibly below the threshold).

        Searches ``locale`` first; if nothing there reaches the threshold, the other
        languages are tried and the more confident result wins.
        """
        question = question[:MAX_QUESTION]
        home = locale if locale in self.indexes else "fi"
        best = self._rank(question, home, limit)
        if best and best[0].confidence >= self.threshold:
            return best
        for other in LOCALES:
            if other == home or not self._clearly_in(question, other, home):
                continue
            candidate = self._rank(question, other, limit)
            if candidate and (not best or candidate[0].confidence > best[0].confidence):
                best = candidate
        return best

    def _clearly_in(self, question: str, other: str, home: str) -> bool:
        """Whether ``question`` reads as ``other``'s language rather than ``home``'s: junk
        ("a", a number, markup) is answered in the person's own language or not at all."""
        own = self.indexes[home].idf
        theirs = self.indexes[other].idf
        words = {
            term
            for term in self.analyzers[other].terms(question)
            if not term.startswith("#") and len(term) >= _MIN_HEAD and not term.isdigit()
        }
        known = {term for term in words if term in theirs}
        return len(known) >= _CLEARLY_OTHER and any(term not in own for term in known)

    def off_topic(self, question: str, locale: str) -> bool:
        """Whether no word of ``question`` (numbers aside) is one the FAQ uses, in the
        person's language or in a language the question is clearly written in: then it is
        not a question the FAQ could answer at all."""
        home = locale if locale in self.indexes else "fi"
        index = self.indexes[home]
        question = question[:MAX_QUESTION]
        if any(
            term in index.idf
            for term in self.analyzers[home].terms(question)
            if not term.isdigit() and not term.startswith("#")
        ):
            return False
        # a question clearly written in another language is that language's to answer
        return not any(
            self._clearly_in(question, other, home) for other in LOCALES if other != home
        )

    def best(self, question: str, locale: str) -> Match | None:
        """The top match if it reaches the threshold, else None ("I don't know")."""
        matches = self.match(question, locale, limit=2)
        if matches and matches[0].confidence >= self.threshold:
            return matches[0]
        return None
