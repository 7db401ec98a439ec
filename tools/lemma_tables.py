"""Developer tool: build the language layer's form → lemma tables (``messages/lemmas/``).

Usage, from the repository root::

    .venv/bin/python tools/lemma_tables.py --write   # rebuild messages/lemmas/*.tsv.gz
    .venv/bin/python tools/lemma_tables.py --check   # compare the tables with the full dictionaries

The bot never loads simplemma's full dictionaries (issue 17: 28 s and 414 MB for Finnish on
the first FAQ question after a restart); it reads one small table per language instead
(:mod:`messages.lemmas`). This tool builds the tables from simplemma's full dictionaries.

The vocabulary is every word of the bot's own texts, in every language: the strings of
``content/`` (FAQ entries, option labels, place names), of the catalogs ``messages/*.po``
(button labels) and of ``messages/words/*.toml`` (commands, intent words, synonyms). Each
word is analysed in each language with the full dictionary; its lemma, its compound parts
and the word itself make the language's set of needed lemmas. The table keeps every form of
the dictionary whose lemma (or which itself) is in that set, every form of a proper name
(a capitalised lemma: places people name in "can I join?", "asun Pieksämäellä"; read as
whole words only), the filter of all forms (:mod:`messages.lemmas`), and records the
vocabulary words it was built from; ``tests/test_lemma_tables.py`` fails, naming this
command, when a word of the current vocabulary is not among the recorded ones.

``--check`` runs every text of the benchmark sets (``tests/data/faq_*.yaml``, the typed
replies of ``bench/reply_holdout.py`` and ``tests/reply_cases.py``) through the FAQ
matcher, the off-topic test and the municipality matcher with the tables and with the full
dictionaries, and lists every text whose outcome differs (none when the tables are right).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

from handlers.domain.lemmas import (  # noqa: E402
    Lemmatizer,
    SimplemmaBackend,
    TableDictionaryFactory,
    tokenize,
)
from messages import lemmas as tables  # noqa: E402
from messages import words as word_files  # noqa: E402
from messages.languages import LOCALES  # noqa: E402

COMMAND = ".venv/bin/python tools/lemma_tables.py --write"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def vocabulary_texts(root: Path = ROOT) -> Iterator[str]:
    """Every text of the bot's own vocabulary (see the module docstring)."""
    for path in sorted((root / "content").rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            yield from _strings(yaml.safe_load(handle))
    for path in sorted((root / "messages" / "words").glob("*.toml")):
        yield from _strings(word_files.read(path))
    for path in sorted((root / "messages").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            yield from _strings(message.string)


def vocabulary_tokens(root: Path = ROOT) -> frozenset[str]:
    """The words of the vocabulary, as the language layer reads them (no dictionary needed)."""
    return frozenset(token for text in vocabulary_texts(root) for token in tokenize(text))


def full_backend() -> SimplemmaBackend:
    """simplemma with its own full dictionaries (slow: seconds and hundreds of MB)."""
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    return SimplemmaBackend(DEFAULT_DICTIONARY_FACTORY)


def needed_lemmas(tokens: Iterable[str], locale: str, backend: SimplemmaBackend) -> set[str]:
    """The lemmas, compound parts and words themselves of ``tokens`` in ``locale``."""
    needed: set[str] = set()
    for token in tokens:
        analysis = backend.analyse(token, locale)
        needed.update((token, *analysis.terms))
    return needed


def build(locale: str, tokens: frozenset[str], backend: SimplemmaBackend) -> dict[str, str]:
    """The forms of the full dictionary that the vocabulary needs (form → lemma)."""
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    needed = needed_lemmas(tokens, locale, backend)
    dictionary = DEFAULT_DICTIONARY_FACTORY.get_dictionary(locale)
    return {
        form: lemma
        for form, lemma in dictionary.items()
        if lemma.casefold() in needed or form.casefold() in needed
    }


def proper_names(locale: str) -> dict[str, str]:
    """Every form of a capitalised lemma of the full dictionary (places, people)."""
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    dictionary = DEFAULT_DICTIONARY_FACTORY.get_dictionary(locale)
    return {form: lemma for form, lemma in dictionary.items() if lemma[:1].isupper()}


def known_forms(locale: str) -> tables.KnownForms:
    """Every form of the full dictionary, case folded, as a Bloom filter."""
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    forms = {
        form.casefold()
        for form in DEFAULT_DICTIONARY_FACTORY.get_dictionary(locale)
        if _WORD.fullmatch(form.casefold())  # the language layer reads nothing else
    }
    return tables.KnownForms.build(forms, len(forms))


def table_backend(locale: str, lemma_table: tables.LemmaTable) -> SimplemmaBackend:
    """The run-time back end over ``lemma_table`` (for ``locale``) instead of the packaged one."""
    packaged = tables.table

    def pick(lang: str) -> tables.LemmaTable:
        return lemma_table if lang == locale else packaged(lang)

    return SimplemmaBackend(TableDictionaryFactory(pick))


def differing(
    locale: str, tokens: Iterable[str], lemma_table: tables.LemmaTable, full: SimplemmaBackend
) -> dict[str, str]:
    """Vocabulary words analysed otherwise with ``lemma_table`` than with the full
    dictionary, with their full-dictionary lemma."""
    backend = table_backend(locale, lemma_table)
    return {
        token: full.analyse(token, locale).lemma
        for token in sorted(tokens)
        if backend.analyse(token, locale) != full.analyse(token, locale)
    }


def complete(
    locale: str, tokens: frozenset[str], full: SimplemmaBackend
) -> tuple[dict[str, str], tables.KnownForms]:
    """The table of ``locale``: the needed forms, and each vocabulary word that the table
    alone would analyse otherwise (a Bloom false positive, a guess of simplemma's rules
    against the small table) with its full-dictionary lemma, until none differs."""
    forms = build(locale, tokens, full)
    known = known_forms(locale)
    for _ in range(5):
        wrong = differing(locale, tokens, tables.LemmaTable(forms, tokens, known), full)
        if not wrong:
            return forms, known
        forms.update(wrong)
    raise SystemExit(f"{locale}: {len(wrong)} vocabulary words still differ: {sorted(wrong)[:10]}")


def write(root: Path = ROOT) -> None:
    tokens = vocabulary_tokens(root)
    backend = full_backend()
    directory = root / "messages" / "lemmas"
    for locale in LOCALES:
        forms, bloom = complete(locale, tokens, backend)
        names = {form: lemma for form, lemma in proper_names(locale).items() if form not in forms}
        file = tables.write(locale, tables.render(forms, tokens, names=names), directory)
        known = tables.write_known(locale, bloom, directory)
        print(
            f"{file.relative_to(root)}: {len(forms)} forms, {file.stat().st_size} bytes; "
            f"{known.relative_to(root)}: {known.stat().st_size} bytes"
        )


def bench_texts(root: Path = ROOT) -> list[tuple[str, str]]:
    """(text, locale) of every benchmark set."""
    from bench.reply_holdout import HELD_OUT
    from tests.reply_cases import ANSWERS, OFF_TOPIC

    found: list[tuple[str, str]] = []
    for name in ("faq_eval.yaml", "faq_holdout.yaml", "faq_plain.yaml"):
        with (root / "tests" / "data" / name).open(encoding="utf-8") as handle:
            found += [
                (str(case["question"]), str(case["locale"])) for case in yaml.safe_load(handle)
            ]
    found += [(text, locale) for text, locale, *_ in (*HELD_OUT, *ANSWERS, *OFF_TOPIC)]
    return list(dict.fromkeys(found))


def check(root: Path = ROOT) -> int:
    """Texts whose outcome differs between the tables and the full dictionaries."""
    from unittest import mock

    from content.loader import load_content
    from handlers.applicant import join_check
    from handlers.domain import lemmas
    from handlers.domain.faq_match import FaqMatcher

    content = load_content()
    faq = content.programme.faq
    places = join_check.all_municipalities(content)
    texts = bench_texts(root)

    def outcomes(backend: SimplemmaBackend) -> list[object]:
        layer = Lemmatizer(backend)
        matcher = FaqMatcher(faq, lemmas=layer)
        with (
            mock.patch.object(lemmas, "lemmatizer", lambda: layer),
            mock.patch.object(join_check, "lemmatizer", lambda: layer),
        ):
            return [
                (
                    matcher.match(text, locale),
                    matcher.off_topic(text, locale),
                    join_check.match_municipality(text, places, locale),
                )
                for text, locale in texts
            ]

    def answer(result: object) -> object:
        """What the person gets: the entry answered (or none), off-topic, the place."""
        matches, off_topic, place = result  # type: ignore[misc]
        top = matches[0] if matches and matches[0].confidence >= matcher_threshold else None
        return (top and (top.faq_id, top.locale), off_topic, place)

    matcher_threshold = FaqMatcher(faq, lemmas=Lemmatizer(SimplemmaBackend())).threshold
    with_tables = outcomes(SimplemmaBackend())
    with_full = outcomes(full_backend())
    ranked = answered = 0
    for (text, locale), table, full in zip(texts, with_tables, with_full, strict=True):
        if table == full:
            continue
        ranked += 1
        other = answer(table) != answer(full)
        answered += other
        print(f"{'ANSWER DIFFERS' if other else 'RANKING DIFFERS'} {locale} {text!r}")
        print(f"  tables: {table}\n  full:   {full}")
    print(
        f"{len(texts)} texts: {answered} answered otherwise with the tables; "
        f"{ranked} with another ranking or confidence (also below the threshold)"
    )
    return answered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rebuild messages/lemmas/")
    parser.add_argument("--check", action="store_true", help="compare with the full dictionaries")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        parser.error("give --write or --check")
    if args.write:
        write()
    return 1 if args.check and check() else 0


if __name__ == "__main__":
    sys.exit(main())
