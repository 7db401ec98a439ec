"""Hostile input, the long run (issue 16): the sequences of tests/test_fuzz.py, many more of
them and by default a fresh seed each time.

Run from the repository root: ``.venv/bin/python -m bench.fuzz [--examples N] [--seed S]``.
Prints how many inputs were tried, how many conversation steps were reached and the first
failing sequence (hypothesis shrinks it) if an invariant broke (exit code 1).
"""

from __future__ import annotations

import argparse
import sys
import time

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from content import load_content
from tests.fuzz_flows import LOCALES, Action, Tally, actions, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz")
    parser.add_argument("--examples", type=int, default=1000, help="sequences to try")
    parser.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    args = parser.parse_args(argv)
    content = load_content()
    tally = Tally()

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        locale=st.sampled_from(LOCALES),
        admin=st.booleans(),
        sequence=st.lists(actions(), min_size=10, max_size=60),
    )
    def sequences(locale: str, admin: bool, sequence: list[Action]) -> None:
        run(content, locale, admin, sequence, tally)

    test = seed(args.seed)(sequences) if args.seed is not None else sequences
    started = time.monotonic()
    failed = False
    try:
        test()
    except Exception as error:  # hypothesis has printed the shrunk sequence
        failed = True
        print(f"invariant broken: {type(error).__name__}: {error}"[:2000])
    print(
        f"fuzz: {tally.inputs} inputs in {tally.sequences} sequences in"
        f" {time.monotonic() - started:.0f} s; {len(tally.positions)} conversation steps"
        f" reached, {len(tally.keys)} different texts seen; {len(tally.unanswered)} unanswered"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
