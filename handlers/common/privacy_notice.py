"""What /privacy tells a person: a short summary, and the whole notice in three messages —
what is kept and who sees it, how long each thing is kept, and who answers for the data
with the person's rights (the right to complain to the Data Protection Ombudsman included).

The retention message is built from :data:`STATEMENTS`: one catalog sentence per table, its
numbers taken from the code that does the deleting (storage constants and the
``HANKEBOT_AUDIT_RETENTION_DAYS`` setting), so the notice cannot drift from the code. A test
compares the tables of the migrated schema with :data:`STATEMENTS` and
:data:`NOTHING_ABOUT_ANYONE`: a new table without a statement fails the tests instead of
going unmentioned.

Who answers for the data (the data controller, *rekisterinpitäjä*) comes from the content:
each project's ``data_controller`` for the projects the person is or was in, and
``programme.yaml``'s ``bot_operator`` for everything else (all of it, for an applicant).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.common.buttons import COMMAND, PRIVACY
from handlers.common.coordination import project_name
from handlers.core.context import Context, Services
from handlers.core.types import Lines, Param, Text
from storage import (
    broadcasts,
    budget_drafts,
    buttons,
    code_limits,
    contact_requests,
    coordinator_invites,
    held_notices,
    invites,
    memberships,
    open_items,
    outbox,
    updates,
    users,
)

DAYS_PER_YEAR = 365.25


def _no_params(_: Services) -> dict[str, Param]:
    return {}


@dataclass(frozen=True)
class Statement:
    """One retention sentence: its catalog key and the numbers it shows."""

    key: str
    params: Callable[[Services], dict[str, Param]] = field(default=_no_params)


def _fixed(**params: Param) -> Callable[[Services], dict[str, Param]]:
    return lambda _: dict(params)


def _audit_period(services: Services) -> dict[str, Param]:
    days = services.audit_retention_days
    years = round(days / DAYS_PER_YEAR)
    if years >= 2 and int(years * DAYS_PER_YEAR + 0.5) == days:
        return {"period": Text("privacy.period_years", {"years": years})}
    return {"period": Text("privacy.period_days", {"days": days})}


_PARTICIPATION = Statement("privacy.keep.participation")
_BUTTONS = Statement("privacy.keep.buttons", _fixed(days=buttons.RETENTION_DAYS))
_BROADCASTS = Statement("privacy.keep.broadcasts", _fixed(days=broadcasts.ENDED_RETENTION_DAYS))

#: Table → what /privacy says about how long it is kept, in the order shown (a sentence
#: shared by several tables is shown once).
_ACCOUNT = Statement(
    "privacy.keep.users", _fixed(months=round(users.INACTIVE_DAYS * 12 / DAYS_PER_YEAR))
)

STATEMENTS: dict[str, Statement] = {
    "users": _ACCOUNT,
    # the random reference that coordinators' buttons and notices use instead of the id
    "person_refs": _ACCOUNT,
    "memberships": _PARTICIPATION,
    "participant_settings": _PARTICIPATION,
    "meetings": _PARTICIPATION,  # personal meetings (a talk with one participant)
    "reminders": _PARTICIPATION,
    "rsvps": _PARTICIPATION,
    "attendance": _PARTICIPATION,
    "ratings": _PARTICIPATION,
    "exit_situations": Statement("privacy.keep.exit_situations"),
    "conversations": Statement(
        "privacy.keep.conversations", _fixed(hours=contact_requests.ABANDONED_HOURS)
    ),
    "contact_requests": Statement(
        "privacy.keep.contact_requests",
        _fixed(days=contact_requests.RETENTION_DAYS, waiting=contact_requests.WAITING_DAYS),
    ),
    "open_items": Statement("privacy.keep.open_items", _fixed(days=open_items.RETENTION_DAYS)),
    "budget_drafts": Statement("privacy.keep.budget_drafts", _fixed(days=budget_drafts.KEEP_DAYS)),
    "held_notices": Statement(
        "privacy.keep.held_notices", _fixed(days=held_notices.RETENTION_DAYS)
    ),
    "outbox": Statement("privacy.keep.outbox", _fixed(days=outbox.ENDED_RETENTION_DAYS)),
    "buttons": _BUTTONS,
    "chat_keyboards": _BUTTONS,
    "processed_updates": Statement(
        "privacy.keep.processed_updates", _fixed(days=updates.RETENTION_DAYS)
    ),
    "invites": Statement("privacy.keep.invites", _fixed(days=invites.ENDED_RETENTION_DAYS)),
    "invite_failures": Statement(
        "privacy.keep.invite_failures",
        _fixed(hours=int(code_limits.FAILURE_MEMORY.total_seconds() // 3600)),
    ),
    "coordinator_invites": Statement(
        "privacy.keep.coordinator_invites", _fixed(days=coordinator_invites.ENDED_RETENTION_DAYS)
    ),
    "broadcasts": _BROADCASTS,
    "broadcast_files": _BROADCASTS,
    "audit_log": Statement("privacy.keep.audit_log", _audit_period),
}

#: Tables that hold nothing about any person, and why (these need no statement).
NOTHING_ABOUT_ANYONE: dict[str, str] = {
    "kv": "transport cursors, the bot's own Matrix login and the database's secrets",
    "project_settings": "a project's default reminder times",
    "occurrences": "dates of meetings; those of a personal meeting go with it (meetings)",
    "code_failures_recent": "wrong codes from everyone together, counted per minute",
    "faq_feedback": "counts of 'did this help?' answers, nobody named",
    "broadcast_file_uploads": "a platform's id for an announcement's file, dropped when it ends",
}


def retention_lines(services: Services) -> Lines:
    shown: dict[str, Text] = {}
    for statement in STATEMENTS.values():
        if statement.key not in shown:
            shown[statement.key] = Text(statement.key, statement.params(services))
    return Lines(tuple(shown.values()))


# --- who answers for the data ---------------------------------------------------------------
async def controller_lines(ctx: Context) -> Lines:
    """The data controller of each project the person is or was in, then the bot's operator
    (for everything else; for an applicant, for everything)."""
    content = ctx.services.content
    lines: list[Param] = []
    for slug in await memberships.projects_of(ctx.conn, ctx.user.user_id):
        project = content.projects.get(slug) if content is not None else None
        name = project_name(ctx, slug)
        controller = project.data_controller if project is not None else None
        if controller is not None and controller.complete:
            lines.append(
                Text(
                    "privacy.controller_line",
                    {"project": name, "name": controller.name, "contact": controller.contact},
                )
            )
        else:
            lines.append(Text("privacy.controller_missing", {"project": name}))
    operator = content.programme.bot_operator if content is not None else None
    other = "_other" if lines else ""
    if operator is not None and operator.complete:
        lines.append(
            Text(
                f"privacy.operator_line{other}",
                {"name": operator.name, "contact": operator.contact},
            )
        )
    else:
        lines.append(Text(f"privacy.operator_missing{other}"))
    return Lines(tuple(lines))


# --- the replies ------------------------------------------------------------------------------
def show_short(ctx: Context) -> None:
    """The short version first (many read with difficulty); the whole text one tap away."""
    ctx.reply(
        "privacy.short",
        months=STATEMENTS["users"].params(ctx.services)["months"],
        buttons=[
            [PRIVACY.button("privacy.more_button", "more")],
            [COMMAND.button("privacy.export_button", "omattiedot")],
            [COMMAND.button("privacy.forget_button", "unohda")],
        ],
    )


async def show_full(ctx: Context) -> None:
    ctx.reply("privacy.text", background=Text("privacy.background"))
    ctx.reply("privacy.retention", lines=retention_lines(ctx.services))
    ctx.reply("privacy.controller", lines=await controller_lines(ctx))
