"""Typed answers to the bot's own questions (issue 13 item 1).

A participant answers a reminder, a new time, the rating, the check-in or the question on
leaving by typing as often as by pressing. Before a flow step or the FAQ gets typed text
(``Registry.typed_answer``, asked by the dispatcher), this module finds the question the bot
asked last in the chat — the newest of its buttons of a question's family (``rsvp``,
``rate``, ``checkin``, ``exitq``) — and reads the text against it
(:func:`handlers.domain.reply_intent.read_reply`):

- an answer is recorded by the very action its button runs (the payload the button would
  carry), after one short line saying what was understood, with an undo button; a reason
  typed with it ("en pääse, olen kipeä") is passed on to the coordinators only if the person
  says yes (flow ``reply_reason``);
- an attempt that is not understood gets "I didn't understand" and the options again;
- anything else (a question for the FAQ, small talk) goes on as before.

Weak words ("kyllä", "ei", "käy") count only when the question is still the latest thing the
bot asked with buttons; numbers typed on a transport that numbers buttons press the latest
keyboard (the dispatcher), so an older question's numbers never answer.

```mermaid
stateDiagram-v2
    [*] --> asked: reminder / new time / rating / check-in / leaving question
    asked --> recorded: typed answer (same action as the button)
    recorded --> reason: text says more ("olen kipeä")
    reason --> [*]: yes → coordinators told / no → kept
    recorded --> asked: "Peru vastaus" (undo)
    asked --> asked: attempt not understood → options again
```
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import CHECK_IN, EXIT_ANSWER, RATE, RSVP, UNDO
from handlers.common.participation import rsvp_buttons
from handlers.core.context import Context
from handlers.core.flow import DIGITS, END, NONEMPTY, TEXT, ButtonFamily, Flow, Registry, Step
from handlers.core.types import Button, InvalidInput, Reply, Text, When
from handlers.domain.reply_intent import Question, Reading, Verdict, read_reply
from handlers.participant import answers, exit_situation
from storage import buttons as button_store
from storage import exit_situations, participants, reminders
from storage import meetings as meeting_store

REASON_FLOW = "reply_reason"
REASON = ButtonFamily("rsn")  # rsn:yes | rsn:no
REASON_LIMIT = 300
#: How long after it was asked a question still takes typed answers (a reminder: until its
#: meeting begins).
OPEN_FOR = {
    Question.RATING: dt.timedelta(days=7),
    Question.CHECK_IN: dt.timedelta(days=7),
    Question.EXIT: dt.timedelta(days=14),
}
FAMILIES = (CHECK_IN, RATE, EXIT_ANSWER, RSVP)
NONE = "-"  # no earlier answer (in undo payloads)


class S(StrEnum):
    ASK = "ask"


@dataclass(frozen=True)
class OpenQuestion:
    kind: Question
    subject: str  # the occurrence (rsvp, rate, checkin) or the project (exitq)
    latest: bool  # no other buttons came after it
    next_occurrence: str | None = None  # a check-in's "coming to the next one"


def _family(payload: str) -> ButtonFamily | None:
    return next((family for family in FAMILIES if family.matches(payload)), None)


async def open_question(ctx: Context) -> OpenQuestion | None:
    """The question the bot asked last in this chat, if it still takes answers."""
    rows = await button_store.recent(ctx.conn, ctx.incoming.chat_id)
    first = next((i for i, row in enumerate(rows) if _family(row.payload)), None)
    if first is None:
        return None
    asked = rows[first].created_at
    message = [row.payload for row in rows[first:] if row.created_at == asked]
    latest = first == 0
    talk = next((p for p in message if CHECK_IN.matches(p)), None)
    rsvp = next((p for p in message if RSVP.matches(p)), None)
    rate = next((p for p in message if RATE.matches(p)), None)
    leave = next((p for p in message if EXIT_ANSWER.matches(p)), None)
    question: OpenQuestion | None = None
    if talk is not None and (parts := CHECK_IN.parse(talk, DIGITS, NONEMPTY)):
        upcoming = RSVP.parse(rsvp, DIGITS, NONEMPTY) if rsvp else None
        question = OpenQuestion(
            Question.CHECK_IN, parts[0], latest, upcoming[0] if upcoming else None
        )
    elif rate is not None and (parts := RATE.parse(rate, DIGITS, NONEMPTY)):
        question = OpenQuestion(Question.RATING, parts[0], latest)
    elif leave is not None and (parts := EXIT_ANSWER.parse(leave, NONEMPTY, NONEMPTY)):
        question = OpenQuestion(Question.EXIT, parts[0], latest)
    elif rsvp is not None and (parts := RSVP.parse(rsvp, DIGITS, NONEMPTY)):
        question = OpenQuestion(Question.RSVP, parts[0], latest)
    if question is None:
        return None
    limit = OPEN_FOR.get(question.kind)
    if limit is not None and ctx.now - asked > limit:
        return None
    if question.kind is Question.RSVP and not await _coming_meeting(ctx, question.subject):
        return None
    return question


async def _coming_meeting(ctx: Context, occurrence_id: str) -> bool:
    """The occurrence exists, is for this person, is not cancelled and has not begun."""
    if not occurrence_id.isdigit():
        return False
    found = await meeting_store.occurrence(ctx.conn, int(occurrence_id))
    if found is None:
        return False
    occurrence, meeting = found
    if occurrence.cancelled or meeting.cancelled or occurrence.start <= ctx.now:
        return False
    return await meeting_store.is_for(ctx.conn, meeting, ctx.user.user_id)


async def typed_answer(ctx: Context) -> bool:
    """Registered as ``Registry.typed_answer``: True when the text answered (or tried to
    answer) the bot's open question."""
    if ctx.incoming.is_group_chat or not ctx.text:
        return False
    question = await open_question(ctx)
    if question is None:
        return False
    reading = read_reply(ctx.text, question.kind, ctx.locale, latest=question.latest)
    if reading.verdict is Verdict.UNRELATED:
        return False
    if (
        reading.verdict is Verdict.ANSWER
        and question.kind is Question.CHECK_IN
        and reading.answer != "talk"
        and question.next_occurrence is None
    ):
        reading = Reading(Verdict.ATTEMPT)
    if reading.verdict is Verdict.ATTEMPT:
        await _ask_again(ctx, question)
        return True
    await _record(ctx, question, reading)
    return True


# --- recording, as the button would ----------------------------------------------------------


async def _record(ctx: Context, question: OpenQuestion, reading: Reading) -> None:
    value = reading.answer
    assert value is not None
    if question.kind is Question.RATING:
        await _record_rating(ctx, question.subject, value)
    elif question.kind is Question.EXIT:
        await _record_exit(ctx, question.subject, value)
    elif value == "talk":
        undo = UNDO.button("replies.undo_button", "talk", question.subject)
        ctx.reply("replies.understood_talk", buttons=[[undo]])
        ctx.payload = CHECK_IN.payload(question.subject, "talk")
        await answers.answer_check_in(ctx)
    else:
        occurrence = question.subject
        if question.kind is Question.CHECK_IN:
            assert question.next_occurrence is not None
            occurrence = question.next_occurrence
        await _record_rsvp(ctx, occurrence, value, reading)


async def _record_rsvp(ctx: Context, occurrence: str, value: str, reading: Reading) -> None:
    user_id = ctx.user.user_id
    previous = await participants.rsvp(ctx.conn, int(occurrence), user_id)
    undo = UNDO.button("replies.undo_button", "rsvp", occurrence, value, previous or NONE)
    ctx.reply(f"replies.understood_{value}", buttons=[[undo]])
    if ctx.state is not None and ctx.state.flow == REASON_FLOW:
        ctx.end()  # a new answer: the reason asked about before is not passed on
    ctx.payload = RSVP.payload(occurrence, value)
    await answers.answer_rsvp(ctx)
    if reading.says_more and (value != "yes" or "late" in reading.intents):
        text = (ctx.text or "").strip()[:REASON_LIMIT]
        ctx.begin(REASON_FLOW, occ=int(occurrence), reason=text)


async def _record_rating(ctx: Context, occurrence: str, value: str) -> None:
    undo = UNDO.button("replies.undo_button", "rate", occurrence, value)
    if value == "x":
        ctx.reply("replies.understood_missed", buttons=[[undo]])
    else:
        ctx.reply("replies.understood_score", buttons=[[undo]], value=value)
    ctx.payload = RATE.payload(occurrence, value)
    await answers.answer_rating_button(ctx)


async def _record_exit(ctx: Context, project: str, value: str) -> None:
    previous = await exit_situations.get(ctx.conn, ctx.user.user_id, project)
    undo = UNDO.button("replies.undo_button", "exit", project, previous or NONE)
    ctx.reply("replies.understood_choice", buttons=[[undo]], choice=Text(f"exit.answer_{value}"))
    ctx.payload = EXIT_ANSWER.payload(project, value)
    await exit_situation.answer(ctx)


# --- not understood: the options again ---------------------------------------------------------


async def _ask_again(ctx: Context, question: OpenQuestion) -> None:
    buttons: list[list[Button]] = []
    key = "replies.not_understood_choice"
    if question.kind is Question.RSVP:
        key = "replies.not_understood_rsvp"
        buttons = [list(row) for row in rsvp_buttons(int(question.subject))]
    elif question.kind is Question.RATING:
        key = "replies.not_understood_rating"
        found = await meeting_store.occurrence(ctx.conn, int(question.subject))
        if found is not None:
            buttons = [list(row) for row in answers.follow_up_reply(*found).buttons]
    elif question.kind is Question.CHECK_IN:
        if question.next_occurrence is not None:
            coming = RSVP.button("participant.coming", question.next_occurrence, "yes")
            buttons.append([coming])
        buttons.append([CHECK_IN.button("participant.want_to_talk", question.subject, "talk")])
    else:
        buttons = exit_situation.ask_buttons(question.subject)
    ctx.reply(key, buttons=buttons)


# --- undo --------------------------------------------------------------------------------------


async def undo(ctx: Context) -> None:
    """``undo:rsvp:<occurrence>:<recorded>:<previous>``, ``undo:rate:<occurrence>:<score|x>``,
    ``undo:exit:<project>:<previous>``, ``undo:talk:<occurrence>``: a typed answer taken
    back, the question asked again."""
    if (parts := UNDO.sub("rsvp").parse(ctx.payload, DIGITS, NONEMPTY, NONEMPTY)) is not None:
        await _undo_rsvp(ctx, *parts)
    elif (parts := UNDO.sub("rate").parse(ctx.payload, DIGITS, NONEMPTY)) is not None:
        await _undo_rating(ctx, *parts)
    elif (parts := UNDO.sub("exit").parse(ctx.payload, NONEMPTY, NONEMPTY)) is not None:
        await _undo_exit(ctx, *parts)
    elif (parts := UNDO.sub("talk").parse(ctx.payload, DIGITS)) is not None:
        await _undo_talk(ctx, parts[0])
    else:
        ctx.reply("error.old_button")


async def _undo_rsvp(ctx: Context, occurrence_id: str, recorded: str, previous: str) -> None:
    user_id = ctx.user.user_id
    if not await _coming_meeting(ctx, occurrence_id):
        ctx.reply("error.old_button")
        return
    found = await meeting_store.occurrence(ctx.conn, int(occurrence_id))
    assert found is not None
    occurrence, meeting = found
    if await participants.rsvp(ctx.conn, occurrence.id, user_id) != recorded:
        ctx.reply("error.old_button")  # answered again since
        return
    if ctx.state is not None and ctx.state.flow == REASON_FLOW:
        ctx.end()  # nothing is passed on about an answer taken back
    if recorded in ("no", "other"):
        await common.notify_coordinators(
            ctx,
            meeting.project,
            "notify.rsvp_undone",
            name=await common.label_of(ctx, user_id),
            title=meeting.title,
            when=When(occurrence.start),
        )
    ctx.reply("replies.undone")
    if previous in participants.ANSWERS:
        ctx.payload = RSVP.payload(occurrence.id, previous)
        await answers.answer_rsvp(ctx)
        return
    await participants.clear_rsvp(ctx.conn, occurrence.id, user_id)
    tz = ctx.services.timezone
    if recorded in ("no", "other"):
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("check_in",)
        )
        await planning.plan_person(ctx.conn, occurrence, meeting, user_id, now=ctx.now, tz=tz)
    ctx.replies.append(answers.reminder_reply(occurrence, meeting, None))
    common.wake_scheduler(ctx)


async def _undo_rating(ctx: Context, occurrence_id: str, score: str) -> None:
    user_id = ctx.user.user_id
    found = (
        await meeting_store.occurrence(ctx.conn, int(occurrence_id))
        if (occurrence_id.isdigit())
        else None
    )
    rated = await participants.rating(ctx.conn, int(occurrence_id), user_id) if found else None
    if found is None or (str(rated[0]) if rated else "x") != score:
        ctx.reply("error.old_button")
        return
    if score == "x":  # "did not make it": no check-in for it after all
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=found[0].id, kinds=("check_in",)
        )
    await participants.unrate(ctx.conn, found[0].id, user_id)
    ctx.reply("replies.undone")
    ctx.begin(answers.RATING_FLOW, occ=found[0].id)  # its prompt asks again


async def _undo_exit(ctx: Context, project: str, previous: str) -> None:
    user_id = ctx.user.user_id
    if not await exit_situations.has_left(ctx.conn, user_id, project):
        ctx.reply("error.old_button")
        return
    await exit_situations.withdraw(ctx.conn, user_id=user_id, project=project)
    if previous in exit_situations.SITUATIONS:
        today = ctx.now.astimezone(ctx.services.timezone).date()
        await exit_situations.record(
            ctx.conn, user_id=user_id, project=project, situation=previous, on=today
        )
    ctx.reply("replies.undone")
    ctx.replies.append(
        Reply(
            "exit.ask",
            {"project": common.project_name(ctx.services, project, ctx.locale)},
            tuple(tuple(row) for row in exit_situation.ask_buttons(project)),
        )
    )


async def _undo_talk(ctx: Context, occurrence_id: str) -> None:
    found = (
        await meeting_store.occurrence(ctx.conn, int(occurrence_id))
        if (occurrence_id.isdigit())
        else None
    )
    if found is None or not await meeting_store.is_for(ctx.conn, found[1], ctx.user.user_id):
        ctx.reply("error.old_button")
        return
    await common.notify_coordinators(
        ctx,
        found[1].project,
        "notify.talk_withdrawn",
        dedupe_key=f"talkundo:{occurrence_id}:{ctx.user.user_id}",
        name=await common.label_of(ctx, ctx.user.user_id),
    )
    ctx.reply("replies.talk_undone")


# --- may the reason be passed on -------------------------------------------------------------


async def _reason_prompt(ctx: Context) -> None:
    ctx.reply(
        "replies.reason_ask",
        reason=ctx.data["reason"],
        buttons=[
            [REASON.button("replies.reason_yes", "yes")],
            [REASON.button("replies.reason_no", "no")],
        ],
    )


async def _reason_handle(ctx: Context) -> None:
    if ctx.payload is not None:
        choice = REASON.value(ctx.payload)
    else:
        reading = read_reply(ctx.text or "", Question.CONSENT, ctx.locale)
        if reading.verdict is Verdict.ATTEMPT:
            raise InvalidInput("replies.reason_again")
        if reading.verdict is Verdict.UNRELATED:
            # Something else (a question for the FAQ): nothing is passed on, and the text
            # goes where it would have gone.
            ctx.end()
            free_text = ctx.services.registry.free_text
            if free_text is not None:
                await free_text(ctx)
            return
        choice = reading.answer
    if choice not in ("yes", "no"):
        raise ctx.use_buttons()
    occurrence_id, reason = int(ctx.data["occ"]), str(ctx.data["reason"])
    ctx.end()
    if choice == "no":
        ctx.reply("replies.reason_kept")
        return
    found = await meeting_store.occurrence(ctx.conn, occurrence_id)
    if found is None:
        ctx.reply("error.old_button")
        return
    occurrence, meeting = found
    await common.notify_coordinators(
        ctx,
        meeting.project,
        "notify.rsvp_reason",
        name=await common.label_of(ctx, ctx.user.user_id),
        title=meeting.title,
        when=When(occurrence.start),
        reason=reason,
    )
    ctx.reply("replies.reason_sent")


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            REASON_FLOW,
            {S.ASK: Step(_reason_prompt, _reason_handle, accepts={TEXT, REASON}, goes_to={END})},
            S.ASK,
            use_buttons="replies.reason_again",
            answers_first={S.ASK},  # "tulen sittenkin" is a new answer, not a yes or a no
        )
    )
    registry.add_global_payload(UNDO, undo)
    registry.typed_answer = typed_answer
