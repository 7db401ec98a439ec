"""Global buttons read their payloads through their declared family (issue 12): one
mechanism refuses a forged or old payload (wrong part count, an empty or unexpected part,
a non-number id), and no global button handler splits payloads by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers.common.buttons import BROADCASTS, EXIT_ANSWER, INVITE, REPORT
from handlers.core.flow import DIGITS, NONEMPTY, ButtonFamily, one_of
from storage import outbox
from storage.db import Database
from tests.harness import Delivered, Person
from tests.meeting_helpers import ADMIN, PROJECT, World, local, world

ROOT = Path(__file__).resolve().parents[1]
MONDAY = local(2026, 11, 2, 10, 0)


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
        "bcx:cancel:" + "9" * 30,  # digits, but no id fits in a database integer
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
    split = re.compile(r"payload\.split\(|payload\) or \"\"\)\.split\(|\.parts\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for name in (
            "participant/enrolment.py",
            "participant/exit_situation.py",
            "staff/reports.py",
            "staff/broadcast.py",
            "common/start.py",
            "staff/meetings.py",
            "staff/roles.py",
            "participant/answers.py",
            "participant/replies.py",
        )
        for path in [ROOT / "handlers" / name]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if split.search(line)
    ]
    assert offenders == []


def test_one_way_to_read_a_payload() -> None:
    """``parts`` duplicated ``parse`` (issue 12): only ``parse`` is left."""
    assert not hasattr(ButtonFamily, "parts")


async def _press_forged(w: World, person: Person, payload: str) -> list[Delivered]:
    """Press a button with ``payload`` that the bot never made (an old or forged one) in
    ``person``'s own chat; what the bot answers."""
    async with w.db.transaction() as conn:
        await outbox.enqueue(
            conn,
            chat_id=person.user_id,
            user_id=person.user_id,
            html="x",
            now=w.clock(),
            buttons=[[("x", payload)]],
        )
        cursor = await conn.execute(
            "SELECT token FROM buttons WHERE chat_id = ? AND payload = ? ORDER BY rowid DESC",
            (person.user_id, payload),
        )
        row = await cursor.fetchone()
    assert row is not None
    await w.bot.worker.drain(timeout=10)
    person.new_messages()
    return await person.presses_token(str(row[0]))


#: Payloads of the moved families that the bot never builds: each gets "that button is old"
#: and does nothing (before, several did something or failed with an internal error).
FORGED = {
    "coordinator": (
        "mt:list:abc",  # a page that is no number
        "mt:list:0:1:2",  # one part too many
        "mt:list:" + "9" * 30,  # too big for the database
        "mt:occ:" + "9" * 30,
        "mt:occ:1x",
        "mt:remind:x:y",
        "mt:remset:" + PROJECT + ":never",  # not a choice
        "mt:new:1",
        "mt:mark:1",  # no person
        "mt:",
    ),
    "admin": (
        "coord:keep:x",
        "coord:invite:" + PROJECT + ":x",
        "coord:rm:" + PROJECT,
        "coord:",
    ),
    "participant": (
        "omat:ics:x",  # before: sent the calendar file
        "omat:leave:now",  # before: started leaving
        "omat:answer:" + "9" * 30,
        "rsvp:" + "9" * 30 + ":yes",
        "rate:1:5:x",
        "checkin:1",
        "remset:" + PROJECT,
        "undo:talk:" + "9" * 30,
        "undo:rate:1:9",
        "cmd:",
        "cmd:apua:x",
        "go:",
    ),
}


@pytest.mark.parametrize(
    ("who", "payload"), [(who, payload) for who, cases in FORGED.items() for payload in cases]
)
async def test_a_forged_payload_of_a_moved_family_is_an_old_button(
    db: Database, who: str, payload: str
) -> None:
    async with world(db, MONDAY) as w:
        if who == "coordinator":
            person = await w.coordinator()
        elif who == "admin":
            person = w.bot.person(int(ADMIN.split(":")[1]))
            await person.says("/start")
        else:
            person = await w.participant(1)
        answer = await _press_forged(w, person, payload)
        assert [m.keys[0] for m in answer] == ["error.old_button"], payload
        assert all(m.document is None for m in answer), payload


async def test_a_forged_language_asks_for_the_language_again(db: Database) -> None:
    async with world(db, MONDAY) as w:
        person = await w.participant(1)
        for payload in ("lang:xx", "lang:", "lang:fi:x"):
            answer = await _press_forged(w, person, payload)
            assert [m.keys[0] for m in answer] == ["language.prompt"], payload
        assert await w.rows("SELECT locale FROM users WHERE user_id = ?", person.user_id) == [
            ("fi",)
        ]
