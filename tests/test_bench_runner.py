"""``python -m bench`` (issue 16, One benchmark command): discovery by convention, the
results file, and which figures miss their goals."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from bench.__main__ import Outcome, discover, render
from bench.figures import Figure

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_with_a_run_function_is_a_benchmark(tmp_path: Path) -> None:
    assert {
        "broadcast_throughput",
        "budget_files",
        "faq_accuracy",
        "matrix_roundtrip",
        "reminders",
    } <= set(discover())
    assert "figures" not in discover()
    (tmp_path / "new_one.py").write_text("def run():\n    return []\n")
    (tmp_path / "helper.py").write_text("def main():\n    pass\n")
    (tmp_path / "nested.py").write_text("class A:\n    def run(self):\n        return []\n")
    (tmp_path / "_private.py").write_text("def run():\n    return []\n")
    assert discover(tmp_path) == ["new_one"]


def test_goals_are_met_missed_or_absent() -> None:
    assert Figure("share", 96.0, "%", at_least=95).met is True
    assert Figure("share", 94.9, "%", at_least=95).met is False
    assert Figure("429s", 0, at_most=0).met is True
    assert Figure("429s", 3, at_most=0).met is False
    assert Figure("p99", 5, "ms", at_least=1, at_most=10).met is True
    assert Figure("median", 12.0, "ms").met is None
    assert Figure("median", 12.0, "ms").goal == "—"
    assert Figure("share", 96.0, "%", at_least=95).goal == "≥ 95 %"


def test_the_results_file_puts_figures_beside_goal_and_baseline_and_lists_misses() -> None:
    outcomes = [
        Outcome(
            "alpha",
            12.0,
            [
                Figure("share of the ceiling", 96.5, "%", 97.0, at_least=95),
                Figure("429 answers", 2, "", 0, at_most=0, note="3 000 recipients"),
                Figure("median", 4.25, "ms", 3.5),
            ],
        ),
        Outcome("beta", 1.0, skipped="matrix-synapse is not installed"),
        Outcome("gamma", 600.0, error="stopped after 600 s"),
    ]
    text = render(
        outcomes,
        started=dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC),
        machine_line="Linux, 2 cores",
        load_before="3.00 / 2.00 / 1.00",
        load_after="4.00 / 3.00 / 2.00",
        commit_line="abc1234",
    )
    assert "- machine: Linux, 2 cores" in text
    assert "before: 3.00 / 2.00 / 1.00; after: 4.00 / 3.00 / 2.00" in text
    assert "2026-12-03 08:00 UTC; commit abc1234" in text
    assert "| share of the ceiling | 96.50 % | 97 % | ≥ 95 % | yes |" in text
    assert "| 429 answers (3 000 recipients) | 2 | 0 | ≤ 0 | **no** |" in text
    assert "| median | 4.25 ms | 3.50 ms | — | — |" in text
    assert "Skipped: matrix-synapse is not installed" in text
    assert "**Did not run**: stopped after 600 s" in text
    missed = text.split("## Goals missed", 1)[1]
    assert "- alpha: 429 answers: 2, goal ≤ 0" in missed
    assert "share of the ceiling" not in missed
    assert "Benchmarks that did not run: gamma." in missed


def test_the_command_runs_a_benchmark_in_its_own_process_and_writes_the_file(
    tmp_path: Path,
) -> None:
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "faq_accuracy", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "## faq_accuracy" in text
    assert "| tuning set: top1 |" in text and "≥ 85 %" in text
    assert "## Goals missed" in text
    unknown = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "no_such_bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 2 and "no_such_bench" in unknown.stderr
