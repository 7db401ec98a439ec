"""What the two-person scenarios of ``tests/e2e/scenarios.py`` need besides the chats: a
participant and a coordinator of one project, a meeting a few hours ahead and its reminder
due now, written into the running bot's database (each transport then wakes its scheduler).

The meeting and the reminder row are written as they are (no planning), so the scenario does
not depend on the time of day: quiet hours are decided when reminders are planned."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from handlers.common import planning
from storage import memberships, reminders, users
from storage.db import Database
from storage.meetings import HORIZON

TZ = ZoneInfo("Europe/Helsinki")
PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
GROUP = "womens-group"
MEETING_AFTER = dt.timedelta(hours=3)


async def seed_reminder(
    db: Database, *, participant: str, coordinator: str, now: dt.datetime | None = None
) -> int:
    """Both people (who have written to the bot) in the project, a group meeting
    :data:`MEETING_AFTER` ahead and the participant's reminder of it due now; returns the
    occurrence id."""
    now = now or dt.datetime.now(dt.UTC)
    start = (now + MEETING_AFTER).astimezone(TZ).replace(second=0, microsecond=0)
    async with db.transaction() as conn:
        for user_id in (participant, coordinator):
            assert await users.get(conn, user_id) is not None, f"{user_id} has not written"
        await users.set_display_name(conn, participant, "Maija")
        await memberships.add(conn, coordinator, PROJECT, "coordinator", now)
        await memberships.add(conn, participant, PROJECT, "participant", now, GROUP)
        meeting = await planning.create(
            conn,
            project=PROJECT,
            group=GROUP,
            user_id=None,
            title="Naisten ryhmä",
            start_local=start,
            rule=None,
            duration=dt.timedelta(minutes=90),
            place="Kirjasto",
            tz=TZ,
            now=now,
        )
        [occurrence] = await planning.materialize(conn, meeting, now + HORIZON, now=now, tz=TZ)
        assert await reminders.add(
            conn,
            occurrence_id=occurrence.id,
            user_id=participant,
            kind="reminder",
            start=occurrence.start,
            due_at=now,
            offset=occurrence.start - now,
            now=now,
        )
    return occurrence.id


def new_time_text(now: dt.datetime | None = None) -> str:
    """A new time as a coordinator types it: three days ahead at 14.00."""
    day = ((now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=3)).astimezone(TZ).date()
    return f"{day.day}.{day.month}.{day.year} klo 14.00"
