"""Conversations every transport must carry, written once against :class:`ChatDriver`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from content import load_content
from handlers.common.coordination import project_label
from handlers.staff.open_items import MAX_REPLY
from tests.catalog_labels import find_label, label, shown
from tests.e2e.driver import ChatDriver, SeenMessage
from tests.e2e.typed_world import (
    COORDINATOR_NAME,
    PARTICIPANT_NAME,
    PROJECT,
    TITLE,
    new_time_text,
)

Scenario = Callable[[ChatDriver], Awaitable[None]]
#: A scenario of a participant and a coordinator; ``remind`` makes the meeting and sends the
#: participant its reminder (tests/e2e/typed_world.py and the transport's scheduler).
TwoPeople = Callable[[ChatDriver, ChatDriver, Callable[[], Awaitable[None]]], Awaitable[None]]


def first_line(key: str, locale: str = "fi") -> str:
    """The first line of a catalog text (the rest may name commands, which Matrix shows
    with "!" instead of "/")."""
    return shown(key, locale).split("\n")[0]


async def start_menu_and_help(chat: ChatDriver) -> None:
    await chat.send("/start")
    [greeting] = await chat.replies()
    assert greeting.text.startswith(first_line("start.greeting"))
    assert label("menu.help") in greeting.labels
    await chat.press(label("menu.help"))
    [help_text] = await chat.replies()
    command = chat.command_prefix  # "!" on Matrix, where clients take "/" for their own
    assert f"{command}peru" in help_text.text and f"{command}tietosuoja" in help_text.text


async def language_change(chat: ChatDriver) -> None:
    await chat.send("/kieli")
    [prompt] = await chat.replies()
    assert label("language.sv") in prompt.labels
    await chat.press(label("language.sv"))
    [changed] = await chat.replies()
    assert changed.text.startswith(shown("language.changed", "sv"))
    await chat.send("/start")
    [greeting] = await chat.replies()
    assert greeting.text.startswith(first_line("start.greeting", "sv"))


async def bad_input_is_answered_and_the_step_kept(chat: ChatDriver) -> None:
    await chat.send("/unohda")
    [confirm] = await chat.replies()
    assert label("forget.yes") in confirm.labels
    await chat.send("<b>joo</b> & 🙂")
    [hint] = await chat.replies()
    assert hint.text.startswith(shown("forget.use_buttons"))
    await chat.send("x" * 4500)
    [too_long] = await chat.replies()
    assert too_long.text.startswith(shown("error.too_long", limit=4000))
    await chat.press(label("forget.no"))
    [kept] = await chat.replies()
    assert kept.text.startswith(shown("forget.kept"))


async def export_arrives_as_a_file(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.send("/omattiedot")
    [export] = await chat.replies()
    assert export.file is not None
    name, content = export.file
    assert name.endswith(".json")
    assert json.loads(content)["tables"]["users"]


async def forget_deletes_after_confirmation(chat: ChatDriver) -> None:
    await chat.send("/unohda")
    await chat.replies()
    await chat.press(label("forget.yes"))
    [done] = await chat.replies()
    assert done.text.startswith(shown("forget.done"))


# --- applicants (issue #5) ----------------------------------------------------------------


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


async def can_i_join_to_an_outcome(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.press(label("menu.join"))
    [projects] = await chat.replies()
    assert "Kaveria ei jätetä" in projects.labels
    await chat.press("Kaveria ei jätetä")
    [age] = await chat.replies()
    assert "Kuinka vanha olet?" in age.text and not age.labels
    await chat.send("35")  # typed: never a numbered button
    [municipality] = await chat.replies()
    assert "Mikkeli" in municipality.labels
    await chat.press("Mikkeli")
    [situation] = await chat.replies()
    on_subsidy = "Olen työtön ja saan työmarkkinatukea (en ansiosidonnaista)"
    assert on_subsidy in situation.labels
    await chat.press(on_subsidy)
    [outcome] = await chat.replies()
    assert shown("eligibility.outcome.likely_eligible") in outcome.text, outcome.text
    await chat.press(label("applicant.finish"))
    [bye] = await chat.replies()
    assert bye.text.startswith(shown("join.bye"))


async def budget_for_seed_000(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.press(label("menu.budget"))
    await chat.replies()
    await chat.press("Flat rate 40 % kehittäminen")
    await chat.replies()
    await chat.press(label("budget.staff_total"))
    await chat.replies()
    await chat.send("154 727")
    [flat] = await chat.replies()
    assert "61 891 €" in _plain(flat.text)
    await chat.send("0")  # typed: never a numbered button
    [net] = await chat.replies()
    assert "= 216 618 €" in _plain(net.text)
    await chat.press("yhdistys tai muu järjestö")
    [eu] = await chat.replies()
    use_max = find_label(eu.labels, "budget.eu_use_max")
    assert "80 %" in _plain(use_max)
    await chat.press(use_max)
    await chat.replies()
    await chat.press("Kuntarahoitus")
    await chat.replies()
    await chat.press("Muu julkinen rahoitus")
    await chat.replies()
    await chat.press(label("applicant.done"))
    await chat.replies()
    await chat.send("19 499")
    await chat.replies()
    await chat.send("19 499")
    [own] = await chat.replies()
    rest = find_label(own.labels, "budget.own_rest")
    assert "4 326 €" in _plain(rest)
    await chat.press(rest)
    await chat.replies()
    await chat.press(label("budget.split_no"))
    [summary] = await chat.replies()
    shown = _plain(summary.text)
    for line in (
        "Nettokustannusarvio yhteensä: 216 618 €",
        "Haettava EU- ja valtion rahoitus: 173 294 € (80,00 %)",
        "Omarahoitus: Yksityinen rahoitus: 4 326 € (2,00 %)",
        "Rahoitussuunnitelma yhteensä: 216 618 € (100,00 %)",
    ):
        assert line in shown, (line, shown)
    await chat.press(label("budget.file_csv"))
    [file] = await chat.replies()
    assert file.file is not None and file.file[0] == label("budget.doc.basename") + ".csv"
    assert "Haettava EU- ja valtion rahoitus;173294;80,00" in file.file[1].decode("utf-8-sig")


SCENARIOS: list[Scenario] = [
    start_menu_and_help,
    language_change,
    bad_input_is_answered_and_the_step_kept,
    export_arrives_as_a_file,
    forget_deletes_after_confirmation,
    can_i_join_to_an_outcome,
    budget_for_seed_000,
]


# --- participants who type (issue 13 item 1) -----------------------------------------------


async def participant_who_only_types(
    participant: ChatDriver, coordinator: ChatDriver, remind: Callable[[], Awaitable[None]]
) -> None:
    """Reminder → "en pääse, olen kipeä" → the coordinator told (the reason only after a
    yes) → the coordinator offers a new time → accepted by typing "käy"; no button pressed
    by the participant."""
    for person in (participant, coordinator):
        await person.send(f"{person.command_prefix}start")
        await person.replies()
    await remind()
    [reminder] = await participant.replies()
    assert label("participant.other_time") in reminder.labels  # the reminder's three options
    await participant.send("en pääse, olen kipeä")
    [answer] = await participant.replies()
    assert answer.text.startswith(shown("replies.understood_no"))
    assert shown("participant.rsvp_no") in answer.text
    assert label("replies.reason_yes") in answer.labels
    [told] = await coordinator.replies()
    assert label("notify.offer_time") in told.labels and "kipeä" not in told.text
    await participant.send("kyllä")
    [sent] = await participant.replies()
    assert sent.text.startswith(shown("replies.reason_sent"))
    [reason] = await coordinator.replies()
    assert "olen kipeä" in reason.text
    await coordinator.press(label("notify.offer_time"))
    await coordinator.replies()
    await coordinator.send(new_time_text())
    await coordinator.replies()  # "the new time went to the participant"
    [offer] = await participant.replies()
    assert offer.labels == [label("participant.coming"), label("participant.not_coming")]
    await participant.send("käy")
    [accepted] = await participant.replies()
    assert accepted.text.startswith(shown("replies.understood_yes"))


TWO_PEOPLE: list[TwoPeople] = [participant_who_only_types]


# --- coordinators close the loop (issue 15, "done when") ----------------------------------


@dataclass(frozen=True)
class Loop:
    """What the issue 15 scenarios need from the transport's test besides the two chats."""

    participant: str  # user ids, as the audit log names them
    coordinator: str
    #: Makes a meeting that has just ended and sends the participant its ``kind`` of
    #: message ("follow_up": the rating question, "check_in": "shall we talk?").
    after_meeting: Callable[[str], Awaitable[None]]
    #: (actor, project, subject) of each audit log row of this action, oldest first.
    audit: Callable[[str], Awaitable[list[tuple[object, ...]]]]


LoopScenario = Callable[[ChatDriver, ChatDriver, Loop], Awaitable[None]]


async def until(chat: ChatDriver, wanted: Callable[[SeenMessage], bool]) -> SeenMessage:
    """The next message ``chat`` gets that is ``wanted`` (a transport may send a report's
    picture and its text as one message or as two)."""
    for _ in range(5):
        [message] = await chat.replies()
        if wanted(message):
            return message
    raise AssertionError("the wanted message did not come")


async def _started(*people: ChatDriver) -> None:
    for person in people:
        await person.send(f"{person.command_prefix}start")
        await person.replies()


async def rating_and_comment_reach_the_coordinator(
    participant: ChatDriver, coordinator: ChatDriver, loop: Loop
) -> None:
    """A participant rates a meeting, comments and signs → the coordinator sees the comment
    with her name in the feedback view and in its CSV; both views audited."""
    await _started(participant, coordinator)
    await loop.after_meeting("follow_up")
    [question] = await participant.replies()
    score = label("participant.score", n="5")
    assert score in question.labels
    await participant.press(score)
    [comment] = await participant.replies()
    assert comment.text.startswith(shown("participant.comment_prompt"))
    await participant.send("Oli kiva, mutta kahvi loppui")
    [sign] = await participant.replies()
    assert label("participant.sign_yes") in sign.labels
    await participant.press(label("participant.sign_yes"))
    [thanks] = await participant.replies()
    assert thanks.text.startswith(shown("participant.rating_thanks"))

    await coordinator.send(f"{coordinator.command_prefix}raportti {PROJECT}")
    report = await until(coordinator, lambda m: label("report.feedback_button") in m.labels)
    await coordinator.press(label("report.feedback_button"))
    [view] = await coordinator.replies()
    signed = shown(
        "report.feedback_comment_signed", text="Oli kiva, mutta kahvi loppui", name=PARTICIPANT_NAME
    )
    assert signed in view.text, view.text
    assert label("report.feedback_csv_button") in view.labels
    await coordinator.press(label("report.feedback_csv_button"))
    [sent] = await coordinator.replies()
    assert sent.file is not None and sent.file[0].endswith(".csv")
    rows = list(csv.reader(io.StringIO(sent.file[1].decode("utf-8-sig")), delimiter=";"))
    columns = ("meeting", "start", "ratings", "average", "comment", "writer")
    assert rows[0] == [shown(f"csv.feedback.{column}") for column in columns]
    [row] = rows[1:]
    # one rating: its count, no average (none below SMALL_COUNT), the signed comment
    assert row[0] == TITLE and row[2:] == [
        "1",
        "",
        "Oli kiva, mutta kahvi loppui",
        PARTICIPANT_NAME,
    ], row
    assert report.labels  # the report itself came before its feedback button was pressed
    for action in ("feedback.view", "feedback.csv"):
        assert await loop.audit(action) == [(loop.coordinator, PROJECT, None)], action


async def wants_to_talk_gets_a_signed_reply(
    participant: ChatDriver, coordinator: ChatDriver, loop: Loop
) -> None:
    """ "Haluan jutella" after a missed meeting → the coordinator replies from the bot → the
    participant gets the reply signed with the coordinator's display name; audited."""
    await _started(participant, coordinator)
    await loop.after_meeting("check_in")
    [check_in] = await participant.replies()
    assert label("participant.want_to_talk") in check_in.labels
    await participant.press(label("participant.want_to_talk"))
    [asked] = await participant.replies()
    assert asked.text.startswith(shown("participant.talk_requested"))
    [notice] = await coordinator.replies()
    assert PARTICIPANT_NAME in notice.text
    assert label("open.reply_button") in notice.labels
    await coordinator.press(label("open.reply_button"))
    [prompt] = await coordinator.replies()
    asked_for = shown("open.reply_prompt", name=PARTICIPANT_NAME, limit=MAX_REPLY)
    assert prompt.text.startswith(asked_for.split("\n")[0])
    typed = "Soitan sinulle huomenna <b>klo 10</b>."
    await coordinator.send(typed)
    [sent] = await coordinator.replies()
    assert sent.text.startswith(shown("open.reply_sent", name=PARTICIPANT_NAME))
    [reply] = await participant.replies()
    project = project_label(load_content(), PROJECT, "fi")
    # the coordinator's text as typed (escaped, not bold), signed with her display name
    assert reply.text == shown(
        "open.reply_to_you", project=project, text=typed, coordinator=COORDINATOR_NAME
    )
    assert reply.text.rstrip().endswith(f"— {COORDINATOR_NAME}")
    assert await loop.audit("open_item.reply") == [(loop.coordinator, PROJECT, loop.participant)]


LOOP: list[LoopScenario] = [
    rating_and_comment_reach_the_coordinator,
    wants_to_talk_gets_a_signed_reply,
]
