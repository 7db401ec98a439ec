"""Can I join this project? A person picks a project (or finds one by municipality), answers
its questions from the project's YAML and gets "you can probably join", "this project is not
for you, but try …" or "not sure" (``Project.assess``). They may then ask the coordinator to
contact them (:mod:`handlers.applicant.contact_request`).

The answers live only in the conversation state while the questions run: they are dropped as
soon as the outcome is shown, and the conversation row is deleted when the flow ends (an
abandoned one after a day, ``bot.maintenance``). Only a contact the person types and agrees
to send is stored. Sensitive answers are never echoed back. The flow runs in private chats
only.

The steps, drawn from the declarations below by ``hankebot diagrams``:
``docs/flows/canjoin.md``, ``docs/flows/contact.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from content.schema import (
    OTHER_MUNICIPALITY,
    Answer,
    Content,
    Outcome,
    Project,
    ProjectStatus,
    Question,
    QuestionType,
)
from handlers.applicant import contact_request
from handlers.common.facts import shown
from handlers.common.start import main_menu
from handlers.core.context import Context
from handlers.core.flow import END, NUMBER, TEXT, ButtonFamily, Flow, MenuEntry, Registry, Step
from handlers.core.types import InvalidInput, Lines, Param, Text
from handlers.domain.lemmas import analyse, lemmatizer
from messages.words import every

FLOW = "canjoin"
_AGE_UNITS = sorted(every(lambda words: words.answers.age_units), key=len, reverse=True)


class S(StrEnum):
    """The steps (their names are stored in conversations)."""

    PROJECT = "project"
    QUESTION = "question"
    AFTER = "after"


J = ButtonFamily("j")
PROJECT = J.sub("p")  # j:p:<slug>
ALL_PROJECTS = J.sub("all")
OPTION = J.sub("o")  # j:o:<option> (one choice)
TOGGLE = J.sub("t")  # j:t:<option> (several choices)
DONE = J.sub("done")
MUNICIPALITY = J.sub("m")  # j:m:<name>
ASK_CONTACT = J.sub("contact")
TRY = J.sub("try")  # j:try:<slug>
OTHER = J.sub("other")
FINISH = J.sub("end")
_AGE = re.compile(
    rf"^(?P<n>\d{{1,3}})\s*(?:{'|'.join(map(re.escape, _AGE_UNITS))})?\.?$", re.IGNORECASE
)
SKIP_WORDS = frozenset({*every(lambda words: words.answers.skip), "-"})


# --- pure helpers ----------------------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _common_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


_SENTENCE = re.compile(r"[\w\s,.!?-]+")


def match_municipality(text: str, names: Iterable[str], locale: str = "fi") -> str | None:
    """The municipality in ``names`` that ``text`` names, allowing Finnish case endings and
    one slip ("Mikkelissä", "Juvalla", "Kangasniemellä", "Mikkelli" → the name), alone or
    in a short sentence ("asun mikkelissä": the word whose lemma is the name)."""
    names = list(names)
    whole = _match_word(text, names)
    if whole is not None or not _SENTENCE.fullmatch(text):
        return whole
    by_lemma = {analyse(_fold(name), locale).lemma: name for name in names}
    found: dict[str, None] = {}
    for analysis in lemmatizer().text(text, locale):
        name = by_lemma.get(analysis.lemma) or _match_word(analysis.word, names)
        if name is not None:
            found[name] = None
    return next(iter(found)) if len(found) == 1 else None


def _match_word(text: str, names: list[str]) -> str | None:
    typed = _fold(text)
    if len(typed) < 2 or not all(ch.isalpha() or ch in " -" for ch in typed):
        return None
    candidates: list[tuple[int, str]] = []
    for name in names:
        folded = _fold(name)
        if typed == folded:
            return name
        common = _common_prefix(typed, folded)
        needed = max(len(folded) - (2 if len(folded) >= 8 else 1), 3)
        if common >= needed and len(typed) <= len(folded) + 6:
            candidates.append((common, name))
    if not candidates:
        return None
    candidates.sort(key=lambda item: -item[0])
    if len(candidates) > 1 and candidates[0][0] == candidates[1][0]:
        return None
    return candidates[0][1]


def all_municipalities(content: Content) -> list[str]:
    seen: dict[str, str] = {}
    for project in content.projects.values():
        for name in project.municipalities:
            seen.setdefault(_fold(name), name)
    return list(seen.values())


def parse_age(text: str, question: Question) -> int | None:
    """A typed number answer; None when the person prefers not to say."""
    cleaned = _fold(text)
    if cleaned in SKIP_WORDS:
        return None
    found = _AGE.match(cleaned)
    if found is None:
        raise InvalidInput("join.error.number")
    value = int(found["n"])
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else 999
    if not low <= value <= high:
        raise InvalidInput("join.error.number_range", low=low, high=high)
    return value


def answers_for_assess(raw: dict[str, Any]) -> dict[str, Answer]:
    """Stored JSON answers → what ``Project.assess`` takes (multi-choice as frozensets)."""
    return {
        key: frozenset(value) if isinstance(value, list) else value for key, value in raw.items()
    }


def settled(project: Project, answers: dict[str, Answer]) -> bool:
    """True when the answers so far already decide: a rule surely holds and every rule
    before it surely does not (so no later answer can change the outcome)."""
    questions = {question.id: question for question in project.eligibility.questions}
    for rule in project.eligibility.rules:
        holds = rule.when.holds(answers, questions, project.area)
        if holds is None:
            return False
        if holds:
            return True
    return False


def suggestions(
    content: Content, project: Project, rule_projects: Iterable[str], municipality: Any
) -> list[str]:
    """Other projects to try: the rule's, then those serving the person's municipality."""
    found: list[str] = []
    for slug in rule_projects:
        if slug in content.projects and slug != project.slug and slug not in found:
            found.append(slug)
    if isinstance(municipality, str) and municipality != OTHER_MUNICIPALITY:
        for other in content.projects_serving(municipality):
            if other.slug != project.slug and other.slug not in found:
                found.append(other.slug)
    return found


# --- steps -----------------------------------------------------------------------------------


def _content(ctx: Context) -> Content:
    content = ctx.services.content
    assert content is not None
    return content


def _project(ctx: Context) -> Project:
    return _content(ctx).project(ctx.data["project"])


async def _project_prompt(ctx: Context) -> None:
    if ctx.incoming.is_group_chat:
        ctx.end()
        ctx.reply("join.private_only")
        return
    content = ctx.services.content
    if content is None or not content.projects:
        ctx.end()
        ctx.reply("applicant.unavailable")
        main_menu(ctx)
        return
    wanted = ctx.data.get("filter")
    projects = [
        project for slug, project in content.projects.items() if wanted is None or slug in wanted
    ]
    lines = tuple(
        Text(
            "join.project_line",
            {"name": project.name.get(ctx.locale), "region": project.region.get(ctx.locale)},
        )
        for project in projects
    )
    ctx.reply(
        "join.pick_filtered" if wanted is not None else "join.pick",
        projects=Lines(lines),
        buttons=[
            [
                PROJECT.button(
                    "applicant.option", project.slug, params={"label": project.name.get(ctx.locale)}
                )
            ]
            for project in projects
        ]
        + ([[ALL_PROJECTS.button("join.all_projects")]] if wanted is not None else []),
    )


async def _project_handle(ctx: Context) -> None:
    content = _content(ctx)
    if ctx.pressed(ALL_PROJECTS):
        ctx.data.pop("filter", None)
        ctx.goto(S.PROJECT)
        return
    if ctx.text is None:
        slug = ctx.button(PROJECT)
        if slug not in content.projects:
            raise ctx.use_buttons()
        _begin_project(ctx, slug)
        return
    typed = _fold(ctx.text)
    for slug, project in content.projects.items():
        names = {_fold(project.name.get(ctx.locale)), _fold(project.short_name or slug)}
        if typed in names:
            _begin_project(ctx, slug)
            return
    name = match_municipality(ctx.text, all_municipalities(content))
    if name is None:
        # a pointer, not a dead end: where the projects are, and every project's button
        ctx.reply(
            "join.error.no_project_there",
            places=", ".join(sorted(all_municipalities(content))),
            buttons=[[ALL_PROJECTS.button("join.all_projects")]],
        )
        return
    ctx.data["filter"] = [project.slug for project in content.projects_serving(name)]
    ctx.goto(S.PROJECT)


def _begin_project(ctx: Context, slug: str) -> None:
    assert ctx.state is not None
    ctx.state.data = {"project": slug, "answers": {}, "q": 0}
    project = _project(ctx)
    locale = ctx.locale
    notes: list[Param] = []
    if project.area_note is not None:
        notes.append(shown(project.fact("area_note"), locale))
    if project.status is not ProjectStatus.FUNDED:
        notes.append(Text(f"join.status.{project.status.value}"))
    ctx.reply(
        "join.project_intro",
        name=shown(project.fact("name"), locale),
        region=shown(project.fact("region"), locale),
        summary=shown(project.fact("summary"), locale),
        target=shown(project.fact("target_group"), locale),
        notes=Lines(tuple(notes)),
        intro=project.eligibility.intro.get(locale),
    )
    ctx.goto(S.QUESTION)


def _question(ctx: Context) -> Question:
    return _project(ctx).eligibility.questions[int(ctx.data["q"])]


async def _question_prompt(ctx: Context) -> None:
    project = _project(ctx)
    question = _question(ctx)
    locale = ctx.locale
    count = len(project.eligibility.questions)
    text = question.text.get(locale)
    if question.help is not None:
        text = f"{text}\n{question.help.get(locale)}"
    number = int(ctx.data["q"]) + 1
    if question.type is QuestionType.NUMBER:
        # Typed: asked without buttons, so a typed number is never a button press.
        ctx.reply("join.question_number", number=number, count=count, text=text)
        return
    if question.type is QuestionType.CHOICE:
        ctx.reply(
            "join.question_choice",
            buttons=[
                [
                    OPTION.button(
                        "applicant.option", option.id, params={"label": option.label.get(locale)}
                    )
                ]
                for option in question.options
            ],
            number=number,
            count=count,
            text=text,
        )
        return
    if question.type is QuestionType.MULTI_CHOICE:
        selected = set(ctx.data.get("sel") or [])
        chosen = tuple(
            option.label.get(locale) for option in question.options if option.id in selected
        )
        rows = [
            [
                TOGGLE.button(
                    "applicant.option_selected" if option.id in selected else "applicant.option",
                    option.id,
                    params={"label": option.label.get(locale)},
                )
            ]
            for option in question.options
        ]
        rows.append([DONE.button("applicant.done")])
        ctx.reply(
            "join.question_multi",
            chosen=Lines(chosen) if chosen else Text("applicant.nothing_chosen"),
            buttons=rows,
            number=number,
            count=count,
            text=text,
        )
        return
    names = [
        MUNICIPALITY.button("applicant.option", name, params={"label": name})
        for name in project.municipalities
    ]
    rows = [names[start : start + 2] for start in range(0, len(names), 2)]
    ctx.reply(
        "join.question_municipality",
        buttons=[*rows, [MUNICIPALITY.button("join.other_municipality", OTHER_MUNICIPALITY)]],
        number=number,
        count=count,
        text=text,
    )


async def _question_handle(ctx: Context) -> None:
    project = _project(ctx)
    question = _question(ctx)
    answers: dict[str, Any] = ctx.data["answers"]
    if question.type is QuestionType.NUMBER:
        if ctx.text is None:
            raise InvalidInput("join.error.number")
        value = parse_age(ctx.text, question)
        if value is not None:
            answers[question.id] = value
    elif question.type is QuestionType.CHOICE:
        answers[question.id] = _option_from(ctx, question)
    elif question.type is QuestionType.MULTI_CHOICE:
        selected: list[str] = list(ctx.data.get("sel") or [])
        option_id = TOGGLE.value(ctx.payload)
        if option_id is not None:
            if option_id not in {option.id for option in question.options}:
                raise ctx.use_buttons()
            if option_id in selected:
                selected.remove(option_id)
            else:
                selected.append(option_id)
            ctx.data["sel"] = selected
            ctx.goto(S.QUESTION)  # show the choices again
            return
        if not ctx.pressed(DONE):
            raise InvalidInput("join.error.multi")
        if selected:
            answers[question.id] = selected
        ctx.data.pop("sel", None)
    else:
        answers[question.id] = _municipality_from(ctx, project)
    _next_question(ctx)


def _option_from(ctx: Context, question: Question) -> str:
    """The option pressed, or typed by its label or id."""
    ids = {option.id for option in question.options}
    pressed = OPTION.value(ctx.payload)
    if pressed is not None and pressed in ids:
        return pressed
    if ctx.text is not None:
        typed = _fold(ctx.text)
        for option in question.options:
            if typed in {_fold(option.label.get(ctx.locale)), option.id}:
                return option.id
    raise ctx.use_buttons()


def _municipality_from(ctx: Context, project: Project) -> str:
    if ctx.text is None:
        value = ctx.button(MUNICIPALITY)
        if value == OTHER_MUNICIPALITY or value in project.municipalities:
            return value
        raise ctx.use_buttons()
    name = match_municipality(ctx.text, project.municipalities) or match_municipality(
        ctx.text, all_municipalities(_content(ctx))
    )
    if name is None:
        raise InvalidInput("join.error.municipality")
    return name


def _next_question(ctx: Context) -> None:
    project = _project(ctx)
    index = int(ctx.data["q"]) + 1
    answers = answers_for_assess(ctx.data["answers"])
    if index < len(project.eligibility.questions) and not settled(project, answers):
        ctx.data["q"] = index
        ctx.goto(S.QUESTION)
        return
    _outcome(ctx, project)


def _outcome(ctx: Context, project: Project) -> None:
    assert ctx.state is not None
    content = _content(ctx)
    locale = ctx.locale
    raw = dict(ctx.data["answers"])
    assessment = project.assess(answers_for_assess(raw))
    municipality = next(
        (
            raw.get(q.id)
            for q in project.eligibility.questions
            if q.type is QuestionType.MUNICIPALITY
        ),
        None,
    )
    others = (
        suggestions(content, project, assessment.try_projects, municipality)
        if assessment.outcome is not Outcome.LIKELY_ELIGIBLE
        else []
    )
    # The answers are not needed any more: keep only which project this was about.
    ctx.state.data = {"project": project.slug}
    details: list[Param] = [shown(assessment.reason_fact, locale)]
    elsewhere = assessment.try_elsewhere_fact
    if elsewhere is not None:
        details.append(shown(elsewhere, locale))
    if others:
        names = ", ".join(content.project(slug).name.get(locale) for slug in others)
        details.append(Text("join.try_projects", {"projects": names}))
    ctx.reply(
        "join.outcome",
        outcome=Text(f"eligibility.outcome.{assessment.outcome.value}"),
        details=Lines(tuple(details)),
    )
    ctx.data["others"] = others
    ctx.goto(S.AFTER)


async def _after_prompt(ctx: Context) -> None:
    content = _content(ctx)
    rows = [[ASK_CONTACT.button("join.ask_contact")]]
    for slug in ctx.data.get("others") or []:
        rows.append(
            [
                TRY.button(
                    "join.try", slug, params={"project": content.project(slug).name.get(ctx.locale)}
                )
            ]
        )
    rows.append([OTHER.button("join.another")])
    rows.append([FINISH.button("applicant.finish")])
    ctx.reply("join.next", buttons=rows)


async def _after_handle(ctx: Context) -> None:
    assert ctx.state is not None
    tried = TRY.value(ctx.payload)
    if ctx.pressed(ASK_CONTACT):
        contact_request.ask(ctx, project=ctx.data["project"], question=None, return_to=END)
    elif tried is not None and tried in (ctx.data.get("others") or []):
        _begin_project(ctx, tried)
    elif ctx.pressed(OTHER):
        ctx.state.data = {}
        ctx.goto(S.PROJECT)
    elif ctx.pressed(FINISH):
        ctx.end()
        ctx.reply("join.bye")
        main_menu(ctx)
    else:
        raise ctx.use_buttons()


def register(registry: Registry) -> None:
    registry.add_flow(
        Flow(
            FLOW,
            {
                S.PROJECT: Step(
                    _project_prompt,
                    _project_handle,
                    accepts={TEXT, PROJECT, ALL_PROJECTS},
                    goes_to={S.PROJECT, S.QUESTION, END},
                ),
                S.QUESTION: Step(
                    _question_prompt,
                    _question_handle,
                    accepts={TEXT, NUMBER, OPTION, TOGGLE, DONE, MUNICIPALITY},
                    goes_to={S.QUESTION, S.AFTER},
                ),
                S.AFTER: Step(
                    _after_prompt,
                    _after_handle,
                    accepts={ASK_CONTACT, TRY, OTHER, FINISH},
                    goes_to={contact_request.calls(END), S.QUESTION, S.PROJECT, END},
                    way_back=False,  # the answers were dropped with the outcome
                ),
            },
            S.PROJECT,
            use_buttons="applicant.use_buttons",
            moved=contact_request.moved_here(END),
        )
    )
    registry.add_menu_entry(MenuEntry("menu.join", f"go:{FLOW}", order=110))
