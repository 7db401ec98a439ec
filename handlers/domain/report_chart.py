"""A project report as a PNG chart (matplotlib's object API with the Agg renderer, no GUI).

Counts are bars; a protected count ("< 5") is drawn as an empty bar labelled "< 5" so the
chart shows no more than the text does. Rates and the rating are drawn against their scale,
the rating with its target as a line.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.domain.report_math import PROTECTED, RATING_SCALE, Kind, Metric, Report

_BAR = "#2f6f8f"
_TARGET = "#c0392b"


def _count_value(metric: Metric) -> tuple[float, str]:
    if metric.value == PROTECTED:
        return 0.0, PROTECTED
    if isinstance(metric.value, int):
        return float(metric.value), str(metric.value)
    return 0.0, "–"


def render_png(report: Report, labels: Mapping[str, str], title: str) -> bytes:
    """``labels``: metric key → label in the reader's language (plain text)."""
    counts = [m for s in report.sections for m in s.metrics if m.kind is Kind.COUNT]
    scaled = [m for s in report.sections for m in s.metrics if m.kind is not Kind.COUNT]
    panels = 1 + (1 if scaled else 0)
    figure = Figure(figsize=(7.0, 2.2 + 0.45 * (len(counts) + len(scaled))), dpi=110)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=12)
    axes = figure.subplots(panels, 1, squeeze=False)
    count_axes = axes[0][0]
    values = [_count_value(m) for m in counts]
    names = [labels.get(m.key, m.key) for m in counts]
    positions = list(range(len(counts)))
    count_axes.barh(positions, [v for v, _ in values], color=_BAR)
    count_axes.set_yticks(positions, names)
    count_axes.invert_yaxis()
    top = max([v for v, _ in values] + [5.0])
    count_axes.set_xlim(0, top * 1.2)
    for position, (value, text) in zip(positions, values, strict=True):
        count_axes.text(value + top * 0.02, position, text, va="center", fontsize=9)
    if scaled:
        rate_axes = axes[1][0]
        shares: list[float] = []
        texts: list[str] = []
        for metric in scaled:
            number = metric.value if isinstance(metric.value, Decimal) else None
            if metric.kind is Kind.RATING:
                shares.append(float(number) / RATING_SCALE * 100 if number is not None else 0.0)
                texts.append(f"{number} / {RATING_SCALE}" if number is not None else "–")
            else:
                shares.append(float(number) if number is not None else 0.0)
                texts.append(f"{number} %" if number is not None else "–")
        rows = list(range(len(scaled)))
        rate_axes.barh(rows, shares, color=_BAR)
        rate_axes.set_yticks(rows, [labels.get(m.key, m.key) for m in scaled])
        rate_axes.invert_yaxis()
        rate_axes.set_xlim(0, 120)
        for row, metric, share, text in zip(rows, scaled, shares, texts, strict=True):
            rate_axes.text(share + 2, row, text.replace(".", ","), va="center", fontsize=9)
            if metric.target is not None:
                mark = float(metric.target) / RATING_SCALE * 100
                rate_axes.plot([mark, mark], [row - 0.4, row + 0.4], color=_TARGET, linewidth=2)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
