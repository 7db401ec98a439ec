"""Helpers shared by enrolment, the coordinators' meeting flows and the participants' answers:
project and group names from content, how a person is named, a meeting's card, telling the
coordinators, and waking the reminder scheduler after a change."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from handlers.common.buttons import RSVP
from handlers.common.coordination import project_label
from handlers.core.context import Context, Notice, Roles, Services
from handlers.core.types import Button, Day, Lines, Param, Reply, Text, When
from handlers.domain.recurrence import RepeatKind, RuleDescription, describe_rule
from storage import memberships, users
from storage.meetings import Meeting, Occurrence

WAKE_SCHEDULER = "reminders.wake"
TELEGRAM_USERNAME = "telegram.username"
HOUR = dt.timedelta(hours=1)
#: A participant's (or a project's) reminder choices: what is offered, what each means.
REMINDER_CHOICES: dict[str, tuple[dt.timedelta, ...] | None] = {
    "both": (24 * HOUR, 2 * HOUR),
    "day": (24 * HOUR,),
    "hours": (2 * HOUR,),
    "off": (),
    "default": None,
}


@functools.cache
def _packaged_content() -> Any:
    from content import ContentError, load_content

    try:
        return load_content()
    except ContentError:
        return None


def content_of(services: Services) -> Any:
    """The loaded content (``content.schema.Content``), or the packaged one as a fallback."""
    return services.content if services.content is not None else _packaged_content()


def project_of(services: Services, slug: str) -> Any:
    content = content_of(services)
    if content is None:
        return None
    return content.projects.get(slug)


def project_name(services: Services, slug: str, locale: str) -> str:
    """The name people use (e.g. "Osmari"), the same everywhere in chat."""
    return project_label(services.content, slug, locale)


def group_of(services: Services, slug: str, group: str | None) -> Any:
    project = project_of(services, slug)
    if project is None or group is None:
        return None
    return next((g for g in project.groups if g.id == group), None)


def group_name(services: Services, slug: str, group: str | None, locale: str) -> str | None:
    found = group_of(services, slug, group)
    if found is not None:
        return str(found.name.get(locale))
    return group


def all_projects(services: Services) -> list[str]:
    content = content_of(services)
    return sorted(content.projects) if content is not None else []


def coordinated_projects(ctx: Context) -> list[str]:
    """Projects the person may coordinate: admins may coordinate every project."""
    if ctx.roles.is_admin:
        return sorted(set(all_projects(ctx.services)) | set(ctx.roles.coordinator_of))
    return sorted(ctx.roles.coordinator_of)


def is_coordinator(roles: Roles) -> bool:
    return roles.is_admin or roles.is_coordinator


def person_label(person: users.User | None, user_id: str) -> Param:
    """How coordinators see a participant: the name the platform gave; without one, the
    name in their address when it has one (Matrix ``@pirjo:example.org`` → "pirjo", never a
    clipped "…irjo"); only a bare number (a Telegram id) becomes "Osallistuja …3456"."""
    if person is not None and person.display_name:
        return person.display_name
    local = user_id.split(":", 1)[-1]
    if local.startswith("@"):
        local = local[1:].split(":", 1)[0]
    if local and not local.isdigit() and user_id.split(":", 1)[0] != "console":
        return local
    return Text("people.unnamed", {"ref": short_ref(user_id)})


def short_ref(user_id: str) -> str:
    """The end of the platform's id: ``telegram:123456`` → ``3456``, and on Matrix the
    end of the user part, ``matrix:@anna.k:example.org`` → ``na.k`` (not the server)."""
    ref = user_id.split(":", 1)[-1]
    if ref.startswith("@"):
        ref = ref[1:].split(":", 1)[0]
    return ref[-4:]


async def label_of(ctx: Context, user_id: str) -> Param:
    return person_label(await users.get(ctx.conn, user_id), user_id)


def wake_scheduler(ctx: Context) -> None:
    """Ask the scheduler to look again (it waits for this transaction to commit)."""
    wake = ctx.services.extras.get(WAKE_SCHEDULER)
    if wake is not None:
        wake()


def details(meeting: Meeting) -> Lines:
    """Place, link and note, one per line (only those that are set)."""
    items: list[Param] = []
    if meeting.place:
        items.append(Text("meeting.place", {"place": meeting.place}))
    if meeting.link:
        items.append(Text("meeting.link", {"link": meeting.link}))
    if meeting.note:
        items.append(Text("meeting.note", {"note": meeting.note}))
    return Lines(tuple(items))


def card(meeting: Meeting, start: dt.datetime) -> Text:
    """A meeting as the participant sees it: title, time from–to, place, link, note."""
    lines = details(meeting)
    when = When(start, until=start + meeting.duration)
    if not lines.items:
        return Text("meeting.card_plain", {"title": meeting.title, "when": when})
    return Text("meeting.card", {"title": meeting.title, "when": when, "details": lines})


def occurrence_card(occurrence: Occurrence, meeting: Meeting) -> Text:
    return card(meeting, occurrence.start)


_NTH_KEYS = {1: "meeting.nth_1", 2: "meeting.nth_2", 3: "meeting.nth_3", 4: "meeting.nth_4"}


def describe(description: RuleDescription) -> Text:
    """A series' rhythm in words, e.g. "every Tuesday, 13 times"."""
    weekday = (
        Text(f"meeting.weekday_{description.weekday}") if description.weekday is not None else ""
    )
    match description.kind:
        case RepeatKind.ONCE:
            rhythm = Text("meeting.rule_once")
        case RepeatKind.WEEKLY:
            rhythm = Text("meeting.rule_weekly", {"weekday": weekday})
        case RepeatKind.BIWEEKLY:
            rhythm = Text("meeting.rule_biweekly", {"weekday": weekday})
        case RepeatKind.MONTHLY_NTH_WEEKDAY:
            nth = Text(_NTH_KEYS.get(description.nth or 0, "meeting.nth_last"))
            rhythm = Text("meeting.rule_monthly", {"nth": nth, "weekday": weekday})
        case _:
            rhythm = Text("meeting.rule_custom")
    if description.kind is RepeatKind.ONCE:
        return rhythm
    if description.count is not None:
        return Text("meeting.rule_count", {"rhythm": rhythm, "count": description.count})
    if description.last is not None:
        return Text("meeting.rule_until", {"rhythm": rhythm, "last": Day(description.last)})
    return Text("meeting.rule_open", {"rhythm": rhythm})


def describe_meeting(meeting: Meeting, services: Services) -> Text:
    tz = services.timezone
    return describe(describe_rule(meeting.rule, meeting.start_local(tz), tz))


async def coordinators_of(ctx: Context, project: str) -> list[str]:
    """Who hears about a project's participants: its coordinators, else the admins."""
    rows = await memberships.members(ctx.conn, project, "coordinator")
    people = [row.user_id for row in rows]
    return people or sorted(ctx.services.admins)


async def notify_coordinators(
    ctx: Context,
    project: str,
    key: str,
    *,
    buttons: Sequence[Sequence[Button]] = (),
    dedupe_key: str | None = None,
    **params: Param,
) -> None:
    """Tell the project's coordinators (else the admins) about the person who is acting.

    The notices are about that person: their /unohda deletes them (:class:`Notice`)."""
    for user_id in await coordinators_of(ctx, project):
        if user_id == ctx.user.user_id:
            continue
        person = await users.get(ctx.conn, user_id)
        locale = person.locale if person is not None else "fi"
        ctx.notices.append(
            Notice(
                user_id=user_id,
                reply=Reply(
                    key,
                    {"project": project_name(ctx.services, project, locale), **params},
                    tuple(tuple(row) for row in buttons),
                ),
                dedupe_key=f"{dedupe_key}:{user_id}" if dedupe_key else None,
                about=ctx.user.user_id,
            )
        )


# --- shared by the participants' answers and the coordinators' meeting views -------------
def rsvp_buttons(occurrence_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (RSVP.button("participant.coming", f"{occurrence_id}:yes"),),
        (RSVP.button("participant.not_coming", f"{occurrence_id}:no"),),
        (RSVP.button("participant.other_time", f"{occurrence_id}:other"),),
    )


def offsets_text(offsets: tuple[dt.timedelta, ...]) -> Text:
    """ "24 h ennen ja 2 h ennen" in the reader's language."""
    if not offsets:
        return Text("participant.offsets_none")
    words = [
        Text("participant.offset_hours", {"hours": int(o.total_seconds() // 3600)})
        if o.total_seconds() % 3600 == 0
        else Text("participant.offset_minutes", {"minutes": max(1, int(o.total_seconds() // 60))})
        for o in sorted(offsets, reverse=True)
    ]
    text = words[-1]
    for word in reversed(words[:-1]):
        text = Text("participant.offsets_and", {"first": word, "rest": text})
    return text
