"""Time helpers shared by storage: UTC ISO-8601 text in, aware datetimes out."""

from __future__ import annotations

import datetime as dt


def to_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
