"""Tests that survive rewording: an assertion about what the bot says looks the text up in
the catalog (``shown(key)``, ``Delivered.shows(key)``) instead of quoting its Finnish wording.
This guard fails when a test file asserts a literal that is a Finnish catalog text, listing
each place (see :func:`tests.catalog_labels.text_expectations`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.catalog_labels import TYPED_INPUTS, scanned_files, shown, text_expectations


def test_no_test_quotes_the_wording_of_a_catalog_text() -> None:
    offenders = [
        f"{place.path.name}:{place.line}: {place.text!r}"
        for path in scanned_files()
        for place in text_expectations(path)
    ]
    assert not offenders, "look these texts up by key:\n" + "\n".join(offenders)


def test_the_guard_sees_expected_wording_and_not_typed_input(tmp_path: Path) -> None:
    done = shown("forget.done")
    internal = shown("error.internal")
    source = tmp_path / "test_example.py"
    source.write_text(
        textwrap.dedent(
            f"""
            async def test_example(person, reply, sheet, parse):
                assert {done!r} in reply.text
                assert reply.text.startswith({internal!r})
                assert sheet.sheetnames == [{shown("budget.doc.costs_sheet")!r}]
                assert (await person.says("tulen"))[0].shows("participant.rsvp_yes")
                assert parse("huomenna klo 13") is not None  # typed: an input
                assert (await person.says({done!r}))  # typing the wording is typing
                assert reply.text == "/tilaa_tiedotteet"  # a command as typed
                assert "Naisten ryhmä" in reply.text  # a group's name: no catalog text
                assert reply.shows("forget.done")
                assert "Flat rate 40 % kehittäminen" in reply.text  # a content text
                assert {sorted(TYPED_INPUTS)[0]!r} in reply.text
                assert "12.00" in reply.text  # no words: a time
            """
        ),
        encoding="utf-8",
    )
    found = [(place.line, place.text) for place in text_expectations(source)]
    assert found == [
        (3, done),
        (4, internal),
        (5, shown("budget.doc.costs_sheet")),
    ]


def test_the_guard_sees_wording_rendered_with_its_values(tmp_path: Path) -> None:
    enrolled = shown("report.metric_enrolled") + ": 8"  # a label in report.line, with its value
    place = shown("meeting.place", place="Kirjasto")  # a text with its value in it
    file_name = shown("file.my_data") + ".json"  # a catalog text as a file's name
    source = tmp_path / "test_example.py"
    source.write_text(
        textwrap.dedent(
            f"""
            async def test_example(person, reply, bang):
                assert {enrolled!r} in reply.text
                assert reply.text.startswith({place!r})
                assert reply.document[0] == {file_name!r}
                assert (await person.says({enrolled!r}))  # typed
                assert "Palkkakustannukset: 25 035 €" in reply.text  # a content name, a value
                assert bang("") == "Kirjoita !apua.\\n!peru"  # only begins with a catalog word
                assert {shown("applicant.finish") + ": 8"!r} in reply.text  # a short word
            """
        ),
        encoding="utf-8",
    )
    found = [(place.line, place.text) for place in text_expectations(source)]
    assert found == [(3, enrolled), (4, place), (5, file_name)]
