"""Global buttons read their payloads through their declared family (issue 12): one
mechanism refuses a forged or old payload (wrong part count, an empty or unexpected part,
a non-number id), and no global button handler splits payloads by hand."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.common.buttons import BROADCASTS, EXIT_ANSWER, INVITE, REPORT
from handlers.core.flow import DIGITS, NONEMPTY, ButtonFamily, one_of

ROOT = Path(__file__).resolve().parents[1]


def test_a_payload_is_parsed_into_checked_parts() -> None:
    family = ButtonFamily("bcx")
    shape = (one_of("cancel", "missing"), DIGITS)
    assert family.parse("bcx:cancel:12", *shape) == ("cancel", "12")
    assert family.parse("bcx:missing:3", *shape) == ("missing", "3")
    for forged in (
        "bcx:cancel:12:extra",  # one part too many
        "bcx:cancel",  # one too few
        "bcx:delete:12",  # not a choice
        "bcx:cancel:1x",  # not a number
        "bcx:cancel:",  # empty
        "bcx:cancel:١٢",  # digits, but not ASCII ones
        "bcxx:cancel:12",  # another family
        None,
    ):
        assert family.parse(forged, *shape) is None, forged
    assert ButtonFamily("rep").parse("rep:view:a:b", NONEMPTY, NONEMPTY) is None


def test_the_global_families_parse_what_they_build() -> None:
    assert INVITE.parse(INVITE.payload("revoke", 5), one_of("revoke"), DIGITS) == ("revoke", "5")
    assert EXIT_ANSWER.parse(EXIT_ANSWER.payload("p", "work"), NONEMPTY, NONEMPTY) == ("p", "work")
    assert REPORT.parse(REPORT.payload("csv", "p"), NONEMPTY, NONEMPTY) == ("csv", "p")
    assert BROADCASTS.parse(BROADCASTS.payload("cancel", 1), NONEMPTY, DIGITS) == ("cancel", "1")


def test_no_button_handler_splits_its_payload_by_hand() -> None:
    """answers.py is converted where it is rewritten (another branch)."""
    split = re.compile(r"payload\.split\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for name in (
            "participant/enrolment.py",
            "participant/exit_situation.py",
            "staff/reports.py",
            "staff/broadcast.py",
        )
        for path in [ROOT / "handlers" / name]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if split.search(line)
    ]
    assert offenders == []
