"""Builds the registry of every flow, command and menu entry the bot offers."""

from __future__ import annotations

from handlers import privacy, start
from handlers.flow import Registry


def build_registry() -> Registry:
    registry = Registry()
    for module in (start, privacy):
        module.register(registry)
    return registry
