"""What to store for a meeting series, planned in memory (pure): its first and last start,
the occurrences to create for a window, and how a series is cut to change its time of day.

:mod:`storage.meetings` writes what these return; the RRULE work is
:mod:`handlers.domain.recurrence`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from handlers.domain.recurrence import as_local, expand, occurrences, split_rule

UTC = dt.UTC
#: How far :func:`last_start` looks for the last meeting of a finite series.
_LAST_WITHIN = dt.timedelta(days=366 * 30)


@dataclass(frozen=True)
class OccurrenceRow:
    """One row of the ``occurrences`` table, ready to insert."""

    recurrence_id: dt.datetime  # aware UTC: where the rule put it
    start: dt.datetime  # aware UTC
    end: dt.datetime  # aware UTC
    cancelled: bool = False


@dataclass(frozen=True)
class SeriesTimes:
    """A series' wall-clock start and the UTC columns derived from it and its rule."""

    dtstart_local: dt.datetime  # naive local wall-clock time, as stored
    first_start: dt.datetime  # aware UTC
    last_start: dt.datetime | None  # aware UTC; None when it repeats without end


@dataclass(frozen=True)
class Retime:
    """A series cut at one of its meetings (see :func:`retime`).

    ``head`` is the rule left for the meetings before the cut (``None``: there are none, so
    the series itself restarts with ``tail``); ``tail`` is the rule from the cut on at the new
    time (``None``: a single meeting), starting at ``tail_times``.
    """

    head: str | None
    head_last_start: dt.datetime | None
    tail: str | None
    tail_times: SeriesTimes


def _is_finite(rule: str) -> bool:
    upper = rule.upper()
    return "COUNT=" in upper or "UNTIL=" in upper


def last_start(rule: str | None, start_local: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """UTC start of a series' last meeting; None when it repeats without end."""
    first = as_local(start_local, tz).astimezone(UTC)
    if rule is None:
        return first
    if not _is_finite(rule):
        return None
    found = occurrences(rule, start_local, first, first + _LAST_WITHIN, tz)
    return found[-1] if found else first


def series_times(rule: str | None, start_local: dt.datetime, tz: ZoneInfo) -> SeriesTimes:
    """The stored start columns of a new series starting at ``start_local``."""
    first = as_local(start_local, tz)
    return SeriesTimes(
        dtstart_local=first.replace(tzinfo=None),
        first_start=first.astimezone(UTC),
        last_start=last_start(rule, first, tz),
    )


def occurrences_to_add(
    rule: str | None,
    dtstart_local: dt.datetime,
    duration: dt.timedelta,
    *,
    materialized_until: dt.datetime,
    until: dt.datetime,
    now: dt.datetime,
    lookback: dt.timedelta,
    tz: ZoneInfo,
    cancelled_days: Collection[dt.date] = (),
) -> list[OccurrenceRow]:
    """The occurrences of a series from where it was created up to (not incl.) ``until``.

    Those a little in the past (``lookback``) are included, so attendance can still be
    marked; those on a local day in ``cancelled_days`` are created cancelled.
    """
    if until <= materialized_until:
        return []
    window_start = max(materialized_until, now - lookback)
    found = expand(rule, as_local(dtstart_local, tz), window_start, until, tz)
    return [
        OccurrenceRow(
            recurrence_id=item.recurrence_id,
            start=item.start,
            end=item.start + duration,
            cancelled=item.start.astimezone(tz).date() in cancelled_days,
        )
        for item in found
    ]


def retime(
    rule: str,
    dtstart_local: dt.datetime,
    at: dt.datetime,
    new_start_local: dt.datetime,
    tz: ZoneInfo,
) -> Retime:
    """Cut the series at its original start ``at`` to go on at ``new_start_local``.

    The meetings before ``at`` keep the old rule, ended with an UNTIL as RFC 5545 does it;
    from ``at`` on a series continues at the new time. Raises
    :class:`handlers.domain.recurrence.RecurrenceError`.
    """
    head, tail = split_rule(rule, dtstart_local, at, new_start_local, tz)
    return Retime(
        head=head,
        head_last_start=last_start(head, dtstart_local, tz) if head is not None else None,
        tail=tail,
        tail_times=series_times(tail, new_start_local, tz),
    )


def with_exceptions(
    rows: Sequence[OccurrenceRow],
    duration: dt.timedelta,
    *,
    cancelled: Collection[dt.datetime] = (),
    moved: Sequence[tuple[dt.datetime, dt.datetime]] = (),
) -> list[OccurrenceRow]:
    """``rows`` with a calendar file's exceptions, keyed by original start: a cancelled one
    (EXDATE) is stored cancelled, a moved one (RECURRENCE-ID) at its new start — also when
    it is outside the window ``rows`` covers. Sorted by start."""
    by_original = {row.recurrence_id: row for row in rows}
    for original in cancelled:
        rid = original.astimezone(UTC)
        by_original[rid] = OccurrenceRow(rid, rid, rid + duration, cancelled=True)
    for original, new_start in moved:
        rid, start = original.astimezone(UTC), new_start.astimezone(UTC)
        by_original[rid] = OccurrenceRow(rid, start, start + duration)
    return sorted(by_original.values(), key=lambda row: (row.start, row.recurrence_id))
