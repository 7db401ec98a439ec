"""Meeting feedback as coordinators see it: per meeting the number of ratings, their average
and the comments, under the small-count rule, and the project's ratings month by month
against the target. Pure: rows in, figures out.

The small-count rule: a comment of a meeting with fewer than :data:`MIN_RATINGS_FOR_COMMENTS`
ratings could be told apart by who was there, so it is shown only when its writer chose to
sign it (then with their name); at or above it, every comment is shown, a signed one with
the writer's name. Averages follow :func:`handlers.domain.report_math.average` (none below
five ratings), the count is shown as it is (the coordinator knows who came).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from handlers.domain.report_math import average

MIN_RATINGS_FOR_COMMENTS = 3


@dataclass(frozen=True)
class Rating:
    """One participant's rating of one meeting (what storage gives)."""

    occurrence_id: int
    title: str
    start: dt.datetime
    score: int
    comment: str | None
    signed: bool
    name: str | None  # the writer's display name (used only when signed)


@dataclass(frozen=True)
class Comment:
    text: str
    name: str | None  # None: anonymous


@dataclass(frozen=True)
class MeetingFeedback:
    occurrence_id: int
    title: str
    start: dt.datetime
    count: int
    average: Decimal | None
    comments: tuple[Comment, ...]
    hidden: int  # comments not shown by the small-count rule


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    count: int
    average: Decimal | None


def visible_comments(ratings: Sequence[Rating]) -> tuple[tuple[Comment, ...], int]:
    """The comments of one meeting that may be shown, and how many may not."""
    many = len(ratings) >= MIN_RATINGS_FOR_COMMENTS
    shown: list[Comment] = []
    hidden = 0
    for rating in ratings:
        if not rating.comment:
            continue
        if rating.signed:
            shown.append(Comment(rating.comment, rating.name or None))
        elif many:
            shown.append(Comment(rating.comment, None))
        else:
            hidden += 1
    return tuple(shown), hidden


def per_meeting(ratings: Sequence[Rating]) -> list[MeetingFeedback]:
    """One entry per rated meeting, newest first."""
    by_meeting: dict[int, list[Rating]] = {}
    for rating in ratings:
        by_meeting.setdefault(rating.occurrence_id, []).append(rating)
    result = []
    for group in by_meeting.values():
        first = group[0]
        comments, hidden = visible_comments(group)
        result.append(
            MeetingFeedback(
                occurrence_id=first.occurrence_id,
                title=first.title,
                start=first.start,
                count=len(group),
                average=average([r.score for r in group]),
                comments=comments,
                hidden=hidden,
            )
        )
    return sorted(result, key=lambda m: (m.start, m.occurrence_id), reverse=True)


def monthly(ratings: Sequence[Rating], tz: ZoneInfo) -> list[Month]:
    """The project's ratings per calendar month of the meeting (local time), oldest first."""
    months: dict[tuple[int, int], list[int]] = {}
    for rating in ratings:
        local = rating.start.astimezone(tz)
        months.setdefault((local.year, local.month), []).append(rating.score)
    return [
        Month(year, month, len(scores), average(scores))
        for (year, month), scores in sorted(months.items())
    ]
