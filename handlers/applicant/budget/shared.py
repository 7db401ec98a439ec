"""What the budget walk-through's stages share: the flow's name, its step names (stored in
conversations: never rename one), its button families, and the helpers every stage uses to
read the draft and to turn a mistyped entry into the answer that says what is expected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import ParamSpec, TypeVar

from content.schema import Content, Programme
from handlers.common.facts import shown
from handlers.core.context import Context
from handlers.core.flow import ButtonFamily
from handlers.core.ports import Rendering
from handlers.core.types import (
    InvalidInput,
    Param,
    Percent,
    Text,
)
from handlers.domain import budget_draft as bd
from handlers.domain.budget_draft import form_label
from handlers.domain.budget_math import (
    CENT,
    BudgetInputError,
    CostRules,
    OwnKind,
    Row,
)

FLOW = "budget"
OTHER_ROWS = ("municipal", "other_public", "private")


class S(StrEnum):
    """The steps (their names are stored in conversations: never rename one)."""

    MODEL = "model"
    STAFF_MODE = "staff_mode"
    STAFF_TOTAL = "staff_total"
    LINE_TITLE = "line_title"
    LINE_SIDE = "line_side"
    LINE_PAY_KIND = "line_pay_kind"
    LINE_MONTHLY = "line_monthly"
    LINE_PERCENT = "line_percent"
    LINE_MONTHS = "line_months"
    LINE_HOURLY = "line_hourly"
    LINE_HOURS = "line_hours"
    LINES = "lines"
    PICK_LINE = "pick_line"
    INCOME = "income"
    APPLICANT = "applicant"
    EU = "eu"
    EU_TYPED = "eu_typed"
    ROWS = "rows"
    ROW_TYPED = "row_typed"
    OWN = "own"
    OWN_TYPED = "own_typed"
    SPLIT = "split"
    YEARS = "years"
    NAMES = "names"
    METHOD = "method"
    WEIGHTS = "weights"
    AMOUNTS = "amounts"
    SUMMARY = "summary"


B = ButtonFamily("b")
MODEL = B.sub("model")
MODE = B.sub("mode")
SIDE = B.sub("side")
PAY = B.sub("pay")
LINES = B.sub("lines")
PICK = B.sub("pick")
APPLICANT = B.sub("app")
EU = B.sub("eu")
ROWS = B.sub("rows")
OWN = B.sub("own")
SPLIT = B.sub("split")
METHOD = B.sub("method")
SUM = B.sub("sum")
DRAFT = B.sub("draft")  # draft:continue|new, a budget set aside by /peru
KEEP = B.sub("keep")  # editing a staff line: keep the old value of this step


# --- helpers ---------------------------------------------------------------------------------


P = ParamSpec("P")
T = TypeVar("T")


def entered(parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``parse(*args, **kwargs)`` of something the person typed or chose; its
    :class:`~handlers.domain.budget_draft.EntryError` becomes the answer that says what is
    expected (the step is asked again)."""
    try:
        return parse(*args, **kwargs)
    except bd.EntryError as error:
        raise entry_error(error) from error


def computed(compute: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``compute(*args, **kwargs)`` of the budget arithmetic; a
    :class:`~handlers.domain.budget_math.BudgetInputError` (figures that cannot be) becomes
    its answer."""
    try:
        return compute(*args, **kwargs)
    except BudgetInputError as error:
        raise InvalidInput(f"budget.error.{error.reason.value}") from error


def content_of(ctx: Context) -> Content:
    content = ctx.services.content
    assert content is not None
    return content


def programme_of(ctx: Context) -> Programme:
    return content_of(ctx).programme


def draft_of(ctx: Context) -> bd.Draft:
    return bd.draft_from_data(ctx.data)


def rules_of(ctx: Context) -> CostRules:
    return bd.rules_for(programme_of(ctx), draft_of(ctx))


def entry_error(error: bd.EntryError) -> InvalidInput:
    params: dict[str, Param] = {}
    for name, value in error.params.items():
        params[name] = value if isinstance(value, int | str | Decimal) else str(value)
    return InvalidInput(error.key, **params)


def typed(ctx: Context) -> str:
    if ctx.text is None:
        raise InvalidInput("budget.error.type_it")
    return ctx.text


def row_name(programme: Programme, row: Row | str, own_kind: OwnKind, locale: str) -> str:
    """The funder's own name of a financing-plan row (Finnish is the form label)."""
    names = programme.budget_rows
    match Row(row):
        case Row.EU_STATE:
            return form_label(names.eu_state, locale)
        case Row.OWN:
            own = names.own_municipal if own_kind is OwnKind.MUNICIPAL else names.own_private
            return form_label(own, locale)
        case Row.MUNICIPAL:
            return form_label(names.municipal, locale)
        case Row.OTHER_PUBLIC:
            return form_label(names.other_public, locale)
        case Row.PRIVATE:
            return form_label(names.private, locale)
    raise ValueError(row)  # pragma: no cover - Row has no other members


def row_shown(programme: Programme, row: Row | str, applicant: str | None, locale: str) -> Param:
    """The row's name as :func:`row_name` gives it for ``applicant``'s own kind, with the
    caveat when content marks that applicant type ``check`` (which own-financing row a
    university of applied sciences or a research institute uses is unconfirmed)."""
    name = row_name(programme, row, bd.own_kind_of(programme, applicant), locale)
    kind = programme.applicant_type(applicant)
    if Row(row) is not Row.OWN or kind is None:
        return name
    return shown(kind.fact(name), locale, label=True)


@dataclass(frozen=True)
class Wording:
    """Catalog texts as plain text in the reader's language (file contents, chart labels):
    ``word(key, **params)``, and ``word.param(value)`` for a value that may be a nested
    :class:`Text`, worded in its own ``locale`` when it names one, as the chat's renderer
    does."""

    rendering: Rendering
    locale: str

    def __call__(self, key: str, **params: Param) -> str:
        return self.rendering.plain(self.locale, key, params)

    def param(self, value: Param) -> str:
        if isinstance(value, Text):
            return self.rendering.plain(value.locale or self.locale, value.key, value.params)
        return str(value)


def usual_maximum(
    programme: Programme, rules: CostRules, locale: str, *, label: bool = False
) -> Param:
    """The usual maximum public share as a message parameter (``label``: a button's), with
    the financing caveat while the programme marks it unconfirmed."""
    return shown(programme.financing.fact(pct(rules.max_public_rate_percent)), locale, label=label)


def own_kind_of(ctx: Context) -> OwnKind:
    return bd.own_kind_of(programme_of(ctx), ctx.data.get("applicant"))


def pct(value: Decimal) -> Percent:
    return Percent(value, 0 if value == value.to_integral_value() else 2)


def quantity(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP).normalize()


def result_of(ctx: Context) -> bd.BudgetResult:
    return entered(bd.checked, programme_of(ctx), draft_of(ctx))


def net_total_of(ctx: Context) -> Decimal:
    return computed(bd.costs_of, programme_of(ctx), draft_of(ctx)).net_total
