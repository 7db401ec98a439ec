"""What coordinators are asked to answer (``storage.open_items``), shared by the flows that
ask (a participant who wants to talk or cannot come, a contact request) and the coordinators'
side that answers (``handlers.staff.open_items``).

A contact request made while its project has no coordinator in the bot waits (the person
agreed to that in the consent step) and :func:`deliver_waiting` hands it to the first
coordinator who joins, once, audited.
"""

from __future__ import annotations

from handlers.common.buttons import OPEN_ITEM
from handlers.core.context import Context
from handlers.core.types import Button, Param, Text
from storage import audit, contact_requests, open_items, users


def item_buttons(item_id: int) -> list[list[Button]]:
    """Answer in the bot or mark it handled (a can't-come note also has "propose a time")."""
    return [
        [OPEN_ITEM.button("open.reply_button", f"reply:{item_id}")],
        [OPEN_ITEM.button("open.done_button", f"done:{item_id}")],
    ]


def project_title(ctx: Context, slug: str | None, locale: str) -> str:
    content = ctx.services.content
    if slug is None or content is None or slug not in content.projects:
        return ""
    return str(content.project(slug).name.get(locale))


def notify_request(
    ctx: Context, to_user: users.User, request: contact_requests.Request, item_id: int
) -> None:
    """The notice of one contact request to one coordinator (or administrator)."""
    name = project_title(ctx, request.project, to_user.locale)
    subject = (
        Text("contact.about_project", {"project": name}) if name else Text("contact.about_general")
    )
    common: dict[str, Param] = {
        "subject": subject,
        "contact": request.contact,
        "days": contact_requests.RETENTION_DAYS,
    }
    if request.question is not None:
        common["question"] = request.question
    ctx.notify(
        to_user.user_id,
        "contact.notify_join" if request.question is None else "contact.notify_question",
        buttons=item_buttons(item_id),
        dedupe_key=f"contact:{request.id}:{to_user.user_id}",
        about=request.user_id,
        **common,
    )


async def item_of_request(ctx: Context, request: contact_requests.Request) -> int:
    return await open_items.add(
        ctx.conn,
        project=request.project,
        kind="contact",
        user_id=request.user_id,
        request_id=request.id,
        now=ctx.now,
    )


async def deliver_waiting(ctx: Context, project: str, coordinator_id: str) -> int:
    """Hand the project's waiting contact requests to ``coordinator_id`` (who just became
    its coordinator); each request goes once, to the first one. Returns how many."""
    coordinator = await users.get(ctx.conn, coordinator_id)
    if coordinator is None:
        return 0
    delivered = 0
    for request in await contact_requests.waiting(ctx.conn, project):
        if not await contact_requests.mark_delivered(ctx.conn, request.id, ctx.now):
            continue
        if delivered == 0:
            ctx.notify(coordinator_id, "contact.waited_intro")
        notify_request(ctx, coordinator, request, await item_of_request(ctx, request))
        await audit.record(
            ctx.conn,
            actor=coordinator_id,
            action="contact.delivered",
            now=ctx.now,
            project=project,
            subject=request.user_id,
            detail={"request": request.id},
        )
        requester = await users.get(ctx.conn, request.user_id)
        ctx.notify(
            request.user_id,
            "contact.delivered_to_you",
            project=project_title(ctx, project, requester.locale if requester else ctx.locale),
        )
        delivered += 1
    return delivered
