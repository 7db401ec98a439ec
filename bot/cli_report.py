"""``hankebot report``: a project's report on the command line, optionally as a CSV file.

The same figures and the same protection of individuals as ``/raportti`` in chat (counts
below 5 shown as "< 5"). Reading the database while the bot runs is safe (WAL mode).
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
from bot.markup import html_to_plain
from content.loader import ContentError, load_content
from handlers.common.coordination import project_label
from handlers.core.types import Day
from handlers.staff.reports import report_csv, report_lines
from messages.languages import LOCALES
from storage import private_files, reports
from storage.db import Database


def add_report_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="print a project's report (participants, meetings, results)",
        description="Print a project's report; counts below 5 are shown as '< 5'.",
    )
    parser.add_argument("--project", required=True, help="project slug, e.g. osmari")
    parser.add_argument("--csv", type=Path, help="also write the report to this CSV file")
    parser.add_argument("--lang", choices=LOCALES, default="fi", help="language (default fi)")
    parser.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    return asyncio.run(report_from_cli(Settings(), args, sys.stdout, sys.stderr))


async def report_from_cli(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    *,
    now: dt.datetime | None = None,
) -> int:
    moment = now or dt.datetime.now(dt.UTC)
    zone = ZoneInfo(settings.timezone)
    try:
        content = load_content(settings.content_dir)
    except ContentError as error:
        err.write(f"hankebot report: the content does not load:\n{error}\n")
        return 2
    if args.project not in content.projects:
        known = ", ".join(sorted(content.projects))
        err.write(f"hankebot report: no project {args.project!r}; the projects are: {known}\n")
        return 2
    db = await Database.open(settings.database)
    try:
        async with db.read() as conn:  # a snapshot: the running bot writes on meanwhile
            options = reports.Options(rating_target=content.programme.rating_target)
            report = await reports.build(conn, args.project, moment, options)
    finally:
        await db.close()
    renderer = Renderer(zone)
    html = renderer.text(
        args.lang,
        "report.summary",
        {
            "project": project_label(content, args.project, args.lang),
            "day": Day(moment.astimezone(zone).date()),
            "lines": report_lines(report),
        },
    )
    out.write(html_to_plain(html) + "\n")
    if args.csv is not None:
        try:
            private_files.write_file(args.csv, report_csv(renderer, args.lang, report))
        except OSError as error:
            err.write(f"hankebot report: cannot write {args.csv}: {type(error).__name__}\n")
            return 1
        out.write(f"CSV: {args.csv}\n")
    return 0
