"""aiosqlite's connection, with each statement run on the event loop's own thread.

aiosqlite hands every call to its worker thread and waits for the answer to come back. For
this bot's statements, small reads and writes on a local file in WAL mode, the hand-off
costs far more than the work: about 100 µs of CPU for a statement that takes 10 µs, and an
update made about 35 calls (issue 17; ``.venv/bin/python -m bench.conversation``). So the
calls run where they are awaited. The rest of aiosqlite's interface (cursors, rows,
``async with``) stays as it is, and so do the storage modules written against it.

What the worker thread used to give, and how it is kept:

* Another process holding the write lock: :meth:`storage.db.Database.transaction` takes it
  with ``BEGIN IMMEDIATE`` under a zero busy timeout and waits asynchronously between tries,
  so the loop goes on meanwhile (tests/test_db_inline.py).
* Fairness: each unit of work yields to the loop once before it starts, so a loop of them
  cannot keep other tasks out.
* Long statements would now hold up the loop. The bot makes none on its conversation path;
  the long ones (backups) use their own ``sqlite3`` connections in ``hankebot db``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


class InlineConnection(aiosqlite.Connection):
    """An :class:`aiosqlite.Connection` whose calls run on the calling thread.

    Opening and closing still go through aiosqlite's thread (once each); everything in
    between is run by :meth:`_execute`, the one method every aiosqlite call goes through.
    """

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def connect(database: str) -> InlineConnection:
    """Like ``aiosqlite.connect(database, isolation_level=None)``, but inline. The sqlite3
    connection is made on aiosqlite's thread and used on the loop's, hence
    ``check_same_thread=False``; only one thread uses it at a time."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, isolation_level=None, check_same_thread=False)

    return InlineConnection(connector, iter_chunk_size=64)
