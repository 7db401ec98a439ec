"""The soak, long form (issue 16, "Crash safety under mixed load"): the real ``hankebot run``
through the fake Bot API with many people at once, killed with SIGKILL at random moments.

Run from the repository root: ``.venv/bin/python -m bench.soak [--kills 20] [--seed S]``.
Prints what it checked (tests/e2e/soak.py) and exits 1 when a promise did not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from tests.e2e.soak import soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--applicants", type=int, default=40)
    parser.add_argument("--participants", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(
            soak(
                Path(folder),
                kills=args.kills,
                seed=args.seed,
                applicants=args.applicants,
                participants_count=args.participants,
            )
        )
    print("\n".join(result.lines()))
    held = (
        result.unconsumed_updates == 0
        and not result.scenarios_failed
        and result.in_flight <= result.kills
        and not result.wrong_language
        and result.tracebacks == 0
        and result.integrity == "ok"
        and result.pending_left == 0
    )
    print("all promises held" if held else "A PROMISE DID NOT HOLD")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
