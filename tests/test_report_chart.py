"""Issue 15 item 4: the report chart has labelled axes and a labelled target line, each
panel sized to its data, and every word on it comes from the catalog (the chart adds only
numbers); the PNG has a sensible size."""

from __future__ import annotations

import datetime as dt
import re
import struct
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from matplotlib.text import Text as PlotText

from bot.i18n import Renderer
from handlers.domain.report_chart import DPI, WIDTH_INCHES, figure_of, render_png
from handlers.domain.report_math import (
    RATING_TARGET,
    Report,
    meetings_section,
    participants_section,
    results_section,
)
from handlers.staff.reports import chart_texts
from tests.catalog_labels import shown

RENDER = Renderer(ZoneInfo("Europe/Helsinki"))
NUMBER = re.compile(r"^(< 5|–|[\d,]+( %| / 5)?)$")


def report() -> Report:
    return Report(
        "osmari",
        dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        (
            participants_section(enrolled=12, active=9, left=3),
            meetings_section(
                held=8,
                attended=30,
                missed=6,
                scores=[5, 4, 4, 5, 3, 4],
                rating_target=Decimal("4.5"),
            ),
            results_section({"job_searching": 6, "employment": 2}, told=8),
        ),
    )


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_every_word_on_the_chart_comes_from_the_catalog(locale: str) -> None:
    texts = chart_texts(RENDER, locale, report())
    title = RENDER.plain(locale, "report.chart_title", {"project": "Osmari", "day": "1.12.2026"})
    figure = figure_of(report(), texts, title)
    words = {
        t.get_text() for t in figure.findobj(PlotText) if t.get_text().strip() and t.get_visible()
    }
    allowed = {title, texts.count_axis, texts.percent_axis, texts.rating_axis, texts.target}
    allowed |= set(texts.labels.values())
    strays = {w for w in words - allowed if not NUMBER.match(w.replace("−", "-"))}
    assert strays == set()
    assert {texts.count_axis, texts.percent_axis, texts.rating_axis, texts.target} <= words
    if locale == "fi":
        assert texts.target == shown("report.chart_target", target=RATING_TARGET)


def test_axes_are_sized_to_the_data() -> None:
    figure = figure_of(report(), chart_texts(RENDER, "fi", report()), "Osmari")
    count_axes, percent_axes, rating_axes = figure.axes
    assert count_axes.get_xlim()[1] == pytest.approx(12 * 1.15)  # the largest count
    assert percent_axes.get_xlim()[1] <= 120
    assert rating_axes.get_xlim()[1] <= 6.5  # the rating on its own 1–5 scale, not 0–120
    [target] = [line for line in rating_axes.get_lines() if line.get_label() == "Tavoite 4,5"]
    assert float(target.get_xydata()[0][0]) == pytest.approx(4.5)  # type: ignore[index, arg-type]


def test_png_size() -> None:
    png = render_png(report(), chart_texts(RENDER, "fi", report()), "Osmari")
    width, height = png_size(png)
    assert width == int(WIDTH_INCHES * DPI)
    assert 300 <= height <= 1400
    assert len(png) < 200_000
