"""/privacy, /mydata (a readable summary with the JSON file) and /forget (delete after a
confirmation).

A coordinator is told in the confirmation that their coordinator roles end, that their
announcements not yet sent are cancelled, and which projects are left without a
coordinator; after the deletion the administrators are told per project (without saying
who). The farewell is the last message: its outbox row is deleted once it is delivered, and
the transport then forgets the chat (:mod:`bot.delivery`).

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/forget.md``.
"""

from __future__ import annotations

from handlers.common import my_data, privacy_notice
from handlers.common.broadcast_progress import Progress
from handlers.common.buttons import PRIVACY
from handlers.common.coordination import project_name
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, ButtonFamily, Command, Flow, MenuEntry, Registry, Step
from handlers.core.types import Day, Lines, Text
from messages.words import command_names
from storage import audit, broadcasts, memberships, personal_data, users

FORGET = "forget"
CONFIRM = ButtonFamily("forget")  # forget:yes, forget:no


async def show_privacy(ctx: Context) -> None:
    """The short version first (many read with difficulty); the whole text one tap away."""
    privacy_notice.show_short(ctx)


async def privacy_button(ctx: Context) -> None:
    if ctx.payload == PRIVACY.payload("more"):
        await privacy_notice.show_full(ctx)
        ctx.reply("privacy.cannot_remove")
    else:
        ctx.reply("error.old_button")


def _private_only(ctx: Context) -> bool:
    if ctx.incoming.is_group_chat:
        ctx.reply("privacy.private_only")
        return False
    return True


async def export_my_data(ctx: Context) -> None:
    if not _private_only(ctx):
        return
    data = await personal_data.export(ctx.conn, ctx.user.user_id, ctx.incoming.chat_id)
    ctx.reply(
        "mydata.summary",
        document=my_data.json_file(ctx, ctx.user.user_id, data),
        day=Day(ctx.now.astimezone(ctx.services.timezone).date()),
        lines=Lines(tuple(my_data.summary_lines(ctx, data))),
    )


async def forget(ctx: Context) -> None:
    if not _private_only(ctx):
        return
    ctx.begin(FORGET)


def _names(ctx: Context, projects: list[str]) -> str:
    return ", ".join(project_name(ctx, slug) for slug in projects)


async def _alone_in(ctx: Context, projects: list[str]) -> list[str]:
    """The projects in which the person is the only coordinator."""
    alone = []
    for slug in projects:
        others = [
            m
            for m in await memberships.members(ctx.conn, slug, "coordinator")
            if m.user_id != ctx.user.user_id
        ]
        if not others:
            alone.append(slug)
    return alone


async def _coordinator_warnings(ctx: Context) -> None:
    """What /forget means for a coordinator (and an administrator), before they confirm."""
    projects = sorted(ctx.roles.coordinator_of)
    if projects:
        ctx.reply("forget.coordinator_roles", projects=_names(ctx, projects))
    waiting = await broadcasts.open_by(ctx.conn, ctx.user.user_id)
    if waiting:
        ctx.reply("forget.coordinator_announcements", count=len(waiting))
    alone = await _alone_in(ctx, projects)
    if alone:
        ctx.reply("forget.coordinator_alone", projects=_names(ctx, alone))
    if ctx.roles.is_admin:
        ctx.reply("forget.admin_stays")


async def _confirm_prompt(ctx: Context) -> None:
    await _coordinator_warnings(ctx)
    ctx.reply(
        "forget.confirm",
        buttons=[
            [CONFIRM.button("forget.yes", "yes")],
            [CONFIRM.button("forget.no", "no")],
        ],
    )


async def _confirm_handle(ctx: Context) -> None:
    answer = ctx.button(CONFIRM)
    if answer == "yes":
        projects = sorted(ctx.roles.coordinator_of)
        alone = await _alone_in(ctx, projects)
        cancelled = await _cancel_announcements(ctx)
        await personal_data.delete(ctx.conn, ctx.user.user_id, ctx.incoming.chat_id)
        ctx.forgotten = True
        ctx.end()
        ctx.reply("forget.done")
        ctx.reply("forget.done_matrix" if ctx.incoming.platform == "matrix" else "forget.again")
        await _tell_admins(ctx, projects, alone, cancelled)
    elif answer == "no":
        ctx.end()
        ctx.reply("forget.kept")
        main_menu(ctx)
    else:
        raise ctx.use_buttons()


async def _cancel_announcements(ctx: Context) -> dict[str | None, int]:
    """Cancel the person's announcements not yet sent (audited); how many, per project."""
    cancelled: dict[str | None, int] = {}
    for item in await broadcasts.open_by(ctx.conn, ctx.user.user_id):
        counts = await Progress.of(ctx.services).cancel(ctx.conn, item.id, ctx.now)
        await audit.record(
            ctx.conn,
            actor=ctx.user.user_id,
            action="broadcast.cancel",
            now=ctx.now,
            project=item.project,
            detail={"broadcast": item.id, "count": counts.cancelled},
        )
        cancelled[item.project] = cancelled.get(item.project, 0) + 1
    return cancelled


async def _tell_admins(
    ctx: Context, projects: list[str], alone: list[str], cancelled: dict[str | None, int]
) -> None:
    """After a coordinator's /forget: the administrators hear it per project, not who."""
    for admin in sorted(ctx.services.admins - {ctx.user.user_id}):
        reader = await users.get(ctx.conn, admin)
        if reader is None:
            continue
        for slug in projects:
            count = cancelled.get(slug, 0)
            ctx.notify(
                admin,
                "notify.coordinator_forgot_alone" if slug in alone else "notify.coordinator_forgot",
                project=project_name(ctx, slug, reader.locale),
                cancelled=Text("notify.coordinator_forgot_cancelled", {"count": count})
                if count
                else "",
            )


def register(registry: Registry) -> None:
    confirm = Step(_confirm_prompt, _confirm_handle, accepts={CONFIRM}, goes_to={END})
    registry.add_flow(
        Flow(FORGET, {"confirm": confirm}, "confirm", use_buttons="forget.use_buttons")
    )
    registry.add_command(
        Command(
            command_names("privacy"),
            show_privacy,
            "cmd.privacy",
            order=91,
        )
    )
    registry.add_command(
        Command(
            command_names("mydata"),
            export_my_data,
            "cmd.mydata",
            order=92,
        )
    )
    registry.add_command(
        Command(
            command_names("forget"),
            forget,
            "cmd.forget",
            order=93,
        )
    )
    registry.add_global_payload(PRIVACY, privacy_button)
    registry.add_menu_entry(MenuEntry("menu.privacy", "cmd:tietosuoja", order=905))
