"""The one renderer of content facts: a :class:`content.schema.Fact` marked unconfirmed
(``check`` in content) is shown with a short caveat from the catalog, wherever it reaches a
person (idea check, "can I join", meeting planning, FAQ, budget). Flows never show a
checkable content value except through :func:`shown`."""

from __future__ import annotations

from content.schema import Fact, Localized
from handlers.core.types import Param, Text

CAVEAT = "content.caveat"
"""A message text or parameter: the fact, then the caveat in italics."""
CAVEAT_LABEL = "content.caveat_label"
"""A button label: the fact, then the caveat (no markup)."""


def shown(fact: Fact[Localized] | Fact[Param], locale: str, *, label: bool = False) -> Param:
    """The fact as a message parameter (``label``: as a button label's), with the caveat
    when it is unconfirmed. A :class:`Localized` value is taken in ``locale``."""
    value = fact.value
    param: Param = value.get(locale) if isinstance(value, Localized) else value
    if not fact.unconfirmed:
        return param
    # the caveat is in the fact's language (an answer may be in the question's language)
    return Text(CAVEAT_LABEL if label else CAVEAT, {"fact": param}, locale)
