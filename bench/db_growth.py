"""Database growth per 1 000 conversation updates, per table, and what housekeeping leaves
(issue 16, "One benchmark command": nothing may grow without bound).

The real dispatcher, outbox and delivery worker (the in-memory transport of tests/harness.py)
on a SQLite file: 100 people send 1 000 updates (texts a person sends, and presses of the
first button they were offered). Counted per table: rows before and after, and the file size.
Then the clock moves on past every retention period of a conversation's traces (processed
update ids 14 days, buttons 90 days, outbox rows 30 days after they ended) and the daily
housekeeping (bot/maintenance.py) runs once: what is left of those three tables must be
nothing. People, their settings and the audit log stay: they grow with people, not updates
(and have their own retention, see /privacy).

    .venv/bin/python -m bench.db_growth
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.figures import Figure
from bot import maintenance
from storage.db import Database
from tests.harness import Bot, Clock, Delivered, Person

UPDATES = 1_000
PEOPLE = 100
#: Tables every update writes to; housekeeping must empty them once their time is over.
PER_UPDATE = ("processed_updates", "buttons", "outbox")
TEXTS = (
    "/start",
    "mikä on flat rate?",
    "/apua",
    "Voiko yhdistys hakea rahoitusta?",
    "kiitos",
    "/budjetti",
    "154 727",
)
#: Past every retention period of :data:`PER_UPDATE` (the longest is the buttons' 90 days).
LATER = dt.timedelta(days=91)


@dataclass
class Growth:
    before: dict[str, int]
    after: dict[str, int]
    pruned: dict[str, int]
    bytes_before: int
    bytes_after: int
    bytes_pruned: int

    def added(self) -> dict[str, int]:
        return {t: self.after[t] - self.before.get(t, 0) for t in self.after}


async def _counts(db: Database) -> dict[str, int]:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [str(row[0]) for row in await cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor = await conn.execute(f'SELECT COUNT(*) FROM "{table}"')
            row = await cursor.fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


async def _used_bytes(db: Database) -> int:
    """Bytes of the pages in use (the file never shrinks by itself; freed pages are reused)."""
    async with db.transaction() as conn:
        values = []
        for pragma in ("page_count", "freelist_count", "page_size"):
            cursor = await conn.execute(f"PRAGMA {pragma}")
            row = await cursor.fetchone()
            values.append(int(row[0]) if row else 0)
    pages, free, size = values
    return (pages - free) * size


async def _one_update(person: Person, step: int, last: dict[str, list[Delivered]]) -> None:
    """A text on even steps; on odd steps a press of the first button the person was just
    offered, if any."""
    if step % 2:
        for message in reversed(last.get(person.user_id, [])):
            payloads = [p for p in message.payloads if p]
            if payloads:
                last[person.user_id] = await person.presses_payload(payloads[0])
                return
    last[person.user_id] = await person.says(TEXTS[(step // 2) % len(TEXTS)])


async def measure(updates: int = UPDATES, people: int = PEOPLE) -> Growth:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bot.sqlite3")
        clock = Clock()
        try:
            async with Bot(db, clock=clock) as bot:
                persons = [bot.person(n) for n in range(1, people + 1)]
                before = await _counts(db)
                bytes_before = await _used_bytes(db)
                last: dict[str, list[Delivered]] = {}
                for index in range(updates):
                    await _one_update(persons[index % people], index // people, last)
                after = await _counts(db)
                bytes_after = await _used_bytes(db)
                clock.advance(seconds=LATER.total_seconds())
                await maintenance.run_once(db, clock())
                pruned = await _counts(db)
                bytes_pruned = await _used_bytes(db)
        finally:
            await db.close()
    return Growth(before, after, pruned, bytes_before, bytes_after, bytes_pruned)


def lines(growth: Growth, updates: int = UPDATES) -> list[str]:
    out = [
        f"{updates} updates from {PEOPLE} people; rows per table (only tables that grew),"
        f" and after housekeeping {LATER.days} days later",
        f"{'table':<24}{'added':>8}{'per 1000':>10}{'left':>8}",
    ]
    for table, added in sorted(growth.added().items(), key=lambda item: -item[1]):
        if added:
            out.append(
                f"{table:<24}{added:>8}{added * 1000 / updates:>10.0f}{growth.pruned[table]:>8}"
            )
    out.append(
        f"pages in use: {growth.bytes_before / 1e3:.0f} kB → {growth.bytes_after / 1e3:.0f} kB"
        f" ({(growth.bytes_after - growth.bytes_before) * 1000 / updates / 1e3:.0f} kB per 1000"
        f" updates); after housekeeping {growth.bytes_pruned / 1e3:.0f} kB"
    )
    left = sum(growth.pruned[t] for t in PER_UPDATE)
    out.append(f"rows of {', '.join(PER_UPDATE)} left after housekeeping: {left}")
    return out


def figures(growth: Growth, updates: int = UPDATES) -> list[Figure]:
    added = growth.added()
    per_update: Sequence[str] = PER_UPDATE
    note = ", ".join(f"{t} {added.get(t, 0) * 1000 // updates}" for t in per_update)
    return [
        Figure(
            "rows written per 1000 conversation updates",
            sum(added.values()) * 1000 / updates,
            "rows",
            note=note,
        ),
        Figure(
            "database growth per 1000 conversation updates",
            (growth.bytes_after - growth.bytes_before) * 1000 / updates / 1e3,
            "kB",
        ),
        Figure(
            "conversation traces left after their retention",
            sum(growth.pruned[t] for t in per_update),
            "rows",
            at_most=0,
            note=f"{', '.join(per_update)}; housekeeping {LATER.days} days later",
        ),
    ]


def run() -> list[Figure]:
    growth = asyncio.run(measure())
    print("\n".join(lines(growth)))
    return figures(growth)


def main() -> int:
    growth = asyncio.run(measure())
    print("\n".join(lines(growth)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
