"""The budget summary as files: an XLSX workbook, a CSV file and a PNG chart. Pure: the caller
passes already-worded tables (:class:`Sheet`); nothing here knows the catalogs.

Money stays exact: cells hold :class:`Euro` / :class:`Share` values, written as numbers with
a number format in the workbook and with a decimal comma in the CSV (semicolon-separated,
UTF-8 with a byte-order mark, as Finnish spreadsheet programs open it). Every text cell (a
staff line's title is the applicant's own text) goes through
:mod:`handlers.domain.spreadsheet_cells`, so that no text is ever read as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

from handlers.domain.money import format_money, format_percent
from handlers.domain.spreadsheet_cells import safe_text, set_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
PNG_MIME = "image/png"


@dataclass(frozen=True)
class Euro:
    """Euros: whole, with ``cents``, or with ``decimals`` (an hourly rate as the sum uses it)."""

    amount: Decimal
    cents: bool = False
    decimals: int | None = None

    @property
    def places(self) -> int:
        return self.decimals if self.decimals is not None else (2 if self.cents else 0)


@dataclass(frozen=True)
class Share:
    """A percentage such as ``Decimal("80.00")``."""

    value: Decimal


Cell = Union[str, int, Decimal, Euro, Share, None]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Sheet:
    title: str
    rows: tuple[tuple[Cell, ...], ...]
    bold_rows: frozenset[int] = field(default_factory=frozenset)  # 0-based row indexes


# --- XLSX ------------------------------------------------------------------------------------

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, number = base, 2
    while name.casefold() in taken:
        suffix = f" {number}"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(name.casefold())
    return name


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    taken: set[str] = set()
    first = True
    for sheet in sheets:
        if first:
            ws = workbook.active
            assert ws is not None
            ws.title = _sheet_name(sheet.title, taken)
            first = False
        else:
            ws = workbook.create_sheet(_sheet_name(sheet.title, taken))
        widths: dict[int, int] = {}
        for row_index, row in enumerate(sheet.rows, start=1):
            for column, value in enumerate(row, start=1):
                cell = ws.cell(row=row_index, column=column)
                match value:
                    case Euro(amount=amount) as euro:
                        cell.value = amount
                        decimals = "." + "0" * euro.places if euro.places else ""
                        cell.number_format = f'#,##0{decimals} "€"'
                        shown = 14
                    case Share(value=share):
                        cell.value = share / 100
                        cell.number_format = "0.00 %"
                        shown = 9
                    case None:
                        shown = 0
                    case str():
                        set_text(cell, value)
                        shown = len(value)
                    case _:
                        cell.value = value
                        shown = len(str(value))
                if row_index - 1 in sheet.bold_rows:
                    cell.font = Font(bold=True)
                widths[column] = max(widths.get(column, 8), min(shown + 2, 60))
        for column, width in widths.items():
            ws.column_dimensions[ws.cell(row=1, column=column).column_letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- CSV -------------------------------------------------------------------------------------


def _csv_value(value: Cell) -> str:
    match value:
        case None:
            return ""
        case Euro(amount=amount) as euro:
            return _plain(amount.quantize(Decimal(1).scaleb(-euro.places)))
        case Share(value=share):
            return _plain(share.quantize(Decimal("0.01")))
        case Decimal():
            return _plain(value)
        case str():
            return safe_text(value)
        case _:
            return str(value)


def _plain(value: Decimal) -> str:
    """A decimal as a spreadsheet reads it: "1720", "29,11", never "1,72E+3"."""
    return format(value, "f").replace(".", ",")


def to_csv(sheets: Sequence[Sheet]) -> bytes:
    """All sheets one after another, each under its title, separated by an empty line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for index, sheet in enumerate(sheets):
        if index:
            writer.writerow([])
        writer.writerow([safe_text(sheet.title)])
        for row in sheet.rows:
            writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- PNG -------------------------------------------------------------------------------------

_COLOURS = ("#1f5fa8", "#e0a526", "#3f9e6e", "#8c5cb0", "#c8553d", "#5a6b7b")


def chart_png(
    title: str,
    bars: Sequence[tuple[str, Decimal, Decimal]],
    locale: str,
    footer: str | None = None,
) -> bytes:
    """A horizontal bar chart: one bar per (row name, amount, share %) in the given order,
    rows of 0 € left out; each bar is labelled with its amount and share. ``footer`` (e.g.
    the plan total) goes under the bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [(name, amount, share) for name, amount, share in bars if amount != 0]
    height = 1.6 + 0.7 * max(len(shown), 1)
    figure = Figure(figsize=(8.5, height), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    names = [_wrap(name) for name, _, _ in shown]
    values = [float(amount) for _, amount, _ in shown]
    positions = list(range(len(shown)))
    axes.barh(positions, values, color=[_COLOURS[i % len(_COLOURS)] for i in positions])
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    biggest = max(values, default=1.0) or 1.0
    for position, (_, amount, share) in zip(positions, shown, strict=True):
        label = f"{format_money(amount, locale)}  ({format_percent(share, locale)})"
        axes.text(float(amount) + biggest * 0.01, position, label, va="center", fontsize=9)
    axes.set_xlim(0, biggest * 1.45)
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if footer:
        axes.set_xlabel(footer, loc="left", fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _wrap(text: str, width: int = 28) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "\n".join(lines)
