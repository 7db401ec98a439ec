"""Announcement texts as the catalog renders them, for tests on every transport."""

from __future__ import annotations

from handlers.core.types import Param, Text
from tests.catalog_labels import shown


def progress_heading(number: int, status: str) -> str:
    """The first line of an announcement's progress message ("📣 Tiedote #1 – valmis")."""
    counts: dict[str, Param] = dict.fromkeys(
        ("done", "total", "sent", "unreachable", "failed", "cancelled"), 0
    )
    rendered = shown(
        "broadcast.progress", "fi", id=number, status=Text(f"broadcast.status_{status}"), **counts
    )
    return rendered.split("\n")[0]


def report_heading(number: int) -> str:
    """The first line of an announcement's report ("Tiedote #1 on lähetetty.")."""
    counts: dict[str, Param] = dict.fromkeys(
        ("total", "sent", "unreachable", "failed", "cancelled"), 0
    )
    return shown("broadcast.report", "fi", id=number, excerpt="", **counts).split("\n")[0]
