"""The Synapse fixture works with matrix-nio the way the Matrix transport will use it.

A "human" nio client talks to a bare echo bot (a nio sync loop with callbacks) on the
session's Synapse: plain room, encrypted direct chat, files in both, an undecryptable event,
a restart that resumes from a saved sync token, and M_LIMIT_EXCEEDED on a server with a tight
message limit. Timings are printed (run with ``-s``), never asserted.
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import vodozemac
from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    InviteMemberEvent,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    MemoryDownloadResponse,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageNotice,
    RoomMessageText,
    RoomPreset,
    RoomSendError,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)
from nio.crypto.attachments import decrypt_attachment

from .synapse_server import (
    TIGHT_MESSAGE_LIMIT,
    MatrixUser,
    SynapseError,
    SynapseServer,
    UserPair,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(90)]

WAIT = 15.0  # seconds to wait for one event; a round trip takes well under a second
MEGOLM = "m.megolm.v1.aes-sha2"
HTML = "org.matrix.custom.html"
FILE_BYTES = b"hankebot test file \x00\x01\x02 \xe4\xf6 " * 50
UNREADABLE_NOTICE = "I could not decrypt your message."


def make_client(
    server: SynapseServer,
    user: MatrixUser,
    store_dir: Path | None = None,
    *,
    max_limit_exceeded: int | None = None,
) -> AsyncClient:
    """A nio client logged in with the access token registration gave (no password login).

    With ``store_dir`` the client has end-to-end encryption and keeps its olm account,
    device keys and megolm sessions in a SQLite store there.
    """
    encrypted = store_dir is not None
    config = AsyncClientConfig(
        encryption_enabled=encrypted,
        store_sync_tokens=encrypted,
        max_limit_exceeded=max_limit_exceeded,
        max_timeouts=3,
        request_timeout=20,
    )
    if store_dir is not None:
        store_dir.mkdir(parents=True, exist_ok=True)
    client = AsyncClient(
        server.url,
        user.user_id,
        device_id=user.device_id,
        store_path=str(store_dir) if store_dir is not None else "",
        config=config,
    )
    # Sets user id, device id and token, and (with encryption) loads or creates the store.
    client.restore_login(user.user_id, user.device_id, user.access_token)
    return client


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel a sync loop and wait for it; a loop that had failed re-raises here."""
    if task is None:
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


class Inbox:
    """Collects room events of the given types that one client receives, for waiting on."""

    def __init__(self, client: AsyncClient, types: tuple[type[Event], ...]) -> None:
        self.client = client
        self.events: list[tuple[MatrixRoom, Event, float]] = []
        self._new = asyncio.Event()
        self.sync_task: asyncio.Task[None] | None = None
        self._watched: list[asyncio.Task[None]] = []
        client.add_event_callback(self._on_event, types)

    def watch(self, task: asyncio.Task[None] | None) -> None:
        """Make ``wait_for`` fail at once if this task (e.g. the bot's sync loop) ends."""
        assert task is not None
        self._watched.append(task)
        task.add_done_callback(lambda _task: self._new.set())

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        self.events.append((room, event, time.monotonic()))
        self._new.set()

    def start_sync(self, **kwargs: Any) -> None:
        """Run ``sync_forever`` in the background (long polls of 10 s)."""
        self.sync_task = asyncio.create_task(self.client.sync_forever(timeout=10_000, **kwargs))
        self.watch(self.sync_task)

    async def stop(self) -> None:
        await cancel(self.sync_task)
        self.sync_task = None

    async def wait_for(
        self, predicate: Callable[[MatrixRoom, Event], bool], within: float = WAIT
    ) -> tuple[MatrixRoom, Event, float]:
        """The first collected event matching ``predicate``; fails fast if the sync loop died."""
        async with asyncio.timeout(within):
            while True:
                self._new.clear()
                for item in self.events:
                    if predicate(item[0], item[1]):
                        return item
                for task in self._watched:
                    if task.done() and not task.cancelled():
                        task.result()  # raises the loop's exception, if any
                        raise AssertionError(f"sync loop {task.get_name()} stopped")
                await self._new.wait()


class EchoBot:
    """A bare bot: joins rooms it is invited to, answers text with an HTML ``m.notice``.

    ``!file`` is answered with ``FILE_BYTES`` as an ``m.file`` (encrypted in encrypted rooms),
    an undecryptable message with a key request and a notice. Events of the first sync
    (history from before the bot started) are never answered.
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.answered: list[str] = []
        self.undecryptable: list[MegolmEvent] = []
        self.invites: list[tuple[str, bool]] = []  # (room id, is_direct)
        self.task: asyncio.Task[None] | None = None

    async def start(self, since: str | None = None) -> SyncResponse:
        """First sync without callbacks (skips old events), then the sync loop with them.

        ``full_state=True`` fills ``client.rooms`` (members, encryption) even when resuming
        from a saved token; the timeline still only holds events after ``since``.
        """
        first = await self.client.sync(timeout=0, since=since, full_state=True)
        assert isinstance(first, SyncResponse), first
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)
        self.client.add_event_callback(self._on_text, RoomMessageText)
        self.client.add_event_callback(self._on_undecryptable, MegolmEvent)
        self.task = asyncio.create_task(self.client.sync_forever(timeout=10_000))
        return first

    async def stop(self) -> None:
        await cancel(self.task)
        self.task = None

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.client.user_id and event.membership == "invite":
            self.invites.append((room.room_id, bool(event.content.get("is_direct"))))
            await self.client.join(room.room_id)

    async def _send(self, room_id: str, content: dict[str, Any]) -> None:
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response

    async def _on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == self.client.user_id:
            return
        self.answered.append(event.body)
        if event.body == "!file":
            await self._send_file(room)
            return
        await self._send(
            room.room_id,
            {
                "msgtype": "m.notice",
                "body": f"echo: {event.body}",
                "format": HTML,
                "formatted_body": f"<b>echo:</b> {html.escape(event.body)}",
            },
        )

    async def _send_file(self, room: MatrixRoom) -> None:
        encrypt = room.encrypted
        upload, keys = await self.client.upload(
            io.BytesIO(FILE_BYTES),
            content_type="application/octet-stream",
            filename="schedule.bin",
            encrypt=encrypt,
            filesize=len(FILE_BYTES),
        )
        assert isinstance(upload, UploadResponse), upload
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": "schedule.bin",
            "filename": "schedule.bin",
            "info": {"size": len(FILE_BYTES), "mimetype": "application/octet-stream"},
        }
        if encrypt:
            assert keys is not None
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        await self._send(room.room_id, content)

    async def _on_undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        self.undecryptable.append(event)
        with suppress(LocalProtocolError):  # already requested for this session
            await self.client.request_room_key(event)
        await self._send(
            room.room_id,
            {"msgtype": "m.notice", "body": UNREADABLE_NOTICE},
        )


@asynccontextmanager
async def running(*clients: AsyncClient) -> AsyncIterator[AsyncExitStack]:
    """Always stop what was started (push ``inbox.stop``/``bot.stop`` on the stack) and then
    close the clients' HTTP sessions, even when the test fails."""
    async with AsyncExitStack() as stack:
        for client in clients:
            stack.push_async_callback(client.close)
        yield stack


def is_notice(text: str) -> Callable[[MatrixRoom, Event], bool]:
    return lambda _room, event: isinstance(event, RoomMessageNotice) and event.body == text


async def wait_until_joined(inbox: Inbox, room_id: str, user_id: str) -> None:
    await inbox.wait_for(
        lambda room, event: (
            room.room_id == room_id
            and isinstance(event, RoomMemberEvent)
            and event.state_key == user_id
            and event.membership == "join"
        )
    )


@pytest.fixture(scope="module")
def tight_synapse() -> Iterator[SynapseServer]:
    """A second Synapse whose message limit is 2 at once, then one per 10 s."""
    server = SynapseServer(rate_limits=TIGHT_MESSAGE_LIMIT)
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def test_plain_room_echo_file_and_restart(
    synapse: SynapseServer, matrix_users: UserPair
) -> None:
    print(f"\n[timing] Synapse started in {synapse.startup_seconds:.2f} s")
    human = make_client(synapse, matrix_users.human)
    bot_client = make_client(synapse, matrix_users.bot)
    bot = EchoBot(bot_client)
    async with running(human, bot_client) as stack:
        inbox = Inbox(human, (RoomMemberEvent, RoomMessageNotice, RoomMessageFile))
        stack.push_async_callback(inbox.stop)
        stack.push_async_callback(bot.stop)
        await bot.start()
        inbox.watch(bot.task)
        inbox.start_sync()

        created = await human.room_create(name="plain", invite=[bot_client.user_id])
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        await wait_until_joined(inbox, room_id, bot_client.user_id)  # joined by the callback

        sent_at = time.monotonic()
        await human.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "Hei <botti> & co"}
        )
        _, notice, received_at = await inbox.wait_for(is_notice("echo: Hei <botti> & co"))
        print(f"[timing] plain echo round trip {1000 * (received_at - sent_at):.0f} ms")
        assert isinstance(notice, RoomMessageNotice)
        assert notice.sender == bot_client.user_id
        assert notice.format == HTML
        assert notice.formatted_body == "<b>echo:</b> Hei &lt;botti&gt; &amp; co"
        assert notice.source["content"]["msgtype"] == "m.notice"

        assert bot.invites == [(room_id, False)]

        # The same transaction id twice (an outbox retry) gives one event, answered once.
        dup = {"msgtype": "m.text", "body": "dup"}
        first_try = await human.room_send(room_id, "m.room.message", dup, tx_id="outbox-1")
        retry = await human.room_send(room_id, "m.room.message", dup, tx_id="outbox-1")
        assert isinstance(first_try, RoomSendResponse) and isinstance(retry, RoomSendResponse)
        assert retry.event_id == first_try.event_id
        await inbox.wait_for(is_notice("echo: dup"))

        await human.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "!file"})
        _, file_event, _ = await inbox.wait_for(
            lambda _r, e: isinstance(e, RoomMessageFile) and e.sender == bot_client.user_id
        )
        assert isinstance(file_event, RoomMessageFile)
        assert file_event.url.startswith("mxc://")
        assert "file" not in file_event.source["content"]
        download = await human.download(mxc=file_event.url)
        assert isinstance(download, MemoryDownloadResponse), download
        assert download.body == FILE_BYTES

        # Restart: the bot stops, a message arrives meanwhile, a new client resumes from the
        # saved token and answers only that message, nothing from before.
        await bot.stop()
        saved_token = bot_client.next_batch
        assert saved_token
        await human.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "while you were away"}
        )
        restarted_client = make_client(synapse, matrix_users.bot)
        restarted = EchoBot(restarted_client)
        async with running(restarted_client) as inner:
            inner.push_async_callback(restarted.stop)
            # Resuming from the token, the first sync holds exactly what was missed (EchoBot
            # skips it; a real transport would hand it to its handlers once), and nothing of
            # what was already answered.
            first = await restarted.start(since=saved_token)
            inbox.watch(restarted.task)
            missed = [
                e.body
                for e in first.rooms.join[room_id].timeline.events
                if isinstance(e, RoomMessageText) and e.sender != restarted_client.user_id
            ]
            assert missed == ["while you were away"]
            assert room_id in restarted_client.rooms  # full_state rebuilt the room list
            await human.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": "back again"}
            )
            await inbox.wait_for(is_notice("echo: back again"))
            await restarted.stop()
        assert restarted.answered == ["back again"]
        assert bot.answered == ["Hei <botti> & co", "dup", "!file"]

        # Without a token the first sync returns recent history: answering it would repeat
        # old answers, which is why `EchoBot.start` registers its callbacks only afterwards.
        fresh_client = make_client(synapse, matrix_users.bot)
        async with running(fresh_client):
            fresh = await fresh_client.sync(
                timeout=0, full_state=True, sync_filter={"room": {"timeline": {"limit": 50}}}
            )
            assert isinstance(fresh, SyncResponse), fresh
            history = [
                e.body for e in fresh.rooms.join[room_id].timeline.events if hasattr(e, "body")
            ]
            assert "Hei <botti> & co" in history


async def test_encrypted_direct_chat(
    synapse: SynapseServer, matrix_users: UserPair, tmp_path: Path
) -> None:
    human = make_client(synapse, matrix_users.human, tmp_path / "human-store")
    bot_client = make_client(synapse, matrix_users.bot, tmp_path / "bot-store")
    bot = EchoBot(bot_client)
    async with running(human, bot_client) as stack:
        assert human.olm is not None and bot_client.olm is not None
        # Device keys and one-time keys must be on the server before anyone shares a session.
        await human.keys_upload()
        inbox = Inbox(human, (RoomMemberEvent, RoomMessageNotice, RoomEncryptedFile, MegolmEvent))
        stack.push_async_callback(inbox.stop)
        stack.push_async_callback(bot.stop)
        await bot.start()
        inbox.watch(bot.task)
        inbox.start_sync()

        created = await human.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[bot_client.user_id],
            initial_state=[
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
            ],
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        await wait_until_joined(inbox, room_id, bot_client.user_id)
        assert human.rooms[room_id].encrypted
        assert bot.invites == [(room_id, True)]  # the invite says it is a direct chat

        sent_at = time.monotonic()
        sent = await human.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "salainen viesti"},
            ignore_unverified_devices=True,  # share the megolm key without verification
        )
        assert isinstance(sent, RoomSendResponse), sent
        _, notice, received_at = await inbox.wait_for(is_notice("echo: salainen viesti"))
        print(f"[timing] encrypted echo round trip {1000 * (received_at - sent_at):.0f} ms")
        assert isinstance(notice, RoomMessageNotice)  # decrypted, not a MegolmEvent
        assert notice.decrypted
        assert notice.formatted_body == "<b>echo:</b> salainen viesti"
        assert not any(isinstance(e, MegolmEvent) for _, e, _ in inbox.events)
        assert bot.answered == ["salainen viesti"]
        # On the wire both directions were encrypted: the server only stored ciphertext.
        raw = synapse.request(
            "GET",
            f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/event/"
            f"{urllib.parse.quote(notice.event_id)}",
            access_token=matrix_users.human.access_token,
        )
        assert raw["type"] == "m.room.encrypted"
        assert "salainen" not in json.dumps(raw)

        await human.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "!file"},
            ignore_unverified_devices=True,
        )
        _, file_event, _ = await inbox.wait_for(
            lambda _r, e: isinstance(e, RoomEncryptedFile) and e.sender == bot_client.user_id
        )
        assert isinstance(file_event, RoomEncryptedFile)
        download = await human.download(mxc=file_event.url)
        assert isinstance(download, MemoryDownloadResponse), download
        assert download.body != FILE_BYTES  # the media repository only holds ciphertext
        plain = decrypt_attachment(
            download.body, file_event.key["k"], file_event.hashes["sha256"], file_event.iv
        )
        assert plain == FILE_BYTES

        # A message encrypted with a megolm session the bot never received (as when the
        # sender's client did not share keys with the bot's device): the bot gets a
        # MegolmEvent, asks for the key and tells the person it could not read it.
        outbound = vodozemac.GroupSession()
        ciphertext = outbound.encrypt(
            json.dumps(
                {
                    "type": "m.room.message",
                    "content": {"msgtype": "m.text", "body": "lost key"},
                    "room_id": room_id,
                }
            ).encode()
        )
        synapse.request(
            "PUT",
            f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/send/m.room.encrypted/"
            f"lost-{time.monotonic_ns()}",
            {
                "algorithm": MEGOLM,
                "ciphertext": ciphertext.to_base64(),
                "session_id": outbound.session_id,
                "sender_key": human.olm.account.identity_keys["curve25519"],
                "device_id": human.device_id,
            },
            access_token=matrix_users.human.access_token,
        )
        await inbox.wait_for(is_notice(UNREADABLE_NOTICE))
        assert [e.session_id for e in bot.undecryptable] == [outbound.session_id]
        assert bot.answered == ["salainen viesti", "!file"]

        # Restart with the same store: same device keys, the megolm sessions are still there.
        await bot.stop()
        identity = bot_client.olm.account.identity_keys
        restarted_client = make_client(synapse, matrix_users.bot, tmp_path / "bot-store")
        restarted = EchoBot(restarted_client)
        stack.push_async_callback(restarted_client.close)
        stack.push_async_callback(restarted.stop)
        assert restarted_client.olm is not None
        assert restarted_client.olm.account.identity_keys == identity
        assert restarted_client.loaded_sync_token == bot_client.next_batch  # store_sync_tokens
        await restarted.start()
        inbox.watch(restarted.task)
        await human.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "taas"},
            ignore_unverified_devices=True,
        )
        await inbox.wait_for(is_notice("echo: taas"))
        assert restarted.answered == ["taas"]


async def test_tight_rate_limit_gives_m_limit_exceeded(tight_synapse: SynapseServer) -> None:
    print(f"\n[timing] rate-limited Synapse started in {tight_synapse.startup_seconds:.2f} s")
    user = tight_synapse.register_user("sender")
    # max_limit_exceeded=0: nio returns the 429 instead of sleeping and retrying by itself.
    client = make_client(tight_synapse, user, max_limit_exceeded=0)
    async with running(client):
        created = await client.room_create(name="limits")
        assert isinstance(created, RoomCreateResponse), created
        responses = [
            await client.room_send(
                created.room_id, "m.room.message", {"msgtype": "m.text", "body": f"msg {n}"}
            )
            for n in range(4)
        ]
    limited = [r for r in responses if isinstance(r, RoomSendError)]
    assert isinstance(responses[0], RoomSendResponse)
    assert limited, responses
    assert limited[0].status_code == "M_LIMIT_EXCEEDED"
    assert limited[0].retry_after_ms is not None and limited[0].retry_after_ms > 0
    print(
        f"[info] M_LIMIT_EXCEEDED after {responses.index(limited[0])} messages, "
        f"retry_after_ms={limited[0].retry_after_ms}"
    )


def test_register_login_and_admin(synapse: SynapseServer) -> None:
    admin = synapse.register_user("admin", admin=True)
    plain = synapse.register_user("plain")
    assert admin.user_id == synapse.user_id(admin.localpart)
    assert admin.device_id and admin.access_token != plain.access_token

    who = synapse.request(
        "GET", "/_matrix/client/v3/account/whoami", access_token=plain.access_token
    )
    assert who["user_id"] == plain.user_id
    assert who["device_id"] == plain.device_id

    # Only the admin may use the admin API.
    info = synapse.request(
        "GET",
        f"/_synapse/admin/v2/users/{urllib.parse.quote(plain.user_id)}",
        access_token=admin.access_token,
    )
    assert info["admin"] is False
    with pytest.raises(SynapseError, match="403"):
        synapse.request(
            "GET",
            f"/_synapse/admin/v2/users/{urllib.parse.quote(admin.user_id)}",
            access_token=plain.access_token,
        )

    again = synapse.login(plain.localpart, plain.password)
    assert again.user_id == plain.user_id
    assert again.device_id != plain.device_id  # a password login is a new device
    same_device = synapse.login(plain.localpart, plain.password, device_id=plain.device_id)
    assert same_device.device_id == plain.device_id
    with pytest.raises(SynapseError, match="M_FORBIDDEN"):
        synapse.login(plain.localpart, "wrong password")
    # Open registration stays off: only the shared-secret admin API creates users.
    with pytest.raises(SynapseError, match="403"):
        synapse.request(
            "POST",
            "/_matrix/client/v3/register",
            {"username": "intruder", "password": "x" * 12, "auth": {"type": "m.login.dummy"}},
        )


def test_failed_start_reports_log_and_leaves_no_process(tmp_path: Path) -> None:
    server = SynapseServer(tmp_path, extra_config={"database": {"name": "no-such-engine"}})
    with pytest.raises(SynapseError, match="exited with code") as failure:
        server.start()
    assert "no-such-engine" in str(failure.value)  # the log tail names the cause
    assert server.pid is None and not server.running
    server.stop()  # stopping twice is harmless
