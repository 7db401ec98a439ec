"""Tests for the fake Telegram Bot API server, driven through python-telegram-bot's real Bot."""

from __future__ import annotations

import asyncio
import html
import time
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes import telegram_api
from tests.fakes.telegram_api import (
    FakeTelegramServer,
    FakeTelegramTimeout,
    parse_html,
    utf16_len,
)

pytestmark = pytest.mark.timeout(30)

fake_telegram = telegram_api.fake_telegram
fake_telegram_factory = telegram_api.fake_telegram_factory

USER = 4242
OTHER = 4343


@pytest.fixture
def server(fake_telegram_factory: Callable[..., FakeTelegramServer]) -> FakeTelegramServer:
    """Flood control off so that tests can send freely; flood tests make their own server."""
    srv = fake_telegram_factory(flood_control=False, webhook_retry_delay=0.05)
    srv.add_user(USER, "Maija")
    srv.add_user(OTHER, "Pekka", language_code="sv")
    return srv


def make_bot(srv: FakeTelegramServer, token: str | None = None) -> Bot:
    return Bot(token or srv.token, base_url=srv.base_url, base_file_url=srv.base_file_url)


@pytest.fixture
async def ptb_bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with make_bot(server) as b:
        yield b


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"b{i}", callback_data=d)] for i, d in enumerate(data)]
    )


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def last_description(srv: FakeTelegramServer) -> str | None:
    return srv.requests[-1].description


# ------------------------------------------------------------------ HTTP surface


async def test_get_me_token_and_unknown_method(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    me = await ptb_bot.get_me()
    assert me.is_bot and me.username == server.bot_username and me.id == server.bot_id

    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with make_bot(server, token="999:WRONG") as wrong:
            await wrong.get_me()

    async with httpx.AsyncClient() as client:
        r = await client.post(f"{server.url}/bot999:WRONG/getMe")
        assert r.status_code == 401
        assert r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        r = await client.post(f"{server.url}/bot{server.token}/noSuchMethod")
        assert r.status_code == 404
        assert r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert server.count_by_status[401] == 2
    assert server.count_by_status[404] == 1


async def test_json_body_and_query_string_are_accepted(server: FakeTelegramServer) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{server.url}/bot{server.token}/sendMessage",
            json={
                "chat_id": USER,
                "text": "<b>json</b>",
                "parse_mode": "HTML",
                "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "d"}]]},
            },
        )
        body = r.json()
        assert r.status_code == 200 and body["ok"] is True
        assert body["result"]["text"] == "json"
        assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
        r = await client.get(
            f"{server.url}/bot{server.token}/sendMessage", params={"chat_id": OTHER, "text": "q"}
        )
        assert r.json()["result"]["text"] == "q"
    assert server.last_message(USER).keyboard == [[("x", "d")]]
    assert server.last_message(OTHER).text == "q"


async def test_send_message_returns_parsable_message_and_is_recorded(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    sent = await ptb_bot.send_message(
        USER, "<b>Hei</b> Maija", parse_mode="HTML", reply_markup=keyboard("yes", "no")
    )
    assert sent.text == "Hei Maija"
    assert sent.chat.id == USER and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == server.bot_id
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 3
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "no"

    stored = server.last_message(USER)
    assert stored.message_id == sent.message_id
    assert stored.html == "<b>Hei</b> Maija" and stored.text == "Hei Maija"
    assert stored.parse_mode == "HTML"
    assert stored.keyboard == [[("b0", "yes")], [("b1", "no")]]
    record = server.requests[-1]
    assert (record.method, record.chat_id, record.status) == ("sendMessage", USER, 200)

    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message(999_999, "kuka?")
    assert last_description(server) == "Bad Request: chat not found"


# ------------------------------------------------------------------ HTML


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<p>kappale</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("äö<br>", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>lihava", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        (
            "Tom & Jerry",
            'Unescaped "&" at byte offset 4; write it as "&amp;" (the fake is stricter than '
            "Telegram here)",
        ),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="https://x.fi"', "Unclosed start tag at byte offset 0"),
    ],
)
async def test_invalid_html_is_rejected(
    server: FakeTelegramServer, ptb_bot: Bot, text: str, reason: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await ptb_bot.send_message(USER, text, parse_mode="HTML")
    full = f"Bad Request: can't parse entities: {reason}"
    assert last_description(server) == full
    # PTB strips "Bad Request: " and lower-cases the rest of the description.
    assert info.value.message.lower() == full.removeprefix("Bad Request: ").lower()
    assert server.messages(USER) == []


async def test_supported_html_is_accepted_with_entities(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    source = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span>'
        '<tg-spoiler>q</tg-spoiler><a href="https://example.com/?a=1&amp;b=2">l</a>'
        '<code>c</code><pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>&#65;&#x42;&quot;&lt;&gt;&amp;'
    )
    sent = await ptb_bot.send_message(USER, source, parse_mode="HTML")
    assert sent.text == 'bsieunskdpqlcx = 1qe👍AB"<>&'
    types = [e.type for e in sent.entities]
    assert types == [
        "bold", "bold", "italic", "italic", "underline", "underline", "strikethrough",
        "strikethrough", "strikethrough", "spoiler", "spoiler", "text_link", "code", "pre",
        "blockquote", "expandable_blockquote", "custom_emoji",
    ]  # fmt: skip
    link = sent.entities[types.index("text_link")]
    assert link.url == "https://example.com/?a=1&b=2"
    pre = sent.entities[types.index("pre")]
    assert (pre.language, pre.offset, pre.length) == ("python", 13, 5)
    emoji = sent.entities[-1]
    assert (emoji.offset, emoji.length, emoji.custom_emoji_id) == (20, 2, "5368324170671202286")


async def test_escaped_user_text_is_accepted_and_counted_in_utf16(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    user_text = 'Matti <matti@example.com> & "Kaisa" 😀 <script>alert(1)</script> a<b'
    sent = await ptb_bot.send_message(
        USER, f"<b>Viesti:</b> <i>{html.escape(user_text)}</i>", parse_mode="HTML"
    )
    assert sent.text == f"Viesti: {user_text}"
    italic = sent.entities[1]
    assert italic.type == "italic"
    assert italic.offset == len("Viesti: ")
    assert italic.length == utf16_len(user_text) == len(user_text) + 1  # emoji = 2 units
    assert server.last_message(USER).html == f"<b>Viesti:</b> <i>{html.escape(user_text)}</i>"


async def test_plain_text_is_not_parsed_and_lenient_ampersand_mode(
    fake_telegram_factory: Callable[..., FakeTelegramServer],
) -> None:
    srv = fake_telegram_factory(flood_control=False, strict_ampersand=False)
    srv.add_user(USER)
    async with make_bot(srv) as b:
        plain = await b.send_message(USER, "<b> & <p>")
        assert plain.text == "<b> & <p>" and plain.entities == ()
        lenient = await b.send_message(USER, "Tom & Jerry &lt;3", parse_mode="HTML")
        assert lenient.text == "Tom & Jerry <3"


def test_parse_html_offsets_and_surrogates() -> None:
    parsed = parse_html("😀<b>x</b>")
    assert parsed.text == "😀x"
    assert parsed.entities == [{"type": "bold", "offset": 2, "length": 1}]
    # byte offsets count UTF-8 bytes: "😀" is 4 bytes
    with pytest.raises(telegram_api.HtmlParseError, match=r"at byte offset 4$"):
        parse_html("😀<x>")
    with pytest.raises(telegram_api.HtmlParseError, match="surrogate"):
        parse_html("&#xD83D;&#xDE00;")
    assert parse_html("&#128512;").text == "😀"
    assert parse_html("<B>x</B>").entities == [{"type": "bold", "offset": 0, "length": 1}]
    assert parse_html("<b></b>y").entities == []


# ------------------------------------------------------------------ limits


async def test_message_length_boundary_in_utf16_after_entity_parsing(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    ok_cases = [
        ("x" * 4096, None),
        ("😀" * 2048, None),  # 2048 code points, 4096 UTF-16 units
        ("<b>" + "x" * 4096 + "</b>", "HTML"),
        ("&lt;" * 4096, "HTML"),
        ("&#x1F600;" * 2048, "HTML"),
    ]
    for text, mode in ok_cases:
        sent = await ptb_bot.send_message(USER, text, parse_mode=mode)
        assert sent.text is not None and utf16_len(sent.text) == 4096
    too_long = [
        ("x" * 4097, None),
        ("😀" * 2048 + "x", None),
        ("<b>" + "x" * 4097 + "</b>", "HTML"),
        ("&lt;" * 4097, "HTML"),
        ("&#x1F600;" * 2048 + "x", "HTML"),
    ]
    for text, mode in too_long:
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await ptb_bot.send_message(USER, text, parse_mode=mode)
        assert last_description(server) == "Bad Request: message is too long"
    assert len(server.messages(USER)) == len(ok_cases)


@pytest.mark.parametrize(("text", "mode"), [("", None), ("   \n", None), ("<b></b>", "HTML")])
async def test_empty_text_is_rejected(
    server: FakeTelegramServer, ptb_bot: Bot, text: str, mode: str | None
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await ptb_bot.send_message(USER, text, parse_mode=mode)
    assert last_description(server) == "Bad Request: message text is empty"


async def test_callback_data_64_byte_boundary(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    for data in ("a" * 64, "ä" * 32):  # both exactly 64 bytes in UTF-8
        await ptb_bot.send_message(USER, "ok", reply_markup=keyboard(data))
    for data in ("a" * 65, "ä" * 32 + "a"):
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await ptb_bot.send_message(USER, "liian pitkä", reply_markup=keyboard(data))
        assert last_description(server) == "Bad Request: BUTTON_DATA_INVALID"
    assert [m.keyboard for m in server.messages(USER)] == [
        [[("b0", "a" * 64)]],
        [[("b0", "ä" * 32)]],
    ]


async def test_blocked_user_gets_forbidden_and_my_chat_member(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    await ptb_bot.send_message(USER, "ennen")
    server.block(USER)
    (update,) = await ptb_bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert update.my_chat_member.from_user.id == USER
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb_bot.send_message(USER, "jälkeen")
    with pytest.raises(Forbidden):
        await ptb_bot.send_document(USER, b"x", filename="a.txt")
    assert server.count_by_status[403] == 2
    server.unblock(USER)
    await ptb_bot.send_message(USER, "taas")
    assert [m.text for m in server.messages(USER)] == ["ennen", "taas"]


# ------------------------------------------------------------------ flood control


async def test_flood_private_chat_one_per_second(
    fake_telegram_factory: Callable[..., FakeTelegramServer],
) -> None:
    srv = fake_telegram_factory()  # real-like defaults
    srv.add_user(USER)
    srv.add_user(OTHER)
    async with make_bot(srv) as b:
        first = await b.send_message(USER, "yksi", reply_markup=keyboard("k"))
        with pytest.raises(RetryAfter) as info:
            await b.send_message(USER, "kaksi")
        assert retry_seconds(info.value) == 1
        assert last_description(srv) == "Too Many Requests: retry after 1"
        await b.send_message(OTHER, "toinen chat ei ole rajoitettu")
        # edits count as sends; answering callbacks does not
        with pytest.raises(RetryAfter):
            await b.edit_message_text("muokattu", chat_id=USER, message_id=first.message_id)
        srv.user_presses(USER, first.message_id, "k")
        (update,) = await b.get_updates()
        assert update.callback_query is not None
        assert await update.callback_query.answer("ok")
    assert srv.count_429 == 2
    assert [m.text for m in srv.messages(USER)] == ["yksi"]  # rejected sends are not recorded
    assert srv.messages(USER)[0].edits == []


async def test_flood_window_frees_after_interval(
    fake_telegram_factory: Callable[..., FakeTelegramServer],
) -> None:
    srv = fake_telegram_factory(per_chat_interval=0.3)
    srv.add_user(USER)
    async with make_bot(srv) as b:
        await b.send_message(USER, "1")
        with pytest.raises(RetryAfter) as info:
            await b.send_message(USER, "2")
        assert retry_seconds(info.value) == 1  # never less than one second
        await asyncio.sleep(0.35)
        await b.send_message(USER, "3")
    assert [m.text for m in srv.messages(USER)] == ["1", "3"]


async def test_flood_overall_30_per_second_and_group_20_per_minute(
    fake_telegram_factory: Callable[..., FakeTelegramServer],
) -> None:
    # All sends at one instant of the server's flood clock: on a busy machine 30 real sends
    # may take longer than the second the overall limit counts.
    srv = fake_telegram_factory(flood_clock=lambda: 1000.0)
    for uid in range(1, 32):
        srv.add_user(uid)
    srv.add_group(-100)
    async with make_bot(srv) as b:
        for uid in range(1, 31):
            await b.send_message(uid, "tiedote")
        with pytest.raises(RetryAfter) as info:
            await b.send_message(31, "liikaa")
        assert retry_seconds(info.value) == 1
        assert len(srv.messages()) == 30

        srv.reset_flood_control()
        for i in range(20):
            await b.send_message(-100, f"ryhmä {i}")
        with pytest.raises(RetryAfter) as info:
            await b.send_message(-100, "21.")
        assert 59 <= retry_seconds(info.value) <= 60
    assert srv.count_429 == 2
    assert len(srv.messages(-100)) == 20
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{srv.url}/bot{srv.token}/sendMessage", data={"chat_id": "-100", "text": "x"}
        )
    body = r.json()
    assert r.status_code == 429 and body["ok"] is False and body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 59
    assert (
        body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )


# ------------------------------------------------------------------ updates


async def test_get_updates_offset_limit_and_negative_offset(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    ids = [server.user_sends(USER, f"viesti {i}") for i in range(4)]
    assert [u.update_id for u in await ptb_bot.get_updates(limit=2)] == ids[:2]
    got = await ptb_bot.get_updates(offset=ids[1])
    assert [u.update_id for u in got] == ids[1:]
    assert server.confirmed_offset == ids[1]
    assert [u["update_id"] for u in server.pending_updates()] == ids[1:]
    got = await ptb_bot.get_updates(offset=-1)
    assert [u.update_id for u in got] == [ids[3]]
    assert [u["update_id"] for u in server.pending_updates()] == [ids[3]]
    assert await ptb_bot.get_updates(offset=ids[3] + 1) == ()
    assert server.pending_updates() == []


async def test_user_message_updates_look_real(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    server.user_sends(OTHER, "/start abc")
    server.user_sends_sticker(OTHER)
    server.group_message(-555, USER, "hei ryhmä")
    first, sticker, group = await ptb_bot.get_updates()
    assert first.message is not None and first.message.text == "/start abc"
    assert first.message.chat.id == OTHER and first.message.chat.type == "private"
    assert first.message.from_user is not None and first.message.from_user.language_code == "sv"
    assert first.message.parse_entities(["bot_command"]) == {first.message.entities[0]: "/start"}
    assert sticker.message is not None and sticker.message.text is None
    assert sticker.message.sticker is not None
    assert group.message is not None and group.message.chat.id == -555
    assert group.message.chat.type == "group"


async def test_long_poll_returns_as_soon_as_update_arrives(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=10))
    await server.async_wait_until(lambda: server.waiting_long_polls > 0, 5, what="long poll")
    assert not poll.done()
    update_id = server.user_sends(USER, "herätys")
    (update,) = await asyncio.wait_for(poll, 5)
    assert update.update_id == update_id
    assert time.monotonic() - started < 3

    started = time.monotonic()
    assert await ptb_bot.get_updates(offset=update_id + 1, timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3


async def test_second_get_updates_terminates_first_with_409(server: FakeTelegramServer) -> None:
    async with make_bot(server) as first, make_bot(server) as second:
        poll = asyncio.create_task(first.get_updates(timeout=10))
        await server.async_wait_until(lambda: server.waiting_long_polls > 0, 5, what="long poll")
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(poll, 5)
    conflict = [r for r in server.requests if r.status == 409]
    assert conflict[0].description == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )


async def test_allowed_updates_filters_types(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    sent = await ptb_bot.send_message(USER, "valitse", reply_markup=keyboard("a"))
    server.user_sends(USER, "ohitetaan")
    press = server.user_presses(USER, sent.message_id, "a")
    got = await ptb_bot.get_updates(allowed_updates=[Update.CALLBACK_QUERY])
    assert [u.update_id for u in got] == [press]
    server.user_sends(USER, "edelleen ohitetaan")  # the setting persists
    assert await ptb_bot.get_updates(offset=press + 1) == ()


# ------------------------------------------------------------------ webhook


async def test_webhook_delivery_retries_in_order_and_blocks_get_updates(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    received: list[tuple[int, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        payload: dict[str, Any] = await request.json()
        received.append(
            (payload["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        first = server.user_sends(USER, "eka")
        assert await ptb_bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        second = server.user_sends(USER, "toka")
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await ptb_bot.get_updates()
        await server.async_wait_until(lambda: len(received) >= 3, 5, what="webhook deliveries")
        await server.async_wait_for_updates_consumed(5)
        assert received == [(first, "s3cr3t"), (first, "s3cr3t"), (second, "s3cr3t")]
        info = await ptb_bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert [d.status for d in server.webhook_deliveries] == [500, 200, 200]

        assert await ptb_bot.delete_webhook()
        third = server.user_sends(USER, "kolmas")
        assert [u.update_id for u in await ptb_bot.get_updates()] == [third]
        assert len(received) == 3
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------ buttons, edits, files


async def test_buttons_callbacks_edits_and_deletes(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    sent = await ptb_bot.send_message(USER, "Valitse", reply_markup=keyboard("kylla", "ei"))
    with pytest.raises(AssertionError, match="no button with callback_data 'forged'"):
        server.user_presses(USER, sent.message_id, "forged")
    server.user_presses(USER, sent.message_id, "forged", forge=True)
    server.press_button(USER, "b1")
    forged, pressed = await ptb_bot.get_updates()
    assert forged.callback_query is not None and forged.callback_query.data == "forged"
    assert pressed.callback_query is not None and pressed.callback_query.data == "ei"
    assert pressed.callback_query.message is not None
    assert pressed.callback_query.message.message_id == sent.message_id

    assert await pressed.callback_query.answer("Kiitos", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await pressed.callback_query.answer()
    (answer,) = server.callback_answers
    assert (answer.data, answer.text, answer.show_alert, answer.user_id) == (
        "ei",
        "Kiitos",
        True,
        USER,
    )

    await ptb_bot.edit_message_text("<i>Valittu</i>", USER, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await ptb_bot.edit_message_text("<i>Valittu</i>", USER, sent.message_id, parse_mode="HTML")
    stored = server.message(USER, sent.message_id)
    assert stored.text == "Valittu" and stored.keyboard == []  # no reply_markup: keyboard gone
    assert [(v.text, v.keyboard) for v in stored.edits] == [
        ("Valitse", [[("b0", "kylla")], [("b1", "ei")]])
    ]
    with pytest.raises(AssertionError, match="no button"):
        server.user_presses(USER, sent.message_id, "ei")

    await ptb_bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("uusi"))
    assert server.message(USER, sent.message_id).keyboard == [[("b0", "uusi")]]

    assert await ptb_bot.delete_message(USER, sent.message_id)
    assert server.message(USER, sent.message_id).deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await ptb_bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await ptb_bot.edit_message_text("x", USER, sent.message_id)


async def test_document_and_photo_upload_are_stored(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    data = b"nimi;tunnit\nMaija;7,5\n"
    sent = await ptb_bot.send_document(
        USER, data, filename="raportti ä.csv", caption="<b>Liite 1</b>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "raportti ä.csv"
    assert sent.caption == "Liite 1" and sent.caption_entities[0].type == "bold"
    stored = server.last_message(USER)
    assert stored.document is not None
    assert (stored.document.filename, stored.document.data) == ("raportti ä.csv", data)
    assert stored.document.caption == "Liite 1" and stored.text is None

    await ptb_bot.send_document(USER, sent.document.file_id)  # re-send by file_id
    assert server.last_message(USER).document is not None

    photo = await ptb_bot.send_photo(USER, b"\x89PNG fake", caption="kuva")
    assert photo.photo and server.last_message(USER).photo is not None

    await ptb_bot.send_document(USER, b"x", caption="c" * 1024, filename="a.txt")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await ptb_bot.send_document(USER, b"x", caption="c" * 1025, filename="a.txt")


async def test_files_are_resent_by_file_id_without_an_upload(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    data = b"%PDF-1.4 syksyn ohjelma"
    sent = await ptb_bot.send_document(USER, data, filename="ohjelma.pdf", caption="eka")
    assert sent.document is not None
    file_id = sent.document.file_id
    again = await ptb_bot.send_document(OTHER, file_id, caption="toka")  # a form field
    assert again.document is not None and again.document.file_id == file_id
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{server.url}/bot{server.token}/sendDocument",
            json={"chat_id": USER, "document": file_id},
        )
        assert r.status_code == 200 and r.json()["result"]["document"]["file_name"] == "ohjelma.pdf"
    for chat in (USER, OTHER):
        got = server.last_message(chat).document
        assert got is not None and (got.filename, got.data) == ("ohjelma.pdf", data)
    assert server.last_message(OTHER).caption == "toka"
    [upload] = server.uploads()
    assert (upload.method, upload.chat_id, upload.filename, upload.size) == (
        "sendDocument",
        USER,
        "ohjelma.pdf",
        len(data),
    )
    assert (server.upload_count, server.uploaded_bytes) == (1, len(data))

    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/http url specified"):
        await ptb_bot.send_document(USER, "BQACAgNEVERGIVEN")
    assert last_description(server) == "Bad Request: wrong file identifier/HTTP URL specified"
    png = b"\x89PNG fake"
    photo = await ptb_bot.send_photo(USER, png)
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await ptb_bot.send_document(USER, photo.photo[-1].file_id)
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await ptb_bot.send_photo(USER, file_id)
    await ptb_bot.send_photo(OTHER, photo.photo[-1].file_id)
    assert server.upload_count == 2  # the photo; re-sends and refused ids are not uploads

    server.invalidate_file_ids()  # as after a new bot token
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await ptb_bot.send_document(USER, file_id)
    fresh = await ptb_bot.send_document(USER, data, filename="ohjelma.pdf")
    assert fresh.document is not None and fresh.document.file_id != file_id
    assert server.upload_count == 3 and server.uploaded_bytes == 2 * len(data) + len(png)


async def test_user_document_can_be_downloaded(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    server.user_sends_document(USER, "cv.pdf", b"%PDF-1.4 fake", caption="CV")
    (update,) = await ptb_bot.get_updates()
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 fake"


async def test_commands_per_scope_and_language(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    await ptb_bot.set_my_commands([("start", "Aloita"), ("apua", "Neuvoja")], language_code="fi")
    await ptb_bot.set_my_commands([("start", "Start")])
    assert server.commands_for("fi") == [("start", "Aloita"), ("apua", "Neuvoja")]
    assert server.commands == {
        ("default", "fi"): [("start", "Aloita"), ("apua", "Neuvoja")],
        ("default", ""): [("start", "Start")],
    }
    assert [c.command for c in await ptb_bot.get_my_commands(language_code="fi")] == [
        "start",
        "apua",
    ]
    assert await ptb_bot.get_my_commands(language_code="sv") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await ptb_bot.set_my_commands([("huono komento", "x")])
    assert await ptb_bot.delete_my_commands(language_code="fi")
    assert server.commands_for("fi") is None


async def test_get_chat_minimal(server: FakeTelegramServer, ptb_bot: Bot) -> None:
    chat = await ptb_bot.get_chat(USER)
    assert (chat.id, chat.type, chat.first_name) == (USER, "private", "Maija")


async def test_ptb_application_polling_round_trip(
    fake_telegram_factory: Callable[..., FakeTelegramServer],
) -> None:
    srv = fake_telegram_factory(per_chat_interval=0.0)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Tervetuloa</b>", reply_markup=keyboard("ok"))

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Valittu: {query.data}")

    app = (
        Application.builder()
        .token(srv.token)
        .base_url(srv.base_url)
        .base_file_url(srv.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        srv.user_sends(USER, "/start")
        (welcome,) = await srv.async_wait_for_messages(USER, 1, 5)
        assert welcome.text == "Tervetuloa" and welcome.keyboard == [[("b0", "ok")]]
        srv.press_button(USER, "b0")
        await srv.async_wait_until(
            lambda: srv.last_message(USER).text == "Valittu: ok", 5, what="edit"
        )
        await app.updater.stop()
        await app.stop()
    assert srv.pending_updates() == []
    assert [a.data for a in srv.callback_answers] == ["ok"]
    assert srv.count_429 == 0


# ------------------------------------------------------------------ waiting helpers


async def test_wait_helpers_return_and_report_on_timeout(
    server: FakeTelegramServer, ptb_bot: Bot
) -> None:
    waiter = asyncio.create_task(asyncio.to_thread(server.wait_for_messages, USER, 2, 5))
    async_waiter = asyncio.create_task(server.async_wait_for_messages(USER, 2, 5))
    await ptb_bot.send_message(USER, "yksi")
    await ptb_bot.send_message(USER, "kaksi")
    for task in (waiter, async_waiter):
        assert [m.text for m in await task] == ["yksi", "kaksi"]

    with pytest.raises(FakeTelegramTimeout, match=r"(?s)waiting for 3 bot message.*'kaksi'"):
        await server.async_wait_for_messages(USER, 3, timeout=0.2)
    with pytest.raises(TimeoutError):
        server.wait_for_messages(USER, 1, timeout=0.1, after_message_id=10_000)


def test_importable_fixture_gives_running_default_server(
    fake_telegram: FakeTelegramServer,
) -> None:
    assert fake_telegram.running and fake_telegram.flood_control
    response = httpx.post(f"{fake_telegram.base_url}{fake_telegram.token}/getMe")
    assert response.json()["result"]["username"] == fake_telegram.bot_username


def test_context_manager_stops_server() -> None:
    with FakeTelegramServer() as srv:
        url = srv.url
        assert httpx.post(f"{url}/bot{srv.token}/getMe").status_code == 200
    assert not srv.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/bot{srv.token}/getMe", timeout=1)
