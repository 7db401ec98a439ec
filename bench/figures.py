"""What every benchmark hands to ``python -m bench``: figures beside their goal and the
baseline measured in the same run.

A benchmark module is any module of ``bench/`` with a ``run() -> list[Figure]`` function
(``bench/__main__.py`` finds them by that convention); its ``main()`` may print more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


class Skipped(Exception):
    """A benchmark that cannot run here (a missing extra, no homeserver); says why."""


@dataclass(frozen=True)
class Figure:
    """One measured figure. ``at_least`` / ``at_most`` is its goal (none: no goal set);
    ``baseline`` the same figure for the benchmark's baseline, measured in the same run."""

    name: str
    value: float
    unit: str = ""
    baseline: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the goal is met; None when there is no goal."""
        if self.at_least is None and self.at_most is None:
            return None
        low = self.at_least is None or self.value >= self.at_least
        high = self.at_most is None or self.value <= self.at_most
        return low and high

    @property
    def goal(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f"≥ {number(self.at_least)} {self.unit}".rstrip())
        if self.at_most is not None:
            parts.append(f"≤ {number(self.at_most)} {self.unit}".rstrip())
        return " and ".join(parts) or "—"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        return cls(**data)


def number(value: float) -> str:
    """A figure as people read it: no needless decimals, at most three."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
