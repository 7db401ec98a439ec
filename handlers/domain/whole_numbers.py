"""Whole numbers people type (minutes, counts, list lengths), read without surprises (pure).

``str.isdigit()`` is true for "²" and "①", which ``int()`` refuses with a ``ValueError``, and
``int()`` refuses more than 4 300 digits with one of its own. :func:`is_digits` accepts what
``int()`` reads: decimal digits (ASCII, and other scripts' such as "١٢", which a phone set to
Arabic types), and :func:`parse_count` reads at most as many digits as its maximum has
(after leading zeros), so "9" × 40 or × 5 000 is simply out of range.
"""

from __future__ import annotations

from enum import StrEnum


class CountProblem(StrEnum):
    FORMAT = "format"
    OUT_OF_RANGE = "out_of_range"


class CountInputError(ValueError):
    """A typed whole number that cannot be accepted; ``reason`` says why."""

    def __init__(self, reason: CountProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


def is_digits(text: str) -> bool:
    """True for one or more decimal digits and nothing else (what ``int()`` reads)."""
    return text.isdecimal()


def parse_count(text: str, *, minimum: int, maximum: int) -> int:
    """A whole number ``minimum``–``maximum`` typed in digits (surrounding spaces allowed),
    else :class:`CountInputError`."""
    value = text.strip()
    if not is_digits(value):
        raise CountInputError(CountProblem.FORMAT)
    if len(value.lstrip("0")) > len(str(maximum)):
        raise CountInputError(CountProblem.OUT_OF_RANGE)
    number = int(value)
    if not minimum <= number <= maximum:
        raise CountInputError(CountProblem.OUT_OF_RANGE)
    return number
