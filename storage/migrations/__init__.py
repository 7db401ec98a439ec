"""Numbered SQL migrations (``NNN_name.sql``), applied in order by :mod:`storage.db`.

What SQL cannot do — hashing with the database's HMAC secret — is a *data step*: a Python
function listed in :data:`DATA_STEPS` under the migration's name (the file name without its
number, so renumbering keeps it), run after that migration's SQL in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

DataStep = Callable[[aiosqlite.Connection], Awaitable[object]]


def data_step(name: str) -> DataStep | None:
    """The data step of migration ``name`` (``"hashed_codes"``), if it has one."""
    from storage import invites  # storage modules import nothing from here

    steps: dict[str, DataStep] = {"hashed_codes": invites.hash_unhashed}
    return steps.get(name)
