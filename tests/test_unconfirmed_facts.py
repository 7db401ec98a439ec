"""Every fact the content marks ``check`` (unconfirmed) carries its caveat wherever it reaches
a person (issue 14 item 2).

The test walks all content for ``check`` marks; each kind of marked item has a *surface*:
the flow that shows it (idea check, "can I join" and its contact step, FAQ, meeting planning,
budget), driven here through the real dispatcher. In everything that flow sent, each
occurrence of the fact's text must be followed by the caveat of ``content.caveat`` (or its
label form). A marked item of a kind with no surface here fails the test, so a new ``check``
mark is never silently shown as plain fact.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from bot.i18n import renderer
from bot.markup import html_to_plain
from content import Content, load_content
from content.schema import (
    ApplicantType,
    Checked,
    CostModel,
    FaqEntry,
    FinancingRules,
    Group,
    Localized,
    Project,
    QuestionType,
    Rhythm,
    SpecificObjective,
    StaffCostRules,
)
from handlers.applicant.budget.shared import Wording
from handlers.applicant.budget.shared import pct as shared_pct
from handlers.common.facts import CAVEAT
from handlers.core.types import Text
from handlers.domain.budget_draft import form_label
from handlers.domain.idea_fit import target_group_options
from storage import memberships
from storage.db import Database
from tests.catalog_labels import label, normal
from tests.harness import Bot, Clock, Delivered, Person

NOW = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
_PEOPLE = itertools.count(100)


def someone(bot: Bot) -> Person:
    """A new person for each surface, so no earlier conversation is in the way."""
    return bot.person(next(_PEOPLE))


SUFFIXES = tuple(
    normal(label(key, "fi", fact="X"))[1:] for key in ("content.caveat", "content.caveat_label")
)


@dataclass
class Flag:
    """One marked item: where it is in the content and what it is."""

    path: str
    item: Any
    project: Project | None = None
    group: Group | None = None
    field: str | None = None


def _walk(value: Any, path: str, project: Project | None, group: Group | None) -> Iterator[Flag]:
    if isinstance(value, Project):
        project = value
        for name in value.check:
            yield Flag(f"{path}.{name}", value, project, None, name)
    if isinstance(value, Group):
        group = value
    if isinstance(value, Checked) and value.check:
        yield Flag(path, value)
    if isinstance(value, Rhythm) and value.check:
        yield Flag(path, value, project, group)
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), f"{path}.{name}", project, group)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", project, group)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}[{key}]", project, group)


def flagged(content: Content) -> list[Flag]:
    return list(_walk(content, "content", None, None))


@dataclass
class Seen:
    """What a surface sent: message texts and button labels, as plain text."""

    texts: list[str] = field(default_factory=list)

    def add(self, messages: list[Delivered]) -> None:
        for message in messages:
            self.texts.append(normal(message.text))
            self.texts.extend(normal(text) for text in message.labels)


def assert_caveated(seen: Seen, fact: str, where: str) -> None:
    """``fact`` reached the person, each time followed by the caveat."""
    fact = normal(" ".join(fact.split()))
    hits = 0
    for text in seen.texts:
        flat = " ".join(text.split())
        start = flat.find(fact)
        while start >= 0:
            rest = flat[start + len(fact) :]
            assert rest.startswith(SUFFIXES), f"{where}: shown without the caveat: {flat!r}"
            hits += 1
            start = flat.find(fact, start + 1)
    assert hits, f"{where}: {fact!r} never reached the person (the surface driver missed it)"


def assert_absent(seen: Seen, fact: str, where: str) -> None:
    fact = normal(" ".join(fact.split()))
    for text in seen.texts:
        assert fact not in " ".join(text.split()), f"{where}: shown, but it has no surface yet"


def rendered(key: str, **params: Any) -> str:
    return normal(label(key, "fi", **params))


# --- the surfaces ------------------------------------------------------------------------------


async def idea(
    bot: Bot, *, applicant: str = "association", group: str = "4.1-t0", region: str = "one_region"
) -> Seen:
    seen = Seen()
    person = someone(bot)
    seen.add(await person.says("/start"))
    seen.add(await person.presses_key("menu.idea"))
    seen.add(await person.presses_payload(f"i:applicant:{applicant}"))
    seen.add(await person.presses_payload(f"i:region:{region}"))
    seen.add(await person.presses_payload(f"i:groups:{group}"))
    seen.add(await person.presses_payload("i:groups:done"))
    seen.add(await person.presses_payload("i:actions:done"))
    seen.add(await person.presses_key("idea.continuity.new"))
    seen.add(await person.presses_key("idea.cofinancing.earmarked"))
    seen.add(await person.presses_key("idea.employers.committed"))
    return seen


def _answer_for(project: Project, index: int) -> tuple[str, Any]:
    """A generic answer to question ``index``: what the driver types or presses."""
    question = project.eligibility.questions[index]
    if question.type is QuestionType.NUMBER:
        return "say", "70"  # outside every project's age range: a reason follows
    if question.type is QuestionType.MUNICIPALITY:
        return "say", project.municipalities[0]
    if question.type is QuestionType.CHOICE:
        return "option", question.options[0].id
    return "toggle", question.options[0].id


async def join(bot: Bot, project: Project, *, contact: bool = True) -> Seen:
    seen = Seen()
    person = someone(bot)
    seen.add(await person.says("/start"))
    seen.add(await person.presses_key("menu.join"))
    seen.add(await person.presses_payload(f"j:p:{project.slug}"))
    for index in range(len(project.eligibility.questions)):
        if person.last.button("join.ask_contact") is not None:
            break  # the answers so far decided
        kind, value = _answer_for(project, index)
        if kind == "say":
            seen.add(await person.says(value))
        elif kind == "option":
            seen.add(await person.presses_payload(f"j:o:{value}"))
        else:
            seen.add(await person.presses_payload(f"j:t:{value}"))
            seen.add(await person.presses_payload("j:done"))
    if contact:
        seen.add(await person.presses_key("join.ask_contact"))
        seen.add(await person.says("maija@example.org"))
        seen.add(await person.presses_key("contact.send"))
    return seen


async def faq(bot: Bot, entry: FaqEntry) -> Seen:
    seen = Seen()
    seen.add(await someone(bot).says(entry.questions.get("fi")[0]))
    return seen


async def planning(bot: Bot, db: Database, project: Project, group: Group) -> Seen:
    seen = Seen()
    coordinator = someone(bot)
    await coordinator.says("/start")
    async with db.transaction() as conn:
        await memberships.add(conn, coordinator.user_id, project.slug, "coordinator", NOW)
    coordinator.new_messages()
    seen.add(await coordinator.says("/tapaamiset"))
    seen.add(await coordinator.presses_key("meetings.new"))
    seen.add(await coordinator.presses_payload(f"a:group:{group.id}"))
    rhythm = coordinator.last.button("meetings.repeat_rhythm")
    if rhythm is None:
        return seen
    seen.add(await coordinator.presses_token(rhythm.token))
    anchor = group.rhythm.anchor
    start = NOW.date() + dt.timedelta(days=7)
    if anchor is not None:
        event = NOW.date() + dt.timedelta(days=120)
        seen.add(await coordinator.says(f"{event.day}.{event.month}.{event.year}"))
        start = event + dt.timedelta(days=anchor.offset_days[0] + 1)
    seen.add(await coordinator.says(f"{start.day}.{start.month}.{start.year} 10.00"))
    if coordinator.last.button("meetings.no_end") is not None:
        seen.add(await coordinator.presses_key("meetings.no_end"))
    return seen


async def budget(bot: Bot, *, to_eu: bool, applicant: str = "association", eu: str = "max") -> Seen:
    """The budget up to the staff lines, or (``to_eu``) through the financing plan with
    ``applicant``'s own-financing row to the summary (``eu="other"``: up to the question
    for a typed EU and state share)."""
    seen = Seen()
    person = someone(bot)
    seen.add(await person.says("/start"))
    seen.add(await person.presses_key("menu.budget"))
    [model] = person.last.buttons_of("b:model")
    assert model.payload is not None
    seen.add(await person.presses_payload(model.payload))
    seen.add(await person.presses_key("budget.staff_lines"))
    seen.add(await person.says("Projektipäällikkö"))
    if not to_eu:
        return seen
    seen.add(await person.says("/peru"))
    seen.add(await person.says("/start"))
    seen.add(await person.presses_key("menu.budget"))
    seen.add(await person.presses_payload(model.payload))
    seen.add(await person.presses_key("budget.staff_total"))
    seen.add(await person.says("100000"))
    seen.add(await person.says("0"))
    seen.add(await person.presses_payload(f"b:app:{applicant}"))
    seen.add(await person.presses_payload(f"b:eu:{eu}"))
    if eu != "max":
        return seen
    seen.add(await person.presses_payload("b:rows:done"))
    seen.add(await person.presses_payload("b:own:rest"))
    return seen


# --- the test ----------------------------------------------------------------------------------


def pct(value: Any) -> str:
    """A rate as the budget shows it (see handlers.applicant.budget.shared.pct)."""
    return rendered("content.caveat_label", fact=shared_pct(value))[: -len(SUFFIXES[1])]


async def test_every_unconfirmed_fact_carries_its_caveat(db: Database) -> None:
    content = load_content()
    flags = flagged(content)
    assert flags, "the content marks nothing: the walk is broken"
    programme = content.programme
    checked: list[str] = []
    async with Bot(db, content=content, clock=Clock(NOW)) as bot:
        for flag in flags:
            await _check(bot, db, content, flag)
            checked.append(flag.path)
    assert len(checked) == len(flags)
    assert programme.objective("4.2").check  # the walk saw the marks it must see


async def _check(bot: Bot, db: Database, content: Content, flag: Flag) -> None:
    item = flag.item
    where = flag.path
    programme = content.programme
    if isinstance(item, SpecificObjective):
        options = [o for o in target_group_options(programme) if o.objective == item.code]
        seen = await idea(bot, group=options[0].id)
        objective = Text(
            "idea.objective",
            {"code": item.code, "name": item.name.get("fi"), "summary": item.summary.get("fi")},
        )
        assert_caveated(seen, rendered("idea.objective", **objective.params), where)
        for text in [*item.target_groups, *item.typical_actions]:
            assert_caveated(seen, text.get("fi"), f"{where}: {text.get('fi')}")
    elif isinstance(item, ApplicantType):
        seen = await idea(bot, applicant=item.key)
        rows = programme.budget_rows
        row = rows.own_municipal if item.own_kind.value == "municipal" else rows.own_private
        assert_caveated(seen, rendered("idea.own_row", row=form_label(row, "fi")), where)
        # the budget's financing plan names the same row for this applicant
        seen = await budget(bot, to_eu=True, applicant=item.key)
        assert_caveated(seen, form_label(row, "fi"), f"{where}: budget")
    elif isinstance(item, FaqEntry):
        assert_caveated(await faq(bot, item), item.answer.get("fi"), where)
    elif isinstance(item, CostModel):
        if item.supported:
            raise AssertionError(f"{where}: a supported cost model marked check has no surface")
        assert_caveated(await budget(bot, to_eu=False), item.name.get("fi"), where)
    elif isinstance(item, StaffCostRules):
        seen = await budget(bot, to_eu=False)
        for side in item.side_costs:
            assert_caveated(seen, pct(side.percent), f"{where}: {side.key}")
    elif isinstance(item, FinancingRules):
        for eu in ("max", "other"):
            seen = await budget(bot, to_eu=True, eu=eu)
            assert_caveated(seen, pct(item.default_max_rate_percent), f"{where}: {eu}")
        assert_caveated(await idea(bot, region="national"), item.note.get("fi"), f"{where}.note")
    elif isinstance(item, Rhythm):
        assert flag.project is not None and flag.group is not None
        await _check_rhythm(bot, db, flag.project, flag.group, where)
    elif isinstance(item, Project):
        await _check_project_field(bot, db, item, str(flag.field), where)
    else:
        raise AssertionError(f"{where}: a check mark on {type(item).__name__} has no surface")


async def _check_rhythm(bot: Bot, db: Database, project: Project, group: Group, where: str) -> None:
    rhythm = group.rhythm
    seen = await planning(bot, db, project, group)
    every = "groups" in project.check
    if rhythm.rrule is None:
        # Not offered as a repeat: its words and numbers never reach anyone.
        assert_absent(seen, rhythm.description.get("fi"), where)
        return
    if every or rhythm.unconfirmed("description") or rhythm.unconfirmed("rrule"):
        assert_caveated(seen, rhythm.description.get("fi"), f"{where}.description")
    if rhythm.duration_minutes and (every or rhythm.unconfirmed("duration_minutes")):
        minutes = rendered("meetings.minutes", minutes=rhythm.duration_minutes)
        assert_caveated(seen, minutes, f"{where}.duration_minutes")
    if rhythm.anchor is not None and (every or rhythm.unconfirmed("anchor")):
        event = NOW.date() + dt.timedelta(days=120)
        last = event + dt.timedelta(days=rhythm.anchor.offset_days[1])
        assert_caveated(seen, f"{last.day}.{last.month}.{last.year}", f"{where}.anchor")


async def _check_project_field(
    bot: Bot, db: Database, project: Project, name: str, where: str
) -> None:
    if name == "groups":
        for group in project.groups:
            await _check_rhythm(bot, db, project, group, f"{where}[{group.id}]")
            seen = await join(bot, project, contact=False)
            assert_absent(seen, group.description.get("fi"), f"{where}[{group.id}].description")
        return
    if name == "eligibility":
        seen = await join(bot, project, contact=False)
        reasons = [rule.reason.get("fi") for rule in project.eligibility.rules]
        reasons.append(project.eligibility.fallback.reason.get("fi"))
        shown_reasons = [r for r in reasons if any(r in " ".join(t.split()) for t in seen.texts)]
        assert shown_reasons, f"{where}: no outcome reached the person"
        for reason in shown_reasons:
            assert_caveated(seen, reason, where)
        return
    if name == "specific_objective":
        seen = await join(bot, project, contact=False)
        assert_absent(seen, f"{project.specific_objective} ", where)
        return
    value = getattr(project, name)
    if not isinstance(value, Localized):
        raise AssertionError(f"{where}: a check mark on {name} has no surface")
    assert_caveated(await join(bot, project), value.get("fi"), where)


async def test_an_answer_in_the_question_s_language_has_its_caveat_in_that_language(
    db: Database,
) -> None:
    """A Finnish reader who asks in Swedish gets the Swedish answer; its caveat belongs to the
    answer, so it is Swedish too (it was Finnish after a Swedish text)."""
    content = load_content()
    entry = next(entry for entry in content.programme.faq if entry.check)
    async with Bot(db, content=content, clock=Clock(NOW)) as bot:
        person = someone(bot)
        await person.says("/start")
        texts = [normal(m.text) for m in await person.says(entry.questions.get("sv")[0])]
    [shown] = [
        " ".join(text.split())
        for text in texts
        if " ".join(normal(entry.answer.get("sv")).split()) in " ".join(text.split())
    ]
    swedish = " ".join(rendered_in("sv", "content.caveat", fact=entry.answer.get("sv")).split())
    assert swedish in shown


def rendered_in(locale: str, key: str, **params: Any) -> str:
    return normal(label(key, locale, **params))


def test_a_nested_text_in_a_budget_file_keeps_its_own_language() -> None:
    """A file's words follow the reader's language, but a nested :class:`Text` that names its
    own (``Text.locale``: a caveat in the language of the fact) is worded in that one, as the
    chat's renderer does."""
    word = Wording(renderer(), "fi")
    caveat = Text(CAVEAT, {"fact": "80 %"}, "sv")
    assert word.param(caveat) == html_to_plain(renderer().text("sv", CAVEAT, {"fact": "80 %"}))
    assert word.param(caveat) != word(CAVEAT, fact="80 %")
    assert word.param(Text(CAVEAT, {"fact": "80 %"})) == word(CAVEAT, fact="80 %")
    assert word.param("Yksityinen rahoitus") == "Yksityinen rahoitus"
