"""Tests find buttons by payload or by the catalog key of their label, never by its wording:
a test that presses ``"✅ Tulen"`` breaks when the catalog says it better. This guard fails
when a test file locates a button by a literal equal to a catalog label text (in any
language), listing each place (see :mod:`tests.catalog_labels`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.catalog_labels import (
    button_label_keys,
    label,
    label_literals,
    label_locators,
    scanned_files,
)


def test_no_test_finds_a_button_by_its_wording() -> None:
    offenders = [str(place) for path in scanned_files() for place in label_locators(path)]
    assert not offenders, "find these buttons by key or payload:\n" + "\n".join(offenders)


def test_the_guard_sees_every_way_of_finding_a_button_by_label(tmp_path: Path) -> None:
    coming = label("participant.coming")
    skip = label("meetings.skip")
    rest = label("budget.own_rest", amount="1 €").split(" ")[0]
    source = tmp_path / "test_example.py"
    source.write_text(
        textwrap.dedent(
            f"""
            async def test_example(person, message, server):
                await person.presses({coming!r})
                await press(person, {skip!r})
                server.press_button(1, {label("participant.not_coming")!r})
                assert {coming!r} in message.labels
                assert message.labels == [{coming!r}, "1"]
                token = next(t for label, t in message.buttons if label == {skip!r})
                first = next(x for x in message.labels if x.startswith({rest!r}))
                await person.presses(f"Peru tiedote #{{number}}")
                await person.presses("Naisten ryhmä")  # a group's name: no catalog text
                await person.says({coming!r})  # typing is not pressing
                await person.presses_key("participant.coming")
                await press(person, "Naisten ryhmä" if x else {skip!r})
            """
        ),
        encoding="utf-8",
    )
    found = [(place.line, place.text) for place in label_locators(source)]
    assert found == [
        (3, coming),
        (4, skip),
        (5, label("participant.not_coming")),
        (6, coming),
        (7, coming),
        (8, skip),
        (9, rest),
        (10, label("broadcast.cancel_button", id="…")),
        (14, skip),
    ]
    # the count sees every literal equal to a label, wherever it stands (typing included)
    assert [lit.line for lit in label_literals(source)].count(12) == 1


def test_labels_are_read_from_the_handlers() -> None:
    keys = button_label_keys()
    # a literal, an f-string, a dict of keys, a menu entry, a label rendered for a row
    assert {
        "participant.coming",
        "enrol.days_7",
        "meetings.mark_attended",
        "language.sv",
        "menu.budget",
        "broadcast.missing_button",
    } <= keys
    assert "participant.reminder" not in keys  # a message, not a button
