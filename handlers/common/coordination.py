"""Helpers shared by the coordinator features: projects, names, private chats, CSV files.

Project slugs come from the content (``content/projects/*.yaml``). When no content is
loaded (some tests, a bare database), any well-formed slug is accepted, and the projects an
administrator sees are those that have members.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from handlers.core.context import Context, Roles
from handlers.domain.spreadsheet_cells import csv_row
from storage import broadcasts

SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def is_staff(roles: Roles) -> bool:
    """Coordinators and administrators (for menus and command lists)."""
    return roles.is_admin or roles.is_coordinator


def is_admin(roles: Roles) -> bool:
    return roles.is_admin


def _content_projects(ctx: Context) -> dict[str, Any] | None:
    content = ctx.services.content
    projects = getattr(content, "projects", None)
    return projects if isinstance(projects, dict) else None


def project_exists(ctx: Context, slug: str) -> bool:
    projects = _content_projects(ctx)
    if projects is not None:
        return slug in projects
    return bool(SLUG.match(slug)) and len(slug) <= 64


def project_label(content: Any, slug: str, locale: str) -> str:
    """The project's short name (or name) in ``locale``; the slug when it is not in content."""
    projects = getattr(content, "projects", None)
    project = projects.get(slug) if isinstance(projects, dict) else None
    if project is None:
        return slug
    if project.short_name:
        return str(project.short_name)
    return str(project.name.get(locale))


def project_name(ctx: Context, slug: str | None, locale: str | None = None) -> str:
    """:func:`project_label` for the reader (or ``locale``)."""
    if slug is None:
        return ""
    return project_label(ctx.services.content, slug, locale or ctx.locale)


def group_names(ctx: Context, slug: str) -> dict[str, str]:
    """Group id → name in the reader's language, from the content."""
    project = (_content_projects(ctx) or {}).get(slug)
    if project is None:
        return {}
    return {group.id: str(group.name.get(ctx.locale)) for group in project.groups}


async def manageable_projects(ctx: Context) -> list[str]:
    """Projects this person may coordinate now: all for an administrator."""
    if ctx.roles.is_admin:
        projects = _content_projects(ctx)
        if projects is not None:
            return sorted(projects)
        return sorted(set(await broadcasts.projects_in_use(ctx.conn)) | ctx.roles.coordinator_of)
    return sorted(ctx.roles.coordinator_of)


def in_private_chat(ctx: Context) -> bool:
    """True in a one-to-one chat; otherwise says why not and returns False."""
    if ctx.incoming.is_group_chat:
        ctx.reply("coord.private_only")
        return False
    return True


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file for spreadsheet programs set to Finnish: ";" between fields, UTF-8 with
    a byte order mark (so Excel reads ä and ö right). Text cells that could start a formula
    (a participant's name "=HYPERLINK(…)") are neutralised, numbers stay numbers
    (:mod:`handlers.domain.spreadsheet_cells`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def id_label(user_id: str, display_name: str | None) -> str:
    """Coordinators as administrators see them: the name and the full id (to type commands)."""
    return f"{display_name} ({user_id})" if display_name else user_id
