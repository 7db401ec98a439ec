"""Read and validate the content directory: ``programme.yaml`` and ``projects/*.yaml``.

Every problem is collected (YAML syntax, duplicate keys, schema errors, references between
files) before :class:`ContentError` is raised, so one run of ``hankebot check-content`` shows
them all, each with its file and field path. One limit: checks that need a whole part to be
valid first (eligibility rules against their questions, references to other projects) run
once the fields they rely on are valid, so fixing field errors can reveal a few more.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from content.schema import Content, Programme, Project

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent
PROGRAMME_FILE = "programme.yaml"
PROJECTS_DIR = "projects"
_PATH_MESSAGE = re.compile(
    r"^(?P<path>[a-z_]\w*(?:\[\d+\])*(?:\.[a-z_]\w*(?:\[\d+\])*)*): (?P<message>.+)$"
)


@dataclass(frozen=True)
class ContentIssue:
    """One problem: the file, the field path inside it (e.g. ``groups[0].rhythm.rrule``),
    a developer-facing message and a machine-readable ``code``."""

    file: Path
    location: str
    message: str
    code: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}" if self.location else str(self.file)
        return f"{where}: {self.message}"


class ContentError(Exception):
    """The content could not be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[ContentIssue]) -> None:
        self.issues = tuple(issues)
        lines = [f"{len(self.issues)} content problem(s):", *(f"  {i}" for i in self.issues)]
        super().__init__("\n".join(lines))


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of keeping the last one."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_duplicates,
)


def format_location(loc: Sequence[int | str]) -> str:
    """``("groups", 0, "rhythm")`` → ``groups[0].rhythm``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _read_yaml(path: Path, issues: list[ContentIssue]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        issues.append(ContentIssue(path, where, f"{error.problem or error}", "yaml"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        issues.append(ContentIssue(path, "", str(error), "unreadable"))
    return None


M = TypeVar("M", Programme, Project)


def _validate(
    model: type[M],
    data: Any,
    path: Path,
    issues: list[ContentIssue],
    languages: Sequence[str] | None = None,
) -> M | None:
    if not isinstance(data, dict):
        issues.append(ContentIssue(path, "", "the file must hold a mapping", "not_a_mapping"))
        return None
    try:
        return model.model_validate(
            data, context={"languages": tuple(languages)} if languages else None
        )
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            issues.extend(_issues_from(path, format_location(detail["loc"]), detail))
        return None


def _issues_from(path: Path, location: str, detail: ErrorDetails) -> list[ContentIssue]:
    """One issue per problem; a model check's "rules[0].when: ..." extends the location."""
    if detail["type"] != "value_error":
        return [ContentIssue(path, location, detail["msg"], detail["type"])]
    issues = []
    for part in detail["msg"].removeprefix("Value error, ").split("; "):
        found = _PATH_MESSAGE.match(part)
        if found:
            where = ".".join(piece for piece in (location, found["path"]) if piece)
            issues.append(ContentIssue(path, where, found["message"], "value_error"))
        else:
            issues.append(ContentIssue(path, location, part, "value_error"))
    return issues


def _cross_check(
    programme: Programme | None,
    projects: Sequence[tuple[Path, Project]],
    files: Sequence[Path],
    issues: list[ContentIssue],
) -> None:
    objectives = {o.code for o in programme.specific_objectives} if programme else None
    # A project whose file is broken is reported there, not as a missing reference here.
    slugs = {project.slug for _, project in projects} | {path.stem for path in files}
    for path, project in projects:
        if project.slug != path.stem:
            issues.append(
                ContentIssue(path, "slug", f"must equal the file name {path.stem!r}", "slug")
            )
        if objectives is not None and project.specific_objective not in objectives:
            issues.append(
                ContentIssue(
                    path,
                    "specific_objective",
                    f"{project.specific_objective!r} is not in programme.yaml",
                    "reference",
                )
            )
        for index, rule in enumerate(project.eligibility.rules):
            for position, other in enumerate(rule.try_projects):
                if other not in slugs or other == project.slug:
                    issues.append(
                        ContentIssue(
                            path,
                            f"eligibility.rules[{index}].try_projects[{position}]",
                            f"no other project {other!r}",
                            "reference",
                        )
                    )


def check_content(
    content_dir: Path | None = None, *, languages: Sequence[str] | None = None
) -> tuple[Content | None, list[ContentIssue]]:
    """Load what can be loaded and list every problem (the content is None if any).

    Every text must be in each of ``languages`` (default: the bot's, from ``messages/``)."""
    root = content_dir or DEFAULT_CONTENT_DIR
    issues: list[ContentIssue] = []
    programme_path = root / PROGRAMME_FILE
    programme = None
    if programme_path.is_file():
        programme = _validate(
            Programme, _read_yaml(programme_path, issues), programme_path, issues, languages
        )
    else:
        issues.append(ContentIssue(programme_path, "", "file is missing", "missing"))

    projects: list[tuple[Path, Project]] = []
    files = sorted((root / PROJECTS_DIR).glob("*.yaml"))
    for path in files:
        data = _read_yaml(path, issues)
        if data is None and not any(issue.file == path for issue in issues):
            issues.append(ContentIssue(path, "", "the file is empty", "empty"))
            continue
        project = _validate(Project, data, path, issues, languages) if data is not None else None
        if project is not None:
            projects.append((path, project))
    _cross_check(programme, projects, files, issues)

    if issues or programme is None:
        return None, issues
    content = Content(
        programme=programme,
        projects={project.slug: project for _, project in projects},
    )
    return content, issues


def content_warnings(content: Content, content_dir: Path | None = None) -> list[ContentIssue]:
    """What loads but still needs filling in: the data controllers /privacy names and the
    organisations' public contacts."""
    root = content_dir or DEFAULT_CONTENT_DIR
    found = [
        (root / PROGRAMME_FILE, "bot_operator", content.programme.bot_operator.missing),
        *(
            (
                root / PROJECTS_DIR / f"{slug}.yaml",
                "data_controller",
                project.data_controller.missing,
            )
            for slug, project in sorted(content.projects.items())
        ),
    ]
    issues = [
        ContentIssue(
            path, f"{field}.{name}", "not filled in yet (/tietosuoja shows it)", "placeholder"
        )
        for path, field, missing in found
        for name in missing
    ]
    issues.extend(
        ContentIssue(
            root / PROJECTS_DIR / f"{slug}.yaml",
            "public_contact",
            "no public phone, e-mail or web address yet (people who ask for contact get it)",
            "placeholder",
        )
        for slug, project in sorted(content.projects.items())
        if project.public_contact.missing
    )
    return issues


def load_content(
    content_dir: Path | None = None, *, languages: Sequence[str] | None = None
) -> Content:
    """The validated content of ``content_dir`` (default: the packaged ``content/``), every
    text in each of ``languages`` (default: the bot's).

    Raises :class:`ContentError` listing every problem.
    """
    content, issues = check_content(content_dir, languages=languages)
    if content is None:
        raise ContentError(issues)
    return content
