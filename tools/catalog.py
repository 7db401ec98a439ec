"""Developer tool: add or update message catalog entries in every language at once.

Usage: ``python tools/catalog.py entries.py`` where ``entries.py`` defines
``ENTRIES = {"key": {"fi": "...", "sv": "...", "en": "..."}, ...}``. Existing keys are
updated, new ones added, and every catalog is written back sorted by key.

An entry that counts something gives each language a tuple of forms, one per plural form
of that language's ``Plural-Forms`` header (fi, sv, en: singular, plural), and ``"count"``
names the parameter that counts when it is not ``count``::

    "meetings.moved": {
        "count": "people",
        "fi": ("… {people} osallistujalle.", "… {people} osallistujalle."),
        "sv": ("… {people} deltagare …", "… {people} deltagare …"),
        "en": ("… {people} participant was told.", "… {people} participants were told."),
    }
"""

from __future__ import annotations

import datetime
import fcntl
import runpy
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from messages.languages import BABEL_LOCALES  # after the path is set

CATALOG_DIR = Path(__file__).resolve().parent.parent / "messages"
FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

Texts = Mapping[str, str | Sequence[str]]


def update(entries: Mapping[str, Texts]) -> None:
    # Several developers may run this at once: one writer at a time.
    with (CATALOG_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _update(entries)


def _update(entries: Mapping[str, Texts]) -> None:
    for locale, babel_locale in BABEL_LOCALES.items():
        path = CATALOG_DIR / f"{locale}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=babel_locale)
        else:
            catalog = Catalog(locale=babel_locale, project="hankebot", fuzzy=False)
        for key, texts in entries.items():
            if locale not in texts:
                raise SystemExit(f"{key}: no {locale} text")
            text = texts[locale]
            if key in catalog:
                del catalog[key]
            if isinstance(text, str):
                catalog.add(key, text)
            else:
                forms = tuple(text)
                if len(forms) != catalog.num_plurals:
                    raise SystemExit(
                        f"{key}: {locale} has {catalog.num_plurals} plural forms, not {len(forms)}"
                    )
                counted = texts.get("count", "count")
                if not isinstance(counted, str):
                    raise SystemExit(f"{key}: 'count' names a parameter")
                catalog.add((key, counted), forms)
        ordered = Catalog(
            locale=babel_locale,
            project="hankebot",
            version="1",
            copyright_holder="hankebot",
            msgid_bugs_address="-",
            creation_date=FIXED_DATE,
            revision_date=FIXED_DATE,
            last_translator="hankebot",
            language_team=f"{locale}",
            fuzzy=False,
        )
        messages = [message for message in catalog if message.id]
        for message in sorted(messages, key=lambda m: str(m.id[0] if m.pluralizable else m.id)):
            ordered.add(message.id, message.string)
        with path.open("wb") as handle:
            write_po(handle, ordered, width=0, omit_header=False, sort_output=True)


if __name__ == "__main__":
    update(runpy.run_path(sys.argv[1])["ENTRIES"])
