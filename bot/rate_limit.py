"""How many messages one person is served a minute.

A sliding window per person: at most ``per_minute`` events served in any ``window``. The
first event over the limit gets one short "slow down" answer (:attr:`Verdict.WARN`), the
rest of the burst is recorded but not answered (:attr:`Verdict.IGNORE`); once an event is
served again, a later burst is warned about again. Only served events fill the window, so
someone who keeps flooding is still served ``per_minute`` events a minute, never more.

The state is in memory and uses the dispatcher's clock (time travel in tests; a restart
forgives everyone, which is harmless). Hand-written rather than a library's: the limiters
on PyPI (``limits``, ``aiolimiter``) read the wall clock themselves, and neither knows the
"warn once per burst" state this needs.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import deque
from dataclasses import dataclass, field

WINDOW = dt.timedelta(minutes=1)
#: The table of people is swept of those quiet for a window once it grows past this
#: (and at least once a window).
SWEEP_AT = 1000


class Verdict(enum.Enum):
    SERVE = "serve"
    WARN = "warn"  # the first event over the limit: answer "slow down" once
    IGNORE = "ignore"  # the rest of the burst: recorded as handled, not answered


@dataclass
class _Person:
    served: deque[dt.datetime] = field(default_factory=deque)
    warned: bool = False


class PerPersonLimit:
    def __init__(self, per_minute: int, *, window: dt.timedelta = WINDOW) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.window = window
        self._people: dict[str, _Person] = {}
        self._sweep_at = SWEEP_AT
        self._next_sweep: dt.datetime | None = None

    def admit(self, person: str, now: dt.datetime) -> Verdict:
        """Count one event from ``person`` and say how to treat it."""
        state = self._people.setdefault(person, _Person())
        self._expire(state, now)
        if len(state.served) < self.per_minute:
            state.served.append(now)
            state.warned = False
            self._sweep(now)
            return Verdict.SERVE
        if state.warned:
            return Verdict.IGNORE
        state.warned = True
        return Verdict.WARN

    def limited(self, person: str, now: dt.datetime) -> bool:
        """Whether an event from ``person`` now would not be served (nothing is counted)."""
        state = self._people.get(person)
        if state is None:
            return False
        self._expire(state, now)
        return len(state.served) >= self.per_minute

    def tracked(self) -> int:
        """How many people the limiter currently remembers."""
        return len(self._people)

    def _expire(self, state: _Person, now: dt.datetime) -> None:
        cutoff = now - self.window
        while state.served and state.served[0] <= cutoff:
            state.served.popleft()

    def _sweep(self, now: dt.datetime) -> None:
        """Forget people quiet for a window: when the table has doubled, or once a window."""
        if self._next_sweep is None:
            self._next_sweep = now + self.window
        if len(self._people) <= self._sweep_at and now < self._next_sweep:
            return
        cutoff = now - self.window
        self._people = {
            person: state
            for person, state in self._people.items()
            if state.served and state.served[-1] > cutoff
        }
        self._sweep_at = max(SWEEP_AT, 2 * len(self._people))
        self._next_sweep = now + self.window
