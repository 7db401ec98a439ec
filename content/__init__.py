"""The bot's content: ESR+ programme facts, FAQ and one YAML file per project.

``load_content()`` reads and validates the packaged data (or ``HANKEBOT_CONTENT_DIR``);
the schema is described in :mod:`content.schema`.
"""

from content.loader import (
    ContentError,
    ContentIssue,
    check_content,
    content_warnings,
    load_content,
)
from content.schema import Content, FaqEntry, Localized, Programme, Project

__all__ = [
    "Content",
    "ContentError",
    "ContentIssue",
    "FaqEntry",
    "Localized",
    "Programme",
    "Project",
    "check_content",
    "content_warnings",
    "load_content",
]
