"""Reproducible installs (issue 16, Operations): the lock files are in step with pyproject,
every pin has hashes, and dev.py, CI and the Dockerfile install from them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import dev

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
NOT_LOCKED = {"voikko"}  # needs the system's libvoikko; installed by hand (README)


def pins(lock: Path) -> dict[str, set[Version]]:
    """Each package of a lock file and its pinned versions (a universal lock may pin two,
    one per Python version)."""
    found: dict[str, set[Version]] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found.setdefault(canonicalize_name(match[1]), set()).add(Version(match[2]))
    return found


def requirements(extras: list[str]) -> Iterator[Requirement]:
    """pyproject's runtime dependencies and those of ``extras``, the project's own extras
    (``hankebot[charts]``) unfolded."""
    yield from map(Requirement, PROJECT["dependencies"])
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == PROJECT["name"]:
                todo.extend(requirement.extras)
            else:
                yield requirement


def lock_extras(name: str) -> list[str]:
    arguments = dev.LOCKS[name][1]
    return [arguments[i + 1] for i, a in enumerate(arguments) if a == "--extra"]


@pytest.mark.parametrize("name", sorted(dev.LOCKS))
def test_every_pyproject_dependency_is_locked_at_a_version_it_allows(name: str) -> None:
    """A dependency added to pyproject.toml without ``python3 dev.py lock`` fails here."""
    locked = pins(dev.LOCKS[name][0])
    wanted = list(requirements(lock_extras(name)))
    assert wanted
    for requirement in wanted:
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {name}.txt: run python3 dev.py lock"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{requirement.name}=={version} in {name}.txt is outside {requirement.specifier}"
            )


def test_every_extra_is_in_some_lock_and_the_test_set_has_them_all() -> None:
    extras = set(PROJECT["optional-dependencies"]) - NOT_LOCKED
    test_set = {r.name for r in requirements(["test"])}
    for extra in extras - {"test"}:
        assert {r.name for r in requirements([extra])} - test_set == set(), extra
    assert set(lock_extras("test")) == {"test"} and "charts" in lock_extras("run")


@pytest.mark.parametrize("name", sorted(dev.LOCKS))
def test_every_pin_has_hashes_and_says_how_it_was_made(name: str) -> None:
    text = dev.LOCKS[name][0].read_text()
    assert "#    python3 dev.py lock" in text
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(blocks) > 20
    for block in blocks:
        assert PIN.match(block), block[:80]
        assert "--hash=sha256:" in block, block[:80]


def test_a_lean_install_has_no_charts_and_no_homeserver() -> None:
    """``pip install hankebot`` leaves out matplotlib and Synapse (the charts and synapse
    extras) and nothing asks for time-machine, which no code imports."""
    core = {canonicalize_name(r.name) for r in requirements([])}
    assert "matplotlib" not in core and "matrix-synapse" not in core
    assert "matplotlib" in {canonicalize_name(r.name) for r in requirements(["charts"])}
    for name in dev.LOCKS:
        assert "time-machine" not in pins(dev.LOCKS[name][0])
    assert "matplotlib" not in pins(dev.LOCKS["run"][0]) or "charts" in lock_extras("run")


def fake_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    monkeypatch.setattr(dev, "VENV", venv)
    monkeypatch.setattr(dev, "BIN", venv / "bin")
    monkeypatch.setattr(dev, "PYTHON", venv / "bin" / "python")
    return venv


def record_runs(
    monkeypatch: pytest.MonkeyPatch, outcome: Callable[[list[str]], int]
) -> list[list[str]]:
    """Every ``subprocess.run`` command, answered by ``outcome`` (an exit code)."""
    commands: list[list[str]] = []

    def record(command: list[object], **kwargs: object) -> subprocess.CompletedProcess[str]:
        commands.append([str(part) for part in command])
        code = outcome(commands[-1])
        if code and kwargs.get("check"):
            raise subprocess.CalledProcessError(code, commands[-1])
        return subprocess.CompletedProcess([], code)

    monkeypatch.setattr(subprocess, "run", record)
    return commands


def test_dev_py_installs_the_lock_with_hashes_then_the_project_without_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv, itself from a hashed lock, installs the lock with hashes, then the project."""
    venv = fake_venv(tmp_path, monkeypatch)

    def outcome(command: list[str]) -> int:
        if str(dev.UV_LOCK) in command:  # pip fetching uv puts it into .venv/bin
            (venv / "bin" / "uv").touch()
        return 0

    commands = record_runs(monkeypatch, outcome)
    dev.ensure_environment("test")
    fetch, first, second = commands
    assert fetch[:4] == [str(venv / "bin" / "python"), "-m", "pip", "install"]
    assert fetch[-3:] == ["--require-hashes", "-r", str(dev.UV_LOCK)]
    assert first[:3] == [str(venv / "bin" / "uv"), "pip", "install"]
    assert first[first.index("--python") + 1] == str(venv / "bin" / "python")
    assert first[first.index("-r") + 1] == str(dev.LOCKS["test"][0])
    assert "--require-hashes" in first
    assert second[0] == first[0] and second[-3:] == ["--no-deps", "-e", "."]
    dev.ensure_environment("test")  # unchanged: nothing to do
    assert len(commands) == 3
    assert dev.install([]) == 0  # the bot's own set: the run lock, uv already there
    assert commands[3][0] == first[0]
    assert commands[3][commands[3].index("-r") + 1] == str(dev.LOCKS["run"][0])
    assert not (venv / ".installed-test").exists()


def test_without_uv_pip_installs_the_lock_and_a_failing_uv_hands_over_to_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = fake_venv(tmp_path, monkeypatch)
    commands = record_runs(monkeypatch, lambda c: 1 if str(dev.UV_LOCK) in c else 0)
    dev.ensure_environment("test")  # uv cannot be fetched (no index has it, say)
    _, first, second = commands
    assert first[1:4] == ["-m", "pip", "install"] and "--require-hashes" in first
    assert first[first.index("-r") + 1] == str(dev.LOCKS["test"][0])
    assert second[1:4] == ["-m", "pip", "install"] and second[-3:] == ["--no-deps", "-e", "."]

    (venv / "bin" / "uv").touch()
    (venv / ".installed-test").unlink()
    commands = record_runs(monkeypatch, lambda c: 1 if c[0].endswith("uv") else 0)
    dev.ensure_environment("test")  # uv is there but fails on the lock: pip does it
    assert [c[0].rsplit("/", 1)[-1] for c in commands] == ["uv", "python", "python"]
    assert commands[1][-3:] == ["--require-hashes", "-r", str(dev.LOCKS["test"][0])]
    assert (venv / ".installed-test").exists()

    (venv / ".installed-test").unlink()
    commands = record_runs(monkeypatch, lambda c: 1)
    with pytest.raises(subprocess.CalledProcessError):  # pip failing too fails the install
        dev.ensure_environment("test")
    assert not (venv / ".installed-test").exists()


def test_uv_is_pinned_to_one_version_with_a_hash_for_every_platform() -> None:
    text = dev.UV_LOCK.read_text()
    assert "#    python3 dev.py lock" in text
    assert set(pins(dev.UV_LOCK)) == {"uv"} and len(pins(dev.UV_LOCK)["uv"]) == 1
    assert text.count("--hash=sha256:") >= 10  # one wheel per platform and the sdist
    wanted = dev.UV_LOCK.with_suffix(".in").read_text().split()
    assert wanted == [f"uv=={next(iter(pins(dev.UV_LOCK)['uv']))}"]


def test_a_type_error_fails_dev_py_test_before_the_end_to_end_tier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mypy runs beside the fast tier; its failure fails the command and the end-to-end
    tier is not started; a tier that collects nothing (exit 5) fails too."""
    monkeypatch.setattr(dev, "ensure_environment", lambda extra: None)
    monkeypatch.setattr(subprocess, "call", lambda command, **_: 0)  # the quick linters
    tiers: list[list[str]] = []
    tier_codes = iter([0, 0, 0, dev.PYTEST_NO_TESTS])

    def fake_pytest(name: str, args: list[str]) -> int:
        tiers.append(args)
        return 0

    monkeypatch.setattr(dev, "pytest", fake_pytest)

    class Mypy:
        code = 1

        def __init__(self, command: list[object], *, stdout: Any, **_: object) -> None:
            assert str(command[0]).endswith("mypy")
            stdout.write("dev.py:1: error: a made-up type error\n")

        def wait(self) -> int:
            return Mypy.code

    monkeypatch.setattr(subprocess, "Popen", Mypy)
    assert dev.test([]) == 1
    assert len(tiers) == 1 and "not e2e" in tiers[0]
    Mypy.code = 0
    tiers.clear()
    assert dev.test([]) == 0
    assert [args[-1] for args in tiers] == ["not e2e", "e2e"]
    monkeypatch.undo()
    monkeypatch.setattr(dev, "ensure_environment", lambda extra: None)
    monkeypatch.setattr(subprocess, "Popen", Mypy)
    monkeypatch.setattr(subprocess, "call", lambda command, **_: next(tier_codes))
    assert dev.test(["-k", "nothing matches this"]) == 1  # pytest's exit 5


def test_ci_and_the_dockerfile_install_from_the_lock() -> None:
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()
    docker = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/run.txt" in docker
    assert "--no-deps ." in docker
    base = re.search(r"^FROM (\S+)", docker, re.MULTILINE)
    assert base is not None and base[1].split("@")[0].endswith(":3.11-slim-bookworm")
    if "@" in base[1]:  # a digest, when pinned, is a whole sha256
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", base[1].split("@")[1])


def test_audit_says_plainly_when_it_cannot_reach_the_service() -> None:
    """Without a network (here: every request goes to a closed local port) the audit skips
    with exit 0 and says so, instead of failing or claiming there is nothing to find."""
    closed = "http://127.0.0.1:9"
    env = dict(os.environ, HTTPS_PROXY=closed, HTTP_PROXY=closed, https_proxy=closed)
    pip_audit = Path(sys.executable).parent / "pip-audit"
    code, lines = dev.audit_lock(pip_audit, dev.LOCKS["run"][0], [], env)
    assert code == 0
    assert lines[0].startswith("skipped:")


def test_audit_fails_on_a_known_vulnerability_and_names_it() -> None:
    report: dict[str, Any] = {
        "dependencies": [
            {
                "name": "aiohttp",
                "version": "3.0",
                "vulns": [{"id": "X-1", "fix_versions": ["3.1"]}],
            },
            {"name": "yarl", "version": "1.0", "vulns": []},
        ]
    }
    code, lines = dev.audit_verdict(1, json.dumps(report), "")
    assert code == 1 and "aiohttp 3.0: X-1 (fixed in 3.1)" in lines
    report["dependencies"][0]["vulns"] = []
    code, lines = dev.audit_verdict(0, json.dumps(report), "")
    assert code == 0 and lines == ["no known vulnerabilities in 2 packages"]
    code, lines = dev.audit_verdict(1, "", "Traceback …\nValueError: broken lock")
    assert code == 1 and lines[0] == "pip-audit failed:"
