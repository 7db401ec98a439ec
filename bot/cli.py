"""The ``hankebot`` command: ``run`` the bot, plus maintenance and planning sub-commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from bot.cli_broadcast import add_broadcast_parser
from bot.cli_budget import add_budget_parser, add_check_content_parser
from bot.cli_meetings import add_meetings_parser
from bot.cli_report import add_report_parser
from bot.config import Settings

SubcommandRunner = Callable[[argparse.Namespace], int]


def configure_logging(level: str) -> None:
    """Log records carry ids and error types only (see :func:`bot.app.quiet_libraries`)."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _run(args: argparse.Namespace) -> int:
    from bot.app import Application

    settings = Settings()
    configure_logging(settings.log_level)
    try:
        return asyncio.run(Application(settings).run())
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: SubcommandRunner = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
