"""Roles: administrators make and remove coordinators; the audit log of privileged actions.

Administrators come from ``HANKEBOT_ADMINS``. An administrator makes someone a coordinator
of a project with a single-use invite code (``/ohjaajakutsu HANKE``, in a private chat; the
new coordinator types ``/liity OHJ-XXXX-XXXX-XXXX`` or opens ``/start OHJ…``; the code is
checked by ``handlers/common/codes.py`` like every other code) or by naming their user id
(``/lisaa_ohjaaja HANKE telegram:12345``), and takes the role away with
``/poista_ohjaaja``. ``/ohjaajat`` lists coordinators with buttons for the same actions and
``/loki`` shows the latest audit entries (``/loki csv`` as a file).

Every action checks the role of the person at the moment it is handled — also for button
presses, whose payloads another person may replay in a group chat — and writes its audit
row in the same transaction as the change.

```mermaid
stateDiagram-v2
    [*] --> invite: /ohjaajakutsu HANKE (admin)
    invite --> coordinator: /liity KOODI or /start KOODI (once, 7 days)
    [*] --> coordinator: /lisaa_ohjaaja HANKE TUNNUS (admin)
    coordinator --> confirm: Poista-painike (admin)
    confirm --> [*]: Kyllä → role ends
    coordinator --> [*]: /poista_ohjaaja HANKE TUNNUS (admin)
```
"""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.common.buttons import AUDIT, COORDINATOR
from handlers.common.coordination import (
    csv_bytes,
    id_label,
    in_private_chat,
    is_admin,
    manageable_projects,
    project_exists,
    project_name,
)
from handlers.common.file_names import file_name
from handlers.common.open_work import deliver_waiting
from handlers.common.participation import TELEGRAM_USERNAME
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import NONEMPTY, CodeKind, Command, MenuEntry, Registry, one_of
from handlers.core.types import Button, Document, InvalidInput, Lines, Param, Text, When
from handlers.domain.whole_numbers import CountInputError, parse_count
from messages.words import command_names, every
from storage import audit, coordinator_invites, memberships, person_refs, users
from storage.audit import AuditEntry

AUDIT_DEFAULT = 20
AUDIT_MAX = 200
_USER_ID = re.compile(r"^[a-z]+:\S{1,200}$")
KNOWN_ACTIONS = frozenset(
    {
        "coordinator.invite",
        "coordinator.join",
        "coordinator.add",
        "coordinator.remove",
        "broadcast.send",
        "broadcast.schedule",
        "broadcast.cancel",
        "broadcast.missing_csv",
        "report.view",
        "report.csv",
        "participant.mark_left",
        "audit.view",
        "audit.csv",
        "participant.invite",
        "participant.invite_revoke",
        "meeting.create",
        "meeting.move",
        "meeting.cancel",
        "meeting.restore",
        "meeting.cancel_series",
        "meeting.change",
        "meeting.new_time",
        "meeting.series_time",
        "meeting.reminders",
        "attendance.mark",
    }
)


# --- helpers -------------------------------------------------------------------------------
def parse_user_id(ctx: Context, text: str) -> str:
    """``telegram:123``, ``matrix:@a:b.org``, ``@a:b.org`` or bare digits (same platform)."""
    value = text.strip()
    if value.isdigit():
        return f"{ctx.incoming.platform}:{value}"
    if value.startswith("@") and ":" in value:
        return f"matrix:{value}"
    if _USER_ID.match(value):
        return value
    raise InvalidInput("coord.bad_user_id")


async def _label(ctx: Context, user_id: str) -> str:
    person = await users.get(ctx.conn, user_id)
    return id_label(user_id, person.display_name if person else None)


def _project_or_invalid(ctx: Context, slug: str) -> str:
    slug = slug.strip().lower()
    if not project_exists(ctx, slug):
        raise InvalidInput("coord.unknown_project", project=slug)
    return slug


# --- overview ------------------------------------------------------------------------------
async def show_coordinators(ctx: Context) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):
        return
    lines: list[Param] = []
    buttons: list[list[Button]] = []
    for slug in await manageable_projects(ctx):
        names = [
            await _label(ctx, m.user_id)
            for m in await memberships.members(ctx.conn, slug, "coordinator")
        ]
        shown = ", ".join(names) if names else Text("coord.nobody")
        lines.append(
            Text("coord.project_line", {"project": project_name(ctx, slug), "names": shown})
        )
        buttons.append(
            [
                COORDINATOR.button(
                    "coord.invite_button",
                    f"invite:{slug}",
                    params={"project": project_name(ctx, slug)},
                )
            ]
        )
        for member in await memberships.members(ctx.conn, slug, "coordinator"):
            buttons.append(
                [
                    COORDINATOR.button(
                        "coord.remove_button",
                        f"rm:{slug}:{await person_refs.ref_of(ctx.conn, member.user_id)}",
                        params={
                            "name": await _label(ctx, member.user_id),
                            "project": project_name(ctx, slug),
                        },
                    )
                ]
            )
    ctx.reply("coord.overview", lines=Lines(tuple(lines)), buttons=buttons)


# --- invites -------------------------------------------------------------------------------
async def _create_invite(ctx: Context, slug: str) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):
        return
    code, expires = await coordinator_invites.create(
        ctx.conn, project=slug, created_by=ctx.user.user_id, now=ctx.now
    )
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="coordinator.invite", now=ctx.now, project=slug
    )
    shown = coordinator_invites.display(code)  # shown this once: only a keyed hash is kept
    username = ctx.services.extras.get(TELEGRAM_USERNAME)
    link: Param = ""
    if username:
        link = Text("coord.invite_link", {"url": f"https://t.me/{username}?start={code}"})
    ctx.reply(
        "coord.invite_created",
        project=project_name(ctx, slug),
        code=shown,
        expires=When(expires),
        link=link,
    )


async def invite_command(ctx: Context) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):  # before anything else: the same answer for every argument
        return
    if ctx.args:
        await _create_invite(ctx, _project_or_invalid(ctx, ctx.args))
        return
    projects = await manageable_projects(ctx)
    ctx.reply(
        "coord.invite_choose",
        buttons=[
            [
                COORDINATOR.button(
                    "coord.project_button",
                    f"invite:{slug}",
                    params={"project": project_name(ctx, slug)},
                )
            ]
            for slug in projects
        ],
    )


async def redeem_code(ctx: Context, code: str) -> bool:
    """A coordinator code (a kind of code of ``handlers/common/codes.py``, which has checked
    the chat and the limits); False, without an answer, when it cannot be used."""
    invite = await coordinator_invites.find(ctx.conn, code)
    if invite is None or not invite.usable(ctx.now) or not project_exists(ctx, invite.project):
        return False
    if not await coordinator_invites.use(ctx.conn, invite.id, ctx.user.user_id, ctx.now):
        return False
    await memberships.add(ctx.conn, ctx.user.user_id, invite.project, "coordinator", ctx.now)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="coordinator.join",
        now=ctx.now,
        project=invite.project,
    )
    if invite.created_by:
        ctx.notify(
            invite.created_by,
            "coord.joined_notice",
            name=await _label(ctx, ctx.user.user_id),
            project=project_name(ctx, invite.project),
            about=ctx.user.user_id,  # deleted with the new coordinator on /forget
        )
    ctx.roles = replace(ctx.roles, coordinator_of=ctx.roles.coordinator_of | {invite.project})
    ctx.end()
    ctx.reply("coord.welcome", project=project_name(ctx, invite.project))
    await deliver_waiting(ctx, invite.project, ctx.user.user_id)
    main_menu(ctx)
    return True


# --- adding and removing -------------------------------------------------------------------
async def _add(ctx: Context, slug: str, user_id: str) -> None:
    ctx.require_admin()
    if await users.get(ctx.conn, user_id) is None:
        raise InvalidInput("coord.unknown_person", user=user_id)
    if slug in {
        m.project
        for m in await memberships.active_for(ctx.conn, user_id)
        if m.role == "coordinator"
    }:
        ctx.reply("coord.already", name=await _label(ctx, user_id), project=project_name(ctx, slug))
        return
    await memberships.add(ctx.conn, user_id, slug, "coordinator", ctx.now)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="coordinator.add",
        now=ctx.now,
        project=slug,
        subject=user_id,
    )
    ctx.notify(user_id, "coord.added_notice", project=project_name(ctx, slug))
    await deliver_waiting(ctx, slug, user_id)
    ctx.reply("coord.added", name=await _label(ctx, user_id), project=project_name(ctx, slug))


async def add_command(ctx: Context) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):
        return
    parts = ctx.args.split()
    if len(parts) != 2:
        raise InvalidInput("coord.add_usage")
    await _add(ctx, _project_or_invalid(ctx, parts[0]), parse_user_id(ctx, parts[1]))


async def _remove(ctx: Context, slug: str, user_id: str) -> None:
    ctx.require_admin()
    current = {
        m.project
        for m in await memberships.active_for(ctx.conn, user_id)
        if m.role == "coordinator"
    }
    if slug not in current:
        ctx.reply("coord.not_coordinator", user=user_id, project=project_name(ctx, slug))
        return
    await memberships.end(ctx.conn, user_id, slug, "coordinator", ctx.now)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="coordinator.remove",
        now=ctx.now,
        project=slug,
        subject=user_id,
    )
    ctx.notify(user_id, "coord.removed_notice", project=project_name(ctx, slug))
    ctx.reply("coord.removed", name=await _label(ctx, user_id), project=project_name(ctx, slug))


async def remove_command(ctx: Context) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):
        return
    parts = ctx.args.split()
    if len(parts) != 2:
        raise InvalidInput("coord.remove_usage")
    await _remove(ctx, _project_or_invalid(ctx, parts[0]), parse_user_id(ctx, parts[1]))


async def coordinator_button(ctx: Context) -> None:
    """``coord:invite:SLUG``, ``coord:rm:SLUG:REF`` (asks), ``coord:rmok:SLUG:REF``; REF is the
    coordinator's reference (:mod:`storage.person_refs`), never their id."""
    ctx.require_admin()  # whoever pressed, wherever the button came from
    if not in_private_chat(ctx):
        return
    payload = ctx.payload
    invite = COORDINATOR.parse(payload, one_of("invite"), NONEMPTY)
    remove = COORDINATOR.parse(payload, one_of("rm", "rmok"), NONEMPTY, NONEMPTY)
    if invite is not None and project_exists(ctx, invite[1]):
        await _create_invite(ctx, invite[1])
    elif remove is not None and project_exists(ctx, remove[1]):
        kind, slug, ref = remove
        user_id = await person_refs.user_of(ctx.conn, ref)
        if user_id is None:  # the coordinator has used /forget since
            ctx.reply("error.old_button")
        elif kind == "rmok":
            await _remove(ctx, slug, user_id)
        else:
            ctx.reply(
                "coord.remove_confirm",
                name=await _label(ctx, user_id),
                project=project_name(ctx, slug),
                buttons=[
                    [COORDINATOR.button("coord.remove_yes", f"rmok:{slug}:{ref}")],
                    [COORDINATOR.button("coord.remove_no", "keep")],
                ],
            )
    elif COORDINATOR.parse(payload, one_of("keep")) is not None:
        ctx.reply("coord.kept")
    else:
        ctx.reply("error.old_button")


# --- the audit log -------------------------------------------------------------------------
def _action_text(entry: AuditEntry, ctx: Context) -> Text:
    key = entry.action.replace(".", "_")
    params: dict[str, Param] = {
        "action": entry.action,
        "project": project_name(ctx, entry.project) if entry.project else "–",
        "subject": entry.subject or "–",
        "number": str(entry.detail.get("broadcast") or entry.detail.get("count") or ""),
    }
    if entry.action not in KNOWN_ACTIONS:
        return Text("audit.action_other", params)
    return Text(f"audit.action_{key}", params)


async def show_audit(ctx: Context) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):
        return
    argument = ctx.args.strip().lower()
    if argument in every(lambda words: words.answers.file):
        await _audit_csv(ctx)
        return
    limit = AUDIT_DEFAULT
    if argument:
        try:
            limit = parse_count(argument, minimum=1, maximum=AUDIT_MAX)
        except CountInputError as error:
            raise InvalidInput("audit.usage", limit=AUDIT_MAX) from error
    entries = await audit.latest(ctx.conn, limit)
    await audit.record(ctx.conn, actor=ctx.user.user_id, action="audit.view", now=ctx.now)
    if not entries:
        ctx.reply("audit.empty")
        return
    lines: list[Param] = []
    for entry in entries:
        what = _action_text(entry, ctx)
        actor = await _label(ctx, entry.actor)
        lines.append(Text("audit.line", {"when": When(entry.at), "actor": actor, "what": what}))
    ctx.reply(
        "audit.latest",
        count=len(entries),
        lines=Lines(tuple(lines)),
        buttons=[[AUDIT.button("audit.csv_button", "csv")]],
    )


async def _audit_csv(ctx: Context) -> None:
    ctx.require_admin()
    if not in_private_chat(ctx):
        return
    entries = await audit.all_entries(ctx.conn)
    await audit.record(ctx.conn, actor=ctx.user.user_id, action="audit.csv", now=ctx.now)
    zone = ctx.services.timezone
    content = csv_bytes(
        ["time", "actor", "action", "project", "subject", "detail"],
        (
            (
                entry.at.astimezone(zone).isoformat(timespec="seconds"),
                entry.actor,
                entry.action,
                entry.project,
                entry.subject,
                ", ".join(f"{k}={v}" for k, v in sorted(entry.detail.items())),
            )
            for entry in entries
        ),
    )
    ctx.reply(
        "audit.csv_ready",
        count=len(entries),
        document=Document(file_name(ctx, "file.audit_log", ".csv"), content, "text/csv"),
    )


async def audit_button(ctx: Context) -> None:
    ctx.require_admin()
    await _audit_csv(ctx)


# --- registration --------------------------------------------------------------------------
def register(registry: Registry) -> None:
    registry.code_kinds.append(
        CodeKind("coordinator code", coordinator_invites.normalise, redeem_code)
    )
    registry.add_command(
        Command(
            command_names("coordinators"),
            show_coordinators,
            "cmd.coordinators",
            visible=is_admin,
            order=60,
        )
    )
    registry.add_command(
        Command(
            command_names("invite_coordinator"),
            invite_command,
            "cmd.invite_coordinator",
            visible=is_admin,
            order=61,
        )
    )
    registry.add_command(
        Command(
            command_names("add_coordinator"),
            add_command,
            "cmd.add_coordinator",
            visible=is_admin,
            order=62,
        )
    )
    registry.add_command(
        Command(
            command_names("remove_coordinator"),
            remove_command,
            "cmd.remove_coordinator",
            visible=is_admin,
            order=63,
        )
    )
    registry.add_command(
        Command(
            command_names("audit"),
            show_audit,
            "cmd.audit",
            visible=is_admin,
            order=64,
        )
    )
    registry.add_global_payload(COORDINATOR, coordinator_button)
    registry.add_global_payload(AUDIT, audit_button)
    registry.add_menu_entry(
        MenuEntry("menu.coordinators", "cmd:ohjaajat", visible=is_admin, order=600)
    )
    registry.add_menu_entry(MenuEntry("menu.audit", "cmd:loki", visible=is_admin, order=610))
