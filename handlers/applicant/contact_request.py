"""The contact request, one sub-flow that "Can I join?" and the FAQ's "ask a person" call
(``ctx.call``, see :func:`ask`): ask how to reach the person, show exactly what will be
sent, and on consent store it and notify the project's coordinators; then the conversation
returns to its caller (both callers end there, and the menu is shown).

Only what the person typed for contact (and, for a question, the question) is stored, in
``contact_requests`` for :data:`storage.contact_requests.RETENTION_DAYS` days. The notice goes
to the project's coordinators, with buttons to answer in the bot or mark it handled
(``handlers.staff.open_items``). A project without a coordinator in the bot: the consent step
says so, and the request waits (at most :data:`storage.contact_requests.WAITING_DAYS` days)
for the first coordinator who joins (``handlers.common.open_work.deliver_waiting``); the
administrators, if any, are told at once too; the person gets the organisation's public
contact from the content. A general question (no project) goes to the administrators; if
nobody can be reached for it, nothing is stored.
"""

from __future__ import annotations

from enum import StrEnum

from content.schema import Project
from handlers.common.open_work import item_of_request, notify_request
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, TEXT, ButtonFamily, Call, End, Flow, Moved, Registry, Step
from handlers.core.types import InvalidInput, Lines, Text
from storage import contact_requests, memberships, users

FLOW = "contact"
MIN_CONTACT = 3
MAX_CONTACT = 200
MAX_QUESTION = 1000


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    CONTACT = "contact"
    CONSENT = "consent"


# The payloads of the FAQ's own consent step before this sub-flow existed: buttons already
# sent keep working (``Flow.moved`` maps that step here).
SEND = ButtonFamily("q:send")
DONT_SEND = ButtonFamily("q:nosend")


def ask(ctx: Context, *, project: str | None, question: str | None, return_to: str | End) -> None:
    """Enter the sub-flow: a contact request about ``project`` (None: a general question, for
    the administrators), with the person's ``question`` or, without one, asking to join; the
    caller declares ``Call(FLOW, return_to)`` in its step's ``goes_to``."""
    ctx.call(FLOW, return_to=return_to, project=project, question=question)


def calls(return_to: str | End) -> Call:
    """The declaration of a step that calls this sub-flow."""
    return Call(FLOW, return_to)


def moved_here(return_to: str | End) -> dict[str, Moved]:
    """For a caller that had these steps itself before: its conversations stored at "contact"
    or "consent" go on in this sub-flow (``Flow.moved``), so an upgrade loses none."""
    return {step.value: Moved(Call(FLOW, return_to), step.value) for step in S}


def read_contact(text: str | None) -> str:
    """What the person typed for contact, tidied; InvalidInput if it cannot be one."""
    if text is None:
        raise InvalidInput("contact.error.format", limit=MAX_CONTACT)
    contact = " ".join(text.split())
    if len(contact) > MAX_CONTACT:
        raise InvalidInput("contact.error.too_long", limit=MAX_CONTACT)
    if sum(ch.isalnum() for ch in contact) < MIN_CONTACT:
        raise InvalidInput("contact.error.format", limit=MAX_CONTACT)
    return contact


def ask_contact(ctx: Context) -> None:
    """The question for a contact (typed: asked without buttons)."""
    ctx.reply("contact.ask", limit=MAX_CONTACT)


def project_name(ctx: Context, slug: str | None) -> str:
    content = ctx.services.content
    if slug is None or content is None or slug not in content.projects:
        return ""
    return content.project(slug).name.get(ctx.locale)


def _question(ctx: Context) -> str | None:
    question = ctx.data.get("question")
    return None if question is None else str(question)[:MAX_QUESTION]


async def ask_consent(
    ctx: Context, *, project: str | None, contact: str, question: str | None
) -> None:
    """Show exactly what would be sent and to whom."""
    name = project_name(ctx, project)
    target = Text("contact.to_project", {"project": name}) if name else Text("contact.to_admins")
    buttons = [[SEND.button("contact.send")], [DONT_SEND.button("contact.dont_send")]]
    if await has_no_coordinator(ctx, project):
        ctx.reply("contact.waiting_consent", project=name, days=contact_requests.WAITING_DAYS)
    if question is None:
        ctx.reply(
            "contact.consent_join",
            target=target,
            contact=contact,
            days=contact_requests.RETENTION_DAYS,
            buttons=buttons,
        )
    else:
        ctx.reply(
            "contact.consent_question",
            target=target,
            question=question,
            contact=contact,
            days=contact_requests.RETENTION_DAYS,
            buttons=buttons,
        )


async def recipients(ctx: Context, project: str | None) -> list[users.User]:
    """Reachable coordinators of ``project``; the administrators when there are none."""
    ids: list[str] = []
    if project is not None:
        ids = [m.user_id for m in await memberships.members(ctx.conn, project, "coordinator")]
    if not ids:
        ids = sorted(ctx.services.admins)
    found = []
    for user_id in ids:
        if user_id == ctx.user.user_id:
            continue
        person = await users.get(ctx.conn, user_id)
        if person is not None and not person.unreachable:
            found.append(person)
    return found


async def has_no_coordinator(ctx: Context, project: str | None) -> bool:
    """A project that nobody coordinates in the bot yet (its requests wait for one)."""
    if project is None:
        return False
    return not await memberships.members(ctx.conn, project, "coordinator")


async def send(ctx: Context, *, project: str | None, contact: str, question: str | None) -> bool:
    """Store the request and notify (or keep it for the first coordinator); False (nothing
    stored) when it is a general question and nobody can be reached."""
    waiting = await has_no_coordinator(ctx, project)
    people = await recipients(ctx, project)
    if not people and not waiting:
        ctx.reply("contact.nobody")
        show_contacts(ctx, project)
        return False
    request_id = await contact_requests.add(
        ctx.conn,
        user_id=ctx.user.user_id,
        project=project,
        kind="question" if question is not None else "join",
        contact=contact,
        question=question,
        now=ctx.now,
        waiting=waiting,
    )
    request = await contact_requests.get(ctx.conn, request_id)
    assert request is not None
    item_id = await item_of_request(ctx, request)
    for person in people:
        notify_request(ctx, person, request, item_id)
    if waiting:
        ctx.reply(
            "contact.kept",
            project=project_name(ctx, project),
            days=contact_requests.WAITING_DAYS,
        )
        show_contacts(ctx, project)
    else:
        ctx.reply("contact.sent", days=contact_requests.RETENTION_DAYS)
    return True


def show_contacts(ctx: Context, project: str | None) -> None:
    """The project's contacts from the content (placeholders left out) and the
    organisation's public phone, e-mail or web address."""
    content = ctx.services.content
    if project is None or content is None or project not in content.projects:
        return
    entry: Project = content.project(project)
    lines = tuple(
        Text(
            "contact.contact_line",
            {
                "role": contact.role.get(ctx.locale),
                "name": contact.name,
                "means": ", ".join(
                    value
                    for value in (contact.email, contact.phone)
                    if value and not value.startswith("[")
                ),
            },
        )
        for contact in entry.contacts
        if not contact.is_placeholder
    )
    if lines:
        ctx.reply("contact.contacts", contacts=Lines(lines))
    public = entry.public_contact.filled
    organisation = entry.organisation.get(ctx.locale)
    if public:
        ctx.reply("contact.public", organisation=organisation, means=", ".join(public))
    elif not lines:
        ctx.reply("contact.no_contacts", organisation=organisation)


# --- the steps -------------------------------------------------------------------------------


async def _contact_prompt(ctx: Context) -> None:
    ask_contact(ctx)


async def _contact_handle(ctx: Context) -> None:
    ctx.data["contact"] = read_contact(ctx.text)
    ctx.goto(S.CONSENT)


async def _consent_prompt(ctx: Context) -> None:
    await ask_consent(
        ctx, project=ctx.data.get("project"), contact=ctx.data["contact"], question=_question(ctx)
    )


async def _consent_handle(ctx: Context) -> None:
    if ctx.pressed(SEND):
        await send(
            ctx,
            project=ctx.data.get("project"),
            contact=ctx.data["contact"],
            question=_question(ctx),
        )
    else:
        ctx.reply("contact.not_sent")
    ctx.finish_subflow()
    if ctx.state is None:  # the caller ended there: back at the top
        main_menu(ctx)


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            FLOW,
            {
                S.CONTACT: Step(
                    _contact_prompt, _contact_handle, accepts={TEXT}, goes_to={S.CONSENT}
                ),
                S.CONSENT: Step(
                    _consent_prompt, _consent_handle, accepts={SEND, DONT_SEND}, goes_to={END}
                ),
            },
            S.CONTACT,
            use_buttons="applicant.use_buttons",
        )
    )
