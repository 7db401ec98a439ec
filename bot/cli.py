"""The ``hankebot`` command: ``run`` the bot, plus maintenance and planning sub-commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from bot.cli_broadcast import add_broadcast_parser
from bot.cli_budget import add_budget_parser, add_check_content_parser
from bot.cli_db import add_db_parser
from bot.cli_diagrams import add_diagrams_parser
from bot.cli_meetings import add_meetings_parser
from bot.cli_report import add_report_parser
from bot.cli_status import add_status_parser
from bot.cli_types import Parser
from bot.config import Settings
from bot.log_format import JsonFormatter
from bot.log_safety import protect

SubcommandRunner = Callable[[argparse.Namespace], int]


def configure_logging(settings: Settings) -> None:
    """Log records carry ids and error types only (see :func:`bot.app.quiet_libraries`);
    the configured secrets are redacted from every line and traceback besides. Lines are
    text, or JSON objects with ``HANKEBOT_LOG_FORMAT=json`` (:mod:`bot.log_format`)."""
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    protect(settings.secret_values())


def settings_problems(error: ValidationError) -> str:
    """One line naming each bad setting and why, never the value given."""
    problems = []
    for problem in error.errors(include_input=False, include_url=False):
        field = "_".join(str(part) for part in problem["loc"]).upper()
        problems.append(f"HANKEBOT_{field}: {problem['msg']}")
    return "; ".join(problems)


def _run(args: argparse.Namespace) -> int:
    from bot.app import Application
    from bot.transports.base import StartupError
    from storage.db import NewerDatabase
    from storage.instance_lock import AlreadyRunning

    try:
        settings = Settings()
    except ValidationError as error:
        print(f"hankebot: configuration error: {settings_problems(error)}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return asyncio.run(Application(settings).run())
    except KeyboardInterrupt:
        return 0
    except (StartupError, NewerDatabase, AlreadyRunning) as error:
        print(f"hankebot: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    # Parser: usage errors as one line; every sub-command's parser is one too.
    parser: argparse.ArgumentParser = Parser(
        prog="hankebot", description="Chat assistant for ESR+ projects."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="serve Telegram/Matrix, or open the console chat if neither is configured"
    )
    run.set_defaults(handler=_run)
    add_budget_parser(commands)
    add_check_content_parser(commands)
    add_meetings_parser(commands)
    add_broadcast_parser(commands)
    add_report_parser(commands)
    add_db_parser(commands)
    add_diagrams_parser(commands)
    add_status_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: SubcommandRunner = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
