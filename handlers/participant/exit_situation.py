"""The situation on leaving a project (ESF+ result indicators), asked with consent first.

A coordinator marks a participant as left (``/merkitse_lopettanut``): the membership ends,
the person's pending reminders go, the audit log records it, and the person gets one short,
optional question — what do you do now? The answer buttons are the categories the funder
counts (job searching, in education or training, gained a qualification, in employment)
plus "something else" and "I'd rather not say". Only the chosen category is stored, with the
project and the date (:mod:`storage.exit_situations`); "I'd rather not say" stores nothing
and removes an earlier answer. The answer buttons work from any state (global payload
``exitq``) and only for someone who has left that project.

A participant who leaves on their own (``/eroa`` in :mod:`handlers.participant.answers`) gets the
same question: that flow calls :func:`ask` after ending the membership.

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/mark_left.md``.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.common.buttons import EXIT_ANSWER
from handlers.common.coordination import is_staff, manageable_projects, project_name
from handlers.common.participation import label_of, wake_scheduler
from handlers.core.context import Context
from handlers.core.flow import END, NONEMPTY, ButtonFamily, Command, Flow, Registry, Step, one_of
from handlers.core.types import Button
from messages.words import command_names
from storage import audit, exit_situations, memberships, person_refs, reminders

FLOW = "mark_left"
DECLINE = "none"
ACTION = "participant.mark_left"


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    PROJECT = "project"
    PERSON = "person"
    CONFIRM = "confirm"


PROJECT = ButtonFamily("xl")  # xl:<slug>
PERSON = ButtonFamily("xu")  # xu:<person ref>, xu: to cancel
CONFIRM = ButtonFamily("xc")  # xc:yes, xc:no


# --- the participant's question ------------------------------------------------------------
def ask_buttons(project: str) -> list[list[Button]]:
    """The answers to the question on leaving ``project``."""
    return [
        [EXIT_ANSWER.button(f"exit.answer_{choice}", project, choice)]
        for choice in (*exit_situations.SITUATIONS, DECLINE)
    ]


def ask(ctx: Context, user_id: str, project: str) -> None:
    """Send ``user_id`` the optional question about their situation after ``project``."""
    ctx.notify(
        user_id,
        "exit.ask",
        project=project_name(ctx, project),
        buttons=ask_buttons(project),
        dedupe_key=f"exitq:{project}:{user_id}:{ctx.now.date().isoformat()}",
    )


async def answer(ctx: Context) -> None:
    """``exitq:<project>:<category>``, pressed or typed by the person who was asked."""
    parts = EXIT_ANSWER.parse(ctx.payload, NONEMPTY, one_of(*exit_situations.SITUATIONS, DECLINE))
    if parts is None:
        ctx.reply("error.old_button")
        return
    project, choice = parts
    user_id = ctx.user.user_id
    if not await exit_situations.has_left(ctx.conn, user_id, project):
        ctx.reply("exit.not_left")
        return
    if choice == DECLINE:
        await exit_situations.withdraw(ctx.conn, user_id=user_id, project=project)
        ctx.reply("exit.declined")
        return
    today = ctx.now.astimezone(ctx.services.timezone).date()
    await exit_situations.record(
        ctx.conn, user_id=user_id, project=project, situation=choice, on=today
    )
    ctx.reply("exit.thanks")


# --- the coordinator marks someone as left -------------------------------------------------
def _require(ctx: Context) -> None:
    project = ctx.data.get("project")
    ctx.require_coordinator(project if isinstance(project, str) else None)


async def start(ctx: Context) -> None:
    ctx.require_coordinator()
    ctx.begin(FLOW)


async def _project_prompt(ctx: Context) -> None:
    ctx.require_coordinator()
    projects = await manageable_projects(ctx)
    if len(projects) == 1:
        ctx.data["project"] = projects[0]
        ctx.goto(S.PERSON)
        return
    ctx.reply(
        "exit.choose_project",
        buttons=[
            [
                PROJECT.button(
                    "exit.project_button", slug, params={"project": project_name(ctx, slug)}
                )
            ]
            for slug in projects
        ],
    )


async def _project_handle(ctx: Context) -> None:
    ctx.require_coordinator()
    project = ctx.button(PROJECT)
    ctx.require_coordinator(project)
    ctx.data["project"] = project
    ctx.goto(S.PERSON)


async def _person_prompt(ctx: Context) -> None:
    _require(ctx)
    project = ctx.data["project"]
    people = await memberships.members(ctx.conn, project, "participant")
    if not people:
        ctx.end()
        ctx.reply("exit.nobody", project=project_name(ctx, project))
        return
    ctx.reply(
        "exit.choose_person",
        project=project_name(ctx, project),
        buttons=[
            [
                PERSON.button(
                    "exit.person_button",
                    await person_refs.ref_of(ctx.conn, member.user_id),
                    params={"name": await label_of(ctx, member.user_id)},
                )
            ]
            for member in people
        ]
        + [[PERSON.button("exit.cancel_button", "")]],
    )


async def _person_handle(ctx: Context) -> None:
    _require(ctx)
    ref = ctx.button(PERSON)
    if not ref:  # "" is "cancel"
        ctx.end()
        ctx.reply("exit.kept")
        return
    person = await person_refs.user_of(ctx.conn, ref)
    if person is None:  # forgotten since the list was shown
        raise ctx.use_buttons()
    ctx.data["person"] = person
    ctx.goto(S.CONFIRM)


async def _confirm_prompt(ctx: Context) -> None:
    _require(ctx)
    ctx.reply(
        "exit.confirm",
        name=await label_of(ctx, ctx.data["person"]),
        project=project_name(ctx, ctx.data["project"]),
        buttons=[
            [CONFIRM.button("exit.confirm_yes", "yes")],
            [CONFIRM.button("exit.confirm_no", "no")],
        ],
    )


async def _confirm_handle(ctx: Context) -> None:
    _require(ctx)
    answer = ctx.button(CONFIRM)
    if answer == "no":
        ctx.end()
        ctx.reply("exit.kept")
        return
    if answer != "yes":
        raise ctx.use_buttons()
    project, user_id = ctx.data["project"], ctx.data["person"]
    name = await label_of(ctx, user_id)
    ctx.end()
    active = await memberships.members(ctx.conn, project, "participant")
    if all(member.user_id != user_id for member in active):
        ctx.reply("exit.not_participant", name=name, project=project_name(ctx, project))
        return
    await memberships.end(ctx.conn, user_id, project, "participant", ctx.now)
    await reminders.drop_pending(ctx.conn, user_id=user_id, project=project)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action=ACTION,
        now=ctx.now,
        project=project,
        subject=user_id,
    )
    ask(ctx, user_id, project)
    ctx.reply("exit.marked", name=name, project=project_name(ctx, project))
    wake_scheduler(ctx)


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            FLOW,
            {
                S.PROJECT: Step(
                    _project_prompt, _project_handle, accepts={PROJECT}, goes_to={S.PERSON}
                ),
                S.PERSON: Step(
                    _person_prompt, _person_handle, accepts={PERSON}, goes_to={S.CONFIRM, END}
                ),
                S.CONFIRM: Step(_confirm_prompt, _confirm_handle, accepts={CONFIRM}, goes_to={END}),
            },
            S.PROJECT,
            use_buttons="exit.use_buttons",
        )
    )
    registry.add_command(
        Command(
            command_names("mark_left"),
            start,
            "cmd.mark_left",
            visible=is_staff,
            order=55,
        )
    )
    registry.add_global_payload(EXIT_ANSWER, answer)
