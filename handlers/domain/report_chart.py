"""A project report as a PNG chart (matplotlib's object API with the Agg renderer, no GUI).

Up to three panels, each with its own axis sized to its data and a labelled axis: counts
(bars; a protected count "< 5" is drawn as an empty bar labelled "< 5", so the chart shows
no more than the text does), percentages (0–100 %), and the meeting rating on its 1–5 scale
with the target as a labelled line ("Tavoite 4,5"). Every word on the chart comes from the
caller (:class:`ChartTexts`, catalog texts in the reader's language); the chart itself adds
only numbers.
"""

from __future__ import annotations

import io
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.domain.report_chart_texts import ChartTexts
from handlers.domain.report_math import PROTECTED, RATING_SCALE, Kind, Metric, Report

_BAR = "#2f6f8f"
_TARGET = "#c0392b"
WIDTH_INCHES = 7.0
DPI = 110


def _number(value: float | Decimal) -> str:
    text = f"{value:g}" if isinstance(value, float) else f"{value}"
    return text.replace(".", ",")


def _count_value(metric: Metric) -> tuple[float, str]:
    if metric.value == PROTECTED:
        return 0.0, PROTECTED
    if isinstance(metric.value, int):
        return float(metric.value), str(metric.value)
    return 0.0, "–"


def _bars(
    axes: Axes,
    names: list[str],
    values: list[float],
    texts: list[str],
    top: float,
    clear_of: float = 0.0,
) -> None:
    """Horizontal bars with their values written after them (and after ``clear_of``, the
    target line, so that the line never runs through a number)."""
    rows = list(range(len(names)))
    axes.barh(rows, values, color=_BAR)
    axes.set_yticks(rows, names)
    axes.invert_yaxis()
    axes.set_xlim(0, top)
    for row, value, text in zip(rows, values, texts, strict=True):
        axes.text(max(value, clear_of) + top * 0.015, row, text, va="center", fontsize=9)


def figure_of(report: Report, texts: ChartTexts, title: str) -> Figure:
    """The chart as a matplotlib figure (tests read its texts)."""
    metrics = [m for s in report.sections for m in s.metrics]
    counts = [m for m in metrics if m.kind is Kind.COUNT]
    percents = [m for m in metrics if m.kind is Kind.PERCENT]
    ratings = [m for m in metrics if m.kind is Kind.RATING]
    groups = [group for group in (counts, percents, ratings) if group]
    rows = sum(len(group) for group in groups)
    figure = Figure(figsize=(WIDTH_INCHES, 1.0 + 0.9 * len(groups) + 0.35 * rows), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=12)
    axes_list = figure.subplots(
        len(groups), 1, squeeze=False, height_ratios=[len(group) + 1 for group in groups]
    )
    panels = iter(axes[0] for axes in axes_list)
    names = texts.labels
    if counts:
        axes = next(panels)
        values = [_count_value(m) for m in counts]
        top = max([v for v, _ in values] + [5.0]) * 1.15
        _bars(
            axes,
            [names.get(m.key, m.key) for m in counts],
            [v for v, _ in values],
            [t for _, t in values],
            top,
        )
        axes.set_xlabel(texts.count_axis)
    if percents:
        axes = next(panels)
        numbers = [m.value if isinstance(m.value, Decimal) else None for m in percents]
        _bars(
            axes,
            [names.get(m.key, m.key) for m in percents],
            [float(n) if n is not None else 0.0 for n in numbers],
            [f"{_number(n)} %" if n is not None else "–" for n in numbers],
            115.0,
        )
        axes.set_xticks([0, 25, 50, 75, 100])
        axes.set_xlabel(texts.percent_axis)
    if ratings:
        axes = next(panels)
        numbers = [m.value if isinstance(m.value, Decimal) else None for m in ratings]
        _bars(
            axes,
            [names.get(m.key, m.key) for m in ratings],
            [float(n) if n is not None else 0.0 for n in numbers],
            [f"{_number(n)} / {RATING_SCALE}" if n is not None else "–" for n in numbers],
            RATING_SCALE * 1.25,
            clear_of=max((float(m.target) for m in ratings if m.target is not None), default=0.0),
        )
        axes.set_xticks(range(RATING_SCALE + 1))
        axes.set_xlabel(texts.rating_axis)
        for metric in ratings:
            if metric.target is not None:
                mark = float(metric.target)
                axes.axvline(mark, color=_TARGET, linewidth=2, label=texts.target)
                axes.legend(loc="lower right", fontsize=8, frameon=False)
                break
    figure.tight_layout()
    return figure


def render_png(report: Report, texts: ChartTexts, title: str) -> bytes:
    buffer = io.BytesIO()
    figure_of(report, texts, title).savefig(buffer, format="png")
    return buffer.getvalue()
