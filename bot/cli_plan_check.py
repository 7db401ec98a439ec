"""``hankebot plan-check``: the chat's plan check (participants, target group, result targets,
promised percentages) without a chat, for figures typed as options or a content project's own
``plan_figures``. Wrong input is the chat's own sentence, in ``--lang``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot.i18n import renderer
from content.loader import ContentError, load_content
from content.schema import PlanFigures
from handlers.applicant.plan_check import S, figures_from, plan_check_lines, read_value
from handlers.core.types import InvalidInput
from handlers.domain.plan_check import check_plan
from messages.languages import LOCALES, SOURCE_LOCALE

OPTIONS = {step: "--" + step.value.replace("_percent", "").replace("_", "-") for step in S}


def add_plan_check_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "plan-check",
        help="check participants, target group and result targets as the funder does",
        description="Point out what in a plan's participant and result-indicator figures does "
        "not fit together (as the funder criticised in the seeds). Give the figures, or "
        "--project SLUG for a content project's own plan_figures.",
    )
    parser.add_argument("--project", metavar="SLUG", help="a project in content/projects")
    for step, option in OPTIONS.items():
        parser.add_argument(option, dest=step.value, metavar="N", help=step.value)
    parser.add_argument("--lang", choices=list(LOCALES), default=SOURCE_LOCALE)
    parser.add_argument("--content-dir", type=Path, default=None, metavar="DIR")
    parser.set_defaults(handler=run_plan_check)
    return parser


def _figures(args: argparse.Namespace) -> PlanFigures:
    """The typed figures, each read as the chat reads it; "-" or an absent optional: unknown."""
    data: dict[str, object] = {}
    participants: int | None = None
    for step, option in OPTIONS.items():
        text = getattr(args, step.value)
        if text is None:
            text = "-" if step.value.startswith(("target", "promised")) else "0"
            if step is S.PARTICIPANTS:
                text = ""
        try:
            data[step.value] = read_value(step, text, participants)
        except InvalidInput as error:
            raise _Refusal(option, error) from None
        if step is S.PARTICIPANTS:
            participants = int(str(data[step.value]))
    return figures_from(data)


class _Refusal(Exception):
    def __init__(self, option: str, error: InvalidInput) -> None:
        super().__init__(option)
        self.option = option
        self.error = error


def run_plan_check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """0 with the result printed (findings included), 1 on content problems, 2 on bad input."""
    out = out or sys.stdout
    lang = args.lang
    if args.project is not None:
        try:
            content = load_content(args.content_dir)
        except ContentError as error:
            print(error, file=sys.stderr)
            return 1
        project = content.projects.get(args.project)
        if project is None or project.plan_figures is None:
            known = sorted(slug for slug, p in content.projects.items() if p.plan_figures)
            print(
                f"hankebot plan-check: --project: {args.project!r}? ({', '.join(known)})",
                file=sys.stderr,
            )
            return 2
        figures = project.plan_figures
    else:
        try:
            figures = _figures(args)
        except _Refusal as refusal:
            sentence = renderer().plain(lang, refusal.error.key, refusal.error.params)
            print(f"hankebot plan-check: {refusal.option}: {sentence}", file=sys.stderr)
            return 2
    lines = plan_check_lines(check_plan(figures))
    print(renderer().plain(lang, "plan_check.result", {"lines": lines}), file=out)
    return 0
