"""The way back and the way out of every multi-step flow, the same for all of them (issue 13).

*Back*: at any step of any flow, a typed back word (``takaisin`` / ``tillbaka`` / ``back``,
``[steps] back`` in ``messages/words``) goes one question back. The dispatcher keeps, for
every answer that moved the conversation on within the same flow (or into a sub-flow), the step
answered and the flow's data as it was when that step was asked
(:class:`storage.conversations.Visit`, newest last, at most :data:`MAX_BACK`); going back
restores both and asks that question again, so whatever the later answers put in the data is
undone with them. From a sub-flow's first question, back leads to the caller's question that
entered it. Nothing in a flow's own code takes part; moves that end a flow (a meeting saved,
an announcement sent) leave nothing to go back to.

*Out*: ``/peru`` ends every flow (:func:`handlers.common.start.cancel`). Every question that
expects typed input is followed by one short line naming both ways (:func:`hint_key`);
questions answered with buttons show their buttons, and /peru is in the menu and the help.

The words of each language are matched against the whole message, case-insensitively, with
end punctuation ignored (:func:`normal`), in every language at once, as commands are.
"""

from __future__ import annotations

import copy
import re

from handlers.core.flow import Registry
from messages.words import every
from storage.conversations import ConversationState, Visit

MAX_BACK = 12  # answers remembered per flow: enough for any flow's questions in a row

_END_PUNCTUATION = re.compile(r"[\s.!?,;:…]+$")


def normal(text: str | None) -> str:
    """A typed answer as the word lists are written: lower case, single spaces, no end
    punctuation ("Takaisin!" → "takaisin")."""
    if text is None:
        return ""
    return _END_PUNCTUATION.sub("", " ".join(text.casefold().split()))


BACK_WORDS = frozenset(normal(word) for word in every(lambda words: words.steps.back))


def is_back(text: str | None) -> bool:
    return normal(text) in BACK_WORDS


def visit_of(state: ConversationState) -> Visit:
    """The step about to be answered, with a copy of the data it was asked with."""
    return Visit(state.step, copy.deepcopy(state.data))


def remember(before: ConversationState, visit: Visit, after: ConversationState | None) -> None:
    """After an answer at ``visit`` (the conversation was ``before``): if it moved on to
    another step of the same flow, or to the same step with other data (the next of a row of
    questions, another choice ticked), or into a sub-flow, keep ``visit`` to come back to."""
    if after is None:
        return
    depth = len(before.stack)
    moved = after.step != visit.step or after.data != visit.data
    if len(after.stack) == depth and after.flow == before.flow and moved:
        after.back = [*after.back, visit][-MAX_BACK:]
    elif len(after.stack) == depth + 1 and after.stack[-1].flow == before.flow:
        frame = after.stack[-1]
        frame.back = [*frame.back, visit][-MAX_BACK:]


def can_go_back(state: ConversationState | None) -> bool:
    if state is None:
        return False
    return bool(state.back) or bool(state.stack and state.stack[-1].back)


def went_back(registry: Registry, state: ConversationState) -> ConversationState | None:
    """The conversation one question back, or None when there is none (a flow's first
    question, or a step that no longer exists after an upgrade)."""
    if state.back:
        *rest, visit = state.back
        back = ConversationState(state.flow, visit.step, visit.data, list(state.stack), rest)
    elif state.stack and state.stack[-1].back:
        *outer, frame = state.stack
        *rest, visit = frame.back
        back = ConversationState(frame.flow, visit.step, visit.data, outer, rest)
    else:
        return None
    flow = registry.flows.get(back.flow)
    if flow is None or back.step not in flow.steps:
        return None
    return back


def hint_key(registry: Registry, state: ConversationState | None, step: str) -> str | None:
    """The line that follows a question expecting typed input: the ways back and out, or only
    out at a flow's first question; None for a question answered with buttons."""
    flow = registry.flows.get(state.flow) if state is not None else None
    definition = flow.steps.get(step) if flow is not None else None
    if state is None or definition is None or definition.accepts is None or not definition.typed:
        return None
    return "ways.hint_back" if can_go_back(state) else "ways.hint_out"
