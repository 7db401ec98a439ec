"""``python -m bench``: run every benchmark and write ``bench/RESULTS.md``.

A benchmark is any module of ``bench/`` with a top-level ``run() -> list[Figure]``
(:mod:`bench.figures`); a new module that follows the convention is run without a change
here. Each runs in a process of its own (memory figures are not mixed up, and one that hangs
is stopped after ``--timeout`` seconds). The file names the machine, its load before and
after, the date and the commit, puts every figure beside its goal and its baseline measured
in the same run, and lists the figures that miss their goals.

    .venv/bin/python -m bench                       # all, into bench/RESULTS.md
    .venv/bin/python -m bench --only faq_accuracy   # some (comma-separated)

Exit code 1 when a benchmark failed to run (missed goals are reported, not an error).
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.figures import Figure, Skipped, number

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
FIGURES_MARK = "BENCH-FIGURES "
SKIPPED_MARK = "BENCH-SKIPPED "
NOT_BENCHMARKS = frozenset({"figures"})
DEFAULT_TIMEOUT = 600.0


def discover(folder: Path = HERE) -> list[str]:
    """Modules of ``folder`` with a top-level ``def run(``, by name (their source is read,
    not imported)."""
    names = []
    for path in sorted(folder.glob("*.py")):
        name = path.stem
        if name.startswith("_") or name in NOT_BENCHMARKS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body):
            names.append(name)
    return names


@dataclass
class Outcome:
    name: str
    seconds: float
    figures: list[Figure] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None


def run_one(name: str) -> int:
    """In the child process: run one benchmark, print its figures as the last line."""
    module = importlib.import_module(f"bench.{name}")
    try:
        figures = module.run()
    except Skipped as why:
        print(SKIPPED_MARK + str(why), flush=True)
        return 0
    print(FIGURES_MARK + json.dumps([figure.as_json() for figure in figures]), flush=True)
    return 0


def run_child(name: str, timeout: float) -> Outcome:
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--one", name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(name, time.monotonic() - start, error=f"stopped after {timeout:g} s")
    seconds = time.monotonic() - start
    lines = done.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    if done.returncode == 0 and last.startswith(FIGURES_MARK):
        data = json.loads(last.removeprefix(FIGURES_MARK))
        return Outcome(name, seconds, [Figure.from_json(item) for item in data])
    if done.returncode == 0 and last.startswith(SKIPPED_MARK):
        return Outcome(name, seconds, skipped=last.removeprefix(SKIPPED_MARK))
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return Outcome(name, seconds, error=f"exit code {done.returncode}: {tail}")


def machine() -> str:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB memory"
    except OSError:
        pass
    processor = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({processor})"
        f"{memory}, Python {platform.python_version()}"
    )


def load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{number(value)} {unit}".rstrip()


def render(
    outcomes: Sequence[Outcome],
    *,
    started: dt.datetime,
    machine_line: str,
    load_before: str,
    load_after: str,
    commit_line: str,
) -> str:
    seconds = sum(outcome.seconds for outcome in outcomes)
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (bench/__main__.py); every figure beside its goal and",
        "its baseline, measured in the same run. Rerun it to check them on your machine.",
        "",
        f"- machine: {machine_line}",
        f"- load average (1 / 5 / 15 min) before: {load_before}; after: {load_after}",
        f"- date: {started.strftime('%Y-%m-%d %H:%M')} UTC; commit {commit_line}",
        f"- time taken: {seconds / 60:.1f} min",
        "",
    ]
    missed: list[tuple[str, Figure]] = []
    for outcome in outcomes:
        lines.append(f"## {outcome.name} ({outcome.seconds:.0f} s)")
        lines.append("")
        if outcome.error is not None:
            lines += [f"**Did not run**: {outcome.error}", ""]
            continue
        if outcome.skipped is not None:
            lines += [f"Skipped: {outcome.skipped}", ""]
            continue
        lines.append("| figure | hankebot | baseline | goal | met |")
        lines.append("| --- | --- | --- | --- | --- |")
        for figure in outcome.figures:
            met = {True: "yes", False: "**no**", None: "—"}[figure.met]
            name = f"{figure.name} ({figure.note})" if figure.note else figure.name
            lines.append(
                f"| {name} | {cell(figure.value, figure.unit)}"
                f" | {cell(figure.baseline, figure.unit)} | {figure.goal} | {met} |"
            )
            if figure.met is False:
                missed.append((outcome.name, figure))
        lines.append("")
    lines.append("## Goals missed")
    lines.append("")
    if missed:
        for name, figure in missed:
            lines.append(
                f"- {name}: {figure.name}: {cell(figure.value, figure.unit)}, goal {figure.goal}"
            )
    else:
        lines.append("None of the figures with a goal missed it.")
    failed = [outcome.name for outcome in outcomes if outcome.error is not None]
    if failed:
        lines += ["", f"Benchmarks that did not run: {', '.join(failed)}."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated benchmark names")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        try:
            return run_one(args.one)
        except Exception:
            traceback.print_exc()
            return 1
    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            print(f"python -m bench: no benchmark named {', '.join(unknown)}", file=sys.stderr)
            return 2
        names = [name for name in names if name in wanted]
    started = dt.datetime.now(dt.UTC)
    load_before = load()
    outcomes = []
    for name in names:
        print(f"== {name} …", flush=True)
        outcome = run_child(name, args.timeout)
        state = outcome.error or (f"skipped: {outcome.skipped}" if outcome.skipped else "")
        print(f"   {outcome.seconds:.0f} s, {len(outcome.figures)} figures {state}", flush=True)
        outcomes.append(outcome)
    text = render(
        outcomes,
        started=started,
        machine_line=machine(),
        load_before=load_before,
        load_after=load(),
        commit_line=commit(),
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 1 if any(outcome.error is not None for outcome in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
