"""What the ``hankebot`` sub-commands share about their arguments: whole numbers within
bounds, a typed value shown briefly in an error, and a parser whose usage errors are one line.

Wrong or absurd input (40 digits, "1e999", "NaN", "²", 10 000 characters) is a usage error
like any other: exit code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from handlers.domain.whole_numbers import CountInputError, parse_count

SHOWN = 40


def shown(text: str) -> str:
    """``text`` quoted for an error message, cut to :data:`SHOWN` characters."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number ``low``–``high``."""

    def read(text: str) -> int:
        try:
            return parse_count(text, minimum=low, maximum=high)
        except CountInputError:
            raise argparse.ArgumentTypeError(
                f"give a whole number {low}–{high}, not {shown(text)}"
            ) from None

    read.__name__ = "whole number"
    return read


class Parser(argparse.ArgumentParser):
    """Usage errors as one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        if len(message) > 300:  # argparse quotes what was typed, perhaps 10 000 characters
            message = message[:300] + "…"
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
