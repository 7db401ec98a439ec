"""Free-text questions: any text typed outside a flow is matched against the FAQ.

The best answer comes with "did this help?" buttons and "ask a person", which forwards the
question to a project's coordinators (or, for a general question, the administrators) after
the person has typed a contact and agreed to send it
(:mod:`handlers.applicant.contact_request`). Below the matcher's confidence threshold the
bot says it does not know and offers the menu. The question is kept only in the conversation
state while the person may still ask a person (forgotten after a day, ``bot.maintenance``).
"Did this help?" is counted per FAQ entry, without saying who answered.

The matcher (:class:`handlers.domain.faq_match.FaqMatcher`) is built once per content object
and kept in ``ctx.services.extras``.

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/faq.md``, ``docs/flows/ask.md``, ``docs/flows/contact.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum

from content.schema import Content
from handlers.applicant import contact_request
from handlers.common.start import main_menu
from handlers.core.context import Context, Services
from handlers.core.flow import END, TEXT, ButtonFamily, Flow, FlowRef, MenuEntry, Registry, Step
from handlers.core.types import InvalidInput
from handlers.domain.faq_match import FaqMatcher
from messages.words import Words, every
from storage import contact_requests

FLOW = "faq"
ASK_FLOW = "ask"


class S(StrEnum):
    """The steps of both flows (their names are stored in conversations)."""

    ANSWER = "answer"
    PROJECT = "project"
    TYPE = "type"


Q = ButtonFamily("q")
HELPED = Q.sub("yes")
NOT_HELPED = Q.sub("no")
ASK_PERSON = Q.sub("ask")
PROJECT = Q.sub("p")  # q:p:<slug>, q:p: for a general question
_EXTRAS_KEY = "faq_matcher"


def _either(pick: Callable[[Words], Iterable[str]]) -> str:
    """The small-talk expressions of every language (messages/words/*.toml) as one group."""
    return "(?:" + "|".join(every(pick)) + ")"


_SMALL_TALK = {
    "greeting": re.compile(
        rf"^{_either(lambda words: words.faq.greeting)}"
        rf"(?:\s+{_either(lambda words: words.faq.greeting_tail)})?$"
    ),
    "how_are_you": re.compile(rf"^{_either(lambda words: words.faq.how_are_you)}$"),
    "thanks": re.compile(rf"^{_either(lambda words: words.faq.thanks)}$"),
    "capabilities": re.compile(rf"^{_either(lambda words: words.faq.capabilities)}$"),
}


def small_talk(text: str) -> str | None:
    """ "greeting", "how_are_you", "thanks" or "capabilities" for a message that is only
    that."""
    cleaned = " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())
    for kind, pattern in _SMALL_TALK.items():
        if pattern.match(cleaned):
            return kind
    return None


def matcher_for(services: Services) -> FaqMatcher | None:
    """The FAQ matcher for the services' content, built on first use and kept."""
    content = services.content
    if content is None or not content.programme.faq:
        return None
    cached = services.extras.get(_EXTRAS_KEY)
    if isinstance(cached, tuple) and cached[0] is content:
        matcher: FaqMatcher = cached[1]
        return matcher
    matcher = FaqMatcher(content.programme.faq)
    services.extras[_EXTRAS_KEY] = (content, matcher)
    return matcher


def _content(ctx: Context) -> Content:
    content = ctx.services.content
    assert content is not None
    return content


async def free_text(ctx: Context) -> None:
    """Registered as ``registry.free_text``: any text outside a flow."""
    assert ctx.text is not None
    matcher = matcher_for(ctx.services)
    if matcher is None or ctx.incoming.is_group_chat:
        ctx.reply("error.unknown_input")
        main_menu(ctx)
        return
    kind = _small_talk_or_off_topic(ctx.text, matcher, ctx.locale)
    if kind is not None:
        ctx.reply(f"faq.small_talk.{kind}")
        main_menu(ctx)
        return
    _ask(ctx, ctx.text)


def _small_talk_or_off_topic(text: str, matcher: FaqMatcher, locale: str) -> str | None:
    """Small talk's kind; "capabilities" also for a message with no word the FAQ uses (a
    lone number, chatter): it gets "this is what I can help with", not "I don't know"."""
    kind = small_talk(text)
    if kind is None and matcher.off_topic(text, locale):
        return "capabilities"
    return kind


def _ask(ctx: Context, question: str) -> None:
    matcher = matcher_for(ctx.services)
    assert matcher is not None
    best = matcher.best(question, ctx.locale)
    ctx.begin(
        FLOW,
        question=question,
        faq=best.faq_id if best else None,
        lang=best.locale if best else ctx.locale,
    )


async def _answer_prompt(ctx: Context) -> None:
    faq_id = ctx.data.get("faq")
    ask = ASK_PERSON.button("faq.ask_person")
    if faq_id is None:
        ctx.reply("faq.unknown", buttons=[[ask]])
        main_menu(ctx)
        return
    entry = _content(ctx).programme.faq_entry(faq_id)
    language = ctx.data.get("lang") or ctx.locale  # the language the question was asked in
    ctx.reply(
        "faq.answer",
        question=entry.questions.get(language)[0],
        answer=entry.answer.get(language),
        buttons=[
            [HELPED.button("faq.helped"), NOT_HELPED.button("faq.not_helped")],
            [ask],
        ],
    )
    if entry.check:
        ctx.reply("content.unconfirmed")


async def _answer_handle(ctx: Context) -> None:
    faq_id = ctx.data.get("faq")
    if ctx.text is not None:
        matcher = matcher_for(ctx.services)
        assert matcher is not None
        kind = _small_talk_or_off_topic(ctx.text, matcher, ctx.locale)
        if kind is not None:
            ctx.end()
            ctx.reply(f"faq.small_talk.{kind}")
            main_menu(ctx)
            return
        _ask(ctx, ctx.text)  # another question: start over with it
        return
    if ctx.pressed(HELPED) and faq_id is not None:
        await contact_requests.count_feedback(ctx.conn, faq_id, helpful=True)
        ctx.end()
        ctx.reply("faq.glad")
    elif ctx.pressed(NOT_HELPED) and faq_id is not None and not ctx.data.get("rated"):
        await contact_requests.count_feedback(ctx.conn, faq_id, helpful=False)
        ctx.data["rated"] = True
        ctx.reply("faq.sorry", buttons=[[ASK_PERSON.button("faq.ask_person")]])
        main_menu(ctx)
    elif ctx.pressed(NOT_HELPED):
        ctx.reply("faq.sorry", buttons=[[ASK_PERSON.button("faq.ask_person")]])
    elif ctx.pressed(ASK_PERSON):
        if ctx.incoming.is_group_chat:
            ctx.reply("faq.private_only")
            return
        ctx.goto(S.PROJECT)
    else:
        raise ctx.use_buttons()


async def _project_prompt(ctx: Context) -> None:
    content = _content(ctx)
    rows = [
        [PROJECT.button("applicant.option", slug, params={"label": project.name.get(ctx.locale)})]
        for slug, project in content.projects.items()
    ]
    rows.append([PROJECT.button("faq.general_question", "")])
    ctx.reply("faq.which_project", question=ctx.data["question"], buttons=rows)


async def _project_handle(ctx: Context) -> None:
    slug = ctx.button(PROJECT) or None  # "" is the general question
    if slug is not None and slug not in _content(ctx).projects:
        raise ctx.use_buttons()
    contact_request.ask(ctx, project=slug, question=str(ctx.data["question"]), return_to=END)


async def _type_prompt(ctx: Context) -> None:
    if matcher_for(ctx.services) is None:
        ctx.end()
        ctx.reply("applicant.unavailable")
        main_menu(ctx)
        return
    ctx.reply("faq.type_question")


async def _type_handle(ctx: Context) -> None:
    if ctx.text is None:
        raise InvalidInput("faq.type_question")
    _ask(ctx, ctx.text)


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            FLOW,
            {
                S.ANSWER: Step(
                    _answer_prompt,
                    _answer_handle,
                    accepts={TEXT, HELPED, NOT_HELPED, ASK_PERSON},
                    goes_to={S.PROJECT, FlowRef(FLOW), END},
                ),
                # "ask a person": the contact request sub-flow, and the end
                S.PROJECT: Step(
                    _project_prompt,
                    _project_handle,
                    accepts={PROJECT},
                    goes_to={contact_request.calls(END)},
                ),
            },
            S.ANSWER,
            use_buttons="applicant.use_buttons",
            moved=contact_request.moved_here(END),
            answers_first={S.ANSWER},  # after an answer, "en pääse" still answers a reminder
        )
    )
    registry.add_flow(
        Flow(
            ASK_FLOW,
            {
                S.TYPE: Step(
                    _type_prompt, _type_handle, accepts={TEXT}, goes_to={FlowRef(FLOW), END}
                )
            },
            S.TYPE,
        )
    )
    registry.free_text = free_text
    registry.add_menu_entry(MenuEntry("menu.ask", f"go:{ASK_FLOW}", order=130))
