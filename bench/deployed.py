"""The bot's deployed packages, for the bot processes the benchmarks start (issue 17).

The benchmarks run in the test set (``.venv``), which also holds what only the tests need:
``cryptography`` (for Synapse), and ``rich``, ``click`` and ``pygments`` (pytest's
neighbours). python-telegram-bot imports ``cryptography`` and httpx imports ``rich`` and
``click`` whenever they are installed, so a bot started from ``.venv`` is about 20 MB
bigger than the deployed one (measured here: hankebot 88.6 against 71.6 MB idle, the echo
bot 63.7 against 50.5 MB). The bots measured therefore run in ``.venv-bench``, made from
``requirements/run.txt``, the lock ``python3 dev.py install`` deploys, and made again only
when that lock changes. They run from the source tree, as ``python -m bot`` does in it.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bench"
LOCK = ROOT / "requirements" / "run.txt"


def deployed_python() -> Path:
    """The Python of ``.venv-bench`` with the deployed set installed (made if needed)."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed-run"
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    print("Installing requirements/run.txt into .venv-bench for the bots measured …", flush=True)
    venv.create(VENV, with_pip=True, clear=True)
    uv = Path(sys.executable).parent / "uv"
    install: list[str | Path] = (
        [uv, "pip", "install", "--quiet", "--python", python]
        if uv.exists()
        else [python, "-m", "pip", "install", "--quiet"]
    )
    subprocess.run([*install, "--require-hashes", "-r", LOCK], check=True, cwd=ROOT)
    stamp.write_text(digest)
    return python
