"""What the coordinators' meeting modules share: flow names, limits, input rules, telling a
meeting's audience and the audit row of each change.

The meeting views and buttons are in :mod:`handlers.staff.meetings`, planning a new meeting in
:mod:`handlers.staff.meeting_new`, changing or cancelling one in :mod:`handlers.staff.meeting_edit`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.common import participation as common
from handlers.core.context import Context, Notice
from handlers.core.flow import ButtonFamily
from handlers.core.types import Button, InvalidInput, Param, Reply
from handlers.domain.links import MAX_LENGTH as LINK_LIMIT
from handlers.domain.links import LinkInputError, looks_like_link, parse_link
from handlers.domain.whole_numbers import CountInputError, parse_count
from storage import audit
from storage import meetings as meeting_store
from storage.meetings import Meeting, Occurrence

NEW_FLOW = "meeting_new"
EDIT_FLOW = "meeting_edit"
NEW_TIME_FLOW = "meeting_new_time"
TITLE_LIMIT = 200
PLACE_LIMIT = 200
NOTE_LIMIT = 500
DURATIONS = (30, 60, 90, 120)
MAX_MINUTES = 1440
MINUTES = ButtonFamily("min")  # min:<minutes>


def tz_of(ctx: Context) -> ZoneInfo:
    return ctx.services.timezone


def project_label_of(ctx: Context, project: str) -> str:
    return common.project_name(ctx.services, project, ctx.locale)


async def audit_change(
    ctx: Context,
    action: str,
    meeting: Meeting,
    occurrence: Occurrence | None = None,
    *,
    subject: str | None = None,
) -> None:
    """One audit row per change a coordinator makes (ids only, never texts)."""
    detail: dict[str, str | int | None] = {"meeting": meeting.id}
    if occurrence is not None:
        detail["occurrence"] = occurrence.id
    await audit.record(
        ctx.conn,
        actor=ctx.user.user_id,
        action=action,
        now=ctx.now,
        project=meeting.project,
        subject=subject,
        detail=detail,
    )


def private_only(ctx: Context) -> bool:
    """Participants' names and answers are never shown in a group chat."""
    if ctx.incoming.is_group_chat:
        ctx.reply("privacy.private_only")
        return False
    return True


def place_or_link(text: str) -> tuple[str, str]:
    """A typed place or web link: ``("link", link)`` for a text that starts with http:// or
    https://, which must then be a valid link (:func:`handlers.domain.links.parse_link`),
    else ``("place", text)``. Wrong input is :class:`InvalidInput` (the step stays)."""
    if looks_like_link(text):
        try:
            return "link", parse_link(text)
        except LinkInputError as error:
            raise InvalidInput("meetings.link_invalid", limit=LINK_LIMIT) from error
    if len(text) > PLACE_LIMIT:
        raise InvalidInput("meetings.too_long", limit=PLACE_LIMIT)
    return "place", text


def minutes_from(ctx: Context) -> int:
    """Minutes from a button or typed ("90", "90 min"); the same rule as a new meeting's."""
    if ctx.payload is not None:
        value = ctx.button(MINUTES)
    else:
        value = (ctx.text or "").strip().removesuffix("min").strip()
    try:
        return parse_count(value, minimum=1, maximum=MAX_MINUTES)
    except CountInputError as error:
        raise InvalidInput("meetings.duration_invalid") from error


async def tell_audience(
    ctx: Context,
    meeting: Meeting,
    key: str,
    people: list[str] | None = None,
    *,
    buttons: tuple[tuple[Button, ...], ...] = (),
    **params: Param,
) -> int:
    """Tell everyone the meeting is for (or ``people``); returns how many."""
    audience = people if people is not None else await meeting_store.audience(ctx.conn, meeting)
    for user_id in audience:
        ctx.notices.append(Notice(user_id, Reply(key, dict(params), buttons)))
    return len(audience)
