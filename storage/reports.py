"""The figures behind a project report, one source per section, each plugged in when its
tables exist.

* participants — always: ``memberships`` rows of the project (enrolled = ever joined,
  active = not left, left). People who used /forget are no longer counted.
* meetings — when ``meetings``, ``occurrences``, ``attendance`` and ``ratings`` (migration
  002) exist: meetings held (occurrences that have ended and were not cancelled), the
  attendance rate (attended / marked) and the ratings.
* results — when a table ``exit_situations`` exists with the columns ``user_id``,
  ``project``, ``situation`` (one of ``handlers.domain.report_math.RESULT_SITUATIONS``) and
  ``consent`` (1 when the person agreed to tell): the ESF+ result indicators on leaving.
  Migration 006 creates it (:mod:`storage.exit_situations`); a database without it has no
  results section.

A later module adds a section with :func:`register_source`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import aiosqlite

from handlers.domain.feedback import Rating
from handlers.domain.report_math import (
    RATING_TARGET,
    RESULT_SITUATIONS,
    Report,
    Section,
    meetings_section,
    participants_section,
    results_section,
)
from storage.clock import from_text, to_text


async def ratings_of(conn: aiosqlite.Connection, project: str) -> list[Rating]:
    """Every rating of the project's meetings, with the comment, the writer's choice to sign
    and (for a signed one) their display name; newest meeting first."""
    cursor = await conn.execute(
        "SELECT r.occurrence_id, m.title, o.start_utc, r.score, r.comment, r.signed,"
        " CASE WHEN r.signed = 1 THEN u.display_name END AS name"
        " FROM ratings r JOIN occurrences o ON o.id = r.occurrence_id"
        " JOIN meetings m ON m.id = o.meeting_id JOIN users u ON u.user_id = r.user_id"
        " WHERE m.project = ? ORDER BY o.start_utc DESC, r.occurrence_id, r.rated_at",
        (project,),
    )
    return [
        Rating(
            occurrence_id=row["occurrence_id"],
            title=row["title"],
            start=from_text(row["start_utc"]),
            score=int(row["score"]),
            comment=row["comment"],
            signed=bool(row["signed"]),
            name=row["name"],
        )
        for row in await cursor.fetchall()
    ]


@dataclass(frozen=True)
class Options:
    """Settings of a report from the content (``rating_target`` in programme.yaml)."""

    rating_target: Decimal = RATING_TARGET


Collect = Callable[[aiosqlite.Connection, str, dt.datetime, Options], Awaitable[Section]]


@dataclass(frozen=True)
class SectionSource:
    name: str
    columns: dict[str, frozenset[str]]  # table → columns it needs
    collect: Collect


async def _scalar(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> int:
    cursor = await conn.execute(sql, params)
    row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0


async def _participants(
    conn: aiosqlite.Connection, project: str, now: dt.datetime, options: Options
) -> Section:
    cursor = await conn.execute(
        "SELECT COUNT(*) AS enrolled, COALESCE(SUM(left_at IS NULL), 0) AS active"
        " FROM memberships WHERE project = ? AND role = 'participant'",
        (project,),
    )
    row = await cursor.fetchone()
    enrolled = int(row["enrolled"]) if row else 0
    active = int(row["active"]) if row else 0
    return participants_section(enrolled, active, enrolled - active)


_PROJECT_OCCURRENCES = (
    "FROM occurrences o JOIN meetings m ON m.id = o.meeting_id WHERE m.project = ?"
)


async def _meetings(
    conn: aiosqlite.Connection, project: str, now: dt.datetime, options: Options
) -> Section:
    held = await _scalar(
        conn,
        f"SELECT COUNT(*) {_PROJECT_OCCURRENCES} AND o.cancelled = 0 AND o.end_utc <= ?"
        " AND (m.cancelled_at IS NULL OR o.start_utc < m.cancelled_at)",
        (project, to_text(now)),
    )
    cursor = await conn.execute(
        "SELECT a.status, COUNT(*) AS n FROM attendance a JOIN occurrences o"
        " ON o.id = a.occurrence_id JOIN meetings m ON m.id = o.meeting_id"
        " WHERE m.project = ? GROUP BY a.status",
        (project,),
    )
    marked = {row["status"]: int(row["n"]) for row in await cursor.fetchall()}
    cursor = await conn.execute(
        "SELECT r.score FROM ratings r JOIN occurrences o ON o.id = r.occurrence_id"
        " JOIN meetings m ON m.id = o.meeting_id WHERE m.project = ?",
        (project,),
    )
    scores = [int(row["score"]) for row in await cursor.fetchall()]
    return meetings_section(
        held, marked.get("attended", 0), marked.get("missed", 0), scores, options.rating_target
    )


async def _results(
    conn: aiosqlite.Connection, project: str, now: dt.datetime, options: Options
) -> Section:
    told = await _scalar(
        conn,
        "SELECT COUNT(DISTINCT user_id) FROM exit_situations WHERE project = ? AND consent = 1",
        (project,),
    )
    cursor = await conn.execute(
        "SELECT situation, COUNT(DISTINCT user_id) AS n FROM exit_situations"
        " WHERE project = ? AND consent = 1 GROUP BY situation",
        (project,),
    )
    counts = {
        row["situation"]: int(row["n"])
        for row in await cursor.fetchall()
        if row["situation"] in RESULT_SITUATIONS
    }
    return results_section(counts, told)


SOURCES: list[SectionSource] = [
    SectionSource(
        "participants",
        {"memberships": frozenset({"project", "role", "left_at"})},
        _participants,
    ),
    SectionSource(
        "meetings",
        {
            "meetings": frozenset({"id", "project", "cancelled_at"}),
            "occurrences": frozenset({"id", "meeting_id", "start_utc", "end_utc", "cancelled"}),
            "attendance": frozenset({"occurrence_id", "status"}),
            "ratings": frozenset({"occurrence_id", "score"}),
        },
        _meetings,
    ),
    SectionSource(
        "results",
        {"exit_situations": frozenset({"user_id", "project", "situation", "consent"})},
        _results,
    ),
]


def register_source(source: SectionSource) -> None:
    if all(existing.name != source.name for existing in SOURCES):
        SOURCES.append(source)


async def _columns(conn: aiosqlite.Connection) -> dict[str, set[str]]:
    cursor = await conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    tables = [row[0] for row in await cursor.fetchall()]
    found: dict[str, set[str]] = {}
    for table in tables:
        info = await conn.execute(f"PRAGMA table_info({table})")
        found[table] = {row[1] for row in await info.fetchall()}
    return found


async def available_sources(conn: aiosqlite.Connection) -> list[SectionSource]:
    """The sources whose tables and columns exist in this database."""
    present = await _columns(conn)
    return [
        source
        for source in SOURCES
        if all(needed <= present.get(table, set()) for table, needed in source.columns.items())
    ]


async def build(
    conn: aiosqlite.Connection, project: str, now: dt.datetime, options: Options | None = None
) -> Report:
    chosen = options or Options()
    sections = [
        await source.collect(conn, project, now, chosen) for source in await available_sources(conn)
    ]
    return Report(project=project, generated_at=now, sections=tuple(sections))
