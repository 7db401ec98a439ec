"""Who belongs to which project, as participant or coordinator: ``memberships`` table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage.clock import to_text


@dataclass(frozen=True)
class Membership:
    user_id: str
    project: str
    role: str
    group: str | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Membership:
        return cls(row["user_id"], row["project"], row["role"], row["grp"])


async def active_for(conn: aiosqlite.Connection, user_id: str) -> list[Membership]:
    cursor = await conn.execute(
        "SELECT * FROM memberships WHERE user_id = ? AND left_at IS NULL ORDER BY project",
        (user_id,),
    )
    return [Membership.from_row(row) for row in await cursor.fetchall()]


async def add(
    conn: aiosqlite.Connection,
    user_id: str,
    project: str,
    role: str,
    now: dt.datetime,
    group: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO memberships (user_id, project, role, grp, joined_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id, project, role) DO UPDATE SET grp = excluded.grp,"
        " joined_at = excluded.joined_at, left_at = NULL",
        (user_id, project, role, group, to_text(now)),
    )


async def end(
    conn: aiosqlite.Connection, user_id: str, project: str, role: str, now: dt.datetime
) -> None:
    await conn.execute(
        "UPDATE memberships SET left_at = ? WHERE user_id = ? AND project = ? AND role = ?"
        " AND left_at IS NULL",
        (to_text(now), user_id, project, role),
    )


async def members(conn: aiosqlite.Connection, project: str, role: str) -> list[Membership]:
    cursor = await conn.execute(
        "SELECT * FROM memberships WHERE project = ? AND role = ? AND left_at IS NULL"
        " ORDER BY user_id",
        (project, role),
    )
    return [Membership.from_row(row) for row in await cursor.fetchall()]


async def projects_of(conn: aiosqlite.Connection, user_id: str) -> list[str]:
    """Every project the person is or was in (any role): their data there is kept."""
    cursor = await conn.execute(
        "SELECT DISTINCT project FROM memberships WHERE user_id = ? ORDER BY project", (user_id,)
    )
    return [row["project"] for row in await cursor.fetchall()]
