"""The soak, short form (issue 16): the real process under mixed load, killed 3 times at
random moments (fixed seed), restarted each time; prints what it checked. The long form:
``python -m bench.soak``. See tests/e2e/soak.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.soak import soak

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_soak_three_kills(tmp_path: Path) -> None:
    result = await soak(
        tmp_path, kills=3, seed=16, applicants=10, participants_count=150, uptime=(2.0, 5.0)
    )
    print("\nsoak:\n  " + "\n  ".join(result.lines()))
    assert result.kills == 3
    assert result.unconsumed_updates == 0
    assert result.scenarios_failed == []
    assert result.in_flight <= result.kills
    assert result.wrong_language == []
    assert result.tracebacks == 0
    assert result.integrity == "ok"
    assert result.pending_left == 0
