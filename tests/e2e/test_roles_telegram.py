"""Roles on Telegram, end to end: a representative part of the role matrix
(tests/test_roles_matrix.py has all of it) through PTB and the fake Bot API server,
including button presses replayed and forged by someone else in a group chat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from storage import audit, memberships
from tests.e2e.telegram_driver import TelegramDriver, bot_settings, running_bot
from tests.fakes.telegram_api import BotMessage, FakeTelegramServer

pytestmark = pytest.mark.e2e

GROUP = -500
ADMIN, COORDINATOR, PARTICIPANT, APPLICANT = 701, 702, 703, 704


async def group_replies(server: FakeTelegramServer, seen: int, count: int = 1) -> list[BotMessage]:
    return await server.async_wait_for_messages(GROUP, count, 20, after_message_id=seen)


async def test_privileged_actions_check_the_role_of_whoever_acts(tmp_path: Path) -> None:
    with FakeTelegramServer() as server:
        settings = bot_settings(
            server, tmp_path / "bot.sqlite3", admins=frozenset({f"telegram:{ADMIN}"})
        )
        async with running_bot(settings) as app:
            people = {n: TelegramDriver(server, n) for n in (ADMIN, COORDINATOR, PARTICIPANT)}
            people[APPLICANT] = TelegramDriver(server, APPLICANT)
            for driver in people.values():
                await driver.send("/start")
                await driver.replies()
            async with app.db.transaction() as conn:
                now = dt.datetime.now(dt.UTC)
                await memberships.add(conn, f"telegram:{PARTICIPANT}", "osmari", "participant", now)
            admin, coordinator = people[ADMIN], people[COORDINATOR]
            participant, applicant = people[PARTICIPANT], people[APPLICANT]

            # Typed privileged commands: only the administrator's work.
            await coordinator.send("/lisaa_ohjaaja osmari telegram:702")
            [refused] = await coordinator.replies()
            assert refused.text.startswith("En tunne tätä komentoa.")
            await admin.send("/lisaa_ohjaaja osmari telegram:702")
            [added] = await admin.replies()
            assert added.text == "Valmis. telegram:702 on nyt hankkeen Osmari ohjaaja."
            [notice] = await coordinator.replies()
            assert notice.text.startswith("Sinusta tehtiin hankkeen Osmari ohjaaja.")
            for driver, command in ((participant, "/tiedote"), (applicant, "/raportti osmari")):
                await driver.send(command)
                [answer] = await driver.replies()
                assert answer.text.startswith("En tunne tätä komentoa."), command
            await coordinator.send("/loki")
            [no_log] = await coordinator.replies()
            assert no_log.text.startswith("En tunne tätä komentoa.")

            # A report asked for in a group: its CSV button is pressed by everyone there.
            server.group_message(GROUP, COORDINATOR, "/raportti osmari")
            [summary] = await group_replies(server, 0)
            assert summary.caption is not None and summary.caption.startswith("Raportti: Osmari")
            assert summary.document is not None and summary.document.filename.endswith(".png")
            csv_data = summary.callback_data_for("Lataa CSV-tiedosto")
            server.user_presses(PARTICIPANT, summary.message_id, csv_data, chat_id=GROUP)
            [denied] = await group_replies(server, summary.message_id)
            assert denied.text == "Sinulla ei ole oikeutta tähän."
            server.user_presses(APPLICANT, summary.message_id, csv_data, chat_id=GROUP)
            [denied_again] = await group_replies(server, denied.message_id)
            assert denied_again.text == "Sinulla ei ole oikeutta tähän."
            server.user_presses(COORDINATOR, summary.message_id, csv_data, chat_id=GROUP)
            [export] = await group_replies(server, denied_again.message_id)
            assert export.document is not None and export.document.filename == "raportti-osmari.csv"

            # The administrator's private audit button, forged into the group and into the
            # administrator's own chat by a participant.
            await admin.send("/loki")
            [log] = await admin.replies()
            assert "teki ohjaajan: telegram:702 (Osmari)" in log.text
            log_message = server.last_message(ADMIN)
            audit_data = log_message.callback_data_for("Lataa koko loki (CSV)")
            server.user_presses(
                PARTICIPANT, log_message.message_id, audit_data, forge=True, chat_id=GROUP
            )
            [old] = await group_replies(server, export.message_id)
            assert (old.text or "").startswith("Tämä painike on vanha.")
            server.user_presses(
                PARTICIPANT, log_message.message_id, audit_data, forge=True, chat_id=ADMIN
            )
            [not_allowed] = await admin.replies()
            assert not_allowed.text == "Sinulla ei ole oikeutta tähän."
            await admin.press("Lataa koko loki (CSV)")
            [log_file] = await admin.replies()
            assert log_file.file is not None and log_file.file[0] == "hankebot-tapahtumaloki.csv"
            async with app.db.transaction() as conn:
                assert await audit.count(conn, "audit.csv") == 1
                assert await audit.count(conn, "report.csv") == 1
    assert server.count_429 == 0
