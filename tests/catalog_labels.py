"""Button labels as the catalog has them, for tests that must survive rewording.

Tests find buttons by payload or by the catalog key of their label, never by the label's
wording. This module is the test side of that rule:

- :func:`label` renders a label key as a person sees it (plain text), for tests that drive
  a real platform (Telegram, Matrix) where only the text of a button arrives;
- :func:`button_label_keys` lists the catalog keys handlers put on buttons, read from the
  source of ``handlers/`` and ``bot/`` (``Button(...)`` and ``MenuEntry(...)`` calls);
- :func:`label_locators` finds, in a test file, places that locate a button by a literal
  equal to a catalog label text (the guard test ``tests/test_label_locators.py``), and
  :func:`label_literals` every string literal equal to one (the count).

Message texts likewise: :func:`text_expectations` finds, in a test file, an assertion that
expects a literal Finnish catalog text (``assert "Tietosi on poistettu." in reply.text``)
instead of looking it up (:func:`shown`, ``Delivered.shows(key)``); the guard test is
``tests/test_text_literals.py``.

Run ``python -m tests.catalog_labels`` for the counts over ``tests/``.
"""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.i18n import catalog, catalog_of, placeholders, renderer
from bot.markup import html_to_plain
from handlers.core.types import Param
from messages.languages import LOCALES

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
SOURCES = (ROOT / "handlers", ROOT / "bot")

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def normal(text: str) -> str:
    """Text with no-break spaces as plain spaces (Babel puts them in amounts)."""
    return text.translate(_SPACES)


def label(key: str, locale: str = "fi", **params: Param) -> str:
    """The label of ``key`` with ``params`` as the person sees it (plain text)."""
    return html_to_plain(renderer().text(locale, key, params))


#: A message text of the catalog as the person sees it (plain text); the same as a label.
shown = label


def first_line(key: str, locale: str = "fi") -> str:
    """The first line of the text of ``key`` as the person sees it (plain text), where it has
    no placeholder: a heading to look for in output that is not a message (console, a log)."""
    line = normal(html_to_plain(catalog(locale)[key].split("\n", 1)[0]))
    assert not placeholders(line), key
    return line


def lines_shown(key: str, locale: str = "fi", *, headed: bool = False, **params: Param) -> str:
    """The lines of the text of ``key`` that show ``params`` as the person sees them, each up
    to its first placeholder not given, joined by newlines: a part of a long text rendered as
    the bot renders it ("Käsitelty 6/7" of ``broadcast.progress``). ``headed``: each with the
    fixed line right above it too ("Valittu:" above the chosen options)."""
    book = catalog_of(locale)
    template = book.texts[key]
    if key in book.plurals:
        template = book.form(key, params.get(book.plurals[key].count, 2))
    rendered = {name: renderer().param(locale, value) for name, value in params.items()}
    lines = []
    above = ""
    for line in template.split("\n"):
        if not placeholders(line) & rendered.keys():
            above = "" if placeholders(line) else line
            continue
        if headed and above.strip():
            lines.append(html_to_plain(above).rstrip())
        missing = [line.index("{" + name) for name in placeholders(line) - rendered.keys()]
        shown_line = line[: min(missing)] if missing else line
        lines.append(html_to_plain(shown_line.format(**rendered)).rstrip())
        above = ""
    assert lines, (key, sorted(params))
    return "\n".join(lines)


# --- which keys are button labels --------------------------------------------------------------
def _fstring_pattern(node: ast.JoinedStr) -> re.Pattern[str]:
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(re.escape(value.value))
        else:
            parts.append(".+")
    return re.compile("".join(parts))


def _module_dicts(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level ``NAME = {...: "key", ...}``: the string values of each."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            values = [
                v.value
                for v in node.value.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = values
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.DictComp):
            # {locale: f"language.{locale}" for locale in LOCALES}: spelled out per language
            values = _spelled_per_language(node.value)
            for target in node.targets:
                if isinstance(target, ast.Name) and values:
                    found[target.id] = values
    return found


def _spelled_per_language(comp: ast.DictComp) -> list[str]:
    if len(comp.generators) != 1:
        return []
    generator = comp.generators[0]
    if (
        not isinstance(generator.iter, ast.Name)
        or generator.iter.id != "LOCALES"
        or not isinstance(generator.target, ast.Name)
        or not isinstance(comp.value, ast.JoinedStr)
    ):
        return []
    variable = generator.target.id
    spelled = []
    for locale in LOCALES:
        parts = []
        for value in comp.value.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif (
                isinstance(value, ast.FormattedValue)
                and isinstance(value.value, ast.Name)
                and value.value.id == variable
            ):
                parts.append(locale)
            else:
                return []
        spelled.append("".join(parts))
    return spelled


def _label_expressions(tree: ast.Module) -> Iterator[ast.expr]:
    """The label argument of every ``Button(...)`` and ``MenuEntry(...)`` call, and the key
    of every ``label = ….plain(locale, key)`` (a label rendered for a row of its own)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in ("Button", "MenuEntry", "button"):  # ButtonFamily.button(key, …)
            continue
        if node.args:
            yield node.args[0]
        for keyword in node.keywords:
            if keyword.arg == "label_key":
                yield keyword.value
    for node in ast.walk(tree):
        # label = renderer.plain(locale, "key"): a label rendered for a (label, payload) row
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "label" for t in node.targets)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "attr", None) == "plain"
            and len(node.value.args) >= 2
        ):
            yield node.value.args[1]


@cache
def button_label_keys() -> frozenset[str]:
    """Catalog keys that handlers put on buttons (read from the source, not run).

    A label given as a literal, an f-string (``f"enrol.days_{days}"`` stands for every key
    it can spell), a conditional of literals, or a name or ``.get`` of a module-level dict
    of keys (``MARKS.get(...)``, ``for code, label in LANGUAGE_NAMES.items()``).
    """
    keys = set(catalog("fi"))
    found: set[str] = set()
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            dicts = _module_dicts(tree)
            for expression in _label_expressions(tree):
                for node in ast.walk(expression):
                    if isinstance(node, ast.Constant) and isinstance(node.value, str):
                        found.add(node.value)
                    elif isinstance(node, ast.JoinedStr):
                        pattern = _fstring_pattern(node)
                        found.update(k for k in keys if pattern.fullmatch(k))
                    elif isinstance(node, ast.Name) and node.id in dicts:
                        found.update(dicts[node.id])
                if isinstance(expression, ast.Name):
                    # a loop variable: the values of the dict of keys the loop goes over
                    for name, values in dicts.items():
                        if _iterates(tree, name, expression.id):
                            found.update(values)
    return frozenset(found & keys)


def _iterates(tree: ast.Module, dict_name: str, variable: str) -> bool:
    """Whether some loop or comprehension binds ``variable`` while iterating ``dict_name``."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.comprehension, ast.For)):
            names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            iterated = {n.id for n in ast.walk(node.iter) if isinstance(n, ast.Name)}
            if variable in names and dict_name in iterated:
                return True
    return False


# --- label texts -------------------------------------------------------------------------------
def _meaningful(text: str) -> bool:
    """Whether a template's fixed part says something (a letter or a symbol such as ✔)."""
    return any(unicodedata.category(ch)[0] in "LS" for ch in text)


@dataclass(frozen=True)
class LabelTexts:
    """One language's button labels: fixed texts, and templates with placeholders."""

    exact: dict[str, frozenset[str]]  # plain text -> keys
    templates: tuple[tuple[re.Pattern[str], str, str], ...]  # (pattern, fixed prefix, key)

    def keys_of(self, literal: str) -> frozenset[str]:
        """The keys whose label is ``literal`` (or a template that renders to it)."""
        text = normal(literal)
        found = set(self.exact.get(text, frozenset()))
        found.update(key for pattern, _, key in self.templates if pattern.fullmatch(text))
        return frozenset(found)

    def keys_starting(self, prefix: str) -> frozenset[str]:
        """The keys whose label starts with ``prefix`` (looking for a button by its start)."""
        text = normal(prefix)
        if not text.strip():
            return frozenset()
        found = {
            key for label, keys in self.exact.items() if label.startswith(text) for key in keys
        }
        found.update(
            key
            for _, fixed, key in self.templates
            if _meaningful(text) and fixed.startswith(text) and fixed
        )
        return frozenset(found)


@cache
def label_texts(locale: str = "fi") -> LabelTexts:
    exact: dict[str, set[str]] = {}
    templates: list[tuple[re.Pattern[str], str, str]] = []
    texts = catalog(locale)
    for key in sorted(button_label_keys()):
        template = texts.get(key)
        if template is None:
            continue
        if not placeholders(template):
            exact.setdefault(normal(html_to_plain(template)), set()).add(key)
            continue
        pieces = re.split(r"\{[^{}]*\}", template)
        fixed = normal(html_to_plain("".join(pieces)))
        if not _meaningful(fixed):
            continue  # "{name}", "{when} {title}": any text at all
        pattern = ".+".join(re.escape(normal(html_to_plain(piece))) for piece in pieces)
        templates.append((re.compile(pattern, re.DOTALL), normal(html_to_plain(pieces[0])), key))
    return LabelTexts({t: frozenset(k) for t, k in exact.items()}, tuple(templates))


def find_label(labels: list[str], key: str, locale: str = "fi") -> str:
    """The first of ``labels`` (as a platform shows them) that is the label of ``key``, with
    whatever parameters; for tests that see only the text of buttons (Telegram, Matrix)."""
    texts = label_texts(locale)
    for text in labels:
        if key in texts.keys_of(text):
            return text
    raise AssertionError(f"no button {key!r} in {labels!r}")


def label_keys_of(literal: str) -> frozenset[str]:
    """The label keys whose text in any language is ``literal``."""
    return frozenset(k for locale in LOCALES for k in label_texts(locale).keys_of(literal))


# --- scanning test files -----------------------------------------------------------------------
#: Calls that find a button by its label (the label is one of their string arguments).
LOCATOR_CALLS = frozenset(
    {
        "press",
        "presses",
        "presses_label",
        "press_label",
        "tap",
        "press_button",
        "callback_data_for",
        "option",
        "ButtonSpec",
        "press_starting",
        "tap_starting",
    }
)
#: Names that hold button labels; comparing one with a literal finds a button by label.
LABEL_NAMES = frozenset({"label", "labels", "button_text", "button_texts", "options"})


@dataclass(frozen=True)
class Literal:
    path: Path
    line: int
    text: str
    keys: frozenset[str]

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT)
        return f"{where}:{self.line}: {self.text!r} is the label of {', '.join(sorted(self.keys))}"


def _strings(node: ast.AST) -> Iterator[tuple[int, str]]:
    """String literals in ``node`` (an f-string as its text with ``…`` for each value)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.lineno, child.value
        elif isinstance(child, ast.JoinedStr):
            parts = [
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "…"
                for v in child.values
            ]
            yield child.lineno, "".join(parts)


def _mentions_labels(node: ast.AST) -> bool:
    called = {id(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
    for child in ast.walk(node):
        if id(child) in called:
            continue  # label("menu.help") renders a label; it is none to compare with
        if isinstance(child, ast.Name) and child.id in LABEL_NAMES:
            return True
        if isinstance(child, ast.Attribute) and child.attr in LABEL_NAMES:
            return True
    return False


def _in_fstring(tree: ast.AST) -> set[int]:
    """ids of constants that are pieces of an f-string (judged as the whole f-string)."""
    return {
        id(value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
    }


def _keys(text: str, texts: list[LabelTexts]) -> frozenset[str]:
    return frozenset(k for t in texts for k in t.keys_of(text))


def label_locators(path: Path, locales: tuple[str, ...] = LOCALES) -> list[Literal]:
    """Places in ``path`` that find a button by a literal equal to a catalog label text:
    a literal argument of a pressing call (:data:`LOCATOR_CALLS`), a literal compared with
    a label (``"Tulen" in message.labels``, ``label == "Tallenna"``, ``labels == [...]``),
    or a literal start of a label (``label.startswith("Loput:")``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    texts = [label_texts(locale) for locale in locales]
    found: list[Literal] = []
    # the statement each node is in (``x.startswith(…)`` in ``next(x for x in m.labels …)``)
    statement_of: dict[int, ast.stmt] = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.stmt):
            for child in ast.walk(stmt):
                statement_of[id(child)] = stmt  # the innermost statement is visited last
    for node in ast.walk(tree):
        candidates: list[tuple[int, str]] = []
        prefixes: list[tuple[int, str]] = []
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if name in LOCATOR_CALLS:
                for argument in arguments:  # also ``press(p, "A" if x else "B")``
                    candidates.extend(_strings(argument))
            elif name == "index" and _mentions_labels(node.func):
                for argument in arguments:
                    candidates.extend(_strings(argument))
            elif name == "startswith" and (
                _mentions_labels(node.func) or _mentions_labels(statement_of[id(node)])
            ):
                for argument in arguments:
                    prefixes.extend(_strings(argument))
        elif isinstance(node, ast.Compare) and any(
            isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops
        ):
            sides = [node.left, *node.comparators]
            if any(_mentions_labels(side) for side in sides):
                for side in sides:
                    if isinstance(side, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple)):
                        candidates.extend(_strings(side))
        for line, text in candidates:
            keys = _keys(text, texts)
            if keys:
                found.append(Literal(path, line, text, keys))
        for line, text in prefixes:
            keys = frozenset(k for t in texts for k in t.keys_starting(text))
            if keys:
                found.append(Literal(path, line, text, keys))
    return sorted(set(found), key=lambda lit: (lit.line, lit.text))


def label_literals(path: Path, locale: str = "fi") -> list[Literal]:
    """Every string literal in ``path`` equal to a catalog label text in ``locale``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pieces = _in_fstring(tree)
    texts = [label_texts(locale)]
    found = []
    for node in ast.walk(tree):
        if id(node) in pieces:
            continue
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            for line, text in _strings(node):
                keys = _keys(text, texts)
                if keys:
                    found.append(Literal(path, line, text, keys))
                break  # a JoinedStr's own pieces are skipped above
    return found


# --- message texts in assertions ---------------------------------------------------------------
#: Calls inside an assertion whose string arguments are what is expected of a text (any other
#: call's arguments are inputs: ``parse("huomenna")``, ``says("tulen")``, ``shown("key")``).
EXPECTING_CALLS = frozenset({"startswith", "endswith", "find", "rfind", "index", "count"})
#: Shortest literal that is judged as a piece of a longer catalog text (shorter ones only when
#: they are a whole fixed piece of one, such as a sheet name "Kustannukset").
LONG_PIECE = 12
#: Literals that are catalog wording but, in the tests that assert them, are typed by a person
#: or written by a coordinator (an example in a prompt copied as the input), not bot output.
TYPED_INPUTS = frozenset(
    {
        "https://meet.example.fi/abc",  # a coordinator's meeting link (meetings.link_invalid)
    }
)


@cache
def catalog_pieces(locale: str = "fi") -> frozenset[str]:
    """The fixed pieces of every catalog text in ``locale`` as a person sees them: each form
    split at its placeholders and lines, stripped, those with a letter in them."""
    book = catalog_of(locale)
    forms = [*book.texts.values()]
    forms += [form for plural in book.plurals.values() for form in plural.forms]
    pieces = set()
    for form in forms:
        for piece in re.split(r"\{[^{}]*\}", form):
            for line in normal(html_to_plain(piece)).split("\n"):
                line = line.strip()
                if len(line) >= 4 and any(ch.isalpha() for ch in line):
                    pieces.add(line)
    return frozenset(pieces)


@cache
def content_texts(locale: str = "fi") -> tuple[str, ...]:
    """Every ``locale`` text of content/ (a project's or the programme's wording: no catalog
    text, even where a catalog text quotes it)."""
    found: list[str] = []

    def walk(tree: object) -> None:
        if isinstance(tree, dict):
            if isinstance(tree.get(locale), str):
                found.append(normal(tree[locale]))
            for value in tree.values():
                walk(value)
        elif isinstance(tree, list):
            for item in tree:
                walk(item)

    for path in sorted((ROOT / "content").rglob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return tuple(found)


def is_catalog_text(literal: str, locale: str = "fi") -> bool:
    """Whether ``literal`` is wording of the catalog: a whole fixed piece of a text, or a
    phrase (with a space) of at least :data:`LONG_PIECE` characters inside one; not a
    command as typed ("/tilaa_tiedotteet"), a content text, or a :data:`TYPED_INPUTS` one;
    or a piece followed by its value ("Mukaan tulleita: 8", see :func:`_starts_with_a_piece`)."""
    text = normal(literal).strip()
    if (
        len(text) < 4
        or not any(ch.isalpha() for ch in text)
        or literal in TYPED_INPUTS
        or re.fullmatch(r"/\w+", text)
        or any(text in own for own in content_texts(locale))
    ):
        return False
    pieces = catalog_pieces(locale)
    if text in pieces:
        return True
    if len(text) >= LONG_PIECE and " " in text and any(text in piece for piece in pieces):
        return True
    return _starts_with_a_piece(text, locale)


#: Shortest catalog wording that, followed by its values, still makes a literal catalog text
#: ("Paikka: Kirjasto" is the piece "Paikka:" of ``meeting.place`` with its place).
LEADING_PIECE = 7
_BULLET = re.compile(r"[^\w\s]+ ")

Segments = tuple[str | None, ...]


@dataclass(frozen=True)
class _Templates:
    """The catalog forms of a language as plain-text segments (a fixed text, or ``None`` for a
    placeholder); where a line of them begins (its wording → (form, segment, offset)), also
    after a bullet ("• Kuntien osuudet …"); and the forms that are one fixed text."""

    forms: tuple[Segments, ...]
    starts: dict[str, frozenset[tuple[int, int, int]]]
    whole: frozenset[str]


@cache
def _templates(locale: str) -> _Templates:
    book = catalog_of(locale)
    texts = [*book.texts.values()]
    texts += [form for plural in book.plurals.values() for form in plural.forms]
    forms: list[Segments] = []
    starts: dict[str, set[tuple[int, int, int]]] = {}
    for number, text in enumerate(texts):
        segments = tuple(
            normal(html_to_plain(part)) if index % 2 == 0 else None
            for index, part in enumerate(re.split(r"(\{[^{}]*\})", text))
        )
        forms.append(segments)
        for index, fixed in enumerate(segments):
            offset = 0
            for line in (fixed or "").split("\n"):
                begin = len(line) - len(line.lstrip())
                bullet = _BULLET.match(line, begin)
                for at in (begin, bullet.end()) if bullet else (begin,):
                    if line[at:].strip():
                        starts.setdefault(line[at:].strip(), set()).add(
                            (number, index, at + offset)
                        )
                offset += len(line) + 1
    whole = frozenset(f[0].strip() for f in forms if len(f) == 1 and f[0] and "\n" not in f[0])
    return _Templates(tuple(forms), {k: frozenset(v) for k, v in starts.items()}, whole)


def _rendered_from(text: str, segments: Segments, index: int, offset: int) -> bool:
    """``text`` is how the form ``segments``, from ``offset`` in segment ``index`` on, begins
    when its placeholders have values (each at least one character, within one line), with at
    least one value in ``text``; ``text`` may end inside a fixed part at a word boundary."""

    def match(position: int, segment: int, skip: int, values: int) -> bool:
        if position == len(text):
            return values > 0
        if segment == len(segments):
            return False
        fixed = segments[segment]
        if fixed is None:
            line_end = text.find("\n", position)
            last = len(text) if line_end < 0 else line_end
            return any(
                match(end, segment + 1, 0, values + 1) for end in range(position + 1, last + 1)
            )
        fixed = fixed[skip:]
        rest = text[position:]
        if rest.startswith(fixed):
            return match(position + len(fixed), segment + 1, 0, values)
        return (
            values > 0
            and fixed.startswith(rest)
            and (len(rest) == len(fixed) or not fixed[len(rest)].isalnum())
        )

    return match(0, index, offset, 0)


def _starts_with_a_piece(text: str, locale: str = "fi") -> bool:
    """``text`` begins with catalog wording of :data:`LEADING_PIECE` characters or more and goes
    on as that catalog text does with its values ("Paikka: Kirjasto"), or begins with a whole
    catalog text (a label as another text shows it with its value, "Mukaan tulleita: 8", or a
    file name, "budjetti.xlsx"). Not a text that merely begins with a word some catalog text
    has ("Kirjoita /apua." is no rendering of ``budget.error.count``), nor one that begins with
    a content text at least as long ("Rahoitussuunnitelma yhteensä: 5 €")."""
    templates = _templates(locale)
    for end in range(LEADING_PIECE, len(text)):
        if text[end].isalnum() or text[end - 1].isspace():
            continue
        head = text[:end]
        if any(len(own) >= len(head) and text.startswith(own) for own in content_texts(locale)):
            return False
        if head in templates.whole or any(
            _rendered_from(text, templates.forms[form], segment, offset)
            for form, segment, offset in templates.starts.get(head, ())
        ):
            return True
    return False


def text_expectations(path: Path, locale: str = "fi") -> list[Literal]:
    """String literals in an ``assert`` of ``path`` that are catalog wording in ``locale``
    (:func:`is_catalog_text`), except arguments of calls other than :data:`EXPECTING_CALLS`
    (inputs and keys)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for statement in ast.walk(tree):
        if not isinstance(statement, ast.Assert):
            continue
        inputs: set[int] = set()
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in EXPECTING_CALLS:
                    for argument in [*node.args, *(k.value for k in node.keywords)]:
                        inputs.update(id(child) for child in ast.walk(argument))
        for node in ast.walk(statement):
            if (
                id(node) not in inputs
                and isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and is_catalog_text(node.value, locale)
            ):
                found.append(Literal(path, node.lineno, node.value, frozenset()))
    return sorted(set(found), key=lambda lit: (lit.line, lit.text))


def scanned_files() -> list[Path]:
    """Every Python file under ``tests/`` except this one (which names no labels)."""
    return sorted(p for p in TESTS.rglob("*.py") if p != Path(__file__).resolve())


def main() -> int:
    files = scanned_files()
    literals = [lit for path in files for lit in label_literals(path)]
    locators = [lit for path in files for lit in label_locators(path)]
    for lit in locators:
        print(lit)
    print(f"button label keys in handlers/ and bot/: {len(button_label_keys())}")
    print(f"string literals in tests/ equal to a Finnish button label: {len(literals)}")
    print(f"of them (any language) finding a button by its label: {len(locators)}")
    texts = [lit for path in files for lit in text_expectations(path)]
    for lit in texts:
        print(f"{lit.path.relative_to(ROOT)}:{lit.line}: asserts {lit.text!r}")
    print(f"assertions expecting a literal Finnish catalog text: {len(texts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
