"""The words of the report chart (kept apart from :mod:`report_chart`, which loads
matplotlib: the report handler imports this at start and the chart only on first use)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ChartTexts:
    """The words of the chart, in the reader's language (catalog texts)."""

    labels: Mapping[str, str]  # metric key → label
    count_axis: str
    percent_axis: str
    rating_axis: str
    target: str  # "Tavoite 4,5" (the number formatted for the reader)
