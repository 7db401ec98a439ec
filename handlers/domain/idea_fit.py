"""Does an organisation's project idea fit ESR+? Pure decision logic, no I/O, no wording.

The facts come from ``content/programme.yaml``: the target groups and typical actions of each
specific objective are the options the applicant picks from, so the best-fitting objective
follows the content (a target group weighs :data:`TARGET_GROUP_WEIGHT`, an action
:data:`ACTION_WEIGHT`). The applicant's other answers raise warnings and mark which items of
the funder's self-check list (``self_check``) need work; the chat flow words them.

```mermaid
flowchart LR
    answers --> score["score each objective:<br/>2 × target groups + 1 × actions"]
    score -->|one highest| best[best objective + reasons]
    score -->|tie| tie[both + warning]
    score -->|nothing picked| none[no objective + advice]
    answers --> warnings
    answers --> selfcheck["self-check: needs work / check yourself"]
```
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from content.schema import Fact, Localized, OwnKindName, Programme

TARGET_GROUP_WEIGHT = 2
ACTION_WEIGHT = 1


class Region(StrEnum):
    ONE_REGION = "one_region"
    SEVERAL_REGIONS = "several_regions"
    NATIONAL = "national"


class Continuity(StrEnum):
    NEW = "new"
    CONTINUES = "continues"
    STATUTORY = "statutory"
    UNSURE = "unsure"


class CoFinancing(StrEnum):
    EARMARKED = "earmarked"
    APPLYING = "applying"
    GENERAL_GRANT = "general_grant"
    UNKNOWN = "unknown"


class Employers(StrEnum):
    COMMITTED = "committed"
    NEGOTIATING = "negotiating"
    NOT_YET = "not_yet"
    NOT_NEEDED = "not_needed"


class Warning(StrEnum):
    """Something the applicant should know; the flow has a text per code."""

    CONTINUATION = "continuation"
    STATUTORY = "statutory"
    CONTINUITY_UNSURE = "continuity_unsure"
    GENERAL_GRANT = "general_grant"
    CO_FINANCING_OPEN = "co_financing_open"
    EMPLOYERS_MISSING = "employers_missing"
    NOT_FOR_PROFIT = "not_for_profit"
    NATIONAL_CALL = "national_call"
    OBJECTIVE_TIE = "objective_tie"
    NO_OBJECTIVE = "no_objective"


class ItemStatus(StrEnum):
    NEEDS_WORK = "needs_work"
    CHECK = "check"


# Self-check items (ids in programme.yaml) that an answer shows to need work.
REAL_DEVELOPMENT = "real-development"
ADDED_VALUE = "added-value"
CO_FINANCING_EARMARKED = "co-financing-earmarked"
EMPLOYERS_COMMITTED = "employers-committed"
# Applicant types whose own money is not for profit by nature; others get a reminder.
NOT_FOR_PROFIT_TYPES = frozenset({"association", "foundation", "municipality"})


@dataclass(frozen=True)
class IdeaOption:
    """A target group or typical action of one objective, as an option to pick."""

    id: str  # "4.1-t0", "4.3-a1": objective code, kind, index
    objective: str
    text: Localized
    unconfirmed: bool = False  # the objective is marked check

    @property
    def fact(self) -> Fact[Localized]:
        return Fact(self.text, self.unconfirmed)


def target_group_options(programme: Programme) -> list[IdeaOption]:
    return [
        IdeaOption(f"{objective.code}-t{index}", objective.code, text, objective.check)
        for objective in programme.specific_objectives
        for index, text in enumerate(objective.target_groups)
    ]


def action_options(programme: Programme) -> list[IdeaOption]:
    return [
        IdeaOption(f"{objective.code}-a{index}", objective.code, text, objective.check)
        for objective in programme.specific_objectives
        for index, text in enumerate(objective.typical_actions)
    ]


@dataclass(frozen=True)
class IdeaAnswers:
    applicant_type: str
    region: Region
    target_groups: frozenset[str]
    actions: frozenset[str]
    continuity: Continuity
    co_financing: CoFinancing
    employers: Employers


@dataclass(frozen=True)
class Reason:
    """Why an objective scored: a picked option and its weight."""

    objective: str
    option: IdeaOption
    weight: int


@dataclass(frozen=True)
class SelfCheck:
    item_id: str
    text: Localized
    status: ItemStatus


@dataclass(frozen=True)
class IdeaFit:
    best: tuple[str, ...]  # objective codes sharing the top score; empty: nothing fits
    scores: dict[str, int]
    reasons: tuple[Reason, ...]  # for the best objective(s), target groups first
    warnings: tuple[Warning, ...]
    self_check: tuple[SelfCheck, ...]  # needs work first, then the rest in content order
    own_kind: OwnKindName

    @property
    def needs_work(self) -> tuple[SelfCheck, ...]:
        return tuple(item for item in self.self_check if item.status is ItemStatus.NEEDS_WORK)


def _picked(options: Iterable[IdeaOption], ids: frozenset[str]) -> list[IdeaOption]:
    return [option for option in options if option.id in ids]


def assess_idea(programme: Programme, answers: IdeaAnswers) -> IdeaFit:
    """Score the objectives, collect warnings and mark the self-check list."""
    groups = _picked(target_group_options(programme), answers.target_groups)
    actions = _picked(action_options(programme), answers.actions)
    scores = {objective.code: 0 for objective in programme.specific_objectives}
    for option in groups:
        scores[option.objective] += TARGET_GROUP_WEIGHT
    for option in actions:
        scores[option.objective] += ACTION_WEIGHT
    top = max(scores.values())
    best = tuple(code for code, score in scores.items() if score == top) if top > 0 else ()
    reasons = tuple(
        Reason(option.objective, option, weight)
        for options, weight in ((groups, TARGET_GROUP_WEIGHT), (actions, ACTION_WEIGHT))
        for option in options
        if option.objective in best
    )

    warnings: list[Warning] = []
    if not best:
        warnings.append(Warning.NO_OBJECTIVE)
    elif len(best) > 1:
        warnings.append(Warning.OBJECTIVE_TIE)
    needs_work: set[str] = set()
    applicant = programme.applicant_type(answers.applicant_type)
    own_kind = applicant.own_kind if applicant else OwnKindName.PRIVATE
    match answers.continuity:
        case Continuity.CONTINUES:
            warnings.append(Warning.CONTINUATION)
            if own_kind is OwnKindName.MUNICIPAL:
                # A municipality's earlier service is often a statutory one (380/2023).
                warnings.append(Warning.STATUTORY)
            needs_work |= {REAL_DEVELOPMENT, ADDED_VALUE}
        case Continuity.STATUTORY:
            warnings.append(Warning.STATUTORY)
            needs_work |= {REAL_DEVELOPMENT, ADDED_VALUE}
        case Continuity.UNSURE:
            warnings.append(Warning.CONTINUITY_UNSURE)
            needs_work |= {REAL_DEVELOPMENT, ADDED_VALUE}
    match answers.co_financing:
        case CoFinancing.GENERAL_GRANT:
            warnings.append(Warning.GENERAL_GRANT)
            needs_work.add(CO_FINANCING_EARMARKED)
        case CoFinancing.APPLYING | CoFinancing.UNKNOWN:
            warnings.append(Warning.CO_FINANCING_OPEN)
            needs_work.add(CO_FINANCING_EARMARKED)
    if answers.employers in (Employers.NEGOTIATING, Employers.NOT_YET):
        warnings.append(Warning.EMPLOYERS_MISSING)
        needs_work.add(EMPLOYERS_COMMITTED)
    if answers.applicant_type not in NOT_FOR_PROFIT_TYPES:
        warnings.append(Warning.NOT_FOR_PROFIT)
    if answers.region is Region.NATIONAL:
        warnings.append(Warning.NATIONAL_CALL)

    items = [
        SelfCheck(
            item.id,
            item.text,
            ItemStatus.NEEDS_WORK if item.id in needs_work else ItemStatus.CHECK,
        )
        for item in programme.self_check
    ]
    items.sort(key=lambda item: item.status is not ItemStatus.NEEDS_WORK)  # stable
    return IdeaFit(best, scores, reasons, tuple(warnings), tuple(items), own_kind)
