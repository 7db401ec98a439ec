"""Enrolment: coordinators create invites; a person joins with a link or a code after seeing
what will be stored, and only then is anything about them stored.

A coordinator's invite (``/kutsu``) is for a project and optionally a group, for one person or
many, and expires. On Telegram the coordinator gets a deep link
``https://t.me/<bot>?start=<token>``; everywhere they get a short code that a person types
on any platform: ``liity K7QM-P3XA-9HTD`` (``gå med``, ``join``, or ``/liity``). Both are
shown once and stored only as keyed hashes (``storage/invites.py``); invites are made only in
private chats.

The code and the link are two kinds of code of ``handlers/common/codes.py``, which checks the chat
and the limits of wrong codes before looking a code up and gives expired, used-up and made-up
codes all the same answer, so the answer never tells whether a project or a code exists.

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/invite.md``, ``docs/flows/enrol.md``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from handlers.common import participation as common
from handlers.common import planning
from handlers.common.buttons import INVITE, NO, YES
from handlers.core.context import Context
from handlers.core.flow import (
    DIGITS,
    END,
    ButtonFamily,
    CodeKind,
    Command,
    Flow,
    MenuEntry,
    Registry,
    Step,
    one_of,
)
from handlers.core.types import Param, Reply, Text, When
from messages.words import command_names
from storage import audit, invites, memberships, users

INVITE_FLOW = "invite"
CONSENT_FLOW = "enrol"
VALIDITY_DAYS = (1, 7, 30)
NAME_LIMIT = 64


class S(StrEnum):
    """The steps of both flows (their names are stored in conversations)."""

    PROJECT = "project"
    GROUP = "group"
    USES = "uses"
    VALIDITY = "validity"
    CONSENT = "consent"


PROJECT = ButtonFamily("p")  # p:<slug>
GROUP = ButtonFamily("g")  # g:<group>, g: for no group
USES = ButtonFamily("u")  # u:1, u:many
DAYS = ButtonFamily("d")  # d:<days>


# --- coordinator: creating an invite ------------------------------------------------------


async def new_invite(ctx: Context) -> None:
    ctx.require_coordinator()
    if ctx.incoming.is_group_chat:  # a code shown in a group could be used by anyone there
        ctx.reply("privacy.private_only")
        return
    projects = common.coordinated_projects(ctx)
    if not projects:
        ctx.reply("enrol.no_projects")
        return
    ctx.begin(INVITE_FLOW)
    if len(projects) == 1:
        ctx.data["project"] = projects[0]
        ctx.goto(S.GROUP)


def _project_label(ctx: Context, project: str) -> str:
    return common.project_name(ctx.services, project, ctx.locale)


async def _project_prompt(ctx: Context) -> None:
    ctx.reply(
        "enrol.invite_project",
        buttons=[
            [PROJECT.button("people.project", p, params={"name": _project_label(ctx, p)})]
            for p in common.coordinated_projects(ctx)
        ],
    )


async def _project_handle(ctx: Context) -> None:
    project = ctx.button(PROJECT)
    if project not in common.coordinated_projects(ctx):
        raise ctx.use_buttons()
    ctx.data["project"] = project
    ctx.goto(S.GROUP)


async def _group_prompt(ctx: Context) -> None:
    project = common.project_of(ctx.services, ctx.data["project"])
    groups = list(project.groups) if project is not None else []
    if not groups:
        ctx.data["group"] = None
        ctx.goto(S.USES)
        return
    rows = [
        [GROUP.button("people.group", g.id, params={"name": str(g.name.get(ctx.locale))})]
        for g in groups
    ]
    rows.append([GROUP.button("enrol.no_group", "")])
    ctx.reply("enrol.invite_group", buttons=rows)


async def _group_handle(ctx: Context) -> None:
    group = ctx.button(GROUP) or None  # "" is no group
    if group is not None and common.group_of(ctx.services, ctx.data["project"], group) is None:
        raise ctx.use_buttons()
    ctx.data["group"] = group
    ctx.goto(S.USES)


async def _uses_prompt(ctx: Context) -> None:
    ctx.reply(
        "enrol.invite_uses",
        buttons=[
            [USES.button("enrol.uses_one", "1")],
            [USES.button("enrol.uses_many", "many")],
        ],
    )


async def _uses_handle(ctx: Context) -> None:
    uses = ctx.button(USES)
    if uses not in ("1", "many"):
        raise ctx.use_buttons()
    ctx.data["max_uses"] = 1 if uses == "1" else None
    ctx.goto(S.VALIDITY)


async def _validity_prompt(ctx: Context) -> None:
    ctx.reply(
        "enrol.invite_validity",
        buttons=[[DAYS.button(f"enrol.days_{days}", days)] for days in VALIDITY_DAYS],
    )


async def _validity_handle(ctx: Context) -> None:
    days = ctx.button(DAYS)
    if not days.isdigit() or int(days) not in VALIDITY_DAYS:
        raise ctx.use_buttons()
    project = ctx.data["project"]
    ctx.require_coordinator(project)
    made = await invites.create(
        ctx.conn,
        project=project,
        group=ctx.data.get("group"),
        max_uses=ctx.data.get("max_uses"),
        expires_at=ctx.now + dt.timedelta(days=int(days)),
        now=ctx.now,
    )
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="participant.invite",
        now=ctx.now,
        project=project,
        detail={"invite": made.invite.id},
    )
    ctx.end()
    show_invite(ctx, made)


def show_invite(ctx: Context, made: invites.NewInvite) -> None:
    """The invite's code (and link) are shown this once: only their hashes are stored, and
    the outbox row of this message is emptied when it has been delivered."""
    invite = made.invite
    username = ctx.services.extras.get(common.TELEGRAM_USERNAME)
    group = common.group_name(ctx.services, invite.project, invite.group, ctx.locale)
    params: dict[str, Param] = {
        "project": _project_label(ctx, invite.project),
        "group": Text("enrol.group_line", {"group": group}) if group else "",
        "code": made.display_code,
        "expires": When(invite.expires_at),
        "uses": Text("enrol.uses_one_line" if invite.max_uses == 1 else "enrol.uses_many_line"),
    }
    revoke = ((INVITE.button("enrol.revoke", f"revoke:{invite.id}"),),)
    key = "enrol.invite_ready"
    if ctx.incoming.platform == "telegram" and username:
        key = "enrol.invite_ready_link"
        params["link"] = f"https://t.me/{username}?start={made.token}"
    ctx.replies.append(Reply(key, params, revoke))


async def invite_button(ctx: Context) -> None:
    assert ctx.payload is not None
    parts = INVITE.parse(ctx.payload, one_of("revoke"), DIGITS)
    invite = await invites.get(ctx.conn, int(parts[1])) if parts else None
    if invite is None:
        ctx.reply("error.old_button")
        return
    ctx.require_coordinator(invite.project)
    await invites.revoke(ctx.conn, invite.id, ctx.now)
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action="participant.invite_revoke",
        now=ctx.now,
        project=invite.project,
        detail={"invite": invite.id},
    )
    ctx.reply("enrol.revoked", project=_project_label(ctx, invite.project))


# --- joining: the code kinds of handlers/common/codes.py ----------------------------------------


def _token_shape(text: str) -> str | None:
    return text if invites.looks_like_token(text) else None


async def _redeem_code(ctx: Context, code: str) -> bool:
    return _consent_for(ctx, await invites.find(ctx.conn, code=code))


async def _redeem_token(ctx: Context, token: str) -> bool:
    return _consent_for(ctx, await invites.find(ctx.conn, token=token))


def _consent_for(ctx: Context, invite: invites.Invite | None) -> bool:
    """Ask for consent when the invite can be used; else False (handlers/common/codes.py
    answers)."""
    if invite is None or not invite.usable(ctx.now):
        return False
    ctx.begin(CONSENT_FLOW, invite=invite.id)
    return True


async def _consent_prompt(ctx: Context) -> None:
    invite = await invites.get(ctx.conn, int(ctx.data["invite"]))
    if invite is None:
        ctx.end()
        ctx.reply("enrol.invalid")
        return
    name = _name_from_platform(ctx)
    group = common.group_name(ctx.services, invite.project, invite.group, ctx.locale)
    ctx.reply(
        "enrol.consent",
        buttons=[
            [YES.button("enrol.accept")],
            [NO.button("enrol.decline")],
        ],
        project=_project_label(ctx, invite.project),
        group=Text("enrol.group_line", {"group": group}) if group else "",
        name=name if name else Text("enrol.no_name"),
    )


def _name_from_platform(ctx: Context) -> str | None:
    name = (ctx.incoming.display_name or "").strip()
    return name[:NAME_LIMIT] if name else None


async def _consent_handle(ctx: Context) -> None:
    if ctx.pressed(NO):
        ctx.end()
        ctx.reply("enrol.declined")
        return
    if not ctx.pressed(YES):
        raise ctx.use_buttons()
    invite_id = int(ctx.data["invite"])
    ctx.end()
    invite = await invites.get(ctx.conn, invite_id)
    if invite is None or not await invites.use(ctx.conn, invite.id, ctx.now):
        ctx.reply("enrol.invalid")
        return
    user_id = ctx.user.user_id
    await users.set_display_name(ctx.conn, user_id, _name_from_platform(ctx))
    await memberships.add(ctx.conn, user_id, invite.project, "participant", ctx.now, invite.group)
    await planning.replan_person(
        ctx.conn, user_id, invite.project, now=ctx.now, tz=ctx.services.timezone
    )
    group = common.group_name(ctx.services, invite.project, invite.group, ctx.locale)
    await common.notify_coordinators(
        ctx,
        invite.project,
        "notify.joined",
        name=await common.label_of(ctx, user_id),
        group=Text("notify.group_part", {"group": group}) if group else "",
    )
    ctx.reply("enrol.welcome", project=_project_label(ctx, invite.project))
    common.wake_scheduler(ctx)


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            INVITE_FLOW,
            {
                S.PROJECT: Step(
                    _project_prompt, _project_handle, accepts={PROJECT}, goes_to={S.GROUP}
                ),
                S.GROUP: Step(_group_prompt, _group_handle, accepts={GROUP}, goes_to={S.USES}),
                S.USES: Step(_uses_prompt, _uses_handle, accepts={USES}, goes_to={S.VALIDITY}),
                S.VALIDITY: Step(_validity_prompt, _validity_handle, accepts={DAYS}, goes_to={END}),
            },
            S.PROJECT,
            use_buttons="enrol.use_buttons",
        )
    )
    registry.add_flow(
        Flow(
            CONSENT_FLOW,
            {S.CONSENT: Step(_consent_prompt, _consent_handle, accepts={YES, NO}, goes_to={END})},
            S.CONSENT,
            use_buttons="enrol.use_buttons",
        )
    )
    registry.add_command(
        Command(
            command_names("invite"),
            new_invite,
            "cmd.invite",
            visible=common.is_coordinator,
            order=41,
        )
    )
    registry.add_global_payload(INVITE, invite_button)
    registry.code_kinds.append(
        CodeKind("participant code", invites.normalise_code, _redeem_code, enters=CONSENT_FLOW)
    )
    registry.code_kinds.append(
        CodeKind("invite link", _token_shape, _redeem_token, enters=CONSENT_FLOW)
    )
    registry.add_menu_entry(
        MenuEntry("menu.invite", "cmd:kutsu", visible=common.is_coordinator, order=41)
    )
