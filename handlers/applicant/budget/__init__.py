"""Budget walk-through: the funder's cost summary and financing plan, step by step, with the
arithmetic shown so an applicant can check it; the result as a message, an XLSX workbook, a
CSV file and a PNG chart.

One flow (``budget``) in four stages, a module each: :mod:`.staff` (cost model and staff
costs), :mod:`.financing` (income, net total and the financing plan), :mod:`.municipal`
(the municipal share split across municipalities and years) and :mod:`.summary` (the
summary and the files); :mod:`.shared` holds the step names, the button families and the
helpers. The draft lives in the conversation state as plain JSON (see
:mod:`handlers.domain.budget_draft`, which also does all the arithmetic through
:mod:`handlers.domain.budget_math`). Steps that expect a typed number are asked without
buttons, so that on numbered-button transports (console, Matrix) "0" or "24" is read as the
answer, not as a button; choices have their own steps. The diagram of the steps is
``docs/flows/budget.md`` (``hankebot diagrams``).
"""

from __future__ import annotations

from handlers.applicant.budget import financing, municipal, staff, summary
from handlers.applicant.budget.shared import FLOW, S, row_name
from handlers.applicant.budget.summary import budget_document, budget_sheets, summary_params
from handlers.core.context import Context
from handlers.core.flow import Flow, MenuEntry, Registry, Step
from storage import budget_drafts

__all__ = ["FLOW", "budget_document", "budget_sheets", "register", "row_name", "summary_params"]


def _cancel_question(ctx: Context) -> str | None:
    """/peru asks first once staff costs are entered (a line or the total)."""
    entered = bool(ctx.data.get("lines")) or ctx.data.get("staff_total") is not None
    return "cancel.confirm_budget" if entered else None


async def _keep_draft(ctx: Context) -> None:
    """A budget with staff costs entered is kept 7 days (offered at the start again)."""
    if ctx.state is not None and _cancel_question(ctx) is not None:
        await budget_drafts.save(ctx.conn, ctx.user.user_id, ctx.state.step, ctx.data, ctx.now)
        ctx.reply("budget.draft_kept")  # its text says 7 days (budget_drafts.KEEP_DAYS)


def register(registry: Registry) -> None:
    steps: dict[str, Step] = {
        **staff.STEPS,
        **financing.STEPS,
        **municipal.STEPS,
        **summary.STEPS,
    }
    registry.add_flow(
        Flow(
            FLOW,
            steps,
            S.MODEL,
            use_buttons="applicant.use_buttons",
            confirm_cancel=_cancel_question,
            on_cancel=_keep_draft,
        )
    )
    registry.add_menu_entry(MenuEntry("menu.budget", f"go:{FLOW}", order=120))
