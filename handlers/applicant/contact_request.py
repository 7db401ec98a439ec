"""Shared by "Can I join?" and the FAQ's "ask a person": ask how to reach the person, show
exactly what will be sent, and on consent store it and notify the project's coordinators.

Only what the person typed for contact (and, for a question, the question) is stored, in
``contact_requests`` for :data:`storage.contact_requests.RETENTION_DAYS` days. The notice goes
to the project's coordinators; a general question (no project), or a project without a
coordinator in the bot, goes to the bot's administrators. If nobody can be reached, nothing is
stored and the person gets the project's contacts from the content instead.
"""

from __future__ import annotations

from content.schema import Project
from handlers.core.context import Context
from handlers.core.types import Button, InvalidInput, Lines, Text
from storage import contact_requests, memberships, users

MIN_CONTACT = 3
MAX_CONTACT = 200
MAX_QUESTION = 1000


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


def ask_consent(
    ctx: Context, *, project: str | None, contact: str, question: str | None, yes: str, no: str
) -> None:
    """Show exactly what would be sent and to whom; ``yes``/``no`` are the button payloads."""
    name = project_name(ctx, project)
    target = Text("contact.to_project", {"project": name}) if name else Text("contact.to_admins")
    if question is None:
        ctx.reply(
            "contact.consent_join",
            target=target,
            contact=contact,
            days=contact_requests.RETENTION_DAYS,
            buttons=[[Button("contact.send", yes)], [Button("contact.dont_send", no)]],
        )
    else:
        ctx.reply(
            "contact.consent_question",
            target=target,
            question=question,
            contact=contact,
            days=contact_requests.RETENTION_DAYS,
            buttons=[[Button("contact.send", yes)], [Button("contact.dont_send", no)]],
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


async def send(ctx: Context, *, project: str | None, contact: str, question: str | None) -> bool:
    """Store the request and notify; False (nothing stored) when nobody can be reached."""
    people = await recipients(ctx, project)
    if not people:
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
    )
    content = ctx.services.content
    for person in people:
        name = ""
        if project is not None and content is not None and project in content.projects:
            name = content.project(project).name.get(person.locale)
        subject = (
            Text("contact.about_project", {"project": name})
            if name
            else Text("contact.about_general")
        )
        dedupe = f"contact:{request_id}:{person.user_id}"
        if question is None:
            ctx.notify(
                person.user_id,
                "contact.notify_join",
                subject=subject,
                contact=contact,
                days=contact_requests.RETENTION_DAYS,
                dedupe_key=dedupe,
                about=ctx.user.user_id,
            )
        else:
            ctx.notify(
                person.user_id,
                "contact.notify_question",
                subject=subject,
                question=question,
                contact=contact,
                days=contact_requests.RETENTION_DAYS,
                dedupe_key=dedupe,
                about=ctx.user.user_id,
            )
    ctx.reply("contact.sent", days=contact_requests.RETENTION_DAYS)
    return True


def show_contacts(ctx: Context, project: str | None) -> None:
    """The project's contacts from the content (placeholders left out)."""
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
    else:
        ctx.reply("contact.no_contacts", organisation=entry.organisation.get(ctx.locale))
