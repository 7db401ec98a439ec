"""Every catalog has the same keys and placeholders, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import catalog, placeholders
from handlers.registry import build_registry
from messages.languages import LOCALES, SOURCE_LOCALE

ROOT = Path(__file__).resolve().parent.parent
KEY_USE = re.compile(
    r"""(?:reply|notify|InvalidInput|Button|Text|MenuEntry|Command)\((?:[^()"']*?,\s*)?["']([a-z_]+\.[a-z0-9_.]+)["']"""
)


def test_every_language_has_the_same_keys() -> None:
    source = set(catalog(SOURCE_LOCALE))
    for locale in LOCALES:
        keys = set(catalog(locale))
        assert keys == source, (locale, sorted(keys ^ source))


def test_every_entry_has_the_same_placeholders() -> None:
    for key, text in catalog(SOURCE_LOCALE).items():
        expected = placeholders(text)
        for locale in LOCALES:
            assert placeholders(catalog(locale)[key]) == expected, (locale, key)


def test_no_entry_is_empty() -> None:
    for locale in LOCALES:
        empty = [key for key, text in catalog(locale).items() if not text.strip()]
        assert not empty, (locale, empty)


def test_keys_used_in_code_exist() -> None:
    known = set(catalog(SOURCE_LOCALE))
    used: dict[str, str] = {}
    for folder in ("handlers", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in KEY_USE.findall(path.read_text(encoding="utf-8")):
                used[key] = str(path.relative_to(ROOT))
    assert used, "the key scanner found nothing: it is broken"
    missing = {key: where for key, where in used.items() if key not in known}
    assert not missing, missing


def test_registry_keys_exist() -> None:
    known = set(catalog(SOURCE_LOCALE))
    registry = build_registry()
    for command in registry.commands:
        assert command.description_key in known
    for entry in registry.menu:
        assert entry.label_key in known


def test_catalog_markup_is_the_telegram_subset() -> None:
    allowed = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}
    for locale in LOCALES:
        for key, text in catalog(locale).items():
            tags = set(re.findall(r"</?([a-zA-Z0-9-]+)", text))
            assert tags <= allowed, (locale, key, tags - allowed)
            assert not re.search(r"&(?![a-z]+;|#\d+;)", text), (locale, key)
