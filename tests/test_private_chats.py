"""Anything addressed to a person goes only to their private chat (issue 11, item 2).

Someone first seen in a group has no private chat with the bot: notices to them (made a
coordinator of the prison project, a participant who cannot come), their reminders and an
announcement's report wait, the group gets only a neutral hint (once a day), and what waited
arrives once, in order, when they open a private chat — also after a restart. Reports, the
audit log and their CSV files are refused in a group. Buttons are found by payload, texts
compared with the catalogs.
"""

from __future__ import annotations

import datetime as dt

from bot.i18n import Renderer
from bot.markup import html_to_plain
from handlers.core.types import Incoming, Param
from storage import buttons as button_store
from storage import held_notices, memberships, person_refs, personal_data, users
from storage.db import Database
from tests.harness import Bot, Delivered, Person
from tests.meeting_helpers import ADMIN, PROJECT, TZ, World, local, messages_to, world

START = local(2026, 11, 2, 10, 0)
GROUP_CHAT = "test:group-1"
SEEN_IN_GROUP = "test:5"
PRISON = "Tukea vankilasta vapautuville ja päihdekuntoutuksesta kotiutuville"


def text(key: str, **params: Param) -> str:
    return html_to_plain(Renderer(TZ).text("fi", key, params))


class Group:
    """The group chat every person here may write in (the bot sees only addressed text)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.updates = 0

    async def says(self, user_id: str, text: str | None = None, token: str | None = None) -> None:
        self.updates += 1
        await self.bot.dispatcher.handle(
            Incoming(
                user_id=user_id,
                chat_id=GROUP_CHAT,
                text=text,
                button_token=token,
                locale_hint="fi",
                update_key=f"group:{self.updates}",
                is_group_chat=True,
            )
        )
        await self.bot.worker.drain(timeout=10)

    def messages(self) -> list[Delivered]:
        return [m for m in self.bot.transport.delivered if m.chat_id == GROUP_CHAT]


async def token_for(bot: Bot, chat_id: str, payload: str) -> str:
    """The newest button in ``chat_id`` whose payload starts with ``payload``."""
    async with bot.db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT token FROM buttons WHERE chat_id = ? AND substr(payload, 1, ?) = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (chat_id, len(payload), payload),
        )
        row = await cursor.fetchone()
    assert row is not None, f"no button {payload!r} in {chat_id}"
    return str(row[0])


async def held_count(db: Database, user_id: str) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT COUNT(*) FROM held_notices WHERE user_id = ?", (user_id,)
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def leaks(messages: list[Delivered], *secrets: str) -> list[str]:
    return [m.text for m in messages if any(s in m.text for s in secrets)]


async def coordinator_seen_only_in_group(w: World, group: Group) -> Person:
    """Writes in the group first, then the administrator makes them a coordinator."""
    await group.says(SEEN_IN_GROUP, "/apua")
    admin = w.bot.person(99)
    [done] = await admin.says(f"/lisaa_ohjaaja {PROJECT} {SEEN_IN_GROUP}")
    assert SEEN_IN_GROUP in done.text
    assert leaks(group.messages(), PRISON, "ohjaaja") == []  # the notice is not in the group
    return w.bot.person(5)


async def test_notices_to_someone_seen_only_in_a_group_wait_for_their_private_chat(
    db: Database,
) -> None:
    async with world(db, START) as w:
        group = Group(w.bot)
        coordinator = await coordinator_seen_only_in_group(w, group)
        participant = await w.participant(1, name="Maija Meikäläinen")
        meeting = await w.meeting(local(2026, 11, 4, 13, 0))
        w.clock.now = local(2026, 11, 3, 13, 0).astimezone(dt.UTC)
        [reminder] = messages_to(participant, await w.tick())
        [occurrence] = (await w.occurrence_ids(meeting))[:1]
        await participant.presses_token(
            await token_for(w.bot, participant.user_id, f"rsvp:{occurrence}:no")
        )
        assert reminder.text
        # Neither notice went anywhere: not to the group, not to any other chat.
        assert leaks(group.messages(), PRISON, "Maija", "ohjaaja") == []
        assert coordinator.messages() == []
        assert await held_count(db, SEEN_IN_GROUP) == 2

        # Seen in the group again: the neutral hint, once, and nothing else of what waits.
        before = len(group.messages())
        await group.says(SEEN_IN_GROUP, "/apua")
        shown = group.messages()[before:]
        hint = text("private.held_hint")
        assert [m.text for m in shown].count(hint) == 1, [m.text for m in shown]
        assert leaks(shown, PRISON, "Maija") == []
        await group.says(SEEN_IN_GROUP, "/apua")
        assert [m.text for m in group.messages()].count(hint) == 1  # not again today

        # The private chat: what waited comes first, in order, then the answer to /start.
        arrived = await coordinator.says("/start")
        added = text("coord.added_notice", project=PRISON)
        assert arrived[0].text == added
        assert arrived[1].text.startswith("Maija Meikäläinen ei pääse tapaamiseen")
        assert PRISON in arrived[1].text
        assert await held_count(db, SEEN_IN_GROUP) == 0
        # Its button was issued for this chat and works here.
        offer = await token_for(w.bot, coordinator.user_id, f"mt:newtime:{occurrence}:")
        assert arrived[1].buttons and offer in [t for row in arrived[1].buttons for _, t in row]
        again = await coordinator.says("/start")
        assert [m.text for m in again].count(added) == 0
        assert [m.text for m in coordinator.messages()].count(added) == 1
        # From now on notices go straight to the private chat.
        async with db.transaction() as conn:
            person = await users.get(conn, SEEN_IN_GROUP)
        assert person is not None and person.home_chat_id == SEEN_IN_GROUP
        assert leaks(group.messages(), PRISON, "Maija") == []


async def test_held_notices_survive_a_restart_and_arrive_once(db: Database) -> None:
    async with world(db, START) as w:
        group = Group(w.bot)
        await coordinator_seen_only_in_group(w, group)
        assert await held_count(db, SEEN_IN_GROUP) == 1
    async with world(db, START) as w:  # the bot started again on the same database
        coordinator = w.bot.person(5)
        arrived = await coordinator.says("/start")
        added = text("coord.added_notice", project=PRISON)
        assert [m.text for m in arrived].count(added) == 1
        await coordinator.says("/apua")
        assert [m.text for m in coordinator.messages()].count(added) == 1
        assert leaks(Group(w.bot).messages(), PRISON) == []


async def test_a_reminder_waits_for_the_private_chat_until_the_meeting_begins(
    db: Database,
) -> None:
    async with world(db, START) as w:
        early, late = w.bot.person(1), w.bot.person(2)
        now = w.clock()
        async with db.transaction() as conn:
            for person in (early, late):
                # as an older version stored someone who first wrote in a group
                await users.touch(
                    conn, person.user_id, GROUP_CHAT, locale="fi", now=now, private_chat=False
                )
                await memberships.add(conn, person.user_id, PROJECT, "participant", now, None)
        meeting = await w.meeting(local(2026, 11, 4, 13, 0), group=None)
        w.clock.now = local(2026, 11, 3, 13, 0).astimezone(dt.UTC)
        sent = await w.tick()
        assert sent == []  # not to the group, and no private chat is known
        assert await held_count(db, early.user_id) == 1
        arrived = await early.says("/start")
        assert "Muistutus" in arrived[0].text or meeting.title in arrived[0].text
        [occurrence] = (await w.occurrence_ids(meeting))[:1]
        assert await token_for(w.bot, early.user_id, f"rsvp:{occurrence}:yes")
        # The other opens the chat only after the meeting began: the reminder is dropped.
        w.clock.now = local(2026, 11, 4, 13, 30).astimezone(dt.UTC)
        await w.tick()
        arrived = await late.says("/start")
        assert not any(meeting.title in m.text for m in arrived), [m.text for m in arrived]
        assert await held_count(db, late.user_id) == 0
        assert Group(w.bot).messages() == []


async def test_announcement_progress_and_report_never_go_to_the_group(db: Database) -> None:
    async with world(db, START) as w:
        group = Group(w.bot)
        await group.says(SEEN_IN_GROUP, "/apua")
        async with db.transaction() as conn:
            await memberships.add(conn, SEEN_IN_GROUP, PROJECT, "coordinator", w.clock())
        reader = await w.participant(1)
        in_group_only = w.bot.person(2)
        async with db.transaction() as conn:
            await users.touch(
                conn,
                in_group_only.user_id,
                GROUP_CHAT,
                locale="fi",
                now=w.clock(),
                private_chat=False,
            )
            await memberships.add(
                conn, in_group_only.user_id, PROJECT, "participant", w.clock(), None
            )
        before = len(group.messages())
        await group.says(SEEN_IN_GROUP, "/tiedote")
        await group.says(SEEN_IN_GROUP, token=await token_for(w.bot, GROUP_CHAT, "bca:project"))
        await group.says(SEEN_IN_GROUP, "Kevätjuhla on perjantaina.")
        await group.says(SEEN_IN_GROUP, token=await token_for(w.bot, GROUP_CHAT, "bc:now"))
        [announcement] = reader.new_messages()
        assert "Kevätjuhla" in announcement.text
        assert in_group_only.messages() == []
        after = [m.text for m in group.messages()[before:]]
        # The group saw the coordinator's own flow, but no progress, no report and no copy
        # of the announcement for the participant seen only there.
        counts: dict[str, Param] = {
            k: 0 for k in ("done", "total", "sent", "unreachable", "failed", "cancelled")
        }
        progress = text("broadcast.progress", id=1, status="", **counts).split("\n")[0]
        report = text("broadcast.report", id=1, excerpt="", **counts).split("\n")[0]
        assert not any(t.startswith((progress.strip(" –"), report)) for t in after), after
        assert sum("Kevätjuhla" in t for t in after) == 1  # the preview only
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT state, last_error FROM outbox WHERE user_id = ? AND dedupe_key LIKE 'bc:%'",
                (in_group_only.user_id,),
            )
            rows = [tuple(row) for row in await cursor.fetchall()]
        assert rows == [("unreachable", "no private chat")]
        # The report waits for the coordinator's private chat.
        coordinator = w.bot.person(5)
        arrived = await coordinator.says("/start")
        assert arrived[0].text.startswith(report), [m.text for m in arrived]
        assert await token_for(w.bot, coordinator.user_id, "bcx:missing:1")


async def _refused_in_group(w: World, group: Group, user_id: str, *typed: str) -> None:
    for command in typed:
        before = len(group.messages())
        await group.says(user_id, command)
        shown = group.messages()[before:]
        assert [m.text for m in shown] == [text("coord.private_only")], (command, shown)
        assert all(m.document is None for m in shown)


async def test_reports_and_the_audit_log_only_in_a_private_chat(db: Database) -> None:
    async with world(db, START) as w:
        group = Group(w.bot)
        coordinator = await w.coordinator()
        await _refused_in_group(
            w, group, coordinator.user_id, f"/raportti {PROJECT}", f"/raportti {PROJECT} csv"
        )
        # A report button replayed into the group is refused there too.
        async with db.transaction() as conn:
            token = await button_store.issue(
                conn, GROUP_CHAT, f"rep:csv:{PROJECT}", None, w.clock()
            )
        before = len(group.messages())
        await group.says(coordinator.user_id, token=token)
        assert [m.text for m in group.messages()[before:]] == [text("coord.private_only")]
        await w.bot.person(99).says("/start")
        await _refused_in_group(w, group, ADMIN, "/loki", "/loki csv")
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'report.%'"
                " OR action LIKE 'audit.%'"
            )
            row = await cursor.fetchone()
        assert row is not None and row[0] == 0
        # In the private chat the same commands work.
        [summary] = await coordinator.says(f"/raportti {PROJECT}")
        assert summary.document is not None


async def test_a_held_notice_about_a_person_goes_with_them_on_forget(db: Database) -> None:
    """A coordinator seen only in a group has a notice about a participant waiting; the
    participant's /unohda deletes it (it names them), the coordinator's other one stays."""
    now = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    async with db.transaction() as conn:
        await users.touch(conn, "test:5", "test:-100", locale="fi", now=now, private_chat=False)
        await users.touch(conn, "test:1", "test:1", locale="fi", now=now, private_chat=True)
        coordinator = await users.get(conn, "test:5")
        assert coordinator is not None and coordinator.home_chat_id is None
        about = await person_refs.ref_of(conn, "test:1")
        await held_notices.to_person(
            conn, coordinator, numbered_buttons=False, html="Pirjo ei pääse", now=now, about=about
        )
        await held_notices.to_person(
            conn, coordinator, numbered_buttons=False, html="Muuta", now=now
        )
        await personal_data.delete(conn, "test:1", "test:1")
        cursor = await conn.execute("SELECT html FROM held_notices WHERE user_id = 'test:5'")
        assert [row[0] for row in await cursor.fetchall()] == ["Muuta"]
