"""The budget walk-through's old import path: the flow is the package
:mod:`handlers.applicant.budget` (split by stage); this module re-exports what scripts and
tests imported from here."""

from __future__ import annotations

from handlers.applicant.budget import (
    FLOW,
    budget_document,
    budget_sheets,
    register,
    row_name,
    summary_params,
)

__all__ = ["FLOW", "budget_document", "budget_sheets", "register", "row_name", "summary_params"]
