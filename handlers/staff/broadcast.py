"""Announcements from coordinators to their participants (``/tiedote``), and ``/stop``.

A coordinator picks the project and the audience (the whole project, one group, all their
participants; administrators also everyone who takes news), writes the text, sees a preview
exactly as each language group of recipients will see it (the coordinator's text is escaped:
it is user text), and sends it now or at a chosen time. Confirming writes the broadcast, one
outbox row per recipient and the audit row in one transaction; the delivery worker then
sends under the platform's limits, and :mod:`handlers.common.broadcast_progress` edits one
progress message and finally reports delivered / unreachable / failed with a CSV of those it
did not reach. ``/tiedotteet`` lists recent broadcasts with buttons to cancel a scheduled or
running one and to download the list of people it did not reach.

Every step and button checks the role again when it is handled. People who used
``/lopeta_tiedotteet`` (``/stop``) are left out of every audience; their own meeting
reminders continue. ``/tilaa_tiedotteet`` (``/subscribe``) brings announcements back.

On Telegram and Matrix the coordinator may send a document or a picture while the flow waits
for the text (its caption, if any, becomes the text). The file is stored once
(``broadcast_files``); every recipient's outbox row points at it, and its bytes are dropped
when the broadcast ends. The console transport does not take files; the prompt mentions
files only where they can be sent.

The audience "people who asked to be contacted" (``contacts``) is everyone with a contact
request about the chosen project (``storage.contact_requests``, kept 90 days); only that
project's coordinators and administrators can choose it, and the button is shown only when
there is somebody to reach.

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/broadcast.md``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from handlers.common.broadcast_progress import Progress
from handlers.common.buttons import BROADCASTS
from handlers.common.coordination import (
    csv_bytes,
    group_names,
    in_private_chat,
    is_staff,
    manageable_projects,
    project_name,
)
from handlers.common.file_names import file_name
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import (
    DATE,
    DIGITS,
    END,
    FILE,
    TEXT,
    ButtonFamily,
    Command,
    Flow,
    MenuEntry,
    Registry,
    Step,
    one_of,
)
from handlers.core.ports import Rendering, TransportFacts
from handlers.core.types import Button, Document, InvalidInput, Lines, Param, Raw, Text, When
from handlers.domain.datetime_input import DateTimeInputError, DateTimeProblem, parse_datetime
from messages.languages import LOCALES
from messages.words import command_names
from storage import audit, broadcasts, outbox, users
from storage.broadcasts import Broadcast, Recipient

FLOW = "broadcast"
MAX_TEXT = 3000
NEWS = "*news"
LIST_LIMIT = 10


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    PROJECT = "project"
    AUDIENCE = "audience"
    TEXT = "text"
    PREVIEW = "preview"
    WHEN = "when"
    CONFIRM_TIME = "confirm_time"


PROJECT = ButtonFamily("bcp")  # bcp:<slug>, bcp:*news
AUDIENCE = ButtonFamily("bca")  # bca:project, bca:mine, bca:contacts, bca:group:<group>
BC = ButtonFamily("bc")
SEND_NOW = BC.sub("now")
LATER = BC.sub("later")
EDIT = BC.sub("edit")
CANCEL = BC.sub("cancel")
SCHEDULE = BC.sub("schedule")


# --- who may, and to whom ------------------------------------------------------------------
def _require(ctx: Context) -> None:
    """The role check of every step: the chosen project's coordinator, or an admin."""
    project = ctx.data.get("project")
    if ctx.data.get("audience") == "news":
        ctx.require_admin()
    elif project:
        ctx.require_coordinator(project)
    else:
        ctx.require_coordinator()


def require_for(ctx: Context, broadcast: Broadcast) -> None:
    if broadcast.project is None:
        ctx.require_admin()
    else:
        ctx.require_coordinator(broadcast.project)


async def recipients_for(ctx: Context) -> list[Recipient]:
    _require(ctx)
    audience = ctx.data.get("audience")
    project = ctx.data.get("project")
    if audience == "news":
        return await broadcasts.news_subscribers(ctx.conn)
    assert isinstance(project, str)
    if audience == "group":
        return await broadcasts.participants(ctx.conn, [project], ctx.data.get("group"))
    if audience == "mine":
        return await broadcasts.participants(ctx.conn, await manageable_projects(ctx))
    if audience == "contacts":
        return await broadcasts.contacts(ctx.conn, project)
    return await broadcasts.participants(ctx.conn, [project])


async def _opted_out(ctx: Context) -> int:
    audience = ctx.data.get("audience")
    project = ctx.data.get("project")
    if audience == "news" or not isinstance(project, str):
        return 0
    if audience == "group":
        return await broadcasts.opted_out(ctx.conn, [project], ctx.data.get("group"))
    if audience == "mine":
        return await broadcasts.opted_out(ctx.conn, await manageable_projects(ctx))
    if audience == "contacts":
        return await broadcasts.contacts_opted_out(ctx.conn, project)
    return await broadcasts.opted_out(ctx.conn, [project])


def message_html(renderer: Rendering, locale: str, project: str | None, text: str) -> str:
    """The announcement as a recipient reading ``locale`` sees it; ``project`` is the
    project's name in that language (None: the news audience). ``text`` is escaped."""
    language = locale if locale in LOCALES else "fi"
    if project is None:
        return renderer.text(language, "broadcast.message_news", {"text": text})
    return renderer.text(language, "broadcast.message", {"project": project, "text": text})


def render_message(
    renderer: Rendering, ctx: Context, locale: str, project: str | None, text: str
) -> str:
    name = project_name(ctx, project, locale if locale in LOCALES else "fi") if project else None
    return message_html(renderer, locale, name, text)


def _audience_text(ctx: Context, broadcast: Broadcast | None = None) -> Text:
    audience = broadcast.audience if broadcast else ctx.data.get("audience", "project")
    project = broadcast.project if broadcast else ctx.data.get("project")
    group = broadcast.group if broadcast else ctx.data.get("group")
    name = project_name(ctx, project) if project else ""
    group_name = group_names(ctx, project).get(group or "", group or "") if project else ""
    return Text(f"broadcast.audience_{audience}", {"project": name, "group": group_name})


# --- the flow ------------------------------------------------------------------------------
async def start(ctx: Context) -> None:
    ctx.require_coordinator()
    ctx.begin(FLOW)


async def _project_prompt(ctx: Context) -> None:
    ctx.require_coordinator()
    projects = await manageable_projects(ctx)
    if len(projects) == 1 and not ctx.roles.is_admin:
        ctx.data["project"] = projects[0]
        ctx.goto(S.AUDIENCE)
        return
    rows = [
        [
            PROJECT.button(
                "broadcast.project_button", slug, params={"project": project_name(ctx, slug)}
            )
        ]
        for slug in projects
    ]
    if ctx.roles.is_admin:
        rows.append([PROJECT.button("broadcast.news_button", NEWS)])
    ctx.reply("broadcast.choose_project", buttons=rows)


async def _project_handle(ctx: Context) -> None:
    ctx.require_coordinator()
    choice = ctx.button(PROJECT)
    if choice == NEWS:
        ctx.require_admin()
        ctx.data.update(project=None, audience="news", group=None)
        if not await recipients_for(ctx):  # nobody takes news: refused before the text
            raise InvalidInput("broadcast.audience_empty")
        ctx.goto(S.TEXT)
        return
    ctx.require_coordinator(choice)
    ctx.data.update(project=choice, audience=None, group=None)
    ctx.goto(S.AUDIENCE)


async def _audience_buttons(ctx: Context, project: str) -> list[list[Button]]:
    conn = ctx.conn
    count = len(await broadcasts.participants(conn, [project]))
    rows = [
        [
            AUDIENCE.button(
                "broadcast.audience_project_button",
                "project",
                params={"project": project_name(ctx, project), "count": count},
            )
        ]
    ]
    named = group_names(ctx, project)
    for group in sorted(set(named) | set(await broadcasts.groups_in_use(conn, project))):
        members = len(await broadcasts.participants(conn, [project], group))
        rows.append(
            [
                AUDIENCE.button(
                    "broadcast.audience_group_button",
                    f"group:{group}",
                    params={"group": named.get(group, group), "count": members},
                )
            ]
        )
    mine = await manageable_projects(ctx)
    if len(mine) > 1:
        everyone = len(await broadcasts.participants(conn, mine))
        rows.append(
            [AUDIENCE.button("broadcast.audience_mine_button", "mine", params={"count": everyone})]
        )
    asked = len(await broadcasts.contacts(conn, project))
    if asked:
        rows.append(
            [
                AUDIENCE.button(
                    "broadcast.audience_contacts_button",
                    "contacts",
                    params={"project": project_name(ctx, project), "count": asked},
                )
            ]
        )
    return rows


async def _audience_prompt(ctx: Context) -> None:
    _require(ctx)
    project = ctx.data["project"]
    ctx.reply("broadcast.choose_audience", buttons=await _audience_buttons(ctx, project))


async def _audience_handle(ctx: Context) -> None:
    _require(ctx)
    choice = ctx.button(AUDIENCE)
    if choice in ("project", "mine", "contacts"):
        ctx.data.update(audience=choice, group=None)
    elif choice.startswith("group:"):
        ctx.data.update(audience="group", group=choice.removeprefix("group:"))
    else:
        raise ctx.use_buttons()
    if not await recipients_for(ctx):
        # Issue 15: an audience of nobody is refused now, not after the text is written.
        ctx.data.update(audience=None, group=None)
        raise InvalidInput("broadcast.audience_empty")
    ctx.goto(S.TEXT)


async def _text_prompt(ctx: Context) -> None:
    _require(ctx)
    ctx.reply("broadcast.write", audience=_audience_text(ctx), limit=MAX_TEXT)
    if ctx.data.get("file_id"):
        ctx.reply("broadcast.file_kept", name=ctx.data.get("file_name", ""))
    elif ctx.services.transport_facts.takes_files(ctx.incoming.platform):
        ctx.reply("broadcast.file_hint")


async def _text_handle(ctx: Context) -> None:
    _require(ctx)
    attachment = ctx.incoming.attachment
    if attachment is not None:
        await _keep_file(ctx, attachment)
        if ctx.text is None and "text" not in ctx.data:
            ctx.reply("broadcast.file_received", name=attachment.filename)
            return  # the step waits for the text
    if ctx.text is None:
        if attachment is not None:
            ctx.goto(S.PREVIEW)
            return
        raise InvalidInput("broadcast.write_text")
    if len(ctx.text) > MAX_TEXT:
        raise InvalidInput("broadcast.too_long", limit=MAX_TEXT, length=len(ctx.text))
    ctx.data["text"] = ctx.text
    ctx.goto(S.PREVIEW)


async def _keep_file(ctx: Context, attachment: Document) -> None:
    """Store the file once (replacing one sent earlier in this flow)."""
    previous = ctx.data.get("file_id")
    if isinstance(previous, int):
        await broadcasts.drop_draft_file(ctx.conn, previous)
    stored = await broadcasts.store_file(
        ctx.conn, created_by=ctx.user.user_id, document=attachment, now=ctx.now
    )
    if attachment.platform_id:
        # The platform already has these bytes: sends on the same platform pass its id
        # (a refused id is uploaded once after all, see bot/transports/upload_once.py).
        transport = outbox.transport_of(ctx.incoming.chat_id)
        await broadcasts.remember_upload(ctx.conn, stored, transport, attachment.platform_id)
    ctx.data["file_id"] = stored
    ctx.data["file_name"] = attachment.filename


async def _attachment(ctx: Context) -> Document | None:
    file_id = ctx.data.get("file_id")
    return await broadcasts.get_file(ctx.conn, file_id) if isinstance(file_id, int) else None


def _locales_in(recipients: Sequence[Recipient]) -> list[str]:
    present = {r.locale if r.locale in LOCALES else "fi" for r in recipients}
    return [locale for locale in LOCALES if locale in present]


async def _preview_prompt(ctx: Context) -> None:
    recipients = await recipients_for(ctx)
    renderer = ctx.services.rendering.in_timezone(ctx.services.timezone.key)
    project = ctx.data.get("project")
    text = ctx.data["text"]
    document = await _attachment(ctx)  # one message carries at most one file: the first
    for locale in _locales_in(recipients) or [ctx.locale]:
        ctx.reply(
            "broadcast.preview",
            language=Text(f"language.{locale}"),
            message=Raw(render_message(renderer, ctx, locale, project, text)),
            document=document,
        )
        document = None
    unreachable = sum(1 for r in recipients if r.unreachable)
    extra: list[Param] = []
    if unreachable:
        extra.append(Text("broadcast.summary_unreachable", {"count": unreachable}))
    opted_out = await _opted_out(ctx)
    if opted_out:
        extra.append(Text("broadcast.summary_opted_out", {"count": opted_out}))
    if not recipients:
        ctx.reply(
            "broadcast.summary_nobody",
            notes=Lines(tuple(extra)),
            buttons=[
                [EDIT.button("broadcast.edit_button")],
                [CANCEL.button("broadcast.cancel_flow_button")],
            ],
        )
        return
    ctx.reply(
        "broadcast.summary",
        count=len(recipients),
        audience=_audience_text(ctx),
        notes=Lines(tuple(extra)),
        buttons=[
            [SEND_NOW.button("broadcast.send_now_button")],
            [LATER.button("broadcast.later_button")],
            [EDIT.button("broadcast.edit_button")],
            [CANCEL.button("broadcast.cancel_flow_button")],
        ],
    )


async def _common_choices(ctx: Context) -> bool:
    """Buttons shared by the confirmation steps; True when one was handled."""
    if ctx.pressed(EDIT):
        ctx.goto(S.TEXT)
    elif ctx.pressed(LATER):
        ctx.goto(S.WHEN)
    elif ctx.pressed(CANCEL):
        file_id = ctx.data.get("file_id")
        if isinstance(file_id, int):
            await broadcasts.drop_draft_file(ctx.conn, file_id)
        ctx.end()
        ctx.reply("broadcast.dropped")
        main_menu(ctx)
    else:
        return False
    return True


async def _preview_handle(ctx: Context) -> None:
    _require(ctx)
    if ctx.pressed(SEND_NOW):
        await _confirm(ctx, None)
    elif not await _common_choices(ctx):
        raise ctx.use_buttons()


_WHEN_PROBLEMS = {
    DateTimeProblem.IN_PAST: "broadcast.when_past",
    DateTimeProblem.TOO_FAR_AHEAD: "broadcast.when_far",
    DateTimeProblem.NONEXISTENT_TIME: "broadcast.when_nonexistent",
}


async def _when_prompt(ctx: Context) -> None:
    _require(ctx)
    ctx.reply("broadcast.when")


async def _when_handle(ctx: Context) -> None:
    _require(ctx)
    if ctx.text is None:
        raise InvalidInput("broadcast.when_invalid")
    try:
        moment = parse_datetime(ctx.text, now=ctx.now, tz=ctx.services.timezone)
    except DateTimeInputError as error:
        raise InvalidInput(_WHEN_PROBLEMS.get(error.reason, "broadcast.when_invalid")) from None
    ctx.data["send_at"] = moment.astimezone(dt.UTC).isoformat()
    ctx.goto(S.CONFIRM_TIME)


async def _confirm_time_prompt(ctx: Context) -> None:
    recipients = await recipients_for(ctx)
    ctx.reply(
        "broadcast.confirm_time",
        when=When(dt.datetime.fromisoformat(ctx.data["send_at"])),
        count=len(recipients),
        audience=_audience_text(ctx),
        buttons=[
            [SCHEDULE.button("broadcast.schedule_button")],
            [LATER.button("broadcast.change_time_button")],
            [CANCEL.button("broadcast.cancel_flow_button")],
        ],
    )


async def _confirm_time_handle(ctx: Context) -> None:
    _require(ctx)
    if ctx.pressed(SCHEDULE):
        moment = dt.datetime.fromisoformat(ctx.data["send_at"])
        if moment <= ctx.now:
            ctx.reply("broadcast.when_passed")
            ctx.goto(S.WHEN)
            return
        await _confirm(ctx, moment)
    elif not await _common_choices(ctx):
        raise ctx.use_buttons()


@dataclass(frozen=True)
class NewBroadcast:
    """Everything a broadcast is made of; ``html`` is the message per recipient language."""

    project: str | None
    audience: str
    group: str | None
    text: str
    html: Mapping[str, str]
    recipients: Sequence[Recipient]
    actor: str
    created_by: str | None
    report_chat: str | None
    locale: str
    timezone: str
    file_id: int | None = None  # an attachment stored with broadcasts.store_file


async def enqueue_broadcast(
    conn: aiosqlite.Connection,
    new: NewBroadcast,
    *,
    send_at: dt.datetime | None,
    now: dt.datetime,
    rendering: Rendering,
    transports: TransportFacts | None = None,
) -> tuple[int, int]:
    """The broadcast row, one outbox row per recipient, the audit row and the progress
    message, all in the caller's transaction. Returns (broadcast id, recipients)."""
    when = send_at or now
    broadcast_id = await broadcasts.create(
        conn,
        project=new.project,
        audience=new.audience,
        group=new.group,
        created_by=new.created_by,
        report_chat=new.report_chat,
        text=new.text,
        locale=new.locale,
        timezone=new.timezone,
        send_at=when,
        now=now,
    )
    if new.file_id is not None:
        await broadcasts.attach_file(conn, new.file_id, broadcast_id)
    total = await broadcasts.enqueue_recipients(
        conn, broadcast_id, new.recipients, new.html, send_at=when, now=now, file_id=new.file_id
    )
    await audit.record(
        conn,
        actor=new.actor,
        action="broadcast.schedule" if send_at else "broadcast.send",
        now=now,
        project=new.project,
        detail={
            "broadcast": broadcast_id,
            "count": total,
            "audience": new.audience,
            "group": new.group,
            "file": int(new.file_id is not None),
        },
    )
    await Progress(rendering, transports).start(conn, broadcast_id, now)
    return broadcast_id, total


async def _confirm(ctx: Context, send_at: dt.datetime | None) -> None:
    """Write the broadcast, its recipients' outbox rows and the audit row (one transaction)."""
    recipients = await recipients_for(ctx)  # roles and audience as they are now
    if not recipients:
        raise InvalidInput("broadcast.nobody")
    project = ctx.data.get("project")
    text = ctx.data["text"]
    renderer = ctx.services.rendering.in_timezone(ctx.services.timezone.key)
    html = {
        locale: render_message(renderer, ctx, locale, project, text)
        for locale in {r.locale for r in recipients}
    }
    new = NewBroadcast(
        project=project,
        audience=ctx.data["audience"],
        group=ctx.data.get("group"),
        text=text,
        html=html,
        recipients=recipients,
        actor=ctx.user.user_id,
        created_by=ctx.user.user_id,
        # progress and report only in a private chat (None: the report waits for one)
        report_chat=ctx.user.home_chat_id if ctx.incoming.is_group_chat else ctx.incoming.chat_id,
        locale=ctx.locale,
        timezone=ctx.services.timezone.key,
        file_id=ctx.data.get("file_id") if await _attachment(ctx) is not None else None,
    )
    broadcast_id, total = await enqueue_broadcast(
        ctx.conn,
        new,
        send_at=send_at,
        now=ctx.now,
        rendering=ctx.services.rendering,
        transports=ctx.services.transport_facts,
    )
    ctx.end()
    if send_at is not None:
        ctx.reply(
            "broadcast.scheduled",
            id=broadcast_id,
            when=When(send_at),
            count=total,
            buttons=[
                [
                    BROADCASTS.button(
                        "broadcast.cancel_button",
                        f"cancel:{broadcast_id}",
                        params={"id": broadcast_id},
                    )
                ]
            ],
        )
    else:
        # Sending now: the progress message (already queued) is the confirmation; the
        # workers start at once instead of at their next idle look.
        ctx.wake.update(r.transport for r in recipients if r.chat_id is not None)
        if new.report_chat is not None:
            ctx.wake.add(outbox.transport_of(new.report_chat))


# --- after sending: list, cancel, who did not get it ----------------------------------------
async def list_broadcasts(ctx: Context) -> None:
    ctx.require_coordinator()
    scope = None if ctx.roles.is_admin else frozenset(await manageable_projects(ctx))
    found = await broadcasts.recent(ctx.conn, scope, LIST_LIMIT)
    if not found:
        ctx.reply("broadcast.list_empty")
        return
    lines: list[Param] = []
    buttons: list[list[Button]] = []
    for item in found:
        counts = await broadcasts.counts(ctx.conn, item.id)
        lines.append(
            Text(
                "broadcast.list_line",
                {
                    "id": item.id,
                    "audience": _audience_text(ctx, item),
                    "when": When(item.send_at),
                    "state": Text(f"broadcast.state_{item.state}"),
                    "sent": counts.sent,
                    "total": counts.total,
                },
            )
        )
        if item.open:
            buttons.append(
                [
                    BROADCASTS.button(
                        "broadcast.cancel_button", f"cancel:{item.id}", params={"id": item.id}
                    )
                ]
            )
        elif counts.not_delivered:
            buttons.append(
                [
                    BROADCASTS.button(
                        "broadcast.missing_list_button",
                        f"missing:{item.id}",
                        params={"id": item.id},
                    )
                ]
            )
    ctx.reply("broadcast.list", lines=Lines(tuple(lines)), buttons=buttons)


async def broadcast_button(ctx: Context) -> None:
    """``bcx:cancel:ID`` and ``bcx:missing:ID``, from any state; roles checked here."""
    ctx.require_coordinator()
    assert ctx.payload is not None
    parts = BROADCASTS.parse(ctx.payload, one_of("cancel", "missing"), DIGITS)
    broadcast = await broadcasts.get(ctx.conn, int(parts[1])) if parts else None
    if parts is None or broadcast is None:
        ctx.reply("error.old_button")
        return
    require_for(ctx, broadcast)
    if parts[0] == "cancel":
        await _cancel(ctx, broadcast)
    else:
        await _missing_csv(ctx, broadcast)


async def _cancel(ctx: Context, broadcast: Broadcast) -> None:
    if not broadcast.open:
        ctx.reply("broadcast.cancel_too_late", id=broadcast.id)
        return
    counts = await Progress.of(ctx.services).cancel(ctx.conn, broadcast.id, ctx.now)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="broadcast.cancel",
        now=ctx.now,
        project=broadcast.project,
        detail={"broadcast": broadcast.id, "count": counts.cancelled},
    )
    ctx.reply("broadcast.cancelled", id=broadcast.id, sent=counts.sent, cancelled=counts.cancelled)


async def _missing_csv(ctx: Context, broadcast: Broadcast) -> None:
    if not in_private_chat(ctx):
        return
    missing = await broadcasts.undelivered(ctx.conn, broadcast.id)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="broadcast.missing_csv",
        now=ctx.now,
        project=broadcast.project,
        detail={"broadcast": broadcast.id, "count": len(missing)},
    )
    content = csv_bytes(
        ["user_id", "name", "language", "state", "reason"],
        ((m.user_id, m.display_name, m.locale, m.state, m.error) for m in missing),
    )
    ctx.reply(
        "broadcast.missing_ready",
        id=broadcast.id,
        count=len(missing),
        document=Document(
            file_name(ctx, "file.not_reached", ".csv", id=broadcast.id), content, "text/csv"
        ),
    )


# --- opting out and back in ----------------------------------------------------------------
async def stop_announcements(ctx: Context) -> None:
    await users.set_news_opt_in(ctx.conn, ctx.user.user_id, False)
    if await broadcasts.cancel_for_person(ctx.conn, ctx.user.user_id, ctx.now):
        await Progress.of(ctx.services).advance_open(ctx.conn, ctx.now)
    ctx.reply("broadcast.stopped")


async def resume_announcements(ctx: Context) -> None:
    await users.set_news_opt_in(ctx.conn, ctx.user.user_id, True)
    ctx.reply("broadcast.resumed")


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            FLOW,
            {
                S.PROJECT: Step(
                    _project_prompt,
                    _project_handle,
                    accepts={PROJECT},
                    goes_to={S.AUDIENCE, S.TEXT},
                ),
                S.AUDIENCE: Step(
                    _audience_prompt, _audience_handle, accepts={AUDIENCE}, goes_to={S.TEXT}
                ),
                # the text, or a file or picture with it (its caption, or the text after it)
                S.TEXT: Step(_text_prompt, _text_handle, accepts={TEXT, FILE}, goes_to={S.PREVIEW}),
                S.PREVIEW: Step(
                    _preview_prompt,
                    _preview_handle,
                    accepts={SEND_NOW, LATER, EDIT, CANCEL},
                    goes_to={S.TEXT, S.WHEN, END},
                ),
                S.WHEN: Step(_when_prompt, _when_handle, accepts={DATE}, goes_to={S.CONFIRM_TIME}),
                S.CONFIRM_TIME: Step(
                    _confirm_time_prompt,
                    _confirm_time_handle,
                    accepts={SCHEDULE, LATER, EDIT, CANCEL},
                    goes_to={S.WHEN, S.TEXT, END},
                ),
            },
            S.PROJECT,
            use_buttons="broadcast.use_buttons",
        )
    )
    registry.add_command(
        Command(
            command_names("announce"),
            start,
            "cmd.announce",
            visible=is_staff,
            order=50,
        )
    )
    registry.add_command(
        Command(
            command_names("announcements"),
            list_broadcasts,
            "cmd.announcements",
            visible=is_staff,
            order=51,
        )
    )
    registry.add_command(
        Command(
            command_names("stop"),
            stop_announcements,
            "cmd.stop",
            order=80,
        )
    )
    registry.add_command(
        Command(
            command_names("subscribe"),
            resume_announcements,
            "cmd.subscribe",
            order=81,
        )
    )
    registry.add_global_payload(BROADCASTS, broadcast_button)
    registry.add_menu_entry(MenuEntry("menu.announce", "cmd:tiedote", visible=is_staff, order=500))
    registry.add_menu_entry(
        MenuEntry("menu.announcements", "cmd:tiedotteet", visible=is_staff, order=510)
    )
