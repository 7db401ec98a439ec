"""Reproducible installs (issue 16, Operations): the lock files are in step with pyproject,
every pin has hashes, and dev.py, CI and the Dockerfile install from them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
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


def test_dev_py_installs_the_lock_with_hashes_then_the_project_without_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    monkeypatch.setattr(dev, "VENV", venv)
    monkeypatch.setattr(dev, "PYTHON", venv / "bin" / "python")
    commands: list[list[str]] = []

    def record(command: list[object], **_: object) -> subprocess.CompletedProcess[str]:
        commands.append([str(part) for part in command])
        return subprocess.CompletedProcess([], 0)

    monkeypatch.setattr(subprocess, "run", record)
    dev.ensure_environment("test")
    first, second = commands
    assert first[first.index("-r") + 1] == str(dev.LOCKS["test"][0])
    assert "--require-hashes" in first
    assert second[-3:] == ["--no-deps", "-e", "."]
    dev.ensure_environment("test")  # unchanged: nothing to do
    assert len(commands) == 2
    assert dev.install([]) == 0  # the bot's own set: the run lock
    assert commands[2][commands[2].index("-r") + 1] == str(dev.LOCKS["run"][0])
    assert not (venv / ".installed-test").exists()


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
