"""Coordinators answer what people told the bot (``storage.open_items``): a participant who
wants to talk, a can't-come note, a contact request. From the notice (or from ``/avoimet``,
which lists the open ones) a coordinator replies in the bot — the reply goes through the
outbox to that person, signed with the coordinator's display name, and is audited — or
marks it handled. A can't-come note keeps its "propose a time" button (``mt:newtime``).

Every press and every typed reply checks the presser's role for the item's project at that
moment (payloads can be forged): a coordinator of another project gets "not allowed".

```mermaid
stateDiagram-v2
    [*] --> text: oi:reply:<item>
    text --> [*]: reply sent, item handled
```
"""

from __future__ import annotations

from enum import StrEnum

from handlers.common.buttons import OPEN_ITEM
from handlers.common.coordination import in_private_chat, project_name
from handlers.common.open_work import item_buttons
from handlers.common.participation import is_coordinator, label_of
from handlers.core.context import Context
from handlers.core.flow import END, TEXT, Command, Flow, Registry, Step
from handlers.core.types import InvalidInput, NotAllowed, Param, Text, When
from messages.words import command_names
from storage import audit, contact_requests, open_items, users
from storage import meetings as meeting_store

FLOW = "answer"
MAX_REPLY = 1000
MAX_NAME = 64


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    TEXT = "text"


async def _item(ctx: Context, item_id: int) -> open_items.Item:
    """The item, if the person may handle it now (else NotAllowed; an unknown one too, so a
    forged number tells nothing)."""
    item = await open_items.get(ctx.conn, item_id)
    if item is None:
        raise NotAllowed("coordinator")
    if item.project is None:
        ctx.require_admin()
    else:
        ctx.require_coordinator(item.project)
    return item


def _subject(ctx: Context, project: str | None, locale: str) -> Param:
    """The project's name, or "general question" for an item of no project."""
    if project is None:
        return Text("contact.about_general")
    return project_name(ctx, project, locale)


def _item_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


async def describe(ctx: Context, item: open_items.Item) -> None:
    """One open item as a message with its buttons (for /avoimet)."""
    name = await label_of(ctx, item.user_id)
    detail = ""
    if item.kind == "contact" and item.request_id is not None:
        request = await contact_requests.get(ctx.conn, item.request_id)
        detail = request.question or request.contact if request else ""
    elif item.occurrence_id is not None:
        found = await meeting_store.occurrence(ctx.conn, item.occurrence_id)
        if found is not None:
            detail = f"{found[1].title}"
    ctx.reply(
        f"open.item_{item.kind}",
        buttons=item_buttons(item.id),
        detail=detail,
        name=name,
        project=_subject(ctx, item.project, ctx.locale),
        since=When(item.created_at),
    )


async def list_open(ctx: Context) -> None:
    """/avoimet: the open items of the person's projects, oldest first."""
    ctx.require_coordinator()
    if not in_private_chat(ctx):
        return
    projects = set(ctx.roles.coordinator_of)
    if ctx.roles.is_admin:
        content = ctx.services.content
        projects |= set(getattr(content, "projects", {}) or {})
    items = await open_items.open_for(ctx.conn, projects, general=ctx.roles.is_admin)
    await audit.record(ctx.conn, actor=ctx.user.user_id, action="open_items.view", now=ctx.now)
    if not items:
        ctx.reply("open.none")
        return
    ctx.reply("open.header", count=len(items))
    for item in items:
        await describe(ctx, item)


async def open_item_button(ctx: Context) -> None:
    """oi:reply:<item> or oi:done:<item>."""
    assert ctx.payload is not None
    parts = ctx.payload.split(":")
    item_id = _item_id(parts[2]) if len(parts) == 3 else None
    if item_id is None or parts[1] not in ("reply", "done"):
        ctx.reply("error.old_button")
        return
    item = await _item(ctx, item_id)
    if not item.is_open:
        ctx.reply("open.already_handled")
        return
    if parts[1] == "done":
        await open_items.mark_handled(ctx.conn, item.id, ctx.user.user_id, ctx.now)
        await audit.record(
            ctx.conn,
            actor=ctx.user.user_id,
            action="open_item.handled",
            now=ctx.now,
            project=item.project,
            subject=item.user_id,
            detail={"item": item.id, "kind": item.kind},
        )
        ctx.reply("open.marked_handled")
        return
    if not in_private_chat(ctx):
        return
    ctx.begin(FLOW, item=item.id)


async def _text_prompt(ctx: Context) -> None:
    item = await _item(ctx, int(ctx.data["item"]))
    ctx.reply("open.reply_prompt", name=await label_of(ctx, item.user_id), limit=MAX_REPLY)


def read_reply(text: str | None) -> str:
    """The coordinator's reply, tidied; InvalidInput when empty or too long."""
    reply = (text or "").strip()
    if not reply:
        raise InvalidInput("open.reply_expected", limit=MAX_REPLY)
    if len(reply) > MAX_REPLY:
        raise InvalidInput("open.reply_too_long", limit=MAX_REPLY)
    return reply


async def _text_handle(ctx: Context) -> None:
    item = await _item(ctx, int(ctx.data["item"]))  # the role again: it may have ended
    text = read_reply(ctx.text)
    if not item.is_open:
        ctx.end()
        ctx.reply("open.already_handled")
        return
    # Signed with the name the platform gives the coordinator now (the stored one, if any,
    # first): the person sees who answered.
    me = await users.get(ctx.conn, ctx.user.user_id)
    stored = me.display_name if me is not None else None
    signature = (stored or ctx.incoming.display_name or "").strip()[:MAX_NAME]
    person = await users.get(ctx.conn, item.user_id)
    locale = person.locale if person is not None else ctx.locale
    ctx.notify(
        item.user_id,
        "open.reply_to_you" if signature else "open.reply_to_you_unsigned",
        text=text,
        coordinator=signature,
        project=_subject(ctx, item.project, locale),
        dedupe_key=f"oireply:{item.id}",
    )
    await open_items.mark_handled(ctx.conn, item.id, ctx.user.user_id, ctx.now)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="open_item.reply",
        now=ctx.now,
        project=item.project,
        subject=item.user_id,
        detail={"item": item.id, "kind": item.kind},
    )
    ctx.end()
    ctx.reply("open.reply_sent", name=await label_of(ctx, item.user_id))


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            FLOW,
            {S.TEXT: Step(_text_prompt, _text_handle, accepts={TEXT}, goes_to={END})},
            S.TEXT,
        )
    )
    registry.add_global_payload(OPEN_ITEM, open_item_button)
    registry.add_command(
        Command(
            command_names("open_items"),
            list_open,
            "cmd.open_items",
            visible=is_coordinator,
            order=35,
        )
    )
