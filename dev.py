#!/usr/bin/env python3
"""Set-up and everyday commands; needs nothing but Python 3.11 or newer.

    python3 dev.py run     # the bot (console chat when no platform token is set)
    python3 dev.py install # only install the bot into .venv (a server; then .venv/bin/hankebot)
    python3 dev.py test    # ruff, mypy, import contracts and the whole pytest suite
    python3 dev.py audit   # known vulnerabilities of the locked versions (needs a network)
    python3 dev.py lock    # write requirements/*.txt again after a change to pyproject.toml

Each creates ``.venv`` on first use and installs the exact versions of a lock file
(requirements/run.txt for ``run``, requirements/test.txt for the rest, each with hashes),
again only when pyproject.toml or the lock file changes.
Extra arguments after ``run`` go to ``hankebot run``; after ``test`` to pytest; after
``lock`` to ``uv pip compile`` (``--upgrade`` moves every pin to the newest version).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
PYTEST_NO_TESTS = 5
WORKERS = "2"  # the CI machine has 2 cores
REQUIREMENTS = ROOT / "requirements"
# Each installed set and its lock file. ``run`` is the bot as deployed (with charts), ``test``
# everything the tests need (every extra but Voikko). ``python3 dev.py lock`` writes both.
LOCKS: dict[str, tuple[Path, list[str]]] = {
    "run": (REQUIREMENTS / "run.txt", ["--extra", "charts"]),
    "test": (REQUIREMENTS / "test.txt", ["--extra", "test"]),
}
# uv installs a lock in seconds where pip takes minutes; it comes into .venv from its own
# lock (one version, every platform's hash), and pip does the work when uv cannot be got.
UV_LOCK = REQUIREMENTS / "uv.txt"


def uv() -> Path:
    return BIN / ("uv.exe" if os.name == "nt" else "uv")


def pip_install() -> list[str | Path]:
    return [PYTHON, "-m", "pip", "install", "--quiet"]


def installers() -> list[list[str | Path]]:
    """The install commands to try in turn: uv (fetched from its hashed lock on first use)
    when it can be had, then pip."""
    if not uv().exists():
        fetched = subprocess.run(
            [*pip_install(), "--require-hashes", "-r", UV_LOCK], cwd=ROOT, check=False
        )
        if fetched.returncode != 0 or not uv().exists():
            print("uv could not be installed; pip installs the lock (slower) …", flush=True)
            return [pip_install()]
    return [[uv(), "pip", "install", "--quiet", "--python", PYTHON], pip_install()]


def ensure_environment(extra: str | None) -> None:
    """Make ``.venv`` with the locked versions of set ``extra`` (None: the bot alone)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an old Python
        raise SystemExit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    name = extra or "run"
    if name not in LOCKS:
        raise SystemExit(f"no lock file for {name!r}; there are: {', '.join(LOCKS)}")
    lock = LOCKS[name][0]
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + lock.read_bytes() + name.encode()
    ).hexdigest()
    stamp = VENV / f".installed-{name}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing {lock.relative_to(ROOT)} into .venv …", flush=True)
    # Every version and file hash comes from the lock; the project itself goes in without
    # dependencies, so nothing unlocked can slip in through pyproject's ranges.
    for installer in installers():
        try:
            subprocess.run([*installer, "--require-hashes", "-r", lock], check=True, cwd=ROOT)
            subprocess.run([*installer, "--no-deps", "-e", "."], check=True, cwd=ROOT)
            break
        except subprocess.CalledProcessError:
            if installer[0] != uv():
                raise
            print("uv could not install the lock; pip installs it instead …", flush=True)
    for other in VENV.glob(".installed-*"):  # the other set's stamp no longer holds
        other.unlink()
    stamp.write_text(digest)


def install(args: list[str]) -> int:
    """The bot's locked set into .venv, nothing else (a server's install and update step)."""
    if args:
        print("dev.py install takes no arguments", flush=True)
        return 2
    ensure_environment(None)
    print(f"installed: {BIN / 'hankebot'}", flush=True)
    return 0


def run(args: list[str]) -> int:
    ensure_environment(None)
    return subprocess.call([BIN / "hankebot", "run", *args], cwd=os.getcwd())


def test(args: list[str]) -> int:
    ensure_environment("test")
    steps: list[tuple[str, list[str | Path]]] = [
        ("ruff check", [BIN / "ruff", "check", "."]),
        ("ruff format", [BIN / "ruff", "format", "--check", "."]),
        ("import contracts", [BIN / "lint-imports"]),
    ]
    for name, command in steps:
        print(f"== {name}", flush=True)
        if subprocess.call(command, cwd=ROOT) != 0:
            print(f"FAILED: {name}", flush=True)
            return 1
    # mypy (a minute on a fresh clone, one core) checks types while the first tests run; its
    # verdict is printed after them, and a type error stops the command before the next tier.
    first, *rest = (
        [("pytest", list(args))]
        if args  # a chosen part of the suite, as pytest is told
        else [  # the fast tests, then the end-to-end ones (fake Bot API, Synapse), which start
            # servers and processes of their own, one file per worker
            ("pytest: fast tests", ["-n", WORKERS, "-m", "not e2e"]),
            ("pytest: end to end", ["-n", WORKERS, "--dist", "loadfile", "-m", "e2e"]),
        ]
    )
    with tempfile.TemporaryFile("w+", encoding="utf-8") as mypy_out:
        print("== mypy (alongside the first tests; its output follows them)", flush=True)
        mypy = subprocess.Popen(
            [BIN / "mypy"], cwd=ROOT, stdout=mypy_out, stderr=subprocess.STDOUT, text=True
        )
        try:
            code = pytest(*first)
        finally:
            mypy_code = mypy.wait()
        mypy_out.seek(0)
        print(f"== mypy\n{mypy_out.read().rstrip()}", flush=True)
    if mypy_code != 0:
        print("FAILED: mypy", flush=True)
        return 1
    for name, tier_args in rest:
        if code != 0:
            break
        code = pytest(name, tier_args)
    return code


def pytest(name: str, args: list[str]) -> int:
    print(f"== {name}", flush=True)
    code = subprocess.call([PYTHON, "-m", "pytest", *args], cwd=ROOT)
    if code == PYTEST_NO_TESTS:
        print(f"FAILED: {name} collected no tests", flush=True)
        return 1
    if code != 0:
        print(f"FAILED: {name}", flush=True)
    return code


def lock(args: list[str]) -> int:
    """Write every lock file from pyproject.toml (uv is installed into .venv on first use)."""
    ensure_environment("test")
    if not uv().exists():
        subprocess.run([*pip_install(), "--require-hashes", "-r", UV_LOCK], check=True)
    sources = [(name, path, ["pyproject.toml", *extra]) for name, (path, extra) in LOCKS.items()]
    sources.append(("uv", UV_LOCK, [str(UV_LOCK.with_suffix(".in").relative_to(ROOT))]))
    for name, path, source_args in sources:
        print(f"== lock: {name} -> {path.relative_to(ROOT)}", flush=True)
        command: list[str | Path] = [
            uv(),
            "pip",
            "compile",
            *source_args,
            "--universal",  # one lock for every platform the bot may run on
            "--python-version",
            "3.11",
            "--generate-hashes",
            "--custom-compile-command",
            "python3 dev.py lock",
            "--quiet",
            "-o",
            path.relative_to(ROOT),
            *args,
        ]
        if subprocess.call(command, cwd=ROOT) != 0:
            print(f"FAILED: lock {name}", flush=True)
            return 1
    return 0


# What pip-audit says when the vulnerability service cannot be reached at all.
NO_NETWORK_SIGNS = (
    "ConnectionError",
    "NameResolutionError",
    "Name or service not known",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
    "Max retries exceeded",
)


def audit_verdict(returncode: int, stdout: str, stderr: str) -> tuple[int, list[str]]:
    """pip-audit's outcome as (exit code, lines to print): 0 when nothing is known or the
    audit could not be made for want of a network (said plainly), 1 for a vulnerability or
    any other failure."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        if any(sign in stderr for sign in NO_NETWORK_SIGNS):
            return 0, ["skipped: the vulnerability service cannot be reached (no network?)"]
        return 1, ["pip-audit failed:", *stderr.strip().splitlines()[-5:]]
    dependencies = report.get("dependencies", [])
    found = [
        f"{d['name']} {d['version']}: {v['id']}"
        + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
        for d in dependencies
        for v in d.get("vulns", [])
    ]
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    if found:
        return 1, [f"{len(found)} known vulnerabilities:", *found]
    if dependencies and len(skipped) == len(dependencies):
        return 0, ["skipped: the vulnerability service knew none of the packages (no network?)"]
    lines = [f"no known vulnerabilities in {len(dependencies) - len(skipped)} packages"]
    if skipped:
        lines.append(f"not audited ({len(skipped)}): {', '.join(sorted(skipped))}")
    return (1 if returncode != 0 else 0), lines


def audit_lock(
    pip_audit: Path, lock: Path, args: list[str], env: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    """Run pip-audit on one lock file and judge its answer (see :func:`audit_verdict`)."""
    done = subprocess.run(
        [
            pip_audit,
            "--requirement",
            lock,
            "--require-hashes",
            "--disable-pip",  # the lock is complete: no resolving, no install
            "--progress-spinner",
            "off",
            "--format",
            "json",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    return audit_verdict(done.returncode, done.stdout, done.stderr)


def audit(args: list[str]) -> int:
    """pip-audit against each lock file; skips cleanly (exit 0, said so) without a network."""
    ensure_environment("test")
    worst = 0
    for name, (path, _) in LOCKS.items():
        print(f"== audit: {path.relative_to(ROOT)}", flush=True)
        code, lines = audit_lock(BIN / "pip-audit", path, args)
        print("\n".join(f"{name}: {line}" for line in lines), flush=True)
        worst = max(worst, code)
    return worst


def main() -> int:
    commands = {"run": run, "install": install, "test": test, "audit": audit, "lock": lock}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
