#!/usr/bin/env python3
"""Set-up and everyday commands; needs nothing but Python 3.11 or newer.

    python3 dev.py run     # the bot (console chat when no platform token is set)
    python3 dev.py test    # ruff, mypy, import contracts and the whole pytest suite

Each creates ``.venv`` on first use and reinstalls only when pyproject.toml changes.
Extra arguments after ``run`` go to ``hankebot run``; after ``test`` to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
PYTEST_NO_TESTS = 5
WORKERS = "2"  # the CI machine has 2 cores


def ensure_environment(extra: str | None) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an old Python
        raise SystemExit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    target = f".[{extra}]" if extra else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + target.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'run'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing {target} into .venv (first time takes a minute) …", flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def run(args: list[str]) -> int:
    ensure_environment(None)
    return subprocess.call([BIN / "hankebot", "run", *args], cwd=os.getcwd())


def test(args: list[str]) -> int:
    ensure_environment("test")
    steps: list[tuple[str, list[str | Path]]] = [
        ("ruff check", [BIN / "ruff", "check", "."]),
        ("ruff format", [BIN / "ruff", "format", "--check", "."]),
        ("mypy", [BIN / "mypy"]),
        ("import contracts", [BIN / "lint-imports"]),
    ]
    for name, command in steps:
        print(f"== {name}", flush=True)
        if subprocess.call(command, cwd=ROOT) != 0:
            print(f"FAILED: {name}", flush=True)
            return 1
    if args:  # a chosen part of the suite, as pytest is told
        return pytest("pytest", list(args))
    # The fast tests in parallel, then the end-to-end tiers (fake Bot API, Synapse): these
    # start servers and processes of their own, one file per worker.
    tiers = [
        ("pytest: fast tests", ["-n", WORKERS, "-m", "not e2e"]),
        ("pytest: end to end", ["-n", WORKERS, "--dist", "loadfile", "-m", "e2e"]),
    ]
    for name, tier_args in tiers:
        code = pytest(name, tier_args)
        if code != 0:
            return code
    return 0


def pytest(name: str, args: list[str]) -> int:
    print(f"== {name}", flush=True)
    code = subprocess.call([PYTHON, "-m", "pytest", *args], cwd=ROOT)
    if code == PYTEST_NO_TESTS:
        print(f"FAILED: {name} collected no tests", flush=True)
        return 1
    if code != 0:
        print(f"FAILED: {name}", flush=True)
    return code


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
