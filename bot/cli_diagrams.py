"""``hankebot diagrams``: the mermaid diagram of every flow, drawn from its declaration,
written to ``docs/flows/`` (one page per flow and an index). ``--check`` writes nothing
and fails when a page there differs, for CI; ``tests/test_flow_diagrams.py`` does the same.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from handlers.core.diagrams import pages
from handlers.registry import build_registry

DEFAULT_DIR = Path("docs/flows")


def add_diagrams_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "diagrams",
        help="write the flows' mermaid diagrams to docs/flows/",
        description="Draw every flow from its declaration into one Markdown page per flow.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_DIR, help="directory (default docs/flows)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; fail if a page is not up to date"
    )
    parser.set_defaults(handler=run_diagrams)


def stale(directory: Path, wanted: dict[str, str]) -> list[str]:
    """The pages in ``directory`` that differ from ``wanted`` (or are missing, or extra)."""
    present = {path.name for path in directory.glob("*.md")} if directory.is_dir() else set()
    differ = [
        name
        for name, text in wanted.items()
        if name not in present or (directory / name).read_text(encoding="utf-8") != text
    ]
    return sorted(differ + sorted(present - set(wanted)))


def run_diagrams(args: argparse.Namespace) -> int:
    wanted = pages(build_registry())
    directory: Path = args.out
    if args.check:
        differ = stale(directory, wanted)
        if differ:
            print(f"hankebot: {directory} is not up to date: {', '.join(differ)}", file=sys.stderr)
            print("run: hankebot diagrams", file=sys.stderr)
            return 1
        return 0
    directory.mkdir(parents=True, exist_ok=True)
    for name in stale(directory, wanted):
        if name in wanted:
            (directory / name).write_text(wanted[name], encoding="utf-8")
        else:
            (directory / name).unlink()
    print(f"{len(wanted)} pages in {directory}")
    return 0
