"""Optional parts of the install (``pip install 'hankebot[charts]'``).

Charts (the budget's "Kaavio" PNG and the chart of ``/raportti``) need matplotlib, which is
large; a lean install leaves it out. Then the chart button is not offered, the report comes
as text and CSV only, and ``hankebot run`` says so once in its log (:data:`CHARTS_MISSING`).
"""

from __future__ import annotations

import functools
import importlib.util

CHARTS_MISSING = (
    "charts are off: matplotlib is not installed (pip install 'hankebot[charts]');"
    " budget and report charts are not offered"
)


@functools.cache
def charts_available() -> bool:
    """Whether matplotlib can be imported (looked up once, not imported here)."""
    return importlib.util.find_spec("matplotlib") is not None
