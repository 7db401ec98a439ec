"""Builds the registry of every flow, command and menu entry the bot offers."""

from __future__ import annotations

from handlers.applicant import budget, contact_request, faq, idea_fit_flow, join_check
from handlers.common import codes, privacy, start
from handlers.core.flow import Registry
from handlers.participant import answers as participant
from handlers.participant import enrolment, exit_situation, replies
from handlers.staff import (
    broadcast,
    meeting_edit,
    meeting_new,
    meetings,
    open_items,
    reports,
    roles,
)


def build_registry() -> Registry:
    registry = Registry()
    # Applicants (issue #5) first: the FAQ sets free_text, which codes ("liity KOODI") wraps.
    for module in (idea_fit_flow, join_check, budget, faq, contact_request):
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
        open_items,
        codes,  # after the modules that add kinds of code
    ):
        module.register(registry)
    exit_situation.register(registry)
    replies.register(registry)  # typed answers to the bot's questions, before flows and FAQ
    registry.validate()  # every flow's steps, inputs and moves (handlers/core/flow.py)
    return registry
