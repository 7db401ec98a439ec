"""A fourth language is a catalog, a word file and its content texts: a throwaway "xx" (a
copy of Finnish) is found, passes every catalog, word and content check, and fails them when
it lacks something."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from content.loader import DEFAULT_CONTENT_DIR, load_content
from messages import words
from messages.languages import LOCALES
from tests.language_checks import catalogs, every_problem


def test_the_real_languages_pass_every_check() -> None:
    assert every_problem(words.MESSAGES_DIR) == []


def with_language(tree: Any, locale: str) -> Any:
    """``tree`` (read from a content file) with every text in Finnish, Swedish and English
    also in ``locale`` (a copy of the Finnish)."""
    if isinstance(tree, dict):
        copied = {key: with_language(value, locale) for key, value in tree.items()}
        if set(tree) == set(LOCALES):
            copied[locale] = copied[words.SOURCE_LOCALE]
        return copied
    if isinstance(tree, list):
        return [with_language(item, locale) for item in tree]
    return tree


def content_with(root: Path, locale: str) -> Path:
    """A copy of the content beside the messages folder ``root``/messages, every text also
    in ``locale``."""
    target = root / "content"
    for source in [
        DEFAULT_CONTENT_DIR / "programme.yaml",
        *sorted((DEFAULT_CONTENT_DIR / "projects").glob("*.yaml")),
    ]:
        path = target / source.relative_to(DEFAULT_CONTENT_DIR)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = with_language(yaml.safe_load(source.read_text(encoding="utf-8")), locale)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


@pytest.fixture
def messages_with_xx(tmp_path: Path) -> Path:
    """A messages folder with fi, sv, en and "xx", a copy of Finnish placed fourth, and
    beside it the content with every text in "xx" too."""
    content_with(tmp_path, "xx")
    tmp_path = tmp_path / "messages"
    (tmp_path / "words").mkdir(parents=True)
    for locale in LOCALES:
        shutil.copy(words.MESSAGES_DIR / f"{locale}.po", tmp_path / f"{locale}.po")
        shutil.copy(
            words.MESSAGES_DIR / "words" / f"{locale}.toml", tmp_path / "words" / f"{locale}.toml"
        )
    shutil.copy(words.MESSAGES_DIR / "fi.po", tmp_path / "xx.po")
    source = (words.MESSAGES_DIR / "words" / "fi.toml").read_text(encoding="utf-8")
    assert "order = 1 " in source
    (tmp_path / "words" / "xx.toml").write_text(
        source.replace("order = 1 ", "order = 4 "), encoding="utf-8"
    )
    # its name in every language, for the language chooser
    for locale in (*LOCALES, "xx"):
        edit_po(tmp_path / f"{locale}.po", lambda catalog: catalog.add("language.xx", "Xx"))
    return tmp_path


def edit_po(path: Path, change: Callable[[Catalog], object]) -> None:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)


def test_a_fourth_language_is_found_and_passes_every_check(messages_with_xx: Path) -> None:
    assert words.locales_in(messages_with_xx) == ("fi", "sv", "en", "xx")
    assert every_problem(messages_with_xx) == []
    xx = words.load(messages_with_xx)["xx"]
    assert xx.commands["help"] == ("apua",)
    book = catalogs(messages_with_xx)["xx"]
    one = catalogs(messages_with_xx)["fi"].plurals["audit.csv_ready"].forms[0]
    assert book.form("audit.csv_ready", 1) == one  # the Finnish form, copied
    content = load_content(messages_with_xx.parent / "content", languages=(*LOCALES, "xx"))
    programme = content.programme
    assert programme.programme.name.get("xx") == programme.programme.name.get("fi")
    assert programme.faq[0].questions.get("xx") == programme.faq[0].questions.get("fi")
    project = content.project("osmari")
    assert project.name.get("xx") == project.name.get("fi") != project.name.get("sv")


def test_a_content_text_missing_in_the_fourth_language_fails(messages_with_xx: Path) -> None:
    path = messages_with_xx.parent / "content" / "programme.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["programme"]["name"]["xx"]
    data["faq"][0]["questions"]["xx"] = []
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = every_problem(messages_with_xx)
    assert "programme.yaml: programme.name.xx: Field required" in problems
    assert any(p.startswith("programme.yaml: faq[0].questions.xx: ") for p in problems)
    assert len(problems) == 2, problems


def test_the_content_may_not_have_a_language_the_bot_lacks(messages_with_xx: Path) -> None:
    (messages_with_xx / "xx.po").unlink()
    assert "programme.yaml: programme.name.xx: Extra inputs are not permitted" in every_problem(
        messages_with_xx
    )


def test_a_missing_entry_in_the_fourth_language_fails(messages_with_xx: Path) -> None:
    edit_po(messages_with_xx / "xx.po", lambda catalog: catalog.delete("menu.help"))
    assert any(
        problem.startswith("xx: keys differ: ['menu.help']")
        for problem in every_problem(messages_with_xx)
    )


def test_a_count_without_plural_forms_in_the_fourth_language_fails(
    messages_with_xx: Path,
) -> None:
    def singular_only(catalog: Catalog) -> None:
        forms = catalog["audit.csv_ready"].string
        assert isinstance(forms, tuple)
        text = forms[1]
        catalog.delete("audit.csv_ready")
        catalog.add("audit.csv_ready", text)

    edit_po(messages_with_xx / "xx.po", singular_only)
    assert "xx: audit.csv_ready: plural in one language only" in every_problem(messages_with_xx)


def test_a_wrong_placeholder_in_the_fourth_language_fails(messages_with_xx: Path) -> None:
    def misspell(catalog: Catalog) -> None:
        forms = catalog["audit.csv_ready"].string
        assert isinstance(forms, tuple)
        one, many = forms
        catalog["audit.csv_ready"].string = (one.replace("{count}", "{n}"), many)

    edit_po(messages_with_xx / "xx.po", misspell)
    assert "xx: audit.csv_ready: placeholders ['n']" in every_problem(messages_with_xx)


def test_a_language_with_three_plural_forms_needs_all_three(messages_with_xx: Path) -> None:
    path = messages_with_xx / "xx.po"
    three = "Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n>=2 && n<=4 ? 1 : 2);"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Plural-Forms: nplurals=2; plural=(n != 1);", three))
    assert "xx: audit.csv_ready: empty" in every_problem(messages_with_xx)

    def third_forms(catalog: Catalog) -> None:
        for message in catalog:
            if isinstance(message.string, tuple):
                one, few, _ = message.string
                message.string = (one, few, few.replace("{count}", "{count} (many)"))

    edit_po(path, third_forms)
    assert every_problem(messages_with_xx) == []
    book = catalogs(messages_with_xx)["xx"]
    _, few = catalogs(messages_with_xx)["fi"].plurals["audit.csv_ready"].forms
    assert book.form("audit.csv_ready", 3) == few
    assert book.form("audit.csv_ready", 5) == few.replace("{count}", "{count} (many)")


def test_a_language_without_a_name_fails(messages_with_xx: Path) -> None:
    for locale in (*LOCALES, "xx"):
        edit_po(messages_with_xx / f"{locale}.po", lambda catalog: catalog.delete("language.xx"))
    assert every_problem(messages_with_xx) == ["xx: no entry language.xx"]


def test_a_missing_word_in_the_fourth_language_fails(messages_with_xx: Path) -> None:
    path = messages_with_xx / "words" / "xx.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('tomorrow = ["huomenna"]\n', ""), encoding="utf-8")
    assert "xx.dates.tomorrow: missing" in every_problem(messages_with_xx)
    with pytest.raises(words.WordFileError):
        words.load(messages_with_xx)


def test_a_language_without_a_catalog_is_not_a_language(messages_with_xx: Path) -> None:
    (messages_with_xx / "xx.po").unlink()
    assert words.locales_in(messages_with_xx) == ("fi", "sv", "en")
    (messages_with_xx.parent / "content").rename(messages_with_xx.parent / "xx-content")
    assert every_problem(messages_with_xx) == []  # and the packaged content is checked
