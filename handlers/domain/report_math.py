"""The arithmetic of project reports, with the rules that protect individuals (pure).

* Counts of 1–4 people are shown as ``"< 5"`` (:func:`protect`): a small number in a report
  for a project of a few dozen people can point at a person. Zero is shown as 0 (it is
  about nobody). Counts derived from other counts are protected the same way.
* A rate or an average over fewer than 5 people or answers is not shown at all
  (:func:`share`, :func:`average` return None).
* Percentages have one decimal and averages one decimal, both rounded half-up.

A :class:`Report` is a list of :class:`Section` objects, each a list of :class:`Metric`
values; the chat, the CSV file, the PNG chart and ``hankebot report`` all show the same
report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

SMALL_COUNT = 5
PROTECTED = "< 5"
# Seed 000 ("Kaveria ei jätetä") promises customer satisfaction of at least 4,5 / 5. The
# default of ``rating_target`` in content/programme.yaml (content.schema.Programme).
RATING_TARGET = Decimal("4.5")
RATING_SCALE = 5
# ESF+ common result indicators on leaving, in the order the funder lists them.
RESULT_SITUATIONS = ("job_searching", "education", "qualification", "employment")


class Kind(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    RATING = "rating"


@dataclass(frozen=True)
class Metric:
    """One figure: ``value`` is already protected (an int, ``"< 5"``, a Decimal or None)."""

    key: str
    kind: Kind
    value: int | str | Decimal | None
    target: Decimal | None = None

    @property
    def shown(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Section:
    key: str
    metrics: tuple[Metric, ...]


@dataclass(frozen=True)
class Report:
    project: str
    generated_at: dt.datetime
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def metric(self, key: str) -> Metric | None:
        for section in self.sections:
            for metric in section.metrics:
                if metric.key == key:
                    return metric
        return None


def protect(count: int) -> int | str:
    """A count as it may be shown: 1–4 become ``"< 5"``."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    return PROTECTED if 0 < count < SMALL_COUNT else count


def _round(value: Decimal, places: int = 1) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent (one decimal); None below :data:`SMALL_COUNT`."""
    if part < 0 or whole < 0 or part > whole:
        raise ValueError("a share needs 0 <= part <= whole")
    if whole < SMALL_COUNT:
        return None
    return _round(Decimal(part) * 100 / Decimal(whole))


def average(scores: Sequence[int]) -> Decimal | None:
    """The mean of ratings 1–5 (one decimal); None for fewer than :data:`SMALL_COUNT`."""
    if any(not 1 <= score <= RATING_SCALE for score in scores):
        raise ValueError("ratings are 1–5")
    if len(scores) < SMALL_COUNT:
        return None
    return _round(Decimal(sum(scores)) / Decimal(len(scores)))


def participants_section(enrolled: int, active: int, left: int) -> Section:
    if active + left != enrolled:
        raise ValueError("active + left must equal enrolled")
    return Section(
        "participants",
        (
            Metric("enrolled", Kind.COUNT, protect(enrolled)),
            Metric("active", Kind.COUNT, protect(active)),
            Metric("left", Kind.COUNT, protect(left)),
        ),
    )


def meetings_section(
    held: int,
    attended: int,
    missed: int,
    scores: Sequence[int],
    rating_target: Decimal = RATING_TARGET,
) -> Section:
    return Section(
        "meetings",
        (
            Metric("meetings_held", Kind.COUNT, held),  # meetings, not people: not protected
            Metric("attendance_rate", Kind.PERCENT, share(attended, attended + missed)),
            Metric("ratings", Kind.COUNT, protect(len(scores))),
            Metric("rating_average", Kind.RATING, average(scores), rating_target),
        ),
    )


def results_section(situations: Mapping[str, int], told: int) -> Section:
    """Situations on leaving of those who agreed to tell (one person may be in several)."""
    unknown = set(situations) - set(RESULT_SITUATIONS)
    if unknown:
        raise ValueError(f"unknown situations {sorted(unknown)}")
    return Section(
        "results",
        (
            Metric("told", Kind.COUNT, protect(told)),
            *(
                Metric(f"result_{name}", Kind.COUNT, protect(situations.get(name, 0)))
                for name in RESULT_SITUATIONS
            ),
        ),
    )


def meets_target(metric: Metric) -> bool | None:
    """True/False for a shown value with a target; None when there is nothing to compare."""
    if metric.target is None or not isinstance(metric.value, Decimal):
        return None
    return metric.value >= metric.target


def plain_value(metric: Metric) -> str:
    """The value for a CSV cell in Finnish notation ("87,5", "< 5", "" when not shown)."""
    value = metric.value
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value}".replace(".", ",")
    return str(value)


def csv_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """(section, metric, value, target) rows for the CSV export."""
    rows = []
    for section in report.sections:
        for metric in section.metrics:
            target = f"{metric.target}".replace(".", ",") if metric.target is not None else ""
            rows.append((section.key, metric.key, plain_value(metric), target))
    return rows
