"""The Matrix transport end to end: a real ``hankebot run`` process on a real Synapse.

The shared scenarios (``tests/e2e/scenarios.py``) run through ``MatrixDriver`` in a plain
room and in an encrypted direct chat, each with a new person, against one bot process that
also serves Telegram (the fake Bot API server). Other bots: one killed with SIGKILL in the
middle of a conversation and started again, one whose homeserver rate limit is one message a
second, one restarted with a password and then without its crypto store. A coordinator sends
an announcement with a file (plain room) and a captioned picture (encrypted direct chat); a
file sent where none is wanted, or larger than the limit whatever its event says, is refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import vodozemac
from nio import RoomCreateResponse

from bot.i18n import Renderer
from bot.markup import html_to_plain
from handlers.core.types import FILE_LIMIT, Param
from storage import memberships
from storage.db import Database
from tests.broadcast_texts import report_heading
from tests.catalog_labels import find_label, first_line, label
from tests.e2e.scenarios import SCENARIOS, Scenario
from tests.fakes.telegram_api import FakeTelegramServer

from .matrix_bot import MEGOLM, BotProcess, Human, MatrixDriver
from .synapse_server import MatrixUser, SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def bot_account(synapse: SynapseServer) -> MatrixUser:
    return synapse.register_user("hankebot")


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer() as server:
        yield server


@pytest.fixture(scope="module")
def running_bot(
    synapse: SynapseServer,
    bot_account: MatrixUser,
    telegram_api: FakeTelegramServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BotProcess]:
    """One bot process for all scenarios (password login: a fresh device on first start),
    serving Telegram (the fake Bot API server) in the same process."""
    bot = BotProcess(
        synapse,
        bot_account,
        tmp_path_factory.mktemp("matrix-bot"),
        extra_env={
            "HANKEBOT_TELEGRAM_TOKEN": telegram_api.token,
            "HANKEBOT_TELEGRAM_API_URL": telegram_api.url,
        },
    )
    bot.start()
    try:
        yield bot
    finally:
        code = bot.stop()
        assert code == 0, f"bot exited with {code} on SIGTERM:\n{bot.tail()}"
        log = bot.log()
        assert "Traceback" not in log, bot.tail(80)
        stored_token = _stored(bot.database, "matrix:access_token")
        assert stored_token and stored_token not in log  # the secret stays in the database
        assert bot_account.password not in log and telegram_api.token not in log


async def test_telegram_and_matrix_in_one_process(
    synapse: SynapseServer, running_bot: BotProcess, telegram_api: FakeTelegramServer
) -> None:
    telegram_api.user_sends(4242, "/apua")
    person = synapse.register_user("human")
    async with Human(synapse, person, None) as human:
        chat = await human.open_chat(running_bot.account.user_id, encrypted=False)
        await chat.send("!apua")
        [on_matrix] = await chat.replies()
    [on_telegram] = await telegram_api.async_wait_for_messages(4242, 1)
    # Element takes "/" for its own commands: Matrix texts show the "!" form.
    assert "!peru" in on_matrix.text and "/peru" not in on_matrix.text
    assert on_telegram.text is not None and "/peru" in on_telegram.text


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain-room", "encrypted-dm"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
async def test_shared_scenario(
    scenario: Scenario,
    encrypted: bool,
    synapse: SynapseServer,
    running_bot: BotProcess,
    tmp_path: Path,
) -> None:
    person = synapse.register_user("human")
    async with Human(synapse, person, tmp_path / "human-store" if encrypted else None) as human:
        chat = await human.open_chat(running_bot.account.user_id, encrypted=encrypted)
        await scenario(chat)
        await chat.no_more_replies(0.3)
    log = running_bot.log()
    assert "Hei" not in log and "Kyllä" not in log  # no message texts in the log


def _stored(database: Path, key: str) -> str | None:
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


async def test_sigkill_mid_conversation_resumes_without_repeating(
    synapse: SynapseServer, tmp_path: Path
) -> None:
    account = synapse.register_user("hankebot")
    bot = BotProcess(synapse, account, tmp_path / "bot", use_access_token=True)
    person = synapse.register_user("human")
    try:
        async with Human(synapse, person, tmp_path / "human-store") as human:
            # Before the bot ever ran, its account was already in a room where a command
            # waits: history from before the first start is not answered.
            old = await human.open_chat(account.user_id, encrypted=False, greeting=False)
            synapse.request(
                "POST",
                f"/_matrix/client/v3/join/{quote(old.room_id)}",
                {},
                access_token=account.access_token,
            )
            await old.send("!apua")

            bot.start()
            plain = await human.open_chat(account.user_id, encrypted=False)
            secret = await human.open_chat(account.user_id, encrypted=True)
            for chat in (plain, secret):
                await chat.send("!unohda")
                [confirm] = await chat.replies()
                assert confirm.labels == [label("forget.yes"), label("forget.no")]
            assert _stored(bot.database, "matrix:next_batch")
            device = _stored(bot.database, "matrix:device_id")
            assert device == account.device_id  # the configured token's device is kept

            bot.kill()
            # Said while the bot was down: answered after the restart, once.
            await plain.press(label("forget.no"))
            await secret.press(label("forget.no"))
            bot.start()

            for chat in (plain, secret):
                [kept] = await chat.replies()
                assert kept.text.startswith(_said("forget.kept")), kept.text
                assert _said("menu.prompt") in kept.text  # the menu follows
            # Still the same device after the restart, and the encrypted chat still works
            # both ways (the bot's keys survived the SIGKILL).
            assert _stored(bot.database, "matrix:device_id") == device
            await secret.send("!apua")
            [help_text] = await secret.replies()
            assert "!peru" in help_text.text
            # The room it was in before its first start is served from then on.
            await old.send("!tietosuoja")
            [privacy] = await old.replies()
            assert privacy.text.startswith(first_line("privacy.short"))
            await plain.no_more_replies(1.0)
            await secret.no_more_replies(0.1)
            await old.no_more_replies(0.1)
    finally:
        bot.stop()
    log = bot.log()
    assert log.count("matrix transport started") == 2
    assert account.access_token not in log
    assert "Traceback" not in log, bot.tail(80)


async def test_undecryptable_message_gets_a_notice(
    synapse: SynapseServer, running_bot: BotProcess, tmp_path: Path
) -> None:
    """A message encrypted with a session the bot never received (as when the person's app
    did not share its key with the bot's device) is answered with a clear notice."""
    person = synapse.register_user("human")
    async with Human(synapse, person, tmp_path / "human-store") as human:
        chat = await human.open_chat(running_bot.account.user_id, encrypted=True)
        outbound = vodozemac.GroupSession()
        ciphertext = outbound.encrypt(
            json.dumps(
                {
                    "type": "m.room.message",
                    "content": {"msgtype": "m.text", "body": "!apua"},
                    "room_id": chat.room_id,
                }
            ).encode()
        )
        assert human.client.olm is not None
        synapse.request(
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(chat.room_id)}/send/m.room.encrypted/lost-1",
            {
                "algorithm": MEGOLM,
                "ciphertext": ciphertext.to_base64(),
                "session_id": outbound.session_id,
                "sender_key": human.client.olm.account.identity_keys["curve25519"],
                "device_id": human.client.device_id,
            },
            access_token=person.access_token,
        )
        chat.encrypted = False  # this one notice is sent in the clear on purpose
        [notice] = await chat.replies()
        chat.encrypted = True
        assert notice.text.startswith(first_line("matrix.undecryptable")), notice.text
        # ... and it travels unencrypted, so a person whose app has key trouble can read it.
        history = synapse.request(
            "GET",
            f"/_matrix/client/v3/rooms/{quote(chat.room_id)}/messages?dir=b&limit=10",
            access_token=person.access_token,
        )
        from_bot = [e for e in history["chunk"] if e["sender"] == running_bot.account.user_id]
        assert from_bot[0]["type"] == "m.room.message", from_bot[0]["type"]
        assert from_bot[0]["content"]["msgtype"] == "m.notice"
        # Messages the bot can read are answered as usual.
        await chat.send("!apua")
        [help_text] = await chat.replies()
        assert "!peru" in help_text.text
        await chat.no_more_replies(0.3)


async def test_group_room_answers_only_when_addressed(
    synapse: SynapseServer, running_bot: BotProcess
) -> None:
    person = synapse.register_user("human")
    friend = synapse.register_user("friend")
    bot_id = running_bot.account.user_id
    async with Human(synapse, person, None) as human:
        created = await human.client.room_create(name="hanke", invite=[bot_id, friend.user_id])
        assert isinstance(created, RoomCreateResponse), created
        chat = MatrixDriver(human, created.room_id, bot_id, encrypted=False)
        [hello] = await chat.replies()  # greets the person who invited it
        assert hello.text.startswith(first_line("start.greeting"))
        await chat.send("huomenta kaikille")  # people talking to each other
        await chat.send(f"{running_bot.account.localpart}: !apua")
        [help_text] = await chat.replies()
        assert "!peru" in help_text.text
        await chat.send("!omattiedot")  # personal data stays out of a shared room
        [refused] = await chat.replies()
        assert refused.file is None and "kahdenkeskisessä" in refused.text
        await chat.no_more_replies(0.5)


def _home_chat(database: Path, user_id: str) -> str | None:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT home_chat_id FROM users WHERE user_id = ?", (f"matrix:{user_id}",)
        ).fetchone()
    return None if row is None else row[0]


async def _until_home_chat(database: Path, user_id: str, expected: str | None) -> None:
    for _ in range(200):
        if _home_chat(database, user_id) == expected:
            return
        await asyncio.sleep(0.1)
    assert _home_chat(database, user_id) == expected


async def test_a_room_is_a_private_chat_only_while_the_bot_and_the_person_are_alone(
    synapse: SynapseServer, running_bot: BotProcess
) -> None:
    """Two members on a real Synapse: the person's private chat; a third member invited (and
    then joined): not any more, so nothing personal is sent there (issue 11, item 2)."""
    person = synapse.register_user("human")
    friend = synapse.register_user("friend")
    async with Human(synapse, person, None) as human:
        chat = await human.open_chat(running_bot.account.user_id, encrypted=False)
        await _until_home_chat(running_bot.database, person.user_id, f"matrix:{chat.room_id}")
        invited = await human.client.room_invite(chat.room_id, friend.user_id)
        assert not hasattr(invited, "status_code"), invited
        await _until_home_chat(running_bot.database, person.user_id, None)
        async with Human(synapse, friend, None) as other:
            await other.client.join(chat.room_id)
            await chat.send("!omattiedot")  # the bot is not addressed in a shared room
            await chat.send(f"{running_bot.account.localpart}: !omattiedot")
            [refused] = await chat.replies()
            assert refused.file is None and "kahdenkeskisessä" in refused.text
        assert _home_chat(running_bot.database, person.user_id) is None


async def test_rate_limited_bot_waits_and_delivers_everything_in_order(
    synapse: SynapseServer, tmp_path: Path
) -> None:
    """The homeserver limits the bot to one message a second (burst 1): its answers get
    M_LIMIT_EXCEEDED, wait retry_after_ms and all arrive, in order, none twice."""
    admin = synapse.register_user("admin", admin=True)
    account = synapse.register_user("hankebot")
    synapse.request(
        "POST",
        f"/_synapse/admin/v1/users/{quote(account.user_id)}/override_ratelimit",
        {"messages_per_second": 1, "burst_count": 1},
        access_token=admin.access_token,
    )
    bot = BotProcess(synapse, account, tmp_path / "bot")
    bot.start()
    try:
        person = synapse.register_user("human")
        async with Human(synapse, person, None) as human:
            chat = await human.open_chat(account.user_id, encrypted=False)
            for command in ("!apua", "!tietosuoja"):
                await chat.send(command)
            help_text, privacy = await chat.replies(2)
            assert "!peru" in help_text.text
            assert privacy.text.startswith(first_line("privacy.short"))
            await chat.no_more_replies(0.5)
    finally:
        bot.stop()
    assert "flood control: pausing" in bot.log()  # M_LIMIT_EXCEEDED did happen
    with sqlite3.connect(bot.database) as conn:
        rows = conn.execute(
            "SELECT state, attempts FROM outbox WHERE kind = 'message' ORDER BY id"
        ).fetchall()
        [joined] = conn.execute("SELECT state FROM outbox WHERE kind = 'join'").fetchall()
    assert joined == ("sent",)  # the core accepted the invite through the outbox
    assert [state for state, _ in rows] == ["sent"] * 3  # greeting + two answers
    assert max(attempts for _, attempts in rows) > 1


async def test_password_restarts_reuse_the_device_and_a_lost_store_gets_a_new_one(
    synapse: SynapseServer, tmp_path: Path
) -> None:
    account = synapse.register_user("hankebot")
    bot = BotProcess(synapse, account, tmp_path / "bot")  # password login
    person = synapse.register_user("human")
    try:
        async with Human(synapse, person, None) as human:
            bot.start()
            chat = await human.open_chat(account.user_id, encrypted=False)
            first_device = _stored(bot.database, "matrix:device_id")
            assert first_device and first_device != account.device_id  # its own device

            assert bot.stop() == 0
            bot.start()  # the stored device and token are used, no new login
            assert _stored(bot.database, "matrix:device_id") == first_device
            await chat.send("!apua")
            [answer] = await chat.replies()
            assert "!peru" in answer.text

            assert bot.stop() == 0
            shutil.rmtree(bot.database.parent / "bot.sqlite3.matrix-store")
            bot.start()  # keys lost: a new device rather than a broken old one
            assert _stored(bot.database, "matrix:device_id") not in (None, first_device)
            await chat.send("!tietosuoja")
            [privacy] = await chat.replies()
            assert privacy.text.startswith(first_line("privacy.short"))
            await chat.no_more_replies(0.3)
    finally:
        bot.stop()
    assert "crypto store missing" in bot.log()
    assert "Traceback" not in bot.log(), bot.tail(80)


PDF = b"%PDF-1.4 syksyn ohjelma\n" + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x01" + bytes(200)


async def _add_roles(database: Path, project: str, coordinator: str, participant: str) -> None:
    """Make the roles straight in the running bot's database (WAL: a second writer waits)."""
    db = await Database.open(database)
    try:
        async with db.transaction() as conn:
            now = dt.datetime.now(dt.UTC)
            await memberships.add(conn, f"matrix:{coordinator}", project, "coordinator", now)
            await memberships.add(conn, f"matrix:{participant}", project, "participant", now)
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("encrypted", "project", "name", "data", "mime_type", "caption"),
    [
        (False, "osmari", "ohjelma.pdf", PDF, "application/pdf", None),
        (True, "toimi", "retki.png", PNG, "image/png", "Kuvia <retkeltä>"),
    ],
    ids=["file-in-plain-room", "captioned-picture-in-encrypted-dm"],
)
async def test_coordinator_announces_with_a_file_sent_on_matrix(
    synapse: SynapseServer,
    running_bot: BotProcess,
    tmp_path: Path,
    encrypted: bool,
    project: str,
    name: str,
    data: bytes,
    mime_type: str,
    caption: str | None,
) -> None:
    """/tiedote on Matrix with an attachment: the bot downloads (and in an encrypted chat
    decrypts) the coordinator's file, and the participant gets the same bytes."""
    bot_id = running_bot.account.user_id
    lead, member = synapse.register_user("human"), synapse.register_user("human")
    async with (
        Human(synapse, lead, tmp_path / "lead-store" if encrypted else None) as coordinator,
        Human(synapse, member, tmp_path / "member-store" if encrypted else None) as participant,
    ):
        chat = await coordinator.open_chat(bot_id, encrypted=encrypted)
        inbox = await participant.open_chat(bot_id, encrypted=encrypted)
        await _add_roles(running_bot.database, project, lead.user_id, member.user_id)
        await chat.send("!tiedote")
        [audience] = await chat.replies()
        whole = find_label(audience.labels, "broadcast.audience_project_button")
        assert whole.endswith("(1)"), audience.labels
        await chat.press(whole)
        [prompt] = await chat.replies()
        assert _said("broadcast.file_hint") in prompt.text
        await chat.send_file(name, data, mime_type, caption=caption)
        if caption is None:
            [saved] = await chat.replies()
            assert saved.text == _said("broadcast.file_received", name=name)
            text = "Syksyn ohjelma on liitteenä."
            await chat.send(text)
        else:
            text = caption  # the caption is the announcement's text: straight to the preview
        preview, summary = await chat.replies(2)
        assert preview.file == (name, data)
        assert text in preview.text and "1 henkilölle" in summary.text
        await chat.press(label("broadcast.send_now_button"))
        [got] = await inbox.replies()
        assert got.file == (name, data)
        assert text in got.text
        async with asyncio.timeout(30):
            report_start = report_heading(1).split("#")[0] + "#"  # "Tiedote #", any number
            while not (await chat.replies())[0].text.startswith(report_start):
                pass  # the progress message and its edits come first
        await inbox.no_more_replies(0.3)
    log = running_bot.log()
    assert name not in log and "retkeltä" not in log  # no file names or texts in the log


def _said(key: str, **params: Param) -> str:
    return html_to_plain(Renderer(ZoneInfo("Europe/Helsinki")).text("fi", key, params))


def _option_number(database: Path, room_id: str, payload: str) -> str:
    """The number to type for the option that stands for ``payload`` in the latest keyboard."""
    with sqlite3.connect(database) as conn:
        [(tokens,)] = conn.execute(
            "SELECT tokens FROM chat_keyboards WHERE chat_id = ?", (f"matrix:{room_id}",)
        ).fetchall()
        for index, token in enumerate(json.loads(tokens), start=1):
            found = conn.execute("SELECT payload FROM buttons WHERE token = ?", (token,)).fetchone()
            if found and found[0] == payload:
                return str(index)
    raise AssertionError(f"no option {payload!r} in {room_id}")


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain-room", "encrypted-dm"])
async def test_files_are_fetched_only_when_wanted_and_never_past_the_limit(
    synapse: SynapseServer, running_bot: BotProcess, tmp_path: Path, encrypted: bool
) -> None:
    """Against Synapse's media repository: a file in the menu gets the "no file here"
    answer; in the announcement step a file whose event declares 100 bytes but that is
    larger than the limit is refused as too large; a small one is taken."""
    bot_id = running_bot.account.user_id
    lead, member = synapse.register_user("human"), synapse.register_user("human")
    async with (
        Human(synapse, lead, tmp_path / "lead-store" if encrypted else None) as human,
        Human(synapse, member, None) as participant,
    ):
        chat = await human.open_chat(bot_id, encrypted=encrypted)
        await participant.open_chat(bot_id, encrypted=False)
        await _add_roles(running_bot.database, "osmari", lead.user_id, member.user_id)
        await chat.send_file("cv.pdf", PDF, "application/pdf")
        [not_here] = await chat.replies()
        assert not_here.text == _said("error.no_file_here")
        await chat.send("!tiedote")
        await chat.replies()
        await chat.send(_option_number(running_bot.database, chat.room_id, "bca:project"))
        await chat.replies()  # the announcement text: a file may come with it
        big = bytes(FILE_LIMIT + 512 * 1024)
        await chat.send_file("iso.pdf", big, "application/pdf", declared_size=100)
        [refused] = await chat.replies(timeout=60)
        assert refused.text == _said("error.file_too_large", limit=FILE_LIMIT // (1024 * 1024))
        await chat.send_file("ohjelma.pdf", PDF, "application/pdf")
        [saved] = await chat.replies()
        assert saved.text == _said("broadcast.file_received", name="ohjelma.pdf")
