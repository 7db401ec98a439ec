"""``hankebot meetings add | import | list``: plan meetings from the command line.

A meeting added here is stored exactly as one planned in chat: its first occurrences are
created, reminders are planned for everyone it is for, and they are told about it through
the outbox. The running bot (``hankebot run``, same ``HANKEBOT_DATABASE``) notices the new
reminders within a minute and the notices within half a minute. An import is
all-or-nothing: a file with any problem imports nothing and every problem is listed; a rule
that asks for more than one meeting a day is refused in one line with exit code 2.

The running bot must be able to write all the while (issue 11: an import holding the write
lock for minutes made its transactions fail with "database is locked"). So the file is read,
checked and expanded before the database is opened; what planning needs is read in a
read-only snapshot (no write lock); reminders and notices are planned in memory and the
reminder rows staged in a TEMP table (no write lock either); then one write transaction
checks that the snapshot still holds (else everything is planned again) and stores the
batch in a handful of statements, the same number for one series as for sixty.

CSV columns (header row first; ``,``, ``;`` or tab; Finnish and Swedish names work too):
``title, start_date, start_time, duration_min, repeat, count, until, place, link, note,
group`` — see :mod:`handlers.domain.calendar_files`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import aiosqlite

from bot.cli_types import whole_number
from bot.config import Settings
from bot.dispatcher import utc_now
from bot.i18n import Renderer
from bot.markup import html_to_plain
from content.loader import ContentError, load_content
from handlers.common.participation import card, describe_meeting
from handlers.core.context import Services
from handlers.core.types import Param, Text
from handlers.domain.calendar_files import (
    MeetingImportError,
    MeetingSpec,
    parse_ics,
    parse_meetings_csv,
)
from handlers.domain.datetime_input import DateTimeInputError, localize, parse_full_date, parse_time
from handlers.domain.links import MAX_LENGTH as LINK_LIMIT
from handlers.domain.links import is_valid_link
from handlers.domain.meeting_plan import (
    OccurrenceRow,
    occurrences_to_add,
    series_times,
    with_exceptions,
)
from handlers.domain.recurrence import (
    MAX_COUNT,
    MAX_SPAN_YEARS,
    RecurrenceError,
    RepeatKind,
    RuleProblem,
    build_rule,
    occurrences,
)
from handlers.domain.reminder_plan import Offsets, ReminderRow, Slot, effective_offsets, rows_for
from handlers.registry import build_registry
from messages.languages import LOCALES
from storage import audit, held_notices, memberships, participants, reminders, users
from storage import meetings as meeting_store
from storage.audit import CLI_ACTOR
from storage.db import Database
from storage.meetings import HORIZON, LOOKBACK, NewMeeting
from storage.users import User

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


#: Rules refused outright (issue 11: a series asking for thousands of meetings a day):
#: the import stops with exit code 2 and one line, before anything is written.
REFUSED_RULES = frozenset(
    {RuleProblem.SEVERAL_A_DAY, RuleProblem.UNSUPPORTED_FREQUENCY, RuleProblem.TOO_LONG}
)


class MeetingsCliError(Exception):
    """A problem with the arguments or the file, told to the operator."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
    add.add_argument(
        "--allow-past",
        action="store_true",
        help="record a meeting that has already ended (otherwise refused)",
    )
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
        return error.exit_code


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
    if args.meetings_command == "list":
        db = await Database.open(settings.database)
        try:
            return await _list(db, args, renderer, tz, out)
        finally:
            await db.close()
    # Everything is read, checked and expanded before the database is opened: a file with
    # any problem writes nothing, and no expansion runs while the write lock is held.
    if args.meetings_command == "add":
        specs = [_spec_from_arguments(args, tz)]
        if not args.allow_past and _entirely_past(specs[0], utc_now(), tz):
            raise MeetingsCliError(
                f"the meeting is entirely in the past ({args.start}): check the date, or add"
                " --allow-past to record it anyway"
            )
    else:
        specs = _specs_from_file(args.file, tz, renderer, args.locale)
        valid_groups = {g.id for g in project.groups}
        strays = sorted({s.group for s in specs if s.group and s.group not in valid_groups})
        if strays:
            raise MeetingsCliError(f"{args.project} has no group {', '.join(strays)}")
    now = utc_now()
    plans = [_plan_series(spec, args, group, now, tz) for spec in specs]
    db = await Database.open(settings.database)
    try:
        for _ in range(WRITE_ATTEMPTS):
            async with db.read() as conn:
                seen = await _snapshot(conn, args.project, args.participant, plans)
            batch = _prepare(plans, seen, args, services, renderer, now, tz)
            async with db.scratch() as conn:
                await reminders.stage(conn, batch.reminders, batch.occurrence_keys())
            async with db.transaction() as conn:
                # What the plan was made from must not have changed meanwhile (someone
                # joined, the same file was imported twice at once): then plan again.
                if await _snapshot(conn, args.project, args.participant, plans) != seen:
                    continue
                stored = await _write(conn, batch, args.project, now)
            break
        else:
            raise MeetingsCliError("the database kept changing while planning; try again")
    finally:
        await db.close()
    for title in batch.skipped:
        print(f"skipped (already imported): {title}", file=out)
    for meeting, told in zip(stored, batch.told, strict=True):
        rhythm = _plain(renderer, args.locale, describe_meeting(meeting, services))
        first = meeting.first_start.astimezone(tz)
        print(
            f"added: {meeting.title} — first {first:%d.%m.%Y %H.%M}, {rhythm};"
            f" {told} participant(s)",
            file=out,
        )
    return 0


def _plain(renderer: Renderer, locale: str, value: Param) -> str:
    return html_to_plain(renderer.param(locale, value))


# --- planned in memory, written in one short transaction ---------------------------------------

#: How often an import is planned again when what it was planned from changed meanwhile.
WRITE_ATTEMPTS = 3


@dataclass(frozen=True)
class _Series:
    """One meeting or series of the file, planned without the database."""

    spec: MeetingSpec
    meeting: NewMeeting
    occurrences: list[OccurrenceRow]


@dataclass(frozen=True)
class _Snapshot:
    """What planning read from the database, compared again inside the write transaction."""

    taken: frozenset[str]  # UIDs already stored (those series are skipped)
    audiences: dict[tuple[str | None, str | None], tuple[str, ...]]  # (group, person): people
    offsets: dict[str, Offsets]
    people: dict[str, User]


@dataclass
class _Batch:
    """Everything the write transaction stores."""

    meetings: list[NewMeeting] = field(default_factory=list)
    occurrences: list[tuple[int, OccurrenceRow]] = field(default_factory=list)  # (meeting #, row)
    reminders: list[ReminderRow] = field(default_factory=list)  # occurrence_id: index in ^
    notices: list[tuple[User, str]] = field(default_factory=list)
    told: list[int] = field(default_factory=list)  # per meeting: how many it is for
    skipped: list[str] = field(default_factory=list)

    def occurrence_keys(self) -> list[tuple[str, dt.datetime]]:
        """(meeting UID, original start) of each occurrence, by its index."""
        return [(self.meetings[number].uid, row.recurrence_id) for number, row in self.occurrences]


def _plan_series(
    spec: MeetingSpec,
    args: argparse.Namespace,
    group: str | None,
    now: dt.datetime,
    tz: ZoneInfo,
) -> _Series:
    times = series_times(spec.rule, spec.start, tz)
    until = now + HORIZON
    found = occurrences_to_add(
        spec.rule,
        times.dtstart_local,
        spec.duration,
        materialized_until=times.first_start,
        until=until,
        now=now,
        lookback=LOOKBACK,
        tz=tz,
    )
    meeting = NewMeeting(
        uid=spec.uid or meeting_store.new_uid(),
        project=args.project,
        group=None if args.participant else (spec.group or group),
        user_id=args.participant,
        title=spec.title,
        times=times,
        rule=spec.rule,
        duration=spec.duration,
        place=spec.place,
        link=spec.link,
        note=spec.note,
        materialized_until=max(until, times.first_start),
    )
    rows = with_exceptions(found, spec.duration, cancelled=spec.cancelled, moved=spec.moved)
    return _Series(spec, meeting, rows)


async def _snapshot(
    conn: aiosqlite.Connection, project: str, participant: str | None, plans: list[_Series]
) -> _Snapshot:
    if participant is not None:
        active = await memberships.active_for(conn, participant)
        if not any(m.project == project and m.role == "participant" for m in active):
            raise MeetingsCliError(f"{participant} is not a participant of {project}")
    taken = await meeting_store.uids_taken(conn, {plan.meeting.uid for plan in plans})
    audiences: dict[tuple[str | None, str | None], tuple[str, ...]] = {}
    for plan in plans:
        key = (plan.meeting.group, plan.meeting.user_id)
        if key not in audiences:
            audiences[key] = tuple(await meeting_store.audience_of(conn, project, *key))
    everyone = sorted({person for people in audiences.values() for person in people})
    own = await participants.own_offsets_of(conn, project, everyone)
    default = effective_offsets(None, await participants.project_offsets(conn, project))
    return _Snapshot(
        taken=frozenset(taken),
        audiences=audiences,
        offsets={person: own.get(person, default) for person in everyone},
        people=await users.get_many(conn, everyone),
    )


def _prepare(
    plans: list[_Series],
    seen: _Snapshot,
    args: argparse.Namespace,
    services: Services,
    renderer: Renderer,
    now: dt.datetime,
    tz: ZoneInfo,
) -> _Batch:
    """Reminder rows and rendered notices for the series not imported yet (pure)."""
    batch = _Batch()
    uids = set(seen.taken)
    for plan in plans:
        if plan.meeting.uid in uids:
            batch.skipped.append(plan.spec.title)
            continue
        uids.add(plan.meeting.uid)
        number = len(batch.meetings)
        batch.meetings.append(plan.meeting)
        people = seen.audiences[(plan.meeting.group, plan.meeting.user_id)]
        batch.told.append(len(people))
        slots = []
        for row in plan.occurrences:
            slots.append(Slot(len(batch.occurrences), row.start, row.end, row.cancelled))
            batch.occurrences.append((number, row))
        offsets = {person: seen.offsets[person] for person in people}
        batch.reminders += rows_for(slots, offsets, now=now, tz=tz)
        if args.no_notify:
            continue
        draft = _draft(plan.meeting)
        params: dict[str, Param] = {
            "card": card(draft, draft.first_start),
            "rhythm": describe_meeting(draft, services),
        }
        texts: dict[str, str] = {}
        for user_id in people:
            person = seen.people.get(user_id)
            if person is None or person.unreachable:
                continue
            if person.locale not in texts:
                texts[person.locale] = renderer.text(
                    person.locale, "participant.meeting_new", params
                )
            batch.notices.append((person, texts[person.locale]))
    return batch


def _draft(meeting: NewMeeting) -> meeting_store.Meeting:
    """A planned meeting as a :class:`storage.meetings.Meeting`, for the notice."""
    return meeting_store.Meeting(
        id=0,
        uid=meeting.uid,
        project=meeting.project,
        group=meeting.group,
        user_id=meeting.user_id,
        title=meeting.title,
        dtstart_local=meeting.times.dtstart_local,
        rule=meeting.rule,
        duration=meeting.duration,
        place=meeting.place,
        link=meeting.link,
        note=meeting.note,
        first_start=meeting.times.first_start,
        last_start=meeting.times.last_start,
        materialized_until=meeting.materialized_until,
        cancelled=False,
    )


async def _write(
    conn: aiosqlite.Connection, batch: _Batch, project: str, now: dt.datetime
) -> list[meeting_store.Meeting]:
    """The batch in a few statements (one per table), in the caller's write transaction;
    the reminder rows were staged before it (:func:`storage.reminders.stage`)."""
    stored = await meeting_store.create_many(conn, batch.meetings, now)
    rows = [(stored[number].id, row) for number, row in batch.occurrences]
    await meeting_store.insert_occurrences(conn, rows)
    await reminders.insert_staged(conn)  # staged before the transaction began
    await audit.record_many(
        conn,
        actor=CLI_ACTOR,
        action="meeting.create",
        now=now,
        project=project,
        details=[{"meeting": meeting.id} for meeting in stored],
    )
    await held_notices.to_people(conn, batch.notices, now)
    return stored


#: Far enough ahead to find a next occurrence of any rule a meeting may have (at most monthly).
PAST_CHECK_AHEAD = dt.timedelta(days=400)


def _entirely_past(spec: MeetingSpec, now: dt.datetime, tz: ZoneInfo) -> bool:
    """True when every occurrence of ``spec`` has ended by ``now``."""
    ahead = occurrences(spec.rule, spec.start, now - spec.duration, now + PAST_CHECK_AHEAD, tz)
    return not ahead


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
        limits: dict[str, Param] = {"max": MAX_COUNT, "years": MAX_SPAN_YEARS}
        refused = next((p for p in error.problems if p.cause in REFUSED_RULES), None)
        if refused is not None and refused.cause is not None:
            key = "import.refused_event" if path.suffix.lower() == ".ics" else "import.refused_row"
            cause = Text(f"rule.{refused.cause.value}", limits)
            line = _plain(renderer, locale, Text(key, {"row": refused.row, "cause": cause}))
            raise MeetingsCliError(line, exit_code=2) from None
        lines = [_plain(renderer, locale, Text("import.failed", {"count": len(error.problems)}))]
        for problem in error.problems:
            reason: Param = Text(f"import.{problem.reason.value}")
            if problem.cause is not None:
                kind = "rule" if isinstance(problem.cause, RuleProblem) else "datetime"
                cause = Text(f"{kind}.{problem.cause.value}", limits)
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
    async with db.read() as conn:
        rows = await meeting_store.for_projects(
            conn, [args.project], now, now + dt.timedelta(days=args.days), limit=1000
        )
        for occurrence, meeting in rows:
            counts = Counter((await participants.rsvps(conn, occurrence.id)).values())
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
