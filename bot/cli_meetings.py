"""``hankebot meetings add | import | list``: plan meetings from the command line.

A meeting added here is stored exactly as one planned in chat: its first occurrences are
created, reminders are planned for everyone it is for, and they are told about it through
the outbox. The running bot (``hankebot run``, same ``HANKEBOT_DATABASE``) notices the new
reminders within a minute and the notices within half a minute. An import is
all-or-nothing: a file with any problem imports nothing and every problem is listed.

CSV columns (header row first; ``,``, ``;`` or tab; Finnish and Swedish names work too):
``title, start_date, start_time, duration_min, repeat, count, until, place, link, note,
group`` — see :mod:`handlers.domain.calendar_files`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.cli_types import whole_number
from bot.config import Settings
from bot.dispatcher import Dispatcher, utc_now
from bot.i18n import Renderer
from bot.markup import html_to_plain
from content.loader import ContentError, load_content
from handlers.common.participation import card, describe_meeting
from handlers.core.context import Notice, Services
from handlers.core.types import Param, Reply, Text
from handlers.domain.calendar_files import (
    MeetingImportError,
    MeetingSpec,
    parse_ics,
    parse_meetings_csv,
)
from handlers.domain.datetime_input import DateTimeInputError, localize, parse_full_date, parse_time
from handlers.domain.links import MAX_LENGTH as LINK_LIMIT
from handlers.domain.links import is_valid_link
from handlers.domain.recurrence import (
    MAX_COUNT,
    RecurrenceError,
    RepeatKind,
    RuleProblem,
    build_rule,
)
from handlers.registry import build_registry
from messages.languages import LOCALES
from storage import audit, reminders
from storage import meetings as meeting_store
from storage.audit import CLI_ACTOR
from storage.db import Database
from storage.meetings import HORIZON

MAX_MINUTES = 1440
MAX_DAYS = 3660  # ten years ahead

EPILOG = """\
examples:
  hankebot meetings add --project vapautuvien-ja-kotiutuvien-tuki --group womens-group \\
      --title "Naisten ryhmä" --start "3.11.2026 13.00" --duration 120 \\
      --repeat weekly --count 13 --place "Kirjasto"
  hankebot meetings import kevat.csv --project osuva --group small-group
  hankebot meetings import kalenteri.ics --project toimi --participant telegram:12345

CSV columns: title*, start_date*, start_time*, duration_min, repeat (once, weekly,
biweekly, monthly or an RRULE), count, until, place, link, note, group (* = required).
Times are local (HANKEBOT_TIMEZONE). The bot must be running to send the reminders.
"""

REPEATS = {
    "once": RepeatKind.ONCE,
    "weekly": RepeatKind.WEEKLY,
    "biweekly": RepeatKind.BIWEEKLY,
    "monthly": RepeatKind.MONTHLY_NTH_WEEKDAY,
}


class MeetingsCliError(Exception):
    """A problem with the arguments or the file, told to the operator."""


def add_meetings_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "meetings",
        help="add, import or list meetings (reminders are sent by the running bot)",
        description="Plan meetings for a project's group, the whole project or one participant.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="meetings_command", required=True)

    add = actions.add_parser(
        "add",
        help="add a one-off meeting or a series",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _audience_arguments(add)
    add.add_argument("--title", required=True, help="what participants see, e.g. Naisten ryhmä")
    add.add_argument("--start", required=True, help='local start, e.g. "3.11.2026 13.00"')
    add.add_argument(
        "--duration",
        type=whole_number(1, MAX_MINUTES),
        default=60,
        help=f"minutes, 1–{MAX_MINUTES} (default 60)",
    )
    add.add_argument("--repeat", choices=sorted(REPEATS), default="once")
    end = add.add_mutually_exclusive_group()
    end.add_argument(
        "--count",
        type=whole_number(1, MAX_COUNT),
        help=f"how many meetings in the series (1–{MAX_COUNT})",
    )
    end.add_argument("--until", help='last day of the series, e.g. "31.5.2027"')
    add.add_argument("--place", default="", help="where, e.g. Kirjasto, Raatihuoneenkatu 1")
    add.add_argument("--link", default="", help="an online meeting link (https://…)")
    add.add_argument("--note", default="", help="a short note for participants")
    add.set_defaults(handler=run_meetings)

    imp = actions.add_parser(
        "import",
        help="import meetings from an .ics or .csv file",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path, help="FILE.ics or FILE.csv")
    _audience_arguments(imp)
    imp.set_defaults(handler=run_meetings)

    listing = actions.add_parser("list", help="list a project's coming meetings")
    listing.add_argument("--project", required=True, help="project slug, e.g. osmari")
    listing.add_argument(
        "--days",
        type=whole_number(1, MAX_DAYS),
        default=35,
        help=f"how far ahead, 1–{MAX_DAYS} days (default 35)",
    )
    listing.set_defaults(handler=run_meetings)

    for sub in (add, imp, listing):
        sub.add_argument(
            "--locale",
            choices=LOCALES,
            default="en",
            help="language of problem reports (default en)",
        )
        sub.add_argument(
            "--no-notify",
            action="store_true",
            help="do not tell the participants now (reminders still come)",
        )


def _audience_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, help="project slug, e.g. osmari")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--group", help="a group of the project (default: the whole project)")
    who.add_argument("--participant", help="one participant's user id: a personal meeting")


def run_meetings(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        return asyncio.run(_run(args, Settings(), out))
    except MeetingsCliError as error:
        print(f"hankebot meetings: {error}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    tz = ZoneInfo(settings.timezone)
    try:
        content = load_content(settings.content_dir)
    except ContentError as error:
        raise MeetingsCliError(f"the content does not load:\n{error}") from None
    project = content.projects.get(args.project)
    if project is None:
        known = ", ".join(sorted(content.projects))
        raise MeetingsCliError(f"no project {args.project!r}; the projects are: {known}")
    group = getattr(args, "group", None)
    if group is not None and group not in {g.id for g in project.groups}:
        known = ", ".join(g.id for g in project.groups) or "none"
        raise MeetingsCliError(f"{args.project} has no group {group!r}; its groups: {known}")
    renderer = Renderer(tz)
    services = Services(
        registry=build_registry(),
        timezone=tz,
        admins=settings.admins,
        rendering=renderer,
        content=content,
    )
    db = await Database.open(settings.database)
    try:
        dispatcher = Dispatcher(db, services, renderer)
        if args.meetings_command == "list":
            return await _list(db, args, renderer, tz, out)
        if args.meetings_command == "add":
            specs = [_spec_from_arguments(args, tz)]
        else:
            specs = _specs_from_file(args.file, tz, renderer, args.locale)
            valid_groups = {g.id for g in project.groups}
            strays = sorted({s.group for s in specs if s.group and s.group not in valid_groups})
            if strays:
                raise MeetingsCliError(f"{args.project} has no group {', '.join(strays)}")
        now = utc_now()
        async with db.transaction() as conn:
            if args.participant is not None:
                cursor = await conn.execute(
                    "SELECT 1 FROM memberships WHERE user_id = ? AND project = ?"
                    " AND role = 'participant' AND left_at IS NULL",
                    (args.participant, args.project),
                )
                if await cursor.fetchone() is None:
                    raise MeetingsCliError(
                        f"{args.participant} is not a participant of {args.project}"
                    )
            added: list[tuple[meeting_store.Meeting, int]] = []
            for spec in specs:
                if spec.uid and await _uid_taken(conn, spec.uid):
                    print(f"skipped (already imported): {spec.title}", file=out)
                    continue
                meeting = await meeting_store.create(
                    conn,
                    project=args.project,
                    group=None if args.participant else (spec.group or group),
                    user_id=args.participant,
                    title=spec.title,
                    start_local=spec.start,
                    rule=spec.rule,
                    duration=spec.duration,
                    place=spec.place,
                    link=spec.link,
                    note=spec.note,
                    tz=tz,
                    now=now,
                    uid=spec.uid or None,
                )
                for cancelled in spec.cancelled:
                    await _exception(conn, meeting, cancelled, None)
                for original, moved in spec.moved:
                    await _exception(conn, meeting, original, moved)
                await reminders.materialize_and_plan(conn, meeting, now + HORIZON, now=now, tz=tz)
                await audit.record(
                    conn,
                    actor=CLI_ACTOR,
                    action="meeting.create",
                    now=now,
                    project=meeting.project,
                    detail={"meeting": meeting.id},
                )
                people = await meeting_store.audience(conn, meeting)
                if not args.no_notify:
                    for user_id in people:
                        reply = Reply(
                            "participant.meeting_new",
                            {
                                "card": card(meeting, meeting.first_start),
                                "rhythm": describe_meeting(meeting, services),
                            },
                        )
                        await dispatcher.enqueue_notice(conn, Notice(user_id, reply), now)
                added.append((meeting, len(people)))
        for meeting, told in added:
            rhythm = _plain(renderer, args.locale, describe_meeting(meeting, services))
            first = meeting.first_start.astimezone(tz)
            print(
                f"added: {meeting.title} — first {first:%d.%m.%Y %H.%M}, {rhythm};"
                f" {told} participant(s)",
                file=out,
            )
        return 0
    finally:
        await db.close()


def _plain(renderer: Renderer, locale: str, value: Param) -> str:
    return html_to_plain(renderer.param(locale, value))


async def _uid_taken(conn: Any, uid: str) -> bool:
    cursor = await conn.execute("SELECT 1 FROM meetings WHERE uid = ?", (uid,))
    return await cursor.fetchone() is not None


async def _exception(
    conn: Any, meeting: meeting_store.Meeting, original: dt.datetime, moved: dt.datetime | None
) -> None:
    """A cancelled (EXDATE) or moved (RECURRENCE-ID) occurrence from an .ics file."""
    from storage.clock import to_text

    start = moved or original
    await conn.execute(
        "INSERT OR REPLACE INTO occurrences (meeting_id, recurrence_id, start_utc, end_utc,"
        " cancelled) VALUES (?, ?, ?, ?, ?)",
        (
            meeting.id,
            to_text(original),
            to_text(start),
            to_text(start + meeting.duration),
            1 if moved is None else 0,
        ),
    )


def _spec_from_arguments(args: argparse.Namespace, tz: ZoneInfo) -> MeetingSpec:
    date_text, _, time_text = args.start.strip().partition(" ")
    try:
        start = localize(parse_full_date(date_text), parse_time(time_text), tz)
        until = parse_full_date(args.until) if args.until else None
    except DateTimeInputError as error:
        raise MeetingsCliError(
            f"cannot read the date or time ({error.reason.value}); "
            'write e.g. --start "3.11.2026 13.00" and --until 31.5.2027'
        ) from None
    if args.link and not is_valid_link(args.link):
        raise MeetingsCliError(
            "--link must be one whole web address starting with https:// or http://, with no"
            f" spaces or line breaks and at most {LINK_LIMIT} characters"
        )
    try:
        rule = build_rule(REPEATS[args.repeat], start, tz, count=args.count, until=until)
    except RecurrenceError as error:
        raise MeetingsCliError(f"the repeat does not work: {error.reason.value}") from None
    return MeetingSpec(
        title=args.title.strip(),
        start=start,
        duration=dt.timedelta(minutes=args.duration),
        rule=rule,
        place=args.place.strip(),
        link=args.link.strip(),
        note=args.note.strip(),
    )


def _specs_from_file(
    path: Path, tz: ZoneInfo, renderer: Renderer, locale: str
) -> list[MeetingSpec]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MeetingsCliError(f"cannot read {path}: {type(error).__name__}") from None
    try:
        if path.suffix.lower() == ".ics":
            return parse_ics(data, tz=tz)
        if path.suffix.lower() == ".csv":
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise MeetingsCliError(f"{path} is not UTF-8 text") from None
            return parse_meetings_csv(text, tz=tz)
    except MeetingImportError as error:
        lines = [_plain(renderer, locale, Text("import.failed", {"count": len(error.problems)}))]
        for problem in error.problems:
            reason: Param = Text(f"import.{problem.reason.value}")
            if problem.cause is not None:
                kind = "rule" if isinstance(problem.cause, RuleProblem) else "datetime"
                cause = Text(f"{kind}.{problem.cause.value}", {"max": MAX_COUNT})
                reason = Text("import.with_cause", {"problem": reason, "cause": cause})
            if problem.column is not None:
                key, params = "import.row_column_problem", {"column": problem.column}
            elif path.suffix.lower() == ".ics":
                key, params = "import.event_problem", {}
            else:
                key, params = "import.row_problem", {}
            lines.append(
                _plain(
                    renderer, locale, Text(key, {"row": problem.row, "problem": reason, **params})
                )
            )
        raise MeetingsCliError("\n".join(lines)) from None
    raise MeetingsCliError(f"{path}: give an .ics or a .csv file")


async def _list(
    db: Database, args: argparse.Namespace, renderer: Renderer, tz: ZoneInfo, out: TextIO
) -> int:
    now = utc_now()
    async with db.transaction() as conn:
        rows = await meeting_store.for_projects(
            conn, [args.project], now, now + dt.timedelta(days=args.days), limit=1000
        )
        for occurrence, meeting in rows:
            answers = await conn.execute(
                "SELECT answer, COUNT(*) FROM rsvps WHERE occurrence_id = ? GROUP BY answer",
                (occurrence.id,),
            )
            counts = {row[0]: row[1] for row in await answers.fetchall()}
            who = meeting.group or ("personal" if meeting.user_id else "everyone")
            state = " CANCELLED" if occurrence.cancelled else ""
            print(
                f"{occurrence.start.astimezone(tz):%a %d.%m.%Y %H.%M}  {meeting.title}"
                f" [{who}]{state}  yes {counts.get('yes', 0)}, no {counts.get('no', 0)},"
                f" other time {counts.get('other', 0)}",
                file=out,
            )
    if not rows:
        print("no meetings", file=out)
    return 0
