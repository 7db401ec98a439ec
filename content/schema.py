"""Typed schema of the bot's content: ``programme.yaml`` and ``projects/<slug>.yaml``.

Every model forbids unknown keys, so a typo is an error, not a silently ignored field. Texts a
person reads are :class:`Localized` (one text per language of ``messages/``: ``fi``, ``sv``
and ``en``; all required and non-empty).
A fact that could not be confirmed from a primary source carries ``check: true`` (programme
items, a group's rhythm), is listed in ``check:`` (project fields; a rhythm's fields, e.g.
``check: [duration_minutes]``), so the bot can say it is unconfirmed: flows take such a value
as a :class:`Fact` and show it through ``handlers.common.facts.shown``, which adds the caveat
(``tests/test_unconfirmed_facts.py`` walks all content for the marks and checks each surface).

``programme.yaml``::

    programme: {name, period, priority: {code, name}}
    specific_objectives: [{code: "4.1", name, summary, target_groups: [..], typical_actions: [..]}]
    applicant_types: [{key, name, own_kind: private|municipal}]
    applicant_requirements: [..]        not_funded: [..]
    cost_models: [{key, name, kind, rate_percent, covers, supported}]   default_cost_model: key
    staff_costs: {hours_per_year, side_costs: [{key, percent, name}], default_side_cost,
                  set_on, hourly_rate_decimals}
    financing: {default_max_rate_percent, note}
    budget_rows: {staff, income, net_total, eu_state, own_private, own_municipal, municipal,
                  other_public, private, plan_total}      (the funder's row names)
    self_check: [{id, text}]
    faq: [{id, questions: {fi: [..], sv: [..], en: [..]}, answer, tags}]
    bot_operator: {name, contact}       who runs the bot: the data controller for people in no
                                        project (applicants); see DataController

``projects/<slug>.yaml`` (the file name is the slug; a new project is one new file)::

    slug, name, short_name, organisation, status, specific_objective, region, municipalities,
    area_note, summary, target_group, referral, check: [field names]
    eligibility:
      intro
      questions: [{id, type: number|choice|multi_choice|municipality, text, options, min, max}]
      rules: [{id, when: <condition>, outcome: likely_eligible|not_for_you|not_sure, reason,
               try_projects: [slug], try_elsewhere}]        first rule that holds decides
      fallback: {outcome, reason}
    groups: [{id, name, description, audience, anonymous_ok, target_participants,
              rhythm: {rrule, duration_minutes, periods, anchor, description}}]
    contacts: [{role, name, email, phone}]    placeholders in brackets, e.g. "[sähköposti]"
    data_controller: {name, contact}    the rekisterinpitäjä of the participants' data

A condition is one of ``{question, between: [lo, hi]}`` (number), ``{question, one_of: [ids]}``
(choice: the answer, multi_choice: any selected; municipality: names or ``other``),
``{question, in_area: true|false}`` (municipality), ``{all: [..]}``, ``{any: [..]}`` or
``{not: ..}``. Unanswered questions and "don't know" options are unknown, and a rule only
decides when its condition is definitely true (three-valued logic).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from dateutil.rrule import rrulestr
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from handlers.domain.recurrence import RecurrenceError, check_rule
from messages.languages import LOCALES, SOURCE_LOCALE

OTHER_MUNICIPALITY = "other"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]
Answer = int | str | frozenset[str] | None


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Fact(Generic[T_co]):
    """A content value on its way to a person, with its check flag: ``unconfirmed`` when the
    content marks it ``check`` (not confirmed from a primary source). Flows show a fact with
    ``handlers.common.facts.shown``, the one renderer that adds the short caveat."""

    value: T_co
    unconfirmed: bool = False


class Checked(Model):
    """A content item that can be marked ``check: true`` as a whole."""

    check: bool = False

    def fact(self, value: T) -> Fact[T]:
        """``value`` (this item's text, or a text made from it) with this item's flag."""
        return Fact(value, self.check)


_T = TypeVar("_T")


def _languages(info: ValidationInfo) -> tuple[str, ...]:
    """The languages every content text is in: the bot's (:data:`messages.languages.LOCALES`),
    or those given as ``context={"languages": (...)}`` (a language being added, in a test)."""
    given = (info.context or {}).get("languages") if isinstance(info.context, dict) else None
    return tuple(given) if given else LOCALES


def _in_every_language(name: str, data: Any, info: ValidationInfo) -> Any:
    """Refuse a text missing a language, or in one the bot does not speak, as pydantic
    refuses a missing or unknown field (``name.sv: Field required``)."""
    if not isinstance(data, Mapping):
        return data
    languages = _languages(info)
    errors: list[InitErrorDetails] = [
        {"type": "missing", "loc": (locale,), "input": data}
        for locale in languages
        if locale not in data
    ]
    errors += [
        {"type": "extra_forbidden", "loc": (str(key),), "input": data[key]}
        for key in data
        if key not in languages
    ]
    if errors:
        raise ValidationError.from_exception_data(name, errors)
    return data


def _pick(texts: Mapping[str, _T], locale: str | None) -> _T:
    """The text in ``locale`` ("sv", "sv-FI", "en_GB"...); Finnish for anything else."""
    if locale:
        base = locale.replace("_", "-").split("-", 1)[0].lower()
        if base in texts:
            return texts[base]
    return texts[SOURCE_LOCALE]


class Localized(BaseModel):
    """A text in every language the bot speaks (``fi``, ``sv``, ``en``: one key per
    language of ``messages/``, all required and non-empty)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Text] = Field(init=False)

    @model_validator(mode="before")
    @classmethod
    def _every_language(cls, data: Any, info: ValidationInfo) -> Any:
        return _in_every_language(cls.__name__, data, info)

    @property
    def texts(self) -> Mapping[str, str]:
        """The text of each language."""
        return self.__pydantic_extra__

    def get(self, locale: str | None) -> str:
        """The text in ``locale`` ("sv", "sv-FI"...); Finnish for anything unsupported."""
        return _pick(self.texts, locale)


class LocalizedList(BaseModel):
    """Several texts per language (e.g. the ways people ask an FAQ question)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Annotated[list[Text], Field(min_length=1)]] = Field(init=False)

    @model_validator(mode="before")
    @classmethod
    def _every_language(cls, data: Any, info: ValidationInfo) -> Any:
        return _in_every_language(cls.__name__, data, info)

    def get(self, locale: str | None) -> list[str]:
        return _pick(self.__pydantic_extra__, locale)


# --- programme ---------------------------------------------------------------------------


class Priority(Model):
    code: Text
    name: Localized


class ProgrammeInfo(Model):
    name: Localized
    period: Text
    priority: Priority


class SpecificObjective(Checked):
    code: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")]
    name: Localized
    summary: Localized
    target_groups: list[Localized] = Field(min_length=1)
    typical_actions: list[Localized] = Field(min_length=1)


class OwnKindName(StrEnum):
    PRIVATE = "private"
    MUNICIPAL = "municipal"


class ApplicantType(Checked):
    key: Slug
    name: Localized
    own_kind: OwnKindName


class CostModelKind(StrEnum):
    FLAT_RATE_ON_STAFF = "flat_rate_on_staff"
    """Other costs = rate × staff costs (e.g. 40 %)."""
    INDIRECT_ON_DIRECT_STAFF = "indirect_on_direct_staff"
    """Indirect costs = rate × direct staff costs (7 % / 15 %)."""
    INDIRECT_ON_DIRECT = "indirect_on_direct"
    """Indirect costs = rate × eligible direct costs (up to 7 %)."""
    STAFF_ON_DIRECT = "staff_on_direct"
    """Staff costs = rate × other direct costs (20 %)."""


class CostModel(Checked):
    key: Slug
    name: Localized
    kind: CostModelKind
    rate_percent: Decimal = Field(gt=0, le=100)
    covers: Localized
    supported: bool = False
    """Whether the budget math implements this model (only flat rate 40 % today)."""


class SideCost(Model):
    key: Slug
    percent: Decimal = Field(ge=0, le=100)
    name: Localized


class StaffCostRules(Checked):
    hours_per_year: Decimal = Field(gt=0)
    side_costs: list[SideCost] = Field(min_length=1)
    default_side_cost: Slug
    set_on: dt.date
    hourly_rate_decimals: int | None = Field(default=None, ge=0, le=6)

    @model_validator(mode="after")
    def _default_exists(self) -> StaffCostRules:
        if self.default_side_cost not in {side.key for side in self.side_costs}:
            raise ValueError(f"default_side_cost {self.default_side_cost!r} is not in side_costs")
        return self

    def side_cost(self, key: str | None = None) -> SideCost:
        wanted = key or self.default_side_cost
        return next(side for side in self.side_costs if side.key == wanted)


class FinancingRules(Checked):
    default_max_rate_percent: Decimal = Field(gt=0, le=100)
    note: Localized


class BudgetRows(Model):
    """The funder's own row names (Finnish as in EURA; translations for the other locales)."""

    staff: Localized
    income: Localized
    net_total: Localized
    eu_state: Localized
    own_private: Localized
    own_municipal: Localized
    municipal: Localized
    other_public: Localized
    private: Localized
    plan_total: Localized


class SelfCheckItem(Model):
    id: Slug
    text: Localized


class FaqEntry(Checked):
    id: Slug
    questions: LocalizedList
    answer: Localized
    tags: list[Slug] = []


class DataController(Model):
    """Who answers for personal data (rekisterinpitäjä, the data controller) and how to reach
    them about it (an e-mail or postal address). Empty or a bracketed placeholder until
    someone fills it in: ``hankebot check-content`` warns and /privacy says it is missing."""

    name: str = ""
    contact: str = ""

    @staticmethod
    def _filled(value: str) -> bool:
        text = value.strip()
        return bool(text) and not text.startswith("[")

    @property
    def missing(self) -> list[str]:
        """The fields still to fill in."""
        return [name for name in ("name", "contact") if not self._filled(getattr(self, name))]

    @property
    def complete(self) -> bool:
        return not self.missing


class PublicContact(Model):
    """How anyone can reach the organisation that runs a project: its public phone, e-mail
    or web address (never a person's own). Shown to people who ask for contact, so nobody
    is left at a dead end. Empty or a bracketed placeholder until filled in; one filled
    field is enough (``hankebot check-content`` warns while all are empty)."""

    phone: str = ""
    email: str = ""
    web: str = ""

    @property
    def filled(self) -> list[str]:
        """The filled-in values, in the order phone, e-mail, web."""
        values = (self.phone, self.email, self.web)
        return [v.strip() for v in values if v.strip() and not v.strip().startswith("[")]

    @property
    def missing(self) -> list[str]:
        return [] if self.filled else ["phone", "email", "web"]


class Programme(Model):
    programme: ProgrammeInfo
    specific_objectives: list[SpecificObjective] = Field(min_length=1)
    applicant_types: list[ApplicantType] = Field(min_length=1)
    applicant_requirements: list[Localized] = []
    not_funded: list[Localized] = []
    cost_models: list[CostModel] = Field(min_length=1)
    default_cost_model: Slug
    staff_costs: StaffCostRules
    financing: FinancingRules
    budget_rows: BudgetRows
    self_check: list[SelfCheckItem] = []
    faq: list[FaqEntry] = []
    # The customer-satisfaction target the reports compare the average rating with (1–5).
    rating_target: Decimal = Field(default=Decimal("4.5"), ge=1, le=5)
    bot_operator: DataController = DataController()

    @model_validator(mode="after")
    def _consistent(self) -> Programme:
        _unique("specific_objectives", [o.code for o in self.specific_objectives])
        _unique("applicant_types", [a.key for a in self.applicant_types])
        _unique("cost_models", [m.key for m in self.cost_models])
        _unique("self_check", [item.id for item in self.self_check])
        _unique("faq", [entry.id for entry in self.faq])
        if self.default_cost_model not in {m.key for m in self.cost_models}:
            raise ValueError(f"default_cost_model {self.default_cost_model!r} is not a cost model")
        return self

    def objective(self, code: str) -> SpecificObjective:
        return next(o for o in self.specific_objectives if o.code == code)

    def cost_model(self, key: str | None = None) -> CostModel:
        wanted = key or self.default_cost_model
        return next(m for m in self.cost_models if m.key == wanted)

    def faq_entry(self, entry_id: str) -> FaqEntry:
        return next(entry for entry in self.faq if entry.id == entry_id)

    def applicant_type(self, key: str | None) -> ApplicantType | None:
        """The applicant type ``key`` names, or None (not chosen yet, or unknown)."""
        return next((kind for kind in self.applicant_types if kind.key == key), None)


def _unique(where: str, keys: list[str]) -> None:
    duplicates = sorted(key for key, count in Counter(keys).items() if count > 1)
    if duplicates:
        raise ValueError(f"{where}: duplicate ids {', '.join(duplicates)}")


# --- projects: eligibility ----------------------------------------------------------------


class QuestionType(StrEnum):
    NUMBER = "number"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    MUNICIPALITY = "municipality"


class Option(Model):
    id: Slug
    label: Localized
    unsure: bool = False
    """A "don't know" option: counts as unknown in the rules."""


class Question(Model):
    """One eligibility question.

    ``sensitive`` questions touch criminal or health background: a flow must evaluate the
    answer and not store it.
    """

    id: Slug
    type: QuestionType
    text: Localized
    help: Localized | None = None
    options: list[Option] = []
    min: int | None = None
    max: int | None = None
    sensitive: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Question:
        has_options = self.type in (QuestionType.CHOICE, QuestionType.MULTI_CHOICE)
        if has_options and len(self.options) < 2:
            raise ValueError(f"a {self.type.value} question needs at least two options")
        if not has_options and self.options:
            raise ValueError(f"a {self.type.value} question takes no options")
        if self.type is not QuestionType.NUMBER and (self.min is not None or self.max is not None):
            raise ValueError("min/max only apply to number questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        _unique("options", [option.id for option in self.options])
        return self

    def option(self, option_id: str) -> Option:
        return next(option for option in self.options if option.id == option_id)


class Condition(Model):
    """See the module docstring; exactly one test or combinator per condition."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    question: Slug | None = None
    between: tuple[int, int] | None = None
    one_of: list[Text] | None = None
    in_area: bool | None = None
    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [self.between, self.one_of, self.in_area]
        combinators = [self.all_, self.any_, self.not_]
        used = sum(value is not None for value in tests + combinators)
        if used != 1:
            raise ValueError("use exactly one of between, one_of, in_area, all, any, not")
        if any(value is not None for value in tests) and self.question is None:
            raise ValueError("between/one_of/in_area need a question")
        if any(value is not None for value in combinators) and self.question is not None:
            raise ValueError("all/any/not take no question")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError("between: the first number must not exceed the second")
        return self

    def walk(self, path: str = "when") -> Iterator[tuple[str, Condition]]:
        """This condition and every nested one, with their paths."""
        yield path, self
        for name, children in (("all", self.all_), ("any", self.any_)):
            for index, child in enumerate(children or []):
                yield from child.walk(f"{path}.{name}[{index}]")
        if self.not_ is not None:
            yield from self.not_.walk(f"{path}.not")

    def holds(
        self,
        answers: Mapping[str, Answer],
        questions: Mapping[str, Question],
        area: frozenset[str],
    ) -> bool | None:
        """True, False or None (unknown) under Kleene's three-valued logic."""
        if self.all_ is not None:
            results = [child.holds(answers, questions, area) for child in self.all_]
            return False if False in results else (None if None in results else True)
        if self.any_ is not None:
            results = [child.holds(answers, questions, area) for child in self.any_]
            return True if True in results else (None if None in results else False)
        if self.not_ is not None:
            inner = self.not_.holds(answers, questions, area)
            return None if inner is None else not inner
        assert self.question is not None
        answer = _known_answer(answers.get(self.question), questions[self.question])
        if answer is None:
            return None
        if self.between is not None:
            return isinstance(answer, int) and self.between[0] <= answer <= self.between[1]
        if self.in_area is not None:
            return (_fold(str(answer)) in area) is self.in_area
        assert self.one_of is not None
        wanted = {_fold(value) for value in self.one_of}
        chosen = answer if isinstance(answer, frozenset) else {str(answer)}
        return any(_fold(value) in wanted for value in chosen)


def _fold(text: str) -> str:
    return text.strip().casefold()


def _known_answer(answer: Answer, question: Question) -> Answer:
    """The answer, or None when it is missing or only "don't know"."""
    if answer is None:
        return None
    unsure = {option.id for option in question.options if option.unsure}
    if isinstance(answer, frozenset):
        known = frozenset(answer - unsure)
        return known or None
    if isinstance(answer, str) and answer in unsure:
        return None
    return answer


class Outcome(StrEnum):
    LIKELY_ELIGIBLE = "likely_eligible"
    NOT_FOR_YOU = "not_for_you"
    NOT_SURE = "not_sure"


class Rule(Model):
    id: Slug
    when: Condition
    outcome: Outcome
    reason: Localized
    try_projects: list[Slug] = []
    """Other projects to suggest (slugs; checked when all content is loaded)."""
    try_elsewhere: Localized | None = None


class Fallback(Model):
    outcome: Outcome = Outcome.NOT_SURE
    reason: Localized


class Assessment(Model):
    """What the rules say about one person's answers."""

    outcome: Outcome
    reason: Localized
    rule_id: str | None = None
    """None when no rule decided (the fallback)."""
    try_projects: list[str] = []
    try_elsewhere: Localized | None = None
    unconfirmed: bool = False
    """The project's eligibility rules are marked ``check``."""

    @property
    def decided(self) -> bool:
        return self.rule_id is not None

    @property
    def reason_fact(self) -> Fact[Localized]:
        return Fact(self.reason, self.unconfirmed)

    @property
    def try_elsewhere_fact(self) -> Fact[Localized] | None:
        if self.try_elsewhere is None:
            return None
        return Fact(self.try_elsewhere, self.unconfirmed)


class Eligibility(Model):
    intro: Localized
    questions: list[Question] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)
    fallback: Fallback

    @model_validator(mode="after")
    def _rules_match_questions(self) -> Eligibility:
        _unique("questions", [question.id for question in self.questions])
        _unique("rules", [rule.id for rule in self.rules])
        questions = {question.id: question for question in self.questions}
        problems: list[str] = []
        for index, rule in enumerate(self.rules):
            for path, condition in rule.when.walk(f"rules[{index}].when"):
                problems.extend(_condition_problems(path, condition, questions))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def question(self, question_id: str) -> Question:
        return next(question for question in self.questions if question.id == question_id)


def _condition_problems(
    path: str, condition: Condition, questions: Mapping[str, Question]
) -> list[str]:
    if condition.question is None:
        return []
    question = questions.get(condition.question)
    if question is None:
        return [f"{path}: unknown question {condition.question!r}"]
    kind = question.type
    if condition.between is not None and kind is not QuestionType.NUMBER:
        return [f"{path}: between needs a number question, {question.id!r} is {kind.value}"]
    if condition.in_area is not None and kind is not QuestionType.MUNICIPALITY:
        return [f"{path}: in_area needs a municipality question"]
    if condition.one_of is not None:
        if kind is QuestionType.NUMBER:
            return [f"{path}: one_of cannot test a number question"]
        if kind is not QuestionType.MUNICIPALITY:
            known = {option.id for option in question.options}
            unknown = [value for value in condition.one_of if value not in known]
            if unknown:
                return [f"{path}: {question.id!r} has no option {', '.join(unknown)}"]
    return []


# --- projects: groups, contacts, the project ------------------------------------------------


class Anchor(Model):
    """Meetings placed relative to a personal event, e.g. 30–60 days before release."""

    event: Slug
    name: Localized
    offset_days: tuple[int, int]
    """Earliest and latest start relative to the event (negative: before it)."""

    @field_validator("offset_days")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError("the first number must not exceed the second")
        return value


RhythmField = Literal["rrule", "duration_minutes", "periods", "anchor", "description"]


class Rhythm(Model):
    """How often a group meets. ``rrule`` is an RFC 5545 RRULE template without DTSTART
    (the coordinator picks the first meeting); None means it is agreed person by person."""

    rrule: Text | None = None
    duration_minutes: int | None = Field(default=None, gt=0, le=24 * 60)
    periods: int | None = Field(default=None, gt=0)
    anchor: Anchor | None = None
    description: Localized
    check: bool | list[RhythmField] = False
    """True: the whole rhythm is unconfirmed; a list: only those fields (e.g. a duration the
    seed does not give)."""

    def unconfirmed(self, field: RhythmField) -> bool:
        return self.check is True or (isinstance(self.check, list) and field in self.check)

    @field_validator("rrule")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.upper().startswith(("DTSTART", "RRULE:")) or "\n" in value:
            raise ValueError("give only the RRULE value, e.g. FREQ=WEEKLY;COUNT=13")
        if "FREQ=" not in value.upper():
            raise ValueError("an RRULE needs FREQ=")
        try:
            rrulestr(value, dtstart=dt.datetime(2025, 1, 6, 13, 0))
        except (ValueError, TypeError) as error:
            raise ValueError(f"not a valid RRULE: {error}") from error
        try:
            check_rule(value)
        except RecurrenceError as error:
            raise ValueError(
                f"at most one meeting a day: FREQ DAILY or rarer, one value in BYHOUR,"
                f" BYMINUTE and BYSECOND ({error.reason.value})"
            ) from None
        return value


class Group(Model):
    id: Slug
    name: Localized
    description: Localized
    audience: Localized | None = None
    anonymous_ok: bool = False
    target_participants: int | None = Field(default=None, gt=0)
    rhythm: Rhythm


class Contact(Model):
    """A contact a coordinator fills in; bracketed values are placeholders."""

    role: Localized
    name: Text = "[nimi]"
    email: Text | None = "[sähköposti]"
    phone: Text | None = "[puhelin]"

    @property
    def is_placeholder(self) -> bool:
        return self.name.startswith("[")


class ProjectStatus(StrEnum):
    IDEA = "idea"
    APPLIED = "applied"
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"


class PlanFigures(Model):
    """A plan's participant and result-indicator figures as its seed states them (the plan
    check compares them as the funder does). Percentages are the plan's own promises."""

    participants: int = Field(gt=0)
    target_group: int | None = Field(default=None, ge=0)
    """How many participants belong to the target group (None: the plan does not say)."""
    job_search: int = Field(default=0, ge=0)
    education: int = Field(default=0, ge=0)
    qualification: int = Field(default=0, ge=0)
    employment: int = Field(default=0, ge=0)
    promised_employment_percent: Decimal | None = Field(default=None, ge=0, le=100)
    promised_education_percent: Decimal | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _within(self) -> PlanFigures:
        if self.target_group is not None and self.target_group > self.participants:
            raise ValueError("target_group: more than participants")
        return self


class Project(Model):
    slug: Slug
    name: Localized
    short_name: Text | None = None
    organisation: Localized
    status: ProjectStatus
    specific_objective: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")]
    region: Localized
    municipalities: list[Text] = Field(min_length=1)
    area_note: Localized | None = None
    summary: Localized
    target_group: Localized
    referral: Localized | None = None
    participants_target: int | None = Field(default=None, gt=0)
    plan_figures: PlanFigures | None = None
    eligibility: Eligibility
    groups: list[Group] = []
    contacts: list[Contact] = Field(min_length=1)
    data_controller: DataController = DataController()
    public_contact: PublicContact = PublicContact()
    check: list[str] = []
    """Names of fields whose content could not be confirmed from the seed."""

    @model_validator(mode="after")
    def _consistent(self) -> Project:
        _unique("municipalities", [_fold(name) for name in self.municipalities])
        _unique("groups", [group.id for group in self.groups])
        unknown = [name for name in self.check if name not in type(self).model_fields]
        if unknown:
            raise ValueError(f"check: unknown field names {', '.join(unknown)}")
        allowed = self.area | {OTHER_MUNICIPALITY}
        municipality_questions = {
            question.id
            for question in self.eligibility.questions
            if question.type is QuestionType.MUNICIPALITY
        }
        for index, rule in enumerate(self.eligibility.rules):
            for path, condition in rule.when.walk(f"eligibility.rules[{index}].when"):
                if condition.question in municipality_questions and condition.one_of:
                    strays = [name for name in condition.one_of if _fold(name) not in allowed]
                    if strays:
                        raise ValueError(f"{path}: not in municipalities: {', '.join(strays)}")
        return self

    @property
    def area(self) -> frozenset[str]:
        return frozenset(_fold(name) for name in self.municipalities)

    def serves(self, municipality: str) -> bool:
        return _fold(municipality) in self.area

    def group(self, group_id: str) -> Group:
        return next(group for group in self.groups if group.id == group_id)

    def fact(self, field: str) -> Fact[Localized]:
        """A text field of the project (``summary``, ``target_group``...) with its flag."""
        value = getattr(self, field)
        assert isinstance(value, Localized), field
        return Fact(value, field in self.check)

    def rhythm_fact(self, group: Group, value: T, *fields: RhythmField) -> Fact[T]:
        """``value`` made from ``fields`` of ``group``'s rhythm: unconfirmed when one of them
        is marked, or all of the project's groups are."""
        marked = any(group.rhythm.unconfirmed(name) for name in fields)
        return Fact(value, "groups" in self.check or marked)

    def assess(self, answers: Mapping[str, Answer]) -> Assessment:
        """Apply the eligibility rules in order; the first that surely holds decides."""
        questions = {question.id: question for question in self.eligibility.questions}
        unconfirmed = "eligibility" in self.check
        for rule in self.eligibility.rules:
            if rule.when.holds(answers, questions, self.area) is True:
                return Assessment(
                    outcome=rule.outcome,
                    reason=rule.reason,
                    rule_id=rule.id,
                    try_projects=list(rule.try_projects),
                    try_elsewhere=rule.try_elsewhere,
                    unconfirmed=unconfirmed,
                )
        fallback = self.eligibility.fallback
        return Assessment(outcome=fallback.outcome, reason=fallback.reason, unconfirmed=unconfirmed)


class Content(Model):
    """Everything the bot knows: the programme and the projects by slug."""

    programme: Programme
    projects: dict[str, Project]

    def project(self, slug: str) -> Project:
        return self.projects[slug]

    def projects_serving(self, municipality: str) -> list[Project]:
        """Projects whose area includes ``municipality`` (for "not for you, try X")."""
        return [project for project in self.projects.values() if project.serves(municipality)]
