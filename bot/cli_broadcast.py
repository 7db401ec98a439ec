"""``hankebot broadcast``: enqueue an announcement from the command line.

It writes the broadcast and one outbox row per recipient into the database in one
transaction, exactly as a coordinator's confirmation in chat does, and exits; the running
bot (``hankebot run``, same ``HANKEBOT_DATABASE``) notices the rows within a few seconds and
sends them under the platforms' limits. Run twice, it makes two broadcasts; a crash in the
middle leaves none. The audit log names the actor ``cli``. There is no progress message
(nobody to send it to): see ``/tiedotteet`` in chat for the outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.i18n import Renderer
from content.loader import ContentError, load_content
from handlers.common.coordination import project_label
from handlers.domain.datetime_input import DateTimeInputError, parse_datetime
from handlers.staff.broadcast import MAX_TEXT, NewBroadcast, enqueue_broadcast, message_html
from messages.languages import LOCALES
from storage import broadcasts
from storage.audit import CLI_ACTOR
from storage.db import Database

EPILOG = """\
The text file is plain UTF-8 text (it is shown as written; HTML is not interpreted).
--at takes a local time (HANKEBOT_TIMEZONE), e.g. "24.11.2026 13.00" or "24.11.2026 klo 13".
The bot must be running (hankebot run) for the messages to go out.
"""


class BroadcastError(Exception):
    """A problem with the arguments, told to the operator."""


def add_broadcast_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "broadcast",
        help="queue an announcement for the running bot to send",
        description=(
            "Queue an announcement to a project's participants (or one group, or the people"
            " who asked to be contacted about it)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--project", required=True, help="project slug, e.g. osmari")
    audience = parser.add_mutually_exclusive_group()
    audience.add_argument("--group", help="only this group of the project")
    audience.add_argument(
        "--contacts",
        action="store_true",
        help="the people who asked to be contacted about the project (not its participants)",
    )
    parser.add_argument("--text-file", required=True, type=Path, help="the announcement text")
    parser.add_argument("--at", help="send later, at this local time")
    parser.add_argument(
        "--dry-run", action="store_true", help="show who would get it; queue nothing"
    )
    parser.set_defaults(handler=run_broadcast)


def run_broadcast(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        return asyncio.run(broadcast_from_cli(settings, args, sys.stdout))
    except BroadcastError as error:
        print(f"hankebot broadcast: {error}", file=sys.stderr)
        return 2


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise BroadcastError(f"cannot read {path}: {type(error).__name__}") from None
    if not text:
        raise BroadcastError(f"{path} is empty")
    if len(text) > MAX_TEXT:
        raise BroadcastError(f"the text has {len(text)} characters; at most {MAX_TEXT}")
    return text


def _content(settings: Settings) -> Any:
    try:
        return load_content(settings.content_dir)
    except ContentError as error:
        raise BroadcastError(f"the content does not load:\n{error}") from None


async def broadcast_from_cli(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO,
    *,
    now: dt.datetime | None = None,
) -> int:
    moment = now or dt.datetime.now(dt.UTC)
    zone = ZoneInfo(settings.timezone)
    text = _read_text(args.text_file)
    content = _content(settings)
    if args.project not in content.projects:
        known = ", ".join(sorted(content.projects))
        raise BroadcastError(f"no project {args.project!r}; the projects are: {known}")
    send_at = None
    if args.at:
        try:
            send_at = parse_datetime(args.at, now=moment, tz=zone)
        except DateTimeInputError as error:
            raise BroadcastError(
                f"--at {args.at!r}: {error.reason.value} (write e.g. 24.11.2026 13.00)"
            ) from None
    db = await Database.open(settings.database)
    try:
        async with db.transaction() as conn:
            if args.group is not None:
                groups = {group.id for group in content.projects[args.project].groups}
                groups |= set(await broadcasts.groups_in_use(conn, args.project))
                if args.group not in groups:
                    raise BroadcastError(
                        f"project {args.project} has no group {args.group!r};"
                        f" groups: {', '.join(sorted(groups)) or 'none'}"
                    )
            contacts = bool(getattr(args, "contacts", False))
            if contacts:
                recipients = await broadcasts.contacts(conn, args.project)
            else:
                recipients = await broadcasts.participants(conn, [args.project], args.group)
            # blocked the bot, left the room, or no private chat with it yet
            unreachable = sum(1 for r in recipients if r.unreachable or r.chat_id is None)
            if not recipients:
                who = "people who asked to be contacted" if contacts else "participants"
                raise BroadcastError(f"nobody would get it (no {who} who take news)")
            if args.dry_run:
                out.write(
                    f"would send to {len(recipients)} people"
                    f" ({unreachable} known to be unreachable); nothing queued\n"
                )
                return 0
            renderer = Renderer(zone)
            html = {
                locale: message_html(
                    renderer,
                    locale,
                    project_label(content, args.project, locale if locale in LOCALES else "fi"),
                    text,
                )
                for locale in {r.locale for r in recipients}
            }
            new = NewBroadcast(
                project=args.project,
                audience="contacts" if contacts else "group" if args.group else "project",
                group=args.group,
                text=text,
                html=html,
                recipients=recipients,
                actor=CLI_ACTOR,
                created_by=None,
                report_chat=None,
                locale="fi",
                timezone=settings.timezone,
            )
            broadcast_id, total = await enqueue_broadcast(
                conn, new, send_at=send_at, now=moment, rendering=renderer
            )
    finally:
        await db.close()
    when = send_at.astimezone(zone).strftime("%d.%m.%Y %H.%M") if send_at else "now"
    out.write(
        f"announcement #{broadcast_id} queued for {total} people"
        f" ({unreachable} known to be unreachable); sending {when}"
        " while `hankebot run` is running\n"
    )
    return 0
