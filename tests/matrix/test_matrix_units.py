"""The Matrix transport's decisions without a homeserver: invites, rendering, error mapping,
and an M_LIMIT_EXCEEDED answer retried by the real delivery worker."""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nio import InviteMemberEvent, JoinResponse, RoomSendError, RoomSendResponse

from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.i18n import Renderer
from bot.markup import html_to_plain
from bot.transports.base import Status
from bot.transports.matrix import (
    MatrixTransport,
    addressed_text,
    error_delivery,
    matrix_html,
    png_size,
    render_message,
    same_account,
    server_allowed,
    strip_reply_fallback,
)
from storage import outbox, users
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
    room_id: str = ROOM
    encrypted: bool = False
    users: dict[str, Any] = field(default_factory=dict)
    member_count: int = 2


class FakeClient:
    """Stands in for nio's AsyncClient: scripted ``room_send`` answers, recorded calls."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.rooms = {ROOM: FakeRoom()}
        self.sends: list[tuple[float, str, dict[str, Any]]] = []
        self.joined: list[str] = []
        self.left: list[str] = []

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

    async def join(self, room_id: str) -> Any:
        self.joined.append(room_id)
        return JoinResponse(room_id)

    async def room_leave(self, room_id: str) -> None:
        self.left.append(room_id)


def _transport(db: Database, tmp_path: Path, allowed: str = "") -> MatrixTransport:
    settings = Settings(
        _env_file=None,
        database=tmp_path / "bot.sqlite3",
        matrix_homeserver="http://127.0.0.1:9",
        matrix_user=BOT,
        matrix_password="x",
        matrix_allowed_servers=allowed,
    )
    transport = MatrixTransport(settings, db, Renderer(ZoneInfo("Europe/Helsinki")))
    transport.user_id = BOT
    return transport


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
async def test_invite_is_joined_or_refused(
    db: Database, tmp_path: Path, inviter: str, joins: bool
) -> None:
    transport = _transport(db, tmp_path, allowed="kunta.fi")
    client = FakeClient([])
    transport.client = client
    invite = InviteMemberEvent(
        {"type": "m.room.member"}, inviter, BOT, "invite", None, {"membership": "invite"}
    )
    await transport._on_invite(ROOM, [invite])
    assert client.joined == ([ROOM] if joins else [])
    assert client.left == ([] if joins else [ROOM])  # a refused invite is rejected


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


async def test_bot_leaves_a_chat_the_person_left_and_stops_sending(
    db: Database, tmp_path: Path
) -> None:
    transport = _transport(db, tmp_path)
    client = FakeClient([])
    transport.client = client
    now = dt.datetime.now(dt.UTC)
    chat = f"matrix:{ROOM}"
    async with db.transaction() as conn:
        await users.touch(
            conn, "matrix:@anna:kunta.fi", chat, locale="fi", now=now, private_chat=True
        )
        pending = await outbox.enqueue(conn, chat_id=chat, user_id=None, html="x", now=now)
    room = FakeRoom(users={BOT: object(), "@ben:kunta.fi": object()})
    await transport._member_left(room)  # someone left, someone is still there
    assert client.left == []
    room.users.pop("@ben:kunta.fi")
    await transport._member_left(room)  # only the bot is left
    assert client.left == [ROOM]
    async with db.transaction() as conn:
        person = await users.get(conn, "matrix:@anna:kunta.fi")
        assert person is not None and person.unreachable
        assert await outbox.state_of(conn, pending or 0) == "unreachable"
    transport._ready.set()
    async with db.transaction() as conn:
        item = await outbox.get(conn, pending or 0)
    assert item is not None
    assert (await transport.deliver(item)).status is Status.UNREACHABLE
