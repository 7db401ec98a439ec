"""Meetings: ``meetings`` (one-off meetings and series) and ``occurrences`` tables.

A series is stored as its first start in local wall-clock time plus an RRULE
(:mod:`handlers.domain.recurrence`); its occurrences are *materialized* as rows for a rolling
:data:`HORIZON` ahead, so each one has a stable id that reminders, answers and buttons refer
to, and so one occurrence can be moved or cancelled. ``materialized_until`` says how far a
series has been expanded; the scheduler extends it as time passes.

Only SQL lives here: what to store (the first and last start, the occurrences of a window, a
series cut to change its time) is planned by :mod:`handlers.domain.meeting_plan` and
written by :mod:`handlers.common.planning` with the functions below.

Who a meeting is for (its *audience*): the one participant of a personal meeting
(``user_id``), else the project's participants in its group (``grp``), else all of the
project's participants. Only active participants (``memberships.left_at IS NULL``) count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import aiosqlite

from handlers.domain.calendar_files import MeetingSpec
from handlers.domain.meeting_plan import OccurrenceRow, SeriesTimes
from storage.clock import from_text, to_text

HORIZON = dt.timedelta(days=35)
# Occurrences a little in the past are still materialized (attendance can be marked).
LOOKBACK = dt.timedelta(days=2)

# Meetings whose audience includes the participant :user (an active membership required).
AUDIENCE_HAS_USER = (
    "EXISTS (SELECT 1 FROM memberships p WHERE p.user_id = :user AND p.project = m.project"
    " AND p.role = 'participant' AND p.left_at IS NULL AND (m.user_id = :user OR"
    " (m.user_id IS NULL AND (m.grp IS NULL OR m.grp = p.grp))))"
)


@dataclass(frozen=True)
class Meeting:
    id: int
    uid: str
    project: str
    group: str | None
    user_id: str | None
    title: str
    dtstart_local: dt.datetime  # naive wall-clock time
    rule: str | None
    duration: dt.timedelta
    place: str
    link: str
    note: str
    first_start: dt.datetime
    last_start: dt.datetime | None
    materialized_until: dt.datetime
    cancelled: bool

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Meeting:
        return cls(
            id=row["id"],
            uid=row["uid"],
            project=row["project"],
            group=row["grp"],
            user_id=row["user_id"],
            title=row["title"],
            dtstart_local=dt.datetime.fromisoformat(row["dtstart_local"]),
            rule=row["rrule"],
            duration=dt.timedelta(minutes=row["duration_min"]),
            place=row["place"],
            link=row["link"],
            note=row["note"],
            first_start=from_text(row["first_start"]),
            last_start=from_text(row["last_start"]) if row["last_start"] else None,
            materialized_until=from_text(row["materialized_until"]),
            cancelled=row["cancelled_at"] is not None,
        )

    @property
    def personal(self) -> bool:
        return self.user_id is not None

    def start_local(self, tz: ZoneInfo) -> dt.datetime:
        """The stored wall-clock start in ``tz`` (first instance of an ambiguous time)."""
        start = self.dtstart_local
        local = start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)
        return local.replace(fold=0, microsecond=0)

    def spec(
        self,
        tz: ZoneInfo,
        *,
        cancelled: tuple[dt.datetime, ...] = (),
        moved: tuple[tuple[dt.datetime, dt.datetime], ...] = (),
    ) -> MeetingSpec:
        return MeetingSpec(
            title=self.title,
            start=self.start_local(tz),
            duration=self.duration,
            rule=self.rule,
            place=self.place,
            link=self.link,
            note=self.note,
            group=self.group or "",
            uid=self.uid,
            cancelled=cancelled,
            moved=moved,
        )


@dataclass(frozen=True)
class Occurrence:
    id: int
    meeting_id: int
    recurrence_id: dt.datetime
    start: dt.datetime
    end: dt.datetime
    cancelled: bool

    @classmethod
    def from_row(cls, row: aiosqlite.Row, prefix: str = "") -> Occurrence:
        return cls(
            id=row[prefix + "id"],
            meeting_id=row[prefix + "meeting_id"],
            recurrence_id=from_text(row[prefix + "recurrence_id"]),
            start=from_text(row[prefix + "start_utc"]),
            end=from_text(row[prefix + "end_utc"]),
            cancelled=bool(row[prefix + "cancelled"]),
        )

    @property
    def moved(self) -> bool:
        return self.start != self.recurrence_id


_JOINED = (
    "SELECT o.id AS o_id, o.meeting_id AS o_meeting_id, o.recurrence_id AS o_recurrence_id,"
    " o.start_utc AS o_start_utc, o.end_utc AS o_end_utc, o.cancelled AS o_cancelled, m.*"
    " FROM occurrences o JOIN meetings m ON m.id = o.meeting_id"
)


def _pair(row: aiosqlite.Row) -> tuple[Occurrence, Meeting]:
    return Occurrence.from_row(row, "o_"), Meeting.from_row(row)


async def create(
    conn: aiosqlite.Connection,
    *,
    project: str,
    group: str | None,
    user_id: str | None,
    title: str,
    times: SeriesTimes,
    rule: str | None,
    duration: dt.timedelta,
    place: str = "",
    link: str = "",
    note: str = "",
    now: dt.datetime,
    uid: str | None = None,
) -> Meeting:
    """A new meeting or series with nothing materialized yet."""
    cursor = await conn.execute(
        "INSERT INTO meetings (uid, project, grp, user_id, title, dtstart_local, rrule,"
        " duration_min, place, link, note, first_start, last_start, materialized_until,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uid or new_uid(),
            project,
            group,
            user_id,
            title,
            times.dtstart_local.isoformat(),
            rule,
            int(duration.total_seconds() // 60),
            place,
            link,
            note,
            to_text(times.first_start),
            to_text(times.last_start) if times.last_start else None,
            to_text(times.first_start),
            to_text(now),
            to_text(now),
        ),
    )
    assert cursor.lastrowid is not None
    meeting = await get(conn, cursor.lastrowid)
    assert meeting is not None
    return meeting


@dataclass(frozen=True)
class NewMeeting:
    """A meeting planned in memory, to be stored with :func:`create_many`."""

    uid: str
    project: str
    group: str | None
    user_id: str | None
    title: str
    times: SeriesTimes
    rule: str | None
    duration: dt.timedelta
    place: str
    link: str
    note: str
    materialized_until: dt.datetime  # its occurrences are stored with it up to here


async def create_many(
    conn: aiosqlite.Connection, meetings: Sequence[NewMeeting], now: dt.datetime
) -> list[Meeting]:
    """Store planned meetings in one statement; returns them stored, in the same order."""
    if not meetings:
        return []
    await conn.executemany(
        "INSERT INTO meetings (uid, project, grp, user_id, title, dtstart_local, rrule,"
        " duration_min, place, link, note, first_start, last_start, materialized_until,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                item.uid,
                item.project,
                item.group,
                item.user_id,
                item.title,
                item.times.dtstart_local.isoformat(),
                item.rule,
                int(item.duration.total_seconds() // 60),
                item.place,
                item.link,
                item.note,
                to_text(item.times.first_start),
                to_text(item.times.last_start) if item.times.last_start else None,
                to_text(item.materialized_until),
                to_text(now),
                to_text(now),
            )
            for item in meetings
        ],
    )
    cursor = await conn.execute(
        "SELECT * FROM meetings WHERE uid IN (SELECT value FROM json_each(?))",
        (json.dumps([item.uid for item in meetings]),),
    )
    by_uid = {row["uid"]: Meeting.from_row(row) for row in await cursor.fetchall()}
    return [by_uid[item.uid] for item in meetings]


async def uids_taken(conn: aiosqlite.Connection, uids: Collection[str]) -> set[str]:
    """Those of ``uids`` that a stored meeting has."""
    if not uids:
        return set()
    cursor = await conn.execute(
        "SELECT uid FROM meetings WHERE uid IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(uids)),),
    )
    return {row[0] for row in await cursor.fetchall()}


def new_uid() -> str:
    """A fresh iCalendar UID for a meeting planned here."""
    return f"{secrets.token_hex(10)}@hankebot"


async def get(conn: aiosqlite.Connection, meeting_id: int) -> Meeting | None:
    cursor = await conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    row = await cursor.fetchone()
    return Meeting.from_row(row) if row else None


async def occurrence(
    conn: aiosqlite.Connection, occurrence_id: int
) -> tuple[Occurrence, Meeting] | None:
    cursor = await conn.execute(f"{_JOINED} WHERE o.id = ?", (occurrence_id,))
    row = await cursor.fetchone()
    return _pair(row) if row else None


async def add_occurrences(
    conn: aiosqlite.Connection,
    meeting_id: int,
    rows: Sequence[OccurrenceRow],
    *,
    until: dt.datetime,
) -> list[Occurrence]:
    """Store the planned occurrences a series does not have yet (in one statement) and
    note it is created up to ``until``; returns the new ones, soonest first."""
    cursor = await conn.execute(
        "SELECT recurrence_id FROM occurrences WHERE meeting_id = ?", (meeting_id,)
    )
    have = {row[0] for row in await cursor.fetchall()}
    fresh = [row for row in rows if to_text(row.recurrence_id) not in have]
    await conn.executemany(
        "INSERT OR IGNORE INTO occurrences (meeting_id, recurrence_id, start_utc, end_utc,"
        " cancelled) VALUES (?, ?, ?, ?, ?)",
        [
            (
                meeting_id,
                to_text(row.recurrence_id),
                to_text(row.start),
                to_text(row.end),
                int(row.cancelled),
            )
            for row in fresh
        ],
    )
    await conn.execute(
        "UPDATE meetings SET materialized_until = ? WHERE id = ?", (to_text(until), meeting_id)
    )
    if not fresh:
        return []
    cursor = await conn.execute(
        "SELECT * FROM occurrences WHERE meeting_id = ?"
        " AND recurrence_id IN (SELECT value FROM json_each(?))",
        (meeting_id, json.dumps([to_text(row.recurrence_id) for row in fresh])),
    )
    created = [Occurrence.from_row(row) for row in await cursor.fetchall()]
    created.sort(key=lambda item: (item.start, item.recurrence_id))
    return created


async def insert_occurrences(
    conn: aiosqlite.Connection, rows: Sequence[tuple[int, OccurrenceRow]]
) -> list[Occurrence]:
    """Store planned occurrences of new meetings, (meeting id, row) each, in one statement;
    a cancelled or moved one replaces what the rule gave for its original start. Returns
    the stored occurrences of those meetings."""
    if not rows:
        return []
    await conn.executemany(
        "INSERT OR REPLACE INTO occurrences (meeting_id, recurrence_id, start_utc, end_utc,"
        " cancelled) VALUES (?, ?, ?, ?, ?)",
        [
            (
                meeting_id,
                to_text(row.recurrence_id),
                to_text(row.start),
                to_text(row.end),
                int(row.cancelled),
            )
            for meeting_id, row in rows
        ],
    )
    cursor = await conn.execute(
        "SELECT * FROM occurrences WHERE meeting_id IN (SELECT value FROM json_each(?))"
        " ORDER BY meeting_id, start_utc, recurrence_id",
        (json.dumps(sorted({meeting_id for meeting_id, _ in rows})),),
    )
    return [Occurrence.from_row(row) for row in await cursor.fetchall()]


async def to_extend(
    conn: aiosqlite.Connection, before: dt.datetime, projects: Collection[str] | None = None
) -> list[Meeting]:
    """Active series (of ``projects``, None = all) not created up to ``before``."""
    sql = (
        "SELECT * FROM meetings WHERE cancelled_at IS NULL AND materialized_until < ?"
        " AND (last_start IS NULL OR last_start >= materialized_until)"
    )
    params: list[object] = [to_text(before)]
    if projects is not None:
        wanted = sorted(projects)
        if not wanted:
            return []
        sql += f" AND project IN ({','.join('?' * len(wanted))})"
        params.extend(wanted)
    cursor = await conn.execute(sql, params)
    return [Meeting.from_row(row) for row in await cursor.fetchall()]


async def audience(conn: aiosqlite.Connection, meeting: Meeting) -> list[str]:
    """Active participants the meeting is for, by user id."""
    return await audience_of(conn, meeting.project, meeting.group, meeting.user_id)


async def audience_of(
    conn: aiosqlite.Connection, project: str, group: str | None, user_id: str | None
) -> list[str]:
    """Active participants a meeting of ``project`` for ``group`` or ``user_id`` is for."""
    if user_id is not None:
        cursor = await conn.execute(
            "SELECT user_id FROM memberships WHERE user_id = ? AND project = ?"
            " AND role = 'participant' AND left_at IS NULL",
            (user_id, project),
        )
    elif group is not None:
        cursor = await conn.execute(
            "SELECT user_id FROM memberships WHERE project = ? AND grp = ?"
            " AND role = 'participant' AND left_at IS NULL ORDER BY user_id",
            (project, group),
        )
    else:
        cursor = await conn.execute(
            "SELECT user_id FROM memberships WHERE project = ?"
            " AND role = 'participant' AND left_at IS NULL ORDER BY user_id",
            (project,),
        )
    return [row[0] for row in await cursor.fetchall()]


async def is_for(conn: aiosqlite.Connection, meeting: Meeting, user_id: str) -> bool:
    """Is the meeting for this person (an active participant in its audience)?"""
    if meeting.user_id is not None and meeting.user_id != user_id:
        return False
    group_matches = meeting.user_id is not None or meeting.group is None
    cursor = await conn.execute(
        "SELECT 1 FROM memberships WHERE user_id = ? AND project = ? AND role = 'participant'"
        " AND left_at IS NULL AND (? OR grp IS ?)",
        (user_id, meeting.project, group_matches, meeting.group),
    )
    return await cursor.fetchone() is not None


async def upcoming_for_user(
    conn: aiosqlite.Connection,
    user_id: str,
    after: dt.datetime,
    *,
    project: str | None = None,
    limit: int = 20,
) -> list[tuple[Occurrence, Meeting]]:
    """The person's next meetings (not cancelled), soonest first."""
    sql = (
        f"{_JOINED} WHERE o.cancelled = 0 AND m.cancelled_at IS NULL AND o.start_utc > :after"
        f" AND {AUDIENCE_HAS_USER}"
    )
    params: dict[str, object] = {"user": user_id, "after": to_text(after), "limit": limit}
    if project is not None:
        sql += " AND m.project = :project"
        params["project"] = project
    cursor = await conn.execute(sql + " ORDER BY o.start_utc, o.id LIMIT :limit", params)
    return [_pair(row) for row in await cursor.fetchall()]


async def for_projects(
    conn: aiosqlite.Connection,
    projects: Collection[str] | None,
    start: dt.datetime,
    end: dt.datetime,
    *,
    limit: int,
    offset: int = 0,
) -> list[tuple[Occurrence, Meeting]]:
    """Occurrences (incl. cancelled ones) of the projects (None = every project) in a window."""
    sql = f"{_JOINED} WHERE o.start_utc >= ? AND o.start_utc < ?"
    params: list[object] = [to_text(start), to_text(end)]
    if projects is not None:
        wanted = sorted(projects)
        if not wanted:
            return []
        sql += f" AND m.project IN ({','.join('?' * len(wanted))})"
        params.extend(wanted)
    sql += " ORDER BY o.start_utc, o.id LIMIT ? OFFSET ?"
    params.extend([limit, offset])
    cursor = await conn.execute(sql, params)
    return [_pair(row) for row in await cursor.fetchall()]


async def series_for_user(conn: aiosqlite.Connection, user_id: str) -> list[Meeting]:
    """Active series and one-off meetings the person is in the audience of."""
    cursor = await conn.execute(
        f"SELECT m.* FROM meetings m WHERE m.cancelled_at IS NULL AND {AUDIENCE_HAS_USER}"
        " ORDER BY m.first_start, m.id",
        {"user": user_id},
    )
    return [Meeting.from_row(row) for row in await cursor.fetchall()]


async def exceptions(
    conn: aiosqlite.Connection, meeting_id: int
) -> tuple[tuple[dt.datetime, ...], tuple[tuple[dt.datetime, dt.datetime], ...]]:
    """Cancelled original starts and (original, new) starts of moved occurrences."""
    cursor = await conn.execute(
        "SELECT recurrence_id, start_utc, cancelled FROM occurrences WHERE meeting_id = ?"
        " AND (cancelled = 1 OR start_utc != recurrence_id) ORDER BY recurrence_id",
        (meeting_id,),
    )
    cancelled: list[dt.datetime] = []
    moved: list[tuple[dt.datetime, dt.datetime]] = []
    for row in await cursor.fetchall():
        rid = from_text(row["recurrence_id"])
        if row["cancelled"]:
            cancelled.append(rid)
        else:
            moved.append((rid, from_text(row["start_utc"])))
    return tuple(cancelled), tuple(moved)


async def future_occurrences(
    conn: aiosqlite.Connection, meeting_id: int, after: dt.datetime
) -> list[Occurrence]:
    cursor = await conn.execute(
        "SELECT * FROM occurrences WHERE meeting_id = ? AND start_utc > ? AND cancelled = 0"
        " ORDER BY start_utc",
        (meeting_id, to_text(after)),
    )
    return [Occurrence.from_row(row) for row in await cursor.fetchall()]


async def move_occurrence(
    conn: aiosqlite.Connection, occurrence: Occurrence, meeting: Meeting, start: dt.datetime
) -> None:
    await conn.execute(
        "UPDATE occurrences SET start_utc = ?, end_utc = ? WHERE id = ?",
        (to_text(start), to_text(start + meeting.duration), occurrence.id),
    )


async def cancel_occurrence(conn: aiosqlite.Connection, occurrence_id: int) -> None:
    await conn.execute("UPDATE occurrences SET cancelled = 1 WHERE id = ?", (occurrence_id,))


async def restore_occurrence(conn: aiosqlite.Connection, occurrence_id: int) -> None:
    await conn.execute("UPDATE occurrences SET cancelled = 0 WHERE id = ?", (occurrence_id,))


async def update_details(
    conn: aiosqlite.Connection,
    meeting_id: int,
    *,
    now: dt.datetime,
    place: str | None = None,
    link: str | None = None,
    note: str | None = None,
    title: str | None = None,
) -> None:
    for column, value in (("place", place), ("link", link), ("note", note), ("title", title)):
        if value is not None:
            await conn.execute(
                f"UPDATE meetings SET {column} = ?, updated_at = ? WHERE id = ?",
                (value, to_text(now), meeting_id),
            )


async def change_duration(
    conn: aiosqlite.Connection, meeting: Meeting, duration: dt.timedelta, now: dt.datetime
) -> list[Occurrence]:
    """A new length for the meeting (all of a series); returns the future occurrences with
    their new ends (their follow-up questions are planned from the end)."""
    await conn.execute(
        "UPDATE meetings SET duration_min = ?, updated_at = ? WHERE id = ?",
        (int(duration.total_seconds() // 60), to_text(now), meeting.id),
    )
    changed: list[Occurrence] = []
    for item in await future_occurrences(conn, meeting.id, now):
        end = item.start + duration
        await conn.execute(
            "UPDATE occurrences SET end_utc = ? WHERE id = ?", (to_text(end), item.id)
        )
        changed.append(dataclasses.replace(item, end=end))
    return changed


async def cancel_series(
    conn: aiosqlite.Connection, meeting_id: int, now: dt.datetime
) -> list[Occurrence]:
    """Cancel the series and its future occurrences; returns the occurrences cancelled."""
    future = await future_occurrences(conn, meeting_id, now)
    await conn.execute(
        "UPDATE occurrences SET cancelled = 1 WHERE meeting_id = ? AND start_utc > ?",
        (meeting_id, to_text(now)),
    )
    await conn.execute(
        "UPDATE meetings SET cancelled_at = ?, updated_at = ? WHERE id = ?",
        (to_text(now), to_text(now), meeting_id),
    )
    return future


async def cancelled_starts_from(
    conn: aiosqlite.Connection, meeting_id: int, recurrence_id: dt.datetime
) -> list[dt.datetime]:
    """Starts of the series' cancelled occurrences from ``recurrence_id`` (original) on."""
    cursor = await conn.execute(
        "SELECT start_utc FROM occurrences WHERE meeting_id = ? AND recurrence_id >= ?"
        " AND cancelled = 1",
        (meeting_id, to_text(recurrence_id)),
    )
    return [from_text(row[0]) for row in await cursor.fetchall()]


async def delete_occurrences_from(
    conn: aiosqlite.Connection, meeting_id: int, recurrence_id: dt.datetime
) -> None:
    """Delete the occurrences from ``recurrence_id`` on (their reminders and answers
    cascade)."""
    await conn.execute(
        "DELETE FROM occurrences WHERE meeting_id = ? AND recurrence_id >= ?",
        (meeting_id, to_text(recurrence_id)),
    )


async def restart_series(
    conn: aiosqlite.Connection,
    meeting_id: int,
    *,
    rule: str | None,
    times: SeriesTimes,
    now: dt.datetime,
) -> None:
    """The series starts again at ``times`` with ``rule`` (nothing materialized)."""
    await conn.execute(
        "UPDATE meetings SET dtstart_local = ?, rrule = ?, first_start = ?, last_start = ?,"
        " materialized_until = ?, updated_at = ? WHERE id = ?",
        (
            times.dtstart_local.isoformat(),
            rule,
            to_text(times.first_start),
            to_text(times.last_start) if times.last_start else None,
            to_text(times.first_start),
            to_text(now),
            meeting_id,
        ),
    )


async def end_series(
    conn: aiosqlite.Connection,
    meeting_id: int,
    *,
    rule: str,
    last_start: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """The series keeps its start and gets ``rule`` (one that ends) and its last start."""
    await conn.execute(
        "UPDATE meetings SET rrule = ?, last_start = ?, updated_at = ? WHERE id = ?",
        (rule, to_text(last_start) if last_start else None, to_text(now), meeting_id),
    )


async def set_continues(conn: aiosqlite.Connection, meeting_id: int, continues: int) -> None:
    """``meeting_id`` continues the series ``continues`` at another time of day."""
    await conn.execute("UPDATE meetings SET continues = ? WHERE id = ?", (continues, meeting_id))


async def series_count(conn: aiosqlite.Connection, project: str, group: str | None) -> int:
    """How many series a group has had (to number the women's group's periods).

    A series continued at another time of day (:func:`set_continues`) counts once."""
    cursor = await conn.execute(
        "SELECT COUNT(*) FROM meetings WHERE project = ? AND grp IS ? AND user_id IS NULL"
        " AND cancelled_at IS NULL AND continues IS NULL",
        (project, group),
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0
