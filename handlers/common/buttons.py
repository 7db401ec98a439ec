"""Button families several flows use (each step still declares which ones it takes)."""

from __future__ import annotations

from handlers.core.flow import ButtonFamily

YES = ButtonFamily("yes")
NO = ButtonFamily("no")
SKIP = ButtonFamily("skip")
