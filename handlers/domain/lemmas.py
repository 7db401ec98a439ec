"""The one language layer: words to lemmas and compound parts (issues 13 and 14).

``analyse("omarahoitusosuutta", "fi")`` gives the lemma ``omarahoitusosuus`` and the parts
``oma``, ``rahoitus``, ``osuus``; ``analyse("Pieksämäellä", "fi")`` gives ``pieksämäki``.
Every flow that reads free text uses it: the FAQ search, place names in "can I join?",
option texts typed at a button step, commands typed without a slash and the words of
replies (:func:`normalise_reply`).

Two back ends, chosen by measurement (README, "Finnish language layer"):

- ``voikko``: libvoikko with the voikko-fi dictionary, the standard Finnish morphology. It
  needs the system library (Debian: ``libvoikko1 voikko-fi``) and the optional extra
  ``voikko``; it is used for Finnish when both load.
- ``simplemma``: pure Python with its own dictionaries, always installed; used for Swedish
  and English, and for Finnish when Voikko is missing. Its dictionary gives no compound
  parts, so compounds are split here against the same dictionary (the longest known tail
  whose head is a known word: ``sivukuluja`` → ``sivu`` + ``kulu``).

The work per message is bounded: a text is read up to :data:`MAX_TEXT` characters and
:data:`MAX_WORDS` words, a word longer than :data:`MAX_SPLIT` letters is lemmatised but not
split, and the per-word cache is bounded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from messages.lemmas import LemmaTable, table

if TYPE_CHECKING:
    from simplemma.strategies.dictionaries.dictionary_factory import DictionaryFactory

MAX_TEXT = 500  # characters of one message that are read
MAX_WORDS = 80  # words of one message that are analysed
MAX_SPLIT = 40  # a longer word is not split into parts (no real compound is this long)
_MIN_WORD_TO_SPLIT = 7
_MIN_HEAD = 3
_MIN_TAIL = 4
_MAX_PARTS = 4
_CACHE = 50_000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: Languages whose compounds are written as one word.
_COMPOUNDING = frozenset({"fi", "sv"})


@dataclass(frozen=True)
class Analysis:
    """One word: its lemma and, for a compound, the lemmas of its parts (else empty)."""

    word: str
    lemma: str
    parts: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()  # other possible lemmas ("maksaa": maksa, maksaa)

    @property
    def terms(self) -> tuple[str, ...]:
        """The lemma, the other possible lemmas and the parts, each once."""
        return tuple(dict.fromkeys((self.lemma, *self.alternatives, *self.parts)))


class Backend(Protocol):
    """Something that lemmatises one lower-case word of one language."""

    name: str

    def analyse(self, word: str, locale: str) -> Analysis: ...


def tokenize(text: str) -> list[str]:
    """Lower-cased words (letters or digits), NFKC-normalised, of the first
    :data:`MAX_TEXT` characters, at most :data:`MAX_WORDS` of them."""
    folded = unicodedata.normalize("NFKC", text[:MAX_TEXT]).casefold()
    return _WORD.findall(folded)[:MAX_WORDS]


class TableDictionaryFactory:
    """simplemma's ``DictionaryFactory`` over the vocabulary tables of ``messages/lemmas``
    (:mod:`messages.lemmas`): the bot never loads simplemma's full dictionaries, which take
    seconds and hundreds of MB (issue 17); simplemma's other strategies (rules, affixes,
    clitics) still run, against the table."""

    def __init__(self, tables: Callable[[str], LemmaTable] = table) -> None:
        self._tables = tables  # the packaged tables; the generator passes those it builds

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        return self._tables(lang).forms

    def name(self, word: str, lang: str) -> str | None:
        """The proper name ``word`` is a form of ("pieksämäellä" → "Pieksämäki"), if any."""
        names = self._tables(lang).names
        return names.get(word) or names.get(word.capitalize())

    def is_form(self, word: str, lang: str) -> bool:
        """Whether ``word`` is a form of simplemma's full dictionary (a Bloom filter: a few
        false positives, see :mod:`messages.lemmas`)."""
        return word in self._tables(lang).known


class SimplemmaBackend:
    """simplemma's dictionary lemmas, with compounds split against the same dictionary.

    ``dictionary``: where simplemma's dictionary comes from; by default the packaged tables
    (:class:`TableDictionaryFactory`); ``tools/lemma_tables.py`` passes simplemma's own
    ``DefaultDictionaryFactory`` to build those tables from the full dictionaries."""

    name = "simplemma"

    def __init__(self, dictionary: DictionaryFactory | None = None) -> None:
        # Imported with the first typed words, not at start (idle memory, issue 17).
        import simplemma
        from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy

        factory = dictionary or TableDictionaryFactory()
        self._is_form: Callable[[str, str], bool] | None = getattr(factory, "is_form", None)
        self._name: Callable[[str, str], str | None] | None = getattr(factory, "name", None)
        self._simplemma = simplemma.Lemmatizer(
            cache_max_size=_CACHE,
            lemmatization_strategy=DefaultStrategy(dictionary_factory=factory),
        )
        self._lookup = DictionaryLookupStrategy(factory)

    def _lemma(self, word: str, locale: str) -> str:
        return str(self._simplemma.lemmatize(word, lang=locale)).casefold()

    def _known(self, word: str, locale: str) -> bool:
        """simplemma's ``is_known``, against this back end's dictionary."""
        return self._lookup.get_lemma(unicodedata.normalize("NFC", word), locale) is not None

    def _word_lemma(self, word: str, locale: str) -> str:
        """A whole word's lemma. A word of the full dictionary that the table leaves out is
        a word the bot does not use: it is its own lemma, not one simplemma's rules and
        affix strategies would guess against the small table ("käytännössä" is no form of
        "käyttää")."""
        if self._is_form is not None and not self._known(word, locale):
            name = self._name(word, locale) if self._name is not None else None
            if name is not None:
                return name.casefold()
            if self._is_form(word, locale):
                return word
        return self._lemma(word, locale)

    def analyse(self, word: str, locale: str) -> Analysis:
        lemma = self._word_lemma(word, locale)
        parts: tuple[str, ...] = ()
        if locale in _COMPOUNDING and _MIN_WORD_TO_SPLIT <= len(lemma) <= MAX_SPLIT:
            split = self._split(lemma, locale, _MAX_PARTS)
            if len(split) > 1:
                parts = tuple(split)
        return Analysis(word, lemma, parts)

    def _head(self, head: str, locale: str) -> str:
        """The first part of a compound as a lemma ("kuntien" → "kunta"), but never a word
        that does not begin like it: simplemma reads "työ" (work) as the dialect pronoun
        of "sinä", so "työvoimapalvelu" would lose its "työ"."""
        lemma = self._lemma(head, locale)
        return lemma if lemma[:2] == head[:2] else head

    def _split(self, lemma: str, locale: str, room: int) -> list[str]:
        """``lemma`` as known words: the shortest known head whose tail is known (or splits
        further); the tail is a word form, so its own lemma is kept."""
        if room > 1:
            for cut in range(_MIN_HEAD, len(lemma) - _MIN_TAIL + 1):
                head, tail = lemma[:cut], lemma[cut:]
                if not self._known(head, locale):
                    continue
                if self._known(tail, locale):
                    tail_lemma = self._lemma(tail, locale)
                    if len(tail_lemma) >= _MIN_TAIL:
                        # a known tail may itself be a compound ("rahoitusosuus")
                        finer = (
                            self._split(tail_lemma, locale, room - 1)
                            if len(tail_lemma) >= _MIN_WORD_TO_SPLIT
                            else [tail_lemma]
                        )
                        return [self._head(head, locale), *finer]
                if len(tail) >= _MIN_WORD_TO_SPLIT:
                    rest = self._split(tail, locale, room - 1)
                    if len(rest) > 1:
                        return [self._head(head, locale), *rest]
        return [lemma]


_WORDBASE = re.compile(r"\+([^(+]*)\(([^)]*)\)")


def voikko_parts(baseform: str, wordbases: str) -> tuple[str, ...]:
    """Compound parts from a Voikko analysis: ``+oma(oma)+rahoit(rahoittaa)+us(+us)
    +osuus(osuus)`` → oma, rahoitus, osuus (a derivation ``+us`` joins the part before it;
    the last part is the rest of the base form, so it is in the nominative)."""
    parts: list[str] = []
    for surface, base in _WORDBASE.findall(wordbases):
        if base.startswith("+") and parts:
            parts[-1] += surface
        elif surface:
            parts.append(surface)
    if len(parts) < 2:
        return ()
    base = baseform.casefold()
    heads = [part.casefold() for part in parts[:-1]]
    prefix = "".join(heads)
    if not base.startswith(prefix) or len(base) <= len(prefix):
        return ()
    return (*heads, base[len(prefix) :])


class VoikkoBackend:
    """libvoikko for Finnish; other languages, and words Voikko does not know, go to
    simplemma."""

    name = "voikko"

    def __init__(self, analyser: Any, fallback: Backend | None = None) -> None:
        self._voikko = analyser  # a libvoikko.Voikko("fi") or a test double
        self._fallback = fallback or SimplemmaBackend()

    def analyse(self, word: str, locale: str) -> Analysis:
        if locale != "fi":
            return self._fallback.analyse(word, locale)
        analyses: Sequence[Mapping[str, str]] = self._voikko.analyze(word)
        if not analyses:
            return self._fallback.analyse(word, locale)
        best = analyses[0]
        lemma = str(best.get("BASEFORM", word)).casefold()
        parts = voikko_parts(lemma, str(best.get("WORDBASES", "")))
        if len(word) > MAX_SPLIT:
            parts = ()
        others = dict.fromkeys(str(other.get("BASEFORM", "")).casefold() for other in analyses)
        alternatives = tuple(other for other in others if other and other != lemma)
        return Analysis(word, lemma, parts, alternatives)


def load_voikko() -> Backend | None:
    """The Voikko back end if libvoikko and the voikko-fi dictionary load, else None."""
    try:
        import libvoikko
    except ImportError:
        return None
    try:
        analyser = libvoikko.Voikko("fi")
    except (OSError, libvoikko.VoikkoException):  # no library or no dictionary
        return None
    return VoikkoBackend(analyser)


@cache
def default_backend() -> Backend:
    """Voikko when it is installed, else simplemma (README says why)."""
    return load_voikko() or SimplemmaBackend()


class Lemmatizer:
    """A back end with a bounded cache per (word, language)."""

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend = backend or default_backend()
        self.analyse: Callable[[str, str], Analysis] = lru_cache(maxsize=_CACHE)(
            self.backend.analyse
        )

    def text(self, text: str, locale: str) -> list[Analysis]:
        """Every word of ``text`` (bounded, see :func:`tokenize`), analysed."""
        return [self.analyse(word, locale) for word in tokenize(text)]

    def lemmas(self, text: str, locale: str) -> tuple[str, ...]:
        """The lemma of each word of ``text``, in order."""
        return tuple(analysis.lemma for analysis in self.text(text, locale))


@cache
def lemmatizer() -> Lemmatizer:
    """The process's lemmatizer (default back end)."""
    return Lemmatizer()


def analyse(word: str, locale: str) -> Analysis:
    """One lower-case word of ``locale``."""
    return lemmatizer().analyse(word, locale)


def normalise_reply(text: str, locale: str) -> tuple[str, ...]:
    """A short reply as the lemmas of its words ("En pääse, olen kipeä" →
    ("ei", "päästä", "olla", "kipeä") with Voikko): what reply and intent matchers compare
    with the accepted words of ``messages/words``, themselves normalised the same way."""
    return lemmatizer().lemmas(text, locale)


def same_words(text: str, phrase: str, locale: str) -> bool:
    """Whether ``text`` says ``phrase``: the same lemmas in the same order, the case and
    inflection of each word aside ("yhdistyksenä" says "Yhdistys")."""
    said = normalise_reply(text, locale)
    return bool(said) and said == normalise_reply(phrase, locale)
