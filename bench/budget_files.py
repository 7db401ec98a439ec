"""How long the budget summary's files take, next to the summary message itself.

Run from the repository root: ``.venv/bin/python -m bench.budget_files``. The files are made
inside the dispatcher's transaction when a person presses "Excel", "CSV" or "Kaavio", so
they should stay well under a second. Prints the median of several runs per output and its
ratio to the baseline (rendering the summary message of the same budget), plus the first
call of each, which includes importing openpyxl or matplotlib.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

from bench.figures import Figure
from bot.i18n import Renderer
from content import load_content
from handlers.applicant.budget import budget_sheets, row_name, summary_params
from handlers.applicant.budget.shared import Wording
from handlers.domain import budget_draft as bd
from handlers.domain.budget_math import Contribution
from handlers.domain.budget_outputs import chart_png, to_csv, to_xlsx

RUNS = 15
BASELINE = "summary message (baseline)"
#: The files are made inside the dispatcher's transaction: each within a second.
GOAL_MS = 1000.0


def measure() -> dict[str, tuple[float, float]]:
    """Each output's (first call, median) in seconds."""
    programme = load_content().programme
    draft = bd.Draft(
        lines=tuple(
            bd.DraftLine(f"Työntekijä {n}", monthly_pay=Decimal(3000 + 100 * n), months=Decimal(24))
            for n in range(8)
        ),
        applicant="association",
        rows={"municipal": Contribution(percent=Decimal(9))},
        municipal_split=bd.MunicipalDraft(("Mikkeli", "Juva", "Kangasniemi"), 2, "equal"),
    )
    result = bd.compute(programme, draft)
    renderer = Renderer(ZoneInfo("Europe/Helsinki"))

    word = Wording(renderer, "fi")

    def message() -> object:
        return renderer.text("fi", "budget.summary", summary_params(programme, draft, result, "fi"))

    bars = [
        (row_name(programme, row.key, result.plan.own_kind, "fi"), row.amount, row.share)
        for row in result.plan.rows
    ]
    cases: dict[str, Callable[[], object]] = {
        BASELINE: message,
        "xlsx": lambda: to_xlsx(budget_sheets(programme, draft, result, "fi", word)),
        "csv": lambda: to_csv(budget_sheets(programme, draft, result, "fi", word)),
        "png": lambda: chart_png("Rahoitussuunnitelma", bars, "fi", "yhteensä"),
    }
    timings: dict[str, tuple[float, float]] = {}
    for name, case in cases.items():
        start = time.perf_counter()
        case()
        first = time.perf_counter() - start
        runs = []
        for _ in range(RUNS):
            start = time.perf_counter()
            case()
            runs.append(time.perf_counter() - start)
        timings[name] = (first, statistics.median(runs))
    return timings


def run() -> list[Figure]:
    timings = measure()
    base_first, base_median = timings.pop(BASELINE)
    figures = []
    for name, (first, median) in timings.items():
        figures.append(
            Figure(f"{name}: median", median * 1000, "ms", base_median * 1000, at_most=GOAL_MS)
        )
        figures.append(
            Figure(
                f"{name}: first call (imports included)",
                first * 1000,
                "ms",
                base_first * 1000,
                at_most=GOAL_MS,
            )
        )
    return figures


def main() -> None:
    timings = measure()
    baseline = timings[BASELINE][1]
    print(f"{'output':<28} {'first call':>11} {'median':>10} {'× baseline':>11}")
    for name, (first, median) in timings.items():
        print(
            f"{name:<28} {first * 1000:>9.1f}ms {median * 1000:>8.2f}ms {median / baseline:>10.1f}×"
        )


if __name__ == "__main__":
    main()
