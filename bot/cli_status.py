"""``hankebot status``: is the bot on this machine well? Readable sentences, exit code 1
when something is wrong (0 when all is well, 2 on a configuration error).

It checks what can be seen from outside the bot: the database exists, can be read and has
the code's schema; a bot is running on it (its instance lock is held); and the outbox
backlog (:mod:`bot.health`). Whether the delivery workers run is known only inside the bot:
with ``HANKEBOT_HEALTH_PORT`` set, the running bot's ``/healthz`` is asked for it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from bot.config import Settings
from bot.health import Check, Report, backlog_checks, database_check, limits_of
from storage.db import Database, NewerDatabase
from storage.instance_lock import is_held

ASK_TIMEOUT = 5.0
ANY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104 - only compared with, never bound


def add_status_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "status",
        help="say whether the bot is well (exit code 1 when not)",
        description="Check the database, the running bot and the outbox backlog.",
    )
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    from bot.cli import settings_problems

    try:
        settings = Settings()
    except ValidationError as error:
        print(f"hankebot: configuration error: {settings_problems(error)}", file=sys.stderr)
        return 2
    return status(settings, sys.stdout)


def status(settings: Settings, out: TextIO) -> int:
    database = Path(settings.database)
    if database.exists():
        report, notes = asyncio.run(gather(settings, database))
    else:
        report = Report((Check("database", False, f"there is no database at {database}"),))
        notes = ["the bot creates it at its first start (hankebot run)"]
    for line in report.sentences():
        out.write(line + "\n")
    for note in notes:
        out.write(f"note {note}\n")
    out.write("all is well\n" if report.ok else "something is wrong: see the FAIL lines\n")
    return 0 if report.ok else 1


async def gather(settings: Settings, database: Path) -> tuple[Report, list[str]]:
    try:
        db = await Database.open(database, migrate=False)
    except NewerDatabase as error:
        return Report((Check("database", False, str(error)),)), []
    try:
        checks = [await database_check(db)]
        pending = await db.pending() if checks[0].ok else []
        if pending:
            checks.append(
                Check(
                    "schema",
                    False,
                    f"{len(pending)} schema migrations are pending: run 'hankebot db migrate'",
                    {"pending": len(pending)},
                )
            )
        elif checks[0].ok:
            checks.append(Check("schema", True, f"the schema is up to date ({database})"))
        running = await asyncio.to_thread(is_held, database)
        checks.append(
            Check("running", True, "a bot is running on this database")
            if running
            else Check("running", False, "no bot is running on this database")
        )
        notes: list[str] = []
        if running:
            workers, note = ask_running_bot(settings)
            checks += workers
            if note:
                notes.append(note)
        if checks[0].ok:
            backlog = await backlog_checks(db, dt.datetime.now(dt.UTC), limits_of(settings))
            checks += backlog or [Check("backlog", True, "nothing waits to be sent")]
        return Report(tuple(checks)), notes
    finally:
        await db.close()


def ask_running_bot(settings: Settings) -> tuple[list[Check], str | None]:
    """The delivery workers' checks from the running bot's ``/healthz``."""
    if settings.health_port is None:
        return [], "the delivery workers were not checked: HANKEBOT_HEALTH_PORT is not set"
    host = "127.0.0.1" if settings.health_listen in ANY_ADDRESS else settings.health_listen
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{settings.health_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=ASK_TIMEOUT) as response:
            body = response.read()
    except urllib.error.HTTPError as error:  # 503: the body says what is wrong
        body = error.read()
    except (OSError, ValueError) as error:
        return [
            Check("healthz", False, f"the bot does not answer at {url} ({type(error).__name__})")
        ], None
    try:
        answer = json.loads(body)
        found = answer["checks"]
    except (ValueError, KeyError, TypeError):
        return [Check("healthz", False, f"the answer of {url} is not a health report")], None
    checks = []
    for name, figures in sorted(found.items()):
        if not name.startswith("delivery:"):
            continue
        transport = name.partition(":")[2]
        ok = bool(figures.get("ok"))
        sentence = f"the {transport} delivery worker " + ("runs" if ok else "has stopped")
        checks.append(Check(name, ok, sentence))
    return checks, None
