"""An announcement outlives its author's /unohda (the CLI's, or one made before the chat
cancels the author's own at /unohda): cancelling it later must still work (issue 16 item 5:
the audit saw a FOREIGN KEY failure here)."""

from __future__ import annotations

import datetime as dt

from bot.i18n import renderer
from handlers.common.broadcast_progress import Progress
from handlers.staff.broadcast import NewBroadcast, enqueue_broadcast
from storage import broadcasts, memberships, personal_data, users
from storage.broadcasts import Recipient
from storage.db import Database

START = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
AUTHOR = "test:1"


async def test_cancelling_a_scheduled_announcement_whose_author_used_forget(
    db: Database,
) -> None:
    async with db.transaction() as conn:
        await users.touch(conn, AUTHOR, AUTHOR, locale="fi", now=START, private_chat=True)
        await memberships.add(conn, AUTHOR, "osmari", "coordinator", START)
        for n in (101, 102):
            await users.touch(
                conn, f"test:{n}", f"test:{n}", locale="fi", now=START, private_chat=True
            )
        new = NewBroadcast(
            project="osmari",
            audience="project",
            group=None,
            text="Hei",
            html={"fi": "Hei"},
            recipients=[Recipient(f"test:{n}", f"test:{n}", "fi", False) for n in (101, 102)],
            actor=AUTHOR,
            created_by=AUTHOR,
            report_chat=AUTHOR,
            locale="fi",
            timezone="Europe/Helsinki",
        )
        number, _ = await enqueue_broadcast(
            conn, new, send_at=START + dt.timedelta(hours=3), now=START, rendering=renderer()
        )
    async with db.transaction() as conn:
        await personal_data.delete(conn, AUTHOR, AUTHOR)
    async with db.transaction() as conn:
        counts = await Progress(renderer()).cancel(conn, number, START + dt.timedelta(hours=1))
        stored = await broadcasts.get(conn, number)
        state = (
            await broadcasts.outbox_state(conn, stored.progress_id)
            if stored and stored.progress_id
            else None
        )
    assert stored is not None and stored.state == "cancelled"
    assert counts.pending == 0
    assert state in (None, "cancelled")  # the progress message of a forgotten author: never sent
