"""The form → lemma tables the language layer reads: ``messages/lemmas/<locale>.tsv.gz``.

simplemma's full dictionaries (3.5 million Finnish forms) take seconds and hundreds of MB to
load; the bot only ever needs the forms of the words it matches against. ``tools/lemma_tables.py``
(``python tools/lemma_tables.py --write``) writes, per language, every form of simplemma's
dictionary whose lemma is a lemma, an alternative lemma or a compound part of a word of the
bot's own vocabulary (content/, the catalogs, ``messages/words``), or which is itself such a
word. Each file is gzip-compressed UTF-8 text:

- ``#tokens<TAB>word word …`` lines: the vocabulary words the table was built from (a test
  compares them with the current vocabulary, so a new FAQ word fails it until the tables
  are rewritten);
- ``lemma<TAB>form form …`` lines: the forms whose dictionary lemma is ``lemma``;
- ``!Name<TAB>form form …`` lines: the forms of a proper name (a capitalised lemma of the
  full dictionary: a place someone names), used for whole words only.

Beside each table, ``<locale>.known`` is a Bloom filter of every form of the full dictionary
(case folded, about 2 % false positives at one byte per form): a word the bot does not need
is still known to be a word, so simplemma does not guess a lemma for it by its rules and
affix strategies (which, against the small table alone, read "käytännössä" as "käyttää"),
and compounds are split as against the full dictionary. Such a word is its own lemma.

This module reads files only; it imports nothing of the project, so ``handlers.domain``
may use it.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TABLES_DIR = Path(__file__).resolve().parent / "lemmas"
TOKENS = "#tokens"
NAME = "!"  # a line of a proper name's forms: "!Pieksämäki<TAB>Pieksämäellä …"


_BLOOM_MAGIC = b"HBLOOM1\n"
_BLOOM_HEADER = struct.Struct("<QB")  # number of bits, number of hashes
BITS_PER_FORM = 8
HASHES = 6


class KnownForms:
    """A Bloom filter of case-folded word forms: no false negatives, a few false positives."""

    def __init__(self, bits: bytes | bytearray, size: int, hashes: int) -> None:
        self._bits = bits
        self._size = size
        self._hashes = hashes

    @classmethod
    def build(cls, forms: Iterable[str], count: int) -> KnownForms:
        size = max(64, count * BITS_PER_FORM)
        known = cls(bytearray((size + 7) // 8), size, HASHES)
        bits = known._bits
        assert isinstance(bits, bytearray)
        for form in forms:
            for position in known._positions(form):
                bits[position >> 3] |= 1 << (position & 7)
        return known

    @classmethod
    def empty(cls) -> KnownForms:
        return cls(b"\0" * 8, 64, 1)

    def _positions(self, form: str) -> Iterable[int]:
        digest = hashlib.blake2b(form.casefold().encode("utf-8"), digest_size=16).digest()
        first = int.from_bytes(digest[:8], "little")
        step = int.from_bytes(digest[8:], "little") | 1
        return ((first + index * step) % self._size for index in range(self._hashes))

    def __contains__(self, form: object) -> bool:
        if not isinstance(form, str):
            return False
        bits = self._bits
        return all(bits[pos >> 3] >> (pos & 7) & 1 for pos in self._positions(form))

    def to_bytes(self) -> bytes:
        return _BLOOM_MAGIC + _BLOOM_HEADER.pack(self._size, self._hashes) + bytes(self._bits)

    @classmethod
    def from_bytes(cls, data: bytes) -> KnownForms:
        if not data.startswith(_BLOOM_MAGIC):
            raise ValueError("not a known-forms file")
        start = len(_BLOOM_MAGIC)
        size, hashes = _BLOOM_HEADER.unpack_from(data, start)
        bits = data[start + _BLOOM_HEADER.size :]
        if len(bits) != (size + 7) // 8:
            raise ValueError("a known-forms file of the wrong length")
        return cls(bits, size, hashes)


@dataclass(frozen=True)
class LemmaTable:
    """One language's table: form → lemma, the vocabulary words it was built from, and
    every form of the full dictionary (:class:`KnownForms`)."""

    forms: Mapping[str, str]
    tokens: frozenset[str]
    known: KnownForms = field(default_factory=KnownForms.empty)
    #: forms of proper names (places people name: "Pieksämäellä" → "Pieksämäki"), read as
    #: whole words only, never as parts of a compound
    names: Mapping[str, str] = field(default_factory=dict)


def path(locale: str, directory: Path = TABLES_DIR) -> Path:
    return directory / f"{locale}.tsv.gz"


def known_path(locale: str, directory: Path = TABLES_DIR) -> Path:
    return directory / f"{locale}.known"


def parse(lines: Iterable[str]) -> LemmaTable:
    """A table from its text lines (see the module docstring)."""
    forms: dict[str, str] = {}
    names: dict[str, str] = {}
    tokens: set[str] = set()
    for line in lines:
        head, _, rest = line.rstrip("\n").partition("\t")
        if head == TOKENS:
            tokens.update(rest.split(" "))
        elif head.startswith(NAME):
            for form in rest.split(" "):
                names[form] = head[len(NAME) :]
        elif head:
            for form in rest.split(" "):
                forms[form] = head
    tokens.discard("")
    return LemmaTable(forms, frozenset(tokens), names=names)


def render(
    forms: Mapping[str, str],
    tokens: Iterable[str],
    per_line: int = 200,
    names: Mapping[str, str] | None = None,
) -> str:
    """A table as text: the tokens first, then one line per lemma, both sorted."""
    by_lemma: dict[str, list[str]] = {}
    for mark, mapping in (("", forms), (NAME, names or {})):
        for form, lemma in mapping.items():
            if "\t" in form or " " in form or "\n" in form or not lemma.strip():
                raise ValueError(f"a form or lemma the format cannot hold: {form!r} → {lemma!r}")
            by_lemma.setdefault(mark + lemma, []).append(form)
    ordered = sorted(set(tokens))
    lines = [
        f"{TOKENS}\t{' '.join(ordered[start : start + per_line])}"
        for start in range(0, len(ordered), per_line)
    ]
    lines += [f"{lemma}\t{' '.join(sorted(found))}" for lemma, found in sorted(by_lemma.items())]
    return "\n".join(lines) + "\n"


def read(locale: str, directory: Path = TABLES_DIR) -> LemmaTable:
    """One language's table from its files (an empty one if the language has none)."""
    file = path(locale, directory)
    if not file.is_file():
        return LemmaTable({}, frozenset())
    with gzip.open(file, "rt", encoding="utf-8") as handle:
        found = parse(handle)
    bloom = known_path(locale, directory)
    if bloom.is_file():
        known = KnownForms.from_bytes(bloom.read_bytes())
        found = LemmaTable(found.forms, found.tokens, known, found.names)
    return found


def write_known(locale: str, known: KnownForms, directory: Path = TABLES_DIR) -> Path:
    """Write one language's filter of known forms."""
    file = known_path(locale, directory)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(known.to_bytes())
    return file


def write(locale: str, text: str, directory: Path = TABLES_DIR) -> Path:
    """Write one language's table; the gzip header carries no time, so the same table gives
    the same bytes."""
    file = path(locale, directory)
    file.parent.mkdir(parents=True, exist_ok=True)
    with (
        file.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as handle,
    ):
        handle.write(text.encode("utf-8"))
    return file


@cache
def table(locale: str) -> LemmaTable:
    """The packaged table of ``locale``, read once."""
    return read(locale)
