"""Participants: answers to reminders, ratings, check-ins, ``/omat`` with an .ics file,
their own reminder settings and leaving a project.

The scheduler (``bot/scheduler.py``) sends the messages composed here; the buttons on them are
global payloads, so they work whatever the person is doing, and each press is checked: only
a person the meeting is for may answer.

Answering a reminder (``rsvp:<occurrence>:yes|no|other``):

```mermaid
stateDiagram-v2
    [*] --> reminder: 24 h / 2 h before (not at night)
    reminder --> coming: "Tulen"
    reminder --> cannot: "En pääse"
    reminder --> other_time: "Toivon toista aikaa"
    cannot --> coordinator: told, may answer with a new time
    other_time --> coordinator
    cannot --> check_in: next working day 10:00, unless a new time was given
    other_time --> check_in
    coming --> follow_up: meeting end + 1 h
    reminder --> follow_up: no answer
    follow_up --> comment: 1–5 pressed or typed
    comment --> [*]: text or "skip"
    follow_up --> check_in: "En päässyt"
```

``/omat``: the next meetings with the person's answers, then buttons for the .ics file,
reminder settings (24 h and 2 h / only one / none / the project's) and leaving:

```mermaid
stateDiagram-v2
    [*] --> mine: /omat
    mine --> ics: "Lisää kalenteriin"
    mine --> settings: "Muistutukset" → choice → re-planned
    mine --> leave: "Lähde hankkeesta"
    leave --> [*]: yes → membership ended, reminders dropped, coordinators told
```
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import (
    CHECK_IN,
    MEETING,
    MINE,
    NO,
    RATE,
    REMINDER_SETTING,
    RSVP,
    SKIP,
    YES,
)
from handlers.common.file_names import file_name
from handlers.common.open_work import item_buttons
from handlers.common.participation import REMINDER_CHOICES, offsets_text, rsvp_buttons
from handlers.core.context import Context
from handlers.core.flow import (
    DIGITS,
    END,
    NONEMPTY,
    TEXT,
    ButtonFamily,
    Command,
    Flow,
    FlowRef,
    MenuEntry,
    Registry,
    Step,
    one_of,
)
from handlers.core.types import Document, InvalidInput, Lines, NotAllowed, Reply, Text, When
from handlers.domain.calendar_files import occurrences_to_ics
from handlers.domain.reply_intent import Question, Verdict, read_reply
from messages.words import command_names
from storage import meetings as meeting_store
from storage import memberships, open_items, participants, person_refs, reminders
from storage.meetings import Meeting, Occurrence

RATING_FLOW = "rating"
RATING_STEP = "score"
LEAVE_FLOW = "leave"


class S(StrEnum):
    """The steps of both flows (their names are stored in conversations)."""

    SCORE = RATING_STEP
    COMMENT = "comment"
    SIGN = "sign"
    CHOOSE = "choose"
    CONFIRM = "confirm"


PROJECT = ButtonFamily("p")  # p:<slug> (leaving)
COMMENT_LIMIT = 500
ANSWER_LATER = 5  # coming meetings /omat offers to answer
ICS_WINDOW = dt.timedelta(days=366)

HOUR = dt.timedelta(hours=1)
ANSWER_MARKS = {
    "yes": "participant.answer_yes",
    "no": "participant.answer_no",
    "other": "participant.answer_other",
}


# --- messages the scheduler sends ---------------------------------------------------------


def reminder_reply(occurrence: Occurrence, meeting: Meeting, answer: str | None) -> Reply:
    card = common.occurrence_card(occurrence, meeting)
    if answer == "yes":
        return Reply(
            "participant.reminder_confirmed",
            {"card": card},
            ((RSVP.button("participant.not_coming_after_all", f"{occurrence.id}:no"),),),
        )
    return Reply("participant.reminder", {"card": card}, rsvp_buttons(occurrence.id))


def follow_up_reply(occurrence: Occurrence, meeting: Meeting) -> Reply:
    scores = tuple(
        RATE.button("participant.score", f"{occurrence.id}:{n}", params={"n": str(n)})
        for n in range(1, 6)
    )
    return Reply(
        "participant.follow_up",
        {"title": meeting.title, "when": When(occurrence.start)},
        (scores, (RATE.button("participant.did_not_make_it", f"{occurrence.id}:x"),)),
    )


def check_in_reply(missed: Occurrence, upcoming: tuple[Occurrence, Meeting] | None) -> Reply:
    talk = (CHECK_IN.button("participant.want_to_talk", f"{missed.id}:talk"),)
    if upcoming is None:
        return Reply("participant.check_in_no_next", {}, (talk,))
    occurrence, meeting = upcoming
    return Reply(
        "participant.check_in",
        {"card": common.occurrence_card(occurrence, meeting)},
        ((RSVP.button("participant.coming", f"{occurrence.id}:yes"),), talk),
    )


def silence_reply() -> Reply:
    return Reply("participant.silence")


# --- answering a reminder ------------------------------------------------------------------


async def _target(ctx: Context, text: str) -> tuple[Occurrence, Meeting] | None:
    """The occurrence a button refers to, if it exists and is for the presser."""
    if not text.isdigit():
        return None
    found = await meeting_store.occurrence(ctx.conn, int(text))
    if found is None:
        return None
    if not await meeting_store.is_for(ctx.conn, found[1], ctx.user.user_id):
        raise NotAllowed("not invited")
    return found


async def answer_rsvp(ctx: Context) -> None:
    """``rsvp:<occurrence>:yes|no|other``, pressed or typed (:mod:`.replies`)."""
    parts = RSVP.parse(ctx.payload, DIGITS, one_of(*participants.ANSWERS))
    found = await _target(ctx, parts[0]) if parts else None
    if parts is None or found is None:
        ctx.reply("error.old_button")
        return
    occurrence, meeting = found
    answer = parts[1]
    if occurrence.cancelled or meeting.cancelled:
        ctx.reply("participant.rsvp_cancelled")
        return
    if occurrence.start <= ctx.now:
        ctx.reply("participant.rsvp_too_late")
        return
    user_id = ctx.user.user_id
    previous = await participants.set_rsvp(ctx.conn, occurrence.id, user_id, answer, ctx.now)
    await participants.note_silence(ctx.conn, user_id, meeting.project, None)
    tz = ctx.services.timezone
    if answer == "yes":
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("check_in",)
        )
        if previous in ("no", "other"):
            await planning.plan_person(ctx.conn, occurrence, meeting, user_id, now=ctx.now, tz=tz)
        ctx.reply("participant.rsvp_yes", when=When(occurrence.start))
    else:
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("reminder", "follow_up")
        )
        await planning.plan_check_in_for(ctx.conn, occurrence, user_id, now=ctx.now, tz=tz)
        if previous != answer:
            ref = await person_refs.ref_of(ctx.conn, user_id)  # the button must not name them
            item_id = await open_items.add(
                ctx.conn,
                project=meeting.project,
                kind="cant_come",
                user_id=user_id,
                occurrence_id=occurrence.id,
                now=ctx.now,
            )
            await common.notify_coordinators(
                ctx,
                meeting.project,
                "notify.rsvp_no" if answer == "no" else "notify.rsvp_other",
                buttons=[
                    [MEETING.button("notify.offer_time", f"newtime:{occurrence.id}:{ref}")],
                    *item_buttons(item_id),
                ],
                name=await common.label_of(ctx, user_id),
                title=meeting.title,
                when=When(occurrence.start),
            )
        ctx.reply("participant.rsvp_no" if answer == "no" else "participant.rsvp_other")
    common.wake_scheduler(ctx)


# --- rating after a meeting ----------------------------------------------------------------


async def answer_rating_button(ctx: Context) -> None:
    """``rate:<occurrence>:1…5|x``, pressed or typed (:mod:`.replies`)."""
    parts = RATE.parse(ctx.payload, DIGITS, one_of("1", "2", "3", "4", "5", "x"))
    found = await _target(ctx, parts[0]) if parts else None
    if parts is None or found is None:
        ctx.reply("error.old_button")
        return
    occurrence, meeting = found
    if occurrence.start > ctx.now or occurrence.cancelled:
        ctx.reply("participant.rate_too_early")
        return
    user_id = ctx.user.user_id
    await participants.note_silence(ctx.conn, user_id, meeting.project, None)
    if parts[1] == "x":
        await reminders.drop_pending(
            ctx.conn, user_id=user_id, occurrence_id=occurrence.id, kinds=("follow_up",)
        )
        await planning.plan_check_in_for(
            ctx.conn, occurrence, user_id, now=ctx.now, tz=ctx.services.timezone
        )
        if ctx.state is not None and ctx.state.flow == RATING_FLOW:
            ctx.end()
        ctx.reply("participant.missed_ok")
        common.wake_scheduler(ctx)
        return
    await _save_score(ctx, occurrence, meeting, int(parts[1]))


async def _save_score(ctx: Context, occurrence: Occurrence, meeting: Meeting, score: int) -> None:
    await participants.rate(ctx.conn, occurrence.id, ctx.user.user_id, score, ctx.now)
    await participants.note_silence(ctx.conn, ctx.user.user_id, meeting.project, None)
    ctx.begin(RATING_FLOW, occ=occurrence.id)
    ctx.goto(S.COMMENT)


async def _score_prompt(ctx: Context) -> None:
    found = await meeting_store.occurrence(ctx.conn, int(ctx.data["occ"]))
    if found is None:
        ctx.end()
        return
    ctx.replies.append(follow_up_reply(*found))


async def _score_handle(ctx: Context) -> None:
    answer = (ctx.text or "").strip().rstrip(".")
    if answer not in ("1", "2", "3", "4", "5"):
        raise InvalidInput("participant.rating_invalid")
    found = await meeting_store.occurrence(ctx.conn, int(ctx.data["occ"]))
    if found is None or not await meeting_store.is_for(ctx.conn, found[1], ctx.user.user_id):
        ctx.end()
        ctx.reply("error.old_button")
        return
    await _save_score(ctx, found[0], found[1], int(answer))


async def _comment_prompt(ctx: Context) -> None:
    ctx.reply("participant.comment_prompt", buttons=[[SKIP.button("participant.comment_skip")]])


async def _comment_handle(ctx: Context) -> None:
    if ctx.pressed(SKIP):
        ctx.end()
        ctx.reply("participant.rating_thanks")
        return
    text = (ctx.text or "").strip()
    if not text:
        raise InvalidInput("participant.comment_expected")
    if len(text) > COMMENT_LIMIT:
        raise InvalidInput("participant.comment_too_long", limit=COMMENT_LIMIT)
    await participants.comment(ctx.conn, int(ctx.data["occ"]), ctx.user.user_id, text)
    ctx.goto(S.SIGN)


async def _sign_prompt(ctx: Context) -> None:
    """Whether the coordinators may see the writer's name with the comment (without it, a
    comment of a small meeting is not shown to them at all: storage.feedback)."""
    ctx.reply(
        "participant.sign_prompt",
        buttons=[
            [YES.button("participant.sign_yes")],
            [NO.button("participant.sign_no")],
        ],
    )


async def _sign_handle(ctx: Context) -> None:
    signed = ctx.pressed(YES)
    await participants.sign_comment(ctx.conn, int(ctx.data["occ"]), ctx.user.user_id, signed)
    ctx.end()
    ctx.reply("participant.rating_thanks")


# --- check-in ------------------------------------------------------------------------------


async def answer_check_in(ctx: Context) -> None:
    """``checkin:<occurrence>:talk``, pressed or typed (:mod:`.replies`)."""
    parts = CHECK_IN.parse(ctx.payload, DIGITS, one_of("talk"))
    found = await _target(ctx, parts[0]) if parts else None
    if found is None:
        ctx.reply("error.old_button")
        return
    occurrence, meeting = found
    user_id = ctx.user.user_id
    item_id = await open_items.add(
        ctx.conn,
        project=meeting.project,
        kind="talk",
        user_id=user_id,
        occurrence_id=occurrence.id,
        now=ctx.now,
    )
    await common.notify_coordinators(
        ctx,
        meeting.project,
        "notify.wants_to_talk",
        buttons=item_buttons(item_id),
        dedupe_key=f"talk:{occurrence.id}:{user_id}",
        name=await common.label_of(ctx, user_id),
    )
    ctx.reply("participant.talk_requested")


# --- /omat -------------------------------------------------------------------------------


def _private(ctx: Context) -> bool:
    if ctx.incoming.is_group_chat:
        ctx.reply("privacy.private_only")
        return False
    return True


async def show_mine(ctx: Context) -> None:
    if not _private(ctx):
        return
    if not ctx.roles.participant_of:
        ctx.reply("participant.not_enrolled")
        return
    upcoming = await meeting_store.upcoming_for_user(ctx.conn, ctx.user.user_id, ctx.now, limit=10)
    lines = []
    for occurrence, meeting in upcoming:
        answer = await participants.rsvp(ctx.conn, occurrence.id, ctx.user.user_id)
        lines.append(
            Text(
                "participant.mine_line",
                {
                    "when": When(occurrence.start),
                    "title": meeting.title,
                    "answer": Text(ANSWER_MARKS[answer]) if answer else "",
                },
            )
        )
    # A meeting's question again, to answer now (by pressing or typing) what was not.
    buttons = [
        [MINE.button("participant.mine_answer", "answer", o.id, params={"when": When(o.start)})]
        for o, _ in upcoming[:ANSWER_LATER]
    ]
    buttons += [
        [MINE.button("participant.ics_button", "ics")],
        [MINE.button("participant.settings_button", "remind")],
        [MINE.button("participant.leave_button", "leave")],
    ]
    if lines:
        ctx.reply("participant.mine", buttons=buttons, meetings=Lines(tuple(lines)))
    else:
        ctx.reply("participant.mine_empty", buttons=buttons)


async def _answer_later(ctx: Context, occurrence_id: str) -> None:
    """The reminder's question of one coming meeting, from /omat."""
    found = await _target(ctx, occurrence_id)
    if found is None:
        ctx.reply("error.old_button")
        return
    occurrence, meeting = found
    if occurrence.cancelled or meeting.cancelled:
        ctx.reply("participant.rsvp_cancelled")
        return
    if occurrence.start <= ctx.now:
        ctx.reply("participant.rsvp_too_late")
        return
    answer = await participants.rsvp(ctx.conn, occurrence.id, ctx.user.user_id)
    ctx.replies.append(reminder_reply(occurrence, meeting, answer))


async def send_ics(ctx: Context) -> None:
    tz = ctx.services.timezone
    specs = []
    for meeting in await meeting_store.series_for_user(ctx.conn, ctx.user.user_id):
        cancelled, moved = await meeting_store.exceptions(ctx.conn, meeting.id)
        specs.append(meeting.spec(tz, cancelled=cancelled, moved=moved))
    data = occurrences_to_ics(
        specs,
        start_utc=ctx.now - dt.timedelta(days=1),
        end_utc=ctx.now + ICS_WINDOW,
        tz=tz,
        now=ctx.now,
        calendar_name="hankebot",
    )
    ctx.reply(
        "participant.ics_ready",
        document=Document(file_name(ctx, "file.meetings", ".ics"), data, "text/calendar"),
    )


async def omat_button(ctx: Context) -> None:
    """``omat:ics``, ``omat:remind[:<project>]``, ``omat:leave``, ``omat:answer:<occurrence>``."""
    if not _private(ctx):
        return
    payload = ctx.payload
    if not ctx.roles.participant_of:
        ctx.reply("participant.not_enrolled")
        return
    if MINE.parse(payload, one_of("ics")) is not None:
        await send_ics(ctx)
    elif (answer := MINE.parse(payload, one_of("answer"), DIGITS)) is not None:
        await _answer_later(ctx, answer[1])
    elif (settings := MINE.parse(payload, one_of("remind"), NONEMPTY)) is not None:
        await _settings_choices(ctx, settings[1])
    elif MINE.parse(payload, one_of("remind")) is not None:
        projects = sorted(ctx.roles.participant_of)
        if len(projects) == 1:
            await _settings_choices(ctx, projects[0])
            return
        ctx.reply(
            "participant.choose_project",
            buttons=[
                [MINE.button("people.project", f"remind:{p}", params={"name": _name(ctx, p)})]
                for p in projects
            ],
        )
    elif MINE.parse(payload, one_of("leave")) is not None:
        await start_leaving(ctx)
    else:
        ctx.reply("error.old_button")


def _name(ctx: Context, project: str) -> str:
    return common.project_name(ctx.services, project, ctx.locale)


async def _settings_choices(ctx: Context, project: str) -> None:
    if project not in ctx.roles.participant_of:
        raise NotAllowed("not a participant")
    current = await planning.offsets_of(ctx.conn, ctx.user.user_id, project)
    ctx.reply(
        "participant.settings",
        buttons=[
            [REMINDER_SETTING.button(f"participant.remind_{choice}", f"{project}:{choice}")]
            for choice in REMINDER_CHOICES
        ],
        current=offsets_text(current),
    )


async def set_reminders(ctx: Context) -> None:
    """``remset:<project>:<choice>``."""
    parts = REMINDER_SETTING.parse(ctx.payload, NONEMPTY, one_of(*REMINDER_CHOICES))
    if parts is None:
        ctx.reply("error.old_button")
        return
    project = parts[0]
    if project not in ctx.roles.participant_of:
        raise NotAllowed("not a participant")
    await participants.set_own_offsets(
        ctx.conn, ctx.user.user_id, project, REMINDER_CHOICES[parts[1]]
    )
    await planning.replan_person(
        ctx.conn,
        ctx.user.user_id,
        project,
        now=ctx.now,
        tz=ctx.services.timezone,
        catch_up=False,
    )
    offsets = await planning.offsets_of(ctx.conn, ctx.user.user_id, project)
    ctx.reply("participant.settings_saved", current=offsets_text(offsets))
    common.wake_scheduler(ctx)


# --- leaving -------------------------------------------------------------------------------


async def start_leaving(ctx: Context) -> None:
    if not _private(ctx):
        return
    projects = sorted(ctx.roles.participant_of)
    if not projects:
        ctx.reply("participant.not_enrolled")
        return
    if len(projects) == 1:
        ctx.begin(LEAVE_FLOW, project=projects[0])
        ctx.goto(S.CONFIRM)
    else:
        ctx.begin(LEAVE_FLOW)


async def _choose_prompt(ctx: Context) -> None:
    ctx.reply(
        "participant.leave_choose",
        buttons=[
            [PROJECT.button("people.project", p, params={"name": _name(ctx, p)})]
            for p in sorted(ctx.roles.participant_of)
        ],
    )


async def _choose_handle(ctx: Context) -> None:
    project = ctx.button(PROJECT)
    if project not in ctx.roles.participant_of:
        raise ctx.use_buttons()
    ctx.data["project"] = project
    ctx.goto(S.CONFIRM)


async def _confirm_prompt(ctx: Context) -> None:
    ctx.reply(
        "participant.leave_confirm",
        buttons=[
            [YES.button("participant.leave_yes")],
            [NO.button("participant.leave_no")],
        ],
        project=_name(ctx, ctx.data["project"]),
    )


async def _confirm_handle(ctx: Context) -> None:
    project = ctx.data["project"]
    choice = "yes" if ctx.pressed(YES) else "no" if ctx.pressed(NO) else None
    if ctx.payload is None:  # typed: "kyllä", "lähden", "en lähde" …
        reading = read_reply(ctx.text or "", Question.LEAVE, ctx.locale)
        choice = reading.answer if reading.verdict is Verdict.ANSWER else None
    if choice == "no":
        ctx.end()
        ctx.reply("participant.leave_kept")
        return
    if choice != "yes":
        raise ctx.use_buttons()
    ctx.end()
    if project not in ctx.roles.participant_of:
        ctx.reply("participant.not_enrolled")
        return
    user_id = ctx.user.user_id
    await memberships.end(ctx.conn, user_id, project, "participant", ctx.now)
    await reminders.drop_pending(ctx.conn, user_id=user_id, project=project)
    await common.notify_coordinators(
        ctx, project, "notify.left", name=await common.label_of(ctx, user_id)
    )
    ctx.reply("participant.left", project=_name(ctx, project))
    from handlers.participant import exit_situation

    exit_situation.ask(ctx, user_id, project)
    common.wake_scheduler(ctx)


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            RATING_FLOW,
            {
                # A typed 1–5 answers the question the scheduler sent (its buttons are global).
                S.SCORE: Step(
                    _score_prompt,
                    _score_handle,
                    accepts={TEXT},
                    goes_to={FlowRef(RATING_FLOW), S.COMMENT, END},
                ),
                S.COMMENT: Step(
                    _comment_prompt, _comment_handle, accepts={TEXT, SKIP}, goes_to={END, S.SIGN}
                ),
                S.SIGN: Step(_sign_prompt, _sign_handle, accepts={YES, NO}, goes_to={END}),
            },
            S.SCORE,
            answers_first={S.SCORE},  # "en pääse" for the next meeting is not a wrong score
            use_buttons="participant.use_buttons",
        )
    )
    registry.add_flow(
        Flow(
            LEAVE_FLOW,
            {
                S.CHOOSE: Step(
                    _choose_prompt, _choose_handle, accepts={PROJECT}, goes_to={S.CONFIRM}
                ),
                S.CONFIRM: Step(
                    _confirm_prompt, _confirm_handle, accepts={YES, NO, TEXT}, goes_to={END}
                ),
            },
            S.CHOOSE,
            use_buttons="participant.use_buttons",
        )
    )
    registry.add_command(
        Command(
            command_names("mine"),
            show_mine,
            "cmd.mine",
            order=20,
        )
    )
    registry.add_command(
        Command(
            command_names("leave"),
            start_leaving,
            "cmd.leave",
            visible=lambda roles: roles.is_participant,
            order=89,
        )
    )
    registry.add_global_payload(RSVP, answer_rsvp)
    registry.add_global_payload(RATE, answer_rating_button)
    registry.add_global_payload(CHECK_IN, answer_check_in)
    registry.add_global_payload(MINE, omat_button)
    registry.add_global_payload(REMINDER_SETTING, set_reminders)
    registry.add_menu_entry(
        MenuEntry("menu.mine", "cmd:omat", visible=lambda roles: roles.is_participant, order=20)
    )
