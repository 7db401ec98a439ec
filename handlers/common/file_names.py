"""Names of the files the bot sends, in the reader's language (catalog keys ``file.*``)."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.types import Param


def file_name(ctx: Context, key: str, extension: str, **params: Param) -> str:
    """``file_name(ctx, "file.report", ".csv", project="osmari")`` → "raportti-osmari.csv"."""
    return ctx.services.rendering.plain(ctx.locale, key, params) + extension
