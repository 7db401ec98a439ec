"""Developer tool: add or update message catalog entries in all three languages at once.

Usage: ``python tools/catalog.py entries.py`` where ``entries.py`` defines
``ENTRIES = {"key": {"fi": "...", "sv": "...", "en": "..."}, ...}``. Existing keys are
updated, new ones added, and every catalog is written back sorted by key.
"""

from __future__ import annotations

import datetime
import fcntl
import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

CATALOG_DIR = Path(__file__).resolve().parent.parent / "messages"
FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
BABEL_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}


def update(entries: dict[str, dict[str, str]]) -> None:
    # Several developers may run this at once: one writer at a time.
    with (CATALOG_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _update(entries)


def _update(entries: dict[str, dict[str, str]]) -> None:
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
            if key in catalog:
                catalog[key].string = texts[locale]
            else:
                catalog.add(key, texts[locale])
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
        for message in sorted((m for m in catalog if m.id), key=lambda m: str(m.id)):
            ordered.add(message.id, message.string)
        with path.open("wb") as handle:
            write_po(handle, ordered, width=0, omit_header=False, sort_output=True)


if __name__ == "__main__":
    update(runpy.run_path(sys.argv[1])["ENTRIES"])
