"""Bot processes that a test starts: configured only by what the test gives them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any ``HANKEBOT_`` setting, plus ``settings``: the
    developer's own configuration must not reach a bot a test starts."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HANKEBOT_")}
    env.update(settings)
    return env


def run_python(
    script: str, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``python -c script args…`` in a process of its own (what it imports is its own)."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
