"""Builds the registry of every flow, command and menu entry the bot offers."""

from __future__ import annotations

from handlers import (
    broadcast,
    budget_flow,
    codes,
    enrolment,
    exit_situation,
    faq,
    idea_fit_flow,
    join_check,
    meeting_edit,
    meeting_new,
    meetings,
    participant,
    privacy,
    reports,
    roles,
    start,
)
from handlers.flow import Registry


def build_registry() -> Registry:
    registry = Registry()
    # Applicants (issue #5) first: the FAQ sets free_text, which codes ("liity KOODI") wraps.
    for module in (idea_fit_flow, join_check, budget_flow, faq):
        module.register(registry)
    for module in (
        start,
        privacy,
        enrolment,
        meetings,
        meeting_new,
        meeting_edit,
        participant,
        broadcast,
        reports,
        roles,
        codes,  # after the modules that add kinds of code
    ):
        module.register(registry)
    exit_situation.register(registry)
    return registry
