"""The Matrix transport's decisions without a homeserver: invites, rendering, error mapping,
an M_LIMIT_EXCEEDED answer retried by the real delivery worker, and files people send
(event -> ``Incoming``: name, caption, download, decryption, refusals)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinError,
    JoinResponse,
    MegolmEvent,
    RoomEncryptedImage,
    RoomMemberEvent,
    RoomMessage,
    RoomSendError,
    RoomSendResponse,
)
from nio.crypto.attachments import encrypt_attachment

from bot.admission import Admission, server_allowed
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.i18n import Renderer
from bot.markup import html_to_plain
from bot.platform_events import PlatformEvents
from bot.transports.base import Status
from bot.transports.matrix import (
    MatrixTransport,
    addressed_text,
    bang_commands,
    error_delivery,
    matrix_html,
    media_of,
    png_size,
    render_message,
    safe_filename,
    same_account,
    strip_reply_fallback,
)
from bot.transports.matrix.state import _Undecrypted
from handlers.core.context import Services
from handlers.core.types import FILE_LIMIT, Document, Incoming
from handlers.registry import build_registry
from storage import outbox, updates, users
from storage.db import Database

BOT = "@hankebot:example.org"
ROOM = "!room:example.org"


def test_invites_only_from_allowed_servers() -> None:
    allowed = frozenset({"example.org", "Kunta.FI"})
    assert server_allowed("@anna:example.org", allowed)
    assert server_allowed("@ben:kunta.fi", allowed)  # case does not matter
    assert server_allowed("@ben:kunta.fi:8448", allowed)  # nor the port
    assert not server_allowed("@eve:matrix.org", allowed)
    assert not server_allowed("@eve:example.org.evil.com", allowed)
    assert not server_allowed("@eve:evil.com", frozenset({"evil.com:8448"}))
    assert not server_allowed("nonsense", allowed)
    assert server_allowed("@anyone:matrix.org", frozenset())  # not configured: everyone


def test_stored_identity_must_be_the_configured_account() -> None:
    assert same_account("@hankebot:example.org", "@HankeBot:example.org")
    assert same_account("@hankebot:example.org", "hankebot")
    assert not same_account("@hankebot:example.org", "@other:example.org")
    assert not same_account("@hankebot:example.org", "other")


def test_numbered_options_in_both_bodies() -> None:
    body, formatted = render_message(
        "Hei <b>Anna &amp; Ben</b>!\nValitse:", ["Kyllä", "<Ei> & ehkä"], "<i>Vastaa numerolla.</i>"
    )
    assert body == "Hei Anna & Ben!\nValitse:\n\n1. Kyllä\n2. <Ei> & ehkä\nVastaa numerolla."
    assert formatted == (
        "Hei <b>Anna &amp; Ben</b>!<br>Valitse:<br><br>1. Kyllä<br>2. &lt;Ei&gt; &amp; ehkä"
        "<br><i>Vastaa numerolla.</i>"
    )
    assert "\n" not in formatted
    # The plain text a client shows from the HTML is the body.
    assert html_to_plain(formatted.replace("<br>", "\n")) == body
    assert render_message("Vain tekstiä.", []) == ("Vain tekstiä.", "Vain tekstiä.")


def test_preformatted_text_keeps_its_newlines() -> None:
    assert matrix_html("a\n<pre>x\ny</pre>\nb") == "a<br><pre>x\ny</pre><br>b"


def test_reply_fallback_is_dropped() -> None:
    quoted = "> <@hankebot:example.org> Mitä haluat tehdä?\n> 1. Ohjeet\n\n2"
    assert strip_reply_fallback(quoted) == "2"
    assert strip_reply_fallback("ei lainausta\n> tämä jää") == "ei lainausta\n> tämä jää"


def test_group_rooms_answer_only_when_addressed() -> None:
    names = ["hankebot", "Hankebotti"]
    assert addressed_text("!apua", {}, BOT, names) == "!apua"
    assert addressed_text(" 2 ", {}, BOT, names) == "2"
    assert addressed_text("Hankebotti: mitä kuuluu", {}, BOT, names) == "mitä kuuluu"
    assert addressed_text("hankebot", {}, BOT, names) == "/valikko"  # just the name: the menu
    assert addressed_text("hankebotit ovat kivoja", {}, BOT, names) is None
    assert addressed_text("huomenta kaikille", {}, BOT, names) is None
    mention = {"m.mentions": {"user_ids": [BOT]}}
    assert addressed_text("Katso tätä", mention, BOT, names) == "Katso tätä"


def test_png_dimensions_for_image_info() -> None:
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 640, 480)
    assert png_size(header + b"rest") == (640, 480)
    assert png_size(b"GIF89a" + b"\x00" * 30) is None


def _send_error(errcode: str, retry_after_ms: int | None = None) -> RoomSendError:
    body: dict[str, Any] = {"errcode": errcode, "error": "Sensitive server text"}
    if retry_after_ms is not None:
        body["retry_after_ms"] = retry_after_ms
    error = RoomSendError.from_dict(body, ROOM)
    assert isinstance(error, RoomSendError)
    return error


def test_error_responses_map_to_delivery_outcomes() -> None:
    limited = error_delivery(_send_error("M_LIMIT_EXCEEDED", 2500))
    assert limited.status is Status.RETRY and limited.retry_after == 2.5
    assert error_delivery(_send_error("M_LIMIT_EXCEEDED")).retry_after == 5.0  # no hint: 5 s
    assert error_delivery(_send_error("M_FORBIDDEN")).status is Status.UNREACHABLE
    assert error_delivery(_send_error("M_TOO_LARGE")).status is Status.FAILED
    assert error_delivery(_send_error("M_UNKNOWN")).status is Status.RETRY
    assert "Sensitive" not in error_delivery(_send_error("M_FORBIDDEN")).error


@dataclass
class FakeRoom:
    """The bot and Anna (a direct chat) unless told otherwise; ``member_count`` joined."""

    room_id: str = ROOM
    encrypted: bool = False
    users: dict[str, Any] = field(default_factory=lambda: {BOT: object(), ANNA: object()})
    member_count: int = 2
    invited_count: int = 0

    @property
    def joined_count(self) -> int:
        return self.member_count


class FakeClient:
    """Stands in for nio's AsyncClient: scripted ``room_send`` answers, recorded calls."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.rooms = {ROOM: FakeRoom()}
        self.sends: list[tuple[float, str, dict[str, Any]]] = []
        self.joined: list[str] = []
        self.left: list[str] = []
        self.media: dict[str, Any] = {}  # mxc URI -> download answer
        self.downloads: list[str] = []

    async def room_send(
        self,
        room_id: str,
        message_type: str,
        content: dict[str, Any],
        tx_id: str | None = None,
        ignore_unverified_devices: bool = False,
    ) -> Any:
        assert room_id == ROOM and message_type == "m.room.message"
        assert ignore_unverified_devices
        self.sends.append((time.monotonic(), str(tx_id), content))
        return self.answers.pop(0)

    join_answers: list[Any]

    async def join(self, room_id: str) -> Any:
        answers = getattr(self, "join_answers", [])
        if answers:
            return answers.pop(0)
        self.joined.append(room_id)
        return JoinResponse(room_id)

    async def room_leave(self, room_id: str) -> None:
        self.left.append(room_id)

    access_token = "syt_fake"

    async def send(
        self,
        method: str,
        path: str,
        data: Any = None,
        headers: dict[str, str] | None = None,
        trace_context: Any = None,
        timeout: float | None = None,
    ) -> FakeResponse:
        """nio's raw request: here only media downloads, answered from ``media``."""
        assert method == "GET" and headers == {"Authorization": f"Bearer {self.access_token}"}
        server, media_id = path.split("?", 1)[0].split("/")[-2:]
        mxc = f"mxc://{server}/{media_id}"
        self.downloads.append(mxc)
        answer: FakeResponse = self.media[mxc]
        return answer


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def iter_chunked(self, size: int) -> Any:
        for start in range(0, len(self.data), size):
            yield self.data[start : start + size]


@dataclass
class FakeResponse:
    """An aiohttp response as nio's ``send`` gives it (status, headers, a body stream)."""

    body: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    closed: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type}

    @property
    def content_length(self) -> int | None:
        return None  # streamed: only the bytes tell

    @property
    def content(self) -> _Body:
        return _Body(self.body)

    def close(self) -> None:
        self.closed = True


def _transport(db: Database, tmp_path: Path) -> MatrixTransport:
    settings = Settings(
        _env_file=None,
        database=tmp_path / "bot.sqlite3",
        matrix_homeserver="http://127.0.0.1:9",
        matrix_user=BOT,
        matrix_password="x",
    )
    transport = MatrixTransport(settings, db, wants_file=wanted)
    transport.user_id = BOT
    return transport


async def wanted(user_id: str, chat_id: str) -> bool:
    """The core's port as a step that takes files answers it."""
    return True


async def test_rate_limited_message_is_retried_after_retry_after_and_delivered(
    db: Database, tmp_path: Path
) -> None:
    transport = _transport(db, tmp_path)
    transport.client = FakeClient(
        [_send_error("M_LIMIT_EXCEEDED", 400), RoomSendResponse("$sent", ROOM)]
    )
    transport._ready.set()
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as conn:
        row = await outbox.enqueue(
            conn, chat_id=f"matrix:{ROOM}", user_id=None, html="Hei <b>sinä</b>", now=now
        )
    assert row is not None
    worker = DeliveryWorker(db, transport, clock=lambda: dt.datetime.now(dt.UTC))
    worker.start()
    try:
        async with asyncio.timeout(10):
            while True:  # drain() alone returns while the row waits for its retry time
                await worker.drain(timeout=10)
                async with db.transaction() as conn:
                    if await outbox.state_of(conn, row) != "pending":
                        break
                await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    (first_at, first_tx, content), (second_at, second_tx, again) = transport.client.sends
    assert second_at - first_at >= 0.4  # waited retry_after_ms before trying again
    assert first_tx == second_tx == f"{transport.txn_prefix}-{row}"  # idempotent resend
    assert (
        again
        == content
        == {
            "msgtype": "m.notice",
            "body": "Hei sinä",
            "format": "org.matrix.custom.html",
            "formatted_body": "Hei <b>sinä</b>",
        }
    )
    async with db.transaction() as conn:
        assert await outbox.state_of(conn, row) == "sent"
        item = await outbox.get(conn, row)
    assert item is not None and item.attempts == 2


@pytest.mark.parametrize(
    ("inviter", "joins"),
    [("@anna:kunta.fi", True), ("@eve:elsewhere.org", False)],
)
async def test_invite_is_reported_and_the_core_joins_or_declines_through_the_outbox(
    db: Database, tmp_path: Path, inviter: str, joins: bool
) -> None:
    """The transport only reports the invite; the core (its allowed servers) decides, and
    the join or the refusal is an outbox row that the transport carries out."""
    transport = _transport(db, tmp_path)
    _core(db, transport, allowed="kunta.fi")
    client = FakeClient([])
    transport.client = client
    transport._ready.set()
    invite = InviteMemberEvent(
        {"type": "m.room.member"}, inviter, BOT, "invite", None, {"membership": "invite"}
    )
    await transport._on_invite(ROOM, [invite])
    assert client.joined == [] and client.left == []  # the transport decided nothing
    async with db.transaction() as conn:
        [row] = await outbox.due(conn, "matrix", dt.datetime.now(dt.UTC) + dt.timedelta(1))
    assert row.chat_id == f"matrix:{ROOM}"
    assert row.kind == (outbox.JOIN if joins else outbox.LEAVE)
    await transport._on_invite(ROOM, [invite])  # reported again (a restart): one row
    async with db.transaction() as conn:
        assert len(await outbox.due(conn, "matrix", dt.datetime.now(dt.UTC) + dt.timedelta(1))) == 1
    assert (await transport.deliver(row)).status is Status.SENT
    assert client.joined == ([ROOM] if joins else [])
    assert client.left == ([] if joins else [ROOM])  # a refused invite is rejected


async def test_a_failed_join_is_retried_by_the_outbox(db: Database, tmp_path: Path) -> None:
    transport = _transport(db, tmp_path)
    client = FakeClient([])
    client.join_answers = [JoinError("busy", "M_UNKNOWN")]
    transport.client = client
    transport._ready.set()
    async with db.transaction() as conn:
        row = await outbox.enqueue(
            conn,
            chat_id=f"matrix:{ROOM}",
            user_id=None,
            html="",
            now=dt.datetime.now(dt.UTC),
            kind=outbox.JOIN,
        )
        item = await outbox.get(conn, row or 0)
    assert item is not None
    assert (await transport.deliver(item)).status is Status.RETRY
    assert (await transport.deliver(item)).status is Status.SENT


async def test_people_from_other_servers_are_reported_and_the_core_ignores_them(
    db: Database, tmp_path: Path
) -> None:
    """The transport passes every message on; the core's allowed servers drop Eve's (only
    its update id is kept) and answer Anna's."""
    transport = _transport(db, tmp_path)
    dispatcher = _core(db, transport, allowed="kunta.fi").dispatcher
    got: list[Incoming] = []

    async def inbox(incoming: Incoming) -> None:
        got.append(incoming)
        await dispatcher.handle(incoming)

    transport._inbox = inbox
    now_ms = int(time.time() * 1000)
    for sender in ("@eve:elsewhere.org", "@anna:kunta.fi"):
        room = FakeRoom(users={BOT: object(), sender: object()})
        event = RoomMessage.parse_event(
            {
                "type": "m.room.message",
                "event_id": f"$from-{sender}",
                "sender": sender,
                "origin_server_ts": now_ms,
                "content": {"msgtype": "m.text", "body": "/start"},
            }
        )
        await transport._on_event(room, event, ())
    assert [incoming.user_id for incoming in got] == [
        "matrix:@eve:elsewhere.org",
        "matrix:@anna:kunta.fi",
    ]
    async with db.transaction() as conn:
        assert await updates.seen(conn, "matrix:$from-@eve:elsewhere.org")
        assert await users.get(conn, "matrix:@eve:elsewhere.org") is None
        assert await users.get(conn, "matrix:@anna:kunta.fi") is not None
        rows = await outbox.due(conn, "matrix", dt.datetime.now(dt.UTC) + dt.timedelta(1))
    assert rows and all(row.user_id == "matrix:@anna:kunta.fi" for row in rows)
    assert not await dispatcher.wants_file("matrix:@eve:elsewhere.org", f"matrix:{ROOM}")


async def test_the_number_hint_is_finished_text_from_the_core(db: Database, tmp_path: Path) -> None:
    """The delivery worker gives the row the "reply with a number" text in the recipient's
    language; the transport shows what it is given and looks nothing up."""
    transport = _transport(db, tmp_path)
    client = FakeClient([RoomSendResponse("$e", ROOM)])
    transport.client = client
    transport._ready.set()
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as conn:
        await users.touch(
            conn, f"matrix:{ANNA}", f"matrix:{ROOM}", locale="sv", now=now, private_chat=True
        )
        row = await outbox.enqueue(
            conn,
            chat_id=f"matrix:{ROOM}",
            user_id=f"matrix:{ANNA}",
            html="Valitse",
            now=now,
            buttons=[[("Ett", "x:1")]],
            numbered_buttons=True,
        )
        item = await outbox.get(conn, row or 0)
    assert item is not None and item.options_hint == ""  # not stored: given at delivery
    worker = DeliveryWorker(
        db, transport, clock=lambda: dt.datetime.now(dt.UTC), renderer=Renderer(ZoneInfo("UTC"))
    )
    worker.start()
    try:
        await worker.drain(timeout=10)
    finally:
        await worker.stop()
    [(_, _, content)] = client.sends
    hint = Renderer(ZoneInfo("UTC")).text("sv", "matrix.reply_with_number")
    assert content["body"] == f"Valitse\n\n1. Ett\n{html_to_plain(hint)}"
    item = dataclasses.replace(item, options_hint="<i>given</i>")
    client.answers.append(RoomSendResponse("$f", ROOM))
    assert (await transport.deliver(item)).status is Status.SENT
    assert client.sends[-1][2]["body"].endswith("\n1. Ett\ngiven")


async def test_deliver_waits_for_the_first_sync(db: Database, tmp_path: Path) -> None:
    transport = _transport(db, tmp_path)
    transport.client = FakeClient([RoomSendResponse("$e", ROOM)])
    async with db.transaction() as conn:
        row = await outbox.enqueue(
            conn, chat_id=f"matrix:{ROOM}", user_id=None, html="x", now=dt.datetime.now(dt.UTC)
        )
        item = await outbox.get(conn, row or 0)
    assert item is not None
    pending = asyncio.create_task(transport.deliver(item))
    await asyncio.sleep(0.05)
    assert not pending.done() and not transport.client.sends
    transport._ready.set()
    result = await pending
    assert result.status is Status.SENT and result.platform_message_id == "$e"


def _core(db: Database, transport: MatrixTransport, allowed: str = "") -> PlatformEvents:
    """The core behind ``transport``: its events go to the real decisions (``allowed``: the
    allowed homeservers, comma-separated)."""
    renderer = Renderer(ZoneInfo("Europe/Helsinki"))
    services = Services(
        registry=build_registry(),
        timezone=renderer.timezone,
        admins=frozenset(),
        rendering=renderer,
    )
    servers = frozenset(name for name in allowed.split(",") if name)
    admission = Admission({"matrix": servers})
    core = PlatformEvents(Dispatcher(db, services, renderer, admission=admission))
    transport.report = core.handle
    return core


def _member_event(who: str, membership: str) -> Any:
    return RoomMemberEvent.from_dict(
        {
            "type": "m.room.member",
            "event_id": f"$m{time.monotonic_ns()}",
            "sender": who,
            "state_key": who,
            "origin_server_ts": int(time.time() * 1000),
            "content": {"membership": membership},
        }
    )


async def test_bot_leaves_a_chat_the_person_left_and_stops_sending(
    db: Database, tmp_path: Path
) -> None:
    """The transport reports who left; the core decides: only when nobody but the bot is
    left does it stop sending there and ask the transport (an outbox row) to leave."""
    transport = _transport(db, tmp_path)
    _core(db, transport)
    client = FakeClient([])
    transport.client = client
    transport._ready.set()
    now = dt.datetime.now(dt.UTC)
    chat = f"matrix:{ROOM}"
    async with db.transaction() as conn:
        await users.touch(
            conn, "matrix:@anna:kunta.fi", chat, locale="fi", now=now, private_chat=True
        )
        pending = await outbox.enqueue(conn, chat_id=chat, user_id=None, html="x", now=now)
    room = FakeRoom(users={BOT: object(), "@ben:kunta.fi": object()})
    await transport._on_event(room, _member_event("@anna:kunta.fi", "leave"), ())
    async with db.transaction() as conn:  # someone left, someone is still there
        assert await outbox.due(conn, "matrix", now + dt.timedelta(seconds=1)) != []
        assert await outbox.state_of(conn, pending or 0) == "pending"
    room.users.pop("@ben:kunta.fi")
    await transport._on_event(room, _member_event("@ben:kunta.fi", "leave"), ())
    assert client.left == []  # the transport decided nothing itself
    async with db.transaction() as conn:
        person = await users.get(conn, "matrix:@anna:kunta.fi")
        assert person is not None and person.unreachable
        assert await outbox.state_of(conn, pending or 0) == "unreachable"
        [leave] = await outbox.due(conn, "matrix", now + dt.timedelta(seconds=1))
    assert leave.kind == outbox.LEAVE and leave.chat_id == chat
    assert (await transport.deliver(leave)).status is Status.SENT
    assert client.left == [ROOM]
    async with db.transaction() as conn:
        item = await outbox.get(conn, pending or 0)
    assert item is not None
    assert (await transport.deliver(item)).status is Status.UNREACHABLE


async def test_an_undecryptable_message_is_answered_through_the_outbox_unencrypted(
    db: Database, tmp_path: Path
) -> None:
    """After the grace time the transport reports the message; the core writes the answer
    (a catalog entry) to the outbox as a row of kind ``unencrypted``, once per session and
    window; the transport sends it through nio's public room_send of a client without an
    olm machine, with the row's stable transaction id."""
    transport = _transport(db, tmp_path)
    _core(db, transport)
    transport.client = FakeClient([])
    plain = FakeClient([RoomSendResponse("$notice", ROOM)])
    transport.plain = plain
    transport._ready.set()
    sent = int(time.time() * 1000)
    event = MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": "$lost",
            "sender": ANNA,
            "origin_server_ts": sent,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgAEnAC",
                "session_id": "session-1",
                "sender_key": "key",
                "device_id": "PHONE",
            },
        }
    )
    for _ in range(2):  # the same session again within the window: one notice
        await transport._tell_undecryptable(_Undecrypted(ROOM, event, 0.0))
    assert transport.client.sends == [] and plain.sends == []  # nothing sent past the outbox
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    async with db.transaction() as conn:
        [row] = await outbox.due(conn, "matrix", now)
    assert row.kind == outbox.UNENCRYPTED and row.user_id == f"matrix:{ANNA}"
    renderer = Renderer(ZoneInfo("Europe/Helsinki"))
    assert row.html == renderer.text("fi", "matrix.undecryptable")
    assert (await transport.deliver(row)).status is Status.SENT
    [(_, tx, content)] = plain.sends
    assert tx == f"{transport.txn_prefix}-{row.id}"
    assert content["msgtype"] == "m.notice"
    assert content["body"] == html_to_plain(row.html)
    assert transport.client.sends == []  # not through the encrypting client


async def test_an_unencrypted_row_never_falls_back_to_the_encrypting_client(
    db: Database, tmp_path: Path
) -> None:
    transport = _transport(db, tmp_path)
    transport.client = FakeClient([RoomSendResponse("$e", ROOM)])
    transport._ready.set()
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as conn:
        row = await outbox.enqueue(
            conn, chat_id=f"matrix:{ROOM}", user_id=None, html="x", now=now, kind="unencrypted"
        )
        item = await outbox.get(conn, row or 0)
    assert item is not None and transport.plain is None
    assert (await transport.deliver(item)).status is Status.RETRY
    assert transport.client.sends == []


# --- files people send --------------------------------------------------------------------
PDF = b"%PDF-1.4 syksyn ohjelma"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
ANNA = "@anna:kunta.fi"


def _message(content: dict[str, Any], *, decrypted: bool = False) -> Any:
    """An ``m.room.message`` as nio parses it from a sync (or from a decrypted event)."""
    source = {
        "type": "m.room.message",
        "event_id": f"$event{len(str(content))}",
        "sender": ANNA,
        "origin_server_ts": int(time.time() * 1000),
        "content": content,
    }
    if decrypted:
        return RoomMessage.parse_decrypted_event(source)
    return RoomMessage.parse_event(source)


def _file_content(
    name: str, mime: str | None, size: int, *, msgtype: str = "m.file", **extra: Any
) -> dict[str, Any]:
    info: dict[str, Any] = {"size": size}
    if mime is not None:
        info["mimetype"] = mime
    return {"msgtype": msgtype, "body": name, "url": "mxc://kunta.fi/abc", "info": info, **extra}


async def _received(
    db: Database, tmp_path: Path, event: Any, media: dict[str, Any], *, members: int = 2
) -> tuple[list[Incoming], FakeClient]:
    """What the transport hands the dispatcher for one event from a sync."""
    transport = _transport(db, tmp_path)
    client = FakeClient([])
    client.media = media
    transport.client = client
    got: list[Incoming] = []

    async def inbox(incoming: Incoming) -> None:
        got.append(incoming)

    transport._inbox = inbox
    await transport._on_event(FakeRoom(member_count=members), event, ())
    return got, client


def _download(body: bytes, content_type: str = "application/octet-stream") -> FakeResponse:
    return FakeResponse(body, content_type)


def test_media_events_name_caption_and_kind() -> None:
    plain = media_of(_message(_file_content("ohjelma.pdf", "application/pdf", len(PDF))))
    assert plain is not None
    assert (plain.name, plain.caption, plain.mime_type, plain.size) == (
        "ohjelma.pdf",
        None,  # body is just the name: no caption
        "application/pdf",
        len(PDF),
    )
    captioned = media_of(
        _message(_file_content("Kuva retkeltä", None, 9, msgtype="m.image", filename="r.png"))
    )
    assert captioned is not None and (captioned.name, captioned.caption) == (
        "r.png",
        "Kuva retkeltä",
    )
    same = media_of(_message(_file_content("a.pdf", None, 1, filename="a.pdf")))
    assert same is not None and same.caption is None
    audio = _message(_file_content("aani.ogg", "audio/ogg", 5, msgtype="m.audio"))
    assert media_of(audio) is None  # not taken, as voice messages on Telegram
    assert media_of(_message({"msgtype": "m.text", "body": "hei"})) is None


def test_file_names_from_events_are_made_safe() -> None:
    assert safe_filename("ohjelma.pdf", image=False) == "ohjelma.pdf"
    assert safe_filename("../../etc/passwd", image=False) == "passwd"
    assert safe_filename("C:\\Users\\anna\\kuva.png", image=True) == "kuva.png"
    assert safe_filename("a\x00b\nc.txt", image=False) == "a b c.txt"
    assert safe_filename("", image=True, mime_type="image/png") == "kuva.png"
    assert safe_filename(None, image=False) == "tiedosto"
    long = safe_filename("x" * 300 + ".pdf", image=False)
    assert len(long) == 120 and long.endswith(".pdf")


async def test_a_file_in_a_direct_chat_arrives_as_an_attachment(
    db: Database, tmp_path: Path
) -> None:
    event = _message(_file_content("ohjelma.pdf", "application/pdf", len(PDF)))
    [incoming], client = await _received(
        db, tmp_path, event, {"mxc://kunta.fi/abc": _download(PDF)}
    )
    assert client.downloads == ["mxc://kunta.fi/abc"]
    assert incoming.attachment == Document("ohjelma.pdf", PDF, "application/pdf")
    assert incoming.text is None and incoming.refused_file is None
    assert incoming.user_id == f"matrix:{ANNA}" and incoming.chat_id == f"matrix:{ROOM}"
    assert incoming.update_key == f"matrix:{event.event_id}"


async def test_a_picture_with_a_caption_gives_the_caption_as_text(
    db: Database, tmp_path: Path
) -> None:
    event = _message(
        _file_content("Retki <3", None, len(PNG), msgtype="m.image", filename="retki.png")
    )
    [incoming], _ = await _received(
        db, tmp_path, event, {"mxc://kunta.fi/abc": _download(PNG, "image/png")}
    )
    # No MIME type in the event: the media repository's content type is used.
    assert incoming.attachment == Document("retki.png", PNG, "image/png")
    assert incoming.text == "Retki <3"


async def test_an_encrypted_picture_is_decrypted(db: Database, tmp_path: Path) -> None:
    ciphertext, keys = encrypt_attachment(PNG)
    content = {
        "msgtype": "m.image",
        "body": "kuva.png",
        "info": {"mimetype": "image/png", "size": len(PNG)},
        "file": {**keys, "url": "mxc://kunta.fi/secret", "mimetype": "image/png"},
    }
    event = _message(content, decrypted=True)
    assert isinstance(event, RoomEncryptedImage)
    [incoming], _ = await _received(
        db, tmp_path, event, {"mxc://kunta.fi/secret": _download(ciphertext)}
    )
    assert incoming.attachment == Document("kuva.png", PNG, "image/png")
    # A file whose ciphertext does not match its hash is not handed on.
    [broken], _ = await _received(
        db, tmp_path, event, {"mxc://kunta.fi/secret": _download(ciphertext[:-1] + b"x")}
    )
    assert broken.attachment is None and broken.refused_file == "unreadable"


async def test_too_large_or_unfetchable_files_are_refused_without_names_in_the_log(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = "mxc://kunta.fi/abc"
    declared_big = _message(_file_content("salainen.pdf", "application/pdf", FILE_LIMIT + 1))
    [big], client = await _received(db, tmp_path, declared_big, {})
    assert big.refused_file == "too_large" and big.attachment is None
    assert client.downloads == []  # refused by the declared size, not downloaded
    lied = _message(_file_content("salainen.pdf", "application/pdf", 10))
    [really_big], _ = await _received(db, tmp_path, lied, {url: _download(b"x" * (FILE_LIMIT + 1))})
    assert really_big.refused_file == "too_large" and really_big.attachment is None
    missing = FakeResponse(b'{"errcode": "M_NOT_FOUND", "error": "salainen.pdf"}', status=404)
    [gone], _ = await _received(db, tmp_path, lied, {url: missing})
    assert gone.refused_file == "unreadable" and gone.attachment is None
    assert gone.text is None
    assert "M_NOT_FOUND" in caplog.text and "salainen" not in caplog.text


async def test_files_in_group_rooms_and_voice_messages_are_not_fetched(
    db: Database, tmp_path: Path
) -> None:
    event = _message(_file_content("ohjelma.pdf", "application/pdf", len(PDF)))
    got, client = await _received(db, tmp_path, event, {}, members=3)
    assert got == [] and client.downloads == []
    voice = _message(_file_content("aani.ogg", "audio/ogg", 5, msgtype="m.audio"))
    [incoming], client = await _received(db, tmp_path, voice, {})
    assert client.downloads == []
    assert incoming.attachment is None and incoming.refused_file is None and incoming.text is None


async def test_a_file_no_step_wants_is_not_downloaded(db: Database, tmp_path: Path) -> None:
    asked: list[tuple[str, str]] = []

    async def not_wanted(user_id: str, chat_id: str) -> bool:
        asked.append((user_id, chat_id))
        return False

    transport = _transport(db, tmp_path)
    transport.wants_file = not_wanted
    client = FakeClient([])
    transport.client = client
    got: list[Incoming] = []

    async def inbox(incoming: Incoming) -> None:
        got.append(incoming)

    transport._inbox = inbox
    event = _message(_file_content("ohjelma.pdf", "application/pdf", len(PDF)))
    await transport._on_event(FakeRoom(), event, ())
    [incoming] = got
    assert asked == [(f"matrix:{ANNA}", f"matrix:{ROOM}")]
    assert client.downloads == []
    assert incoming.refused_file == "not_wanted" and incoming.attachment is None


async def test_a_replayed_file_event_is_not_downloaded_again(db: Database, tmp_path: Path) -> None:
    event = _message(_file_content("ohjelma.pdf", "application/pdf", len(PDF)))
    async with db.transaction() as conn:
        await updates.record(conn, f"matrix:{event.event_id}", dt.datetime.now(dt.UTC))
    [incoming], client = await _received(db, tmp_path, event, {})
    assert client.downloads == [] and incoming.attachment is None  # the dispatcher skips it


def test_commands_are_shown_with_an_exclamation_mark_and_links_are_left_alone() -> None:
    names = frozenset({"apua", "peru", "lopeta_tiedotteet", "lopeta"})
    text = (
        "Kirjoita /apua tai /peru. (/lopeta_tiedotteet) /lopeta.\n"
        '<a href="https://t.me/botti?start=x">https://example.org/apua</a> a/peru /apuaa /muu'
    )
    assert bang_commands(text, names) == (
        "Kirjoita !apua tai !peru. (!lopeta_tiedotteet) !lopeta.\n"
        '<a href="https://t.me/botti?start=x">https://example.org/apua</a> a/peru /apuaa /muu'
    )
    assert bang_commands("/apua", frozenset()) == "/apua"


# --- a file longer than it says, against a real HTTP media repository ----------------------
@dataclass
class _MediaServer:
    """A stand-in media repository on 127.0.0.1 that streams more than the event declared."""

    served: int
    sent: int = 0
    complete: bool = False
    authorization: str | None = None
    paths: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path)
        self.authorization = request.headers.get("Authorization")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()  # no Content-Length: only the bytes tell
        await response.prepare(request)
        chunk = b"\0" * 65536
        try:
            while self.sent < self.served:
                await response.write(chunk)
                self.sent += len(chunk)
            await response.write_eof()
            self.complete = True
        except ConnectionError:
            pass
        return response


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_file_longer_than_declared_is_not_read_past_the_limit(
    db: Database, tmp_path: Path, encrypted: bool
) -> None:
    media = _MediaServer(served=64 * 1024 * 1024)
    app = web.Application()
    app.router.add_get("/{tail:.*}", media.handle)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    client = AsyncClient(f"http://127.0.0.1:{port}", BOT)
    client.access_token = "syt_secret_token"
    try:
        transport = _transport(db, tmp_path)
        transport.client = client
        got: list[Incoming] = []

        async def inbox(incoming: Incoming) -> None:
            got.append(incoming)

        transport._inbox = inbox
        if encrypted:
            _, keys = encrypt_attachment(PDF)
            content = {
                "msgtype": "m.file",
                "body": "ohjelma.pdf",
                "info": {"mimetype": "application/pdf", "size": len(PDF)},
                "file": {**keys, "url": "mxc://kunta.fi/abc", "mimetype": "application/pdf"},
            }
            event = _message(content, decrypted=True)
        else:
            event = _message(_file_content("ohjelma.pdf", "application/pdf", len(PDF)))
        await transport._on_event(FakeRoom(), event, ())
    finally:
        await client.close()
        await runner.cleanup()
    [incoming] = got
    assert incoming.refused_file == "too_large" and incoming.attachment is None
    assert not media.complete and media.sent < media.served // 2, media.sent
    assert media.paths == ["/_matrix/client/v1/media/download/kunta.fi/abc"]
    assert media.authorization == "Bearer syt_secret_token"
