"""Conversations every transport must carry, written once against :class:`ChatDriver`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tests.e2e.driver import ChatDriver

Scenario = Callable[[ChatDriver], Awaitable[None]]


async def start_menu_and_help(chat: ChatDriver) -> None:
    await chat.send("/start")
    [greeting] = await chat.replies()
    assert greeting.text.startswith("Hei! Olen hankebotti.")
    assert "Ohjeet" in greeting.labels
    await chat.press("Ohjeet")
    [help_text] = await chat.replies()
    assert "/peru" in help_text.text and "/tietosuoja" in help_text.text


async def language_change(chat: ChatDriver) -> None:
    await chat.send("/kieli")
    [prompt] = await chat.replies()
    assert "Svenska (ruotsi)" in prompt.labels
    await chat.press("Svenska (ruotsi)")
    [changed] = await chat.replies()
    assert changed.text.startswith("Språket är nu svenska.")
    await chat.send("/start")
    [greeting] = await chat.replies()
    assert greeting.text.startswith("Hej!")


async def bad_input_is_answered_and_the_step_kept(chat: ChatDriver) -> None:
    await chat.send("/unohda")
    [confirm] = await chat.replies()
    assert "Kyllä, poista" in confirm.labels
    await chat.send("<b>joo</b> & 🙂")
    [hint] = await chat.replies()
    assert "Kyllä, poista" in hint.text
    await chat.send("x" * 4500)
    [too_long] = await chat.replies()
    assert "liian pitkä" in too_long.text
    await chat.press("Ei, pidä tiedot")
    [kept] = await chat.replies()
    assert kept.text.startswith("Selvä, tietosi pysyvät")


async def export_arrives_as_a_file(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.send("/omattiedot")
    [export] = await chat.replies()
    assert export.file is not None
    name, content = export.file
    assert name.endswith(".json")
    assert json.loads(content)["tables"]["users"]


async def forget_deletes_after_confirmation(chat: ChatDriver) -> None:
    await chat.send("/unohda")
    await chat.replies()
    await chat.press("Kyllä, poista")
    [done] = await chat.replies()
    assert done.text.startswith("Tietosi on poistettu.")


SCENARIOS: list[Scenario] = [
    start_menu_and_help,
    language_change,
    bad_input_is_answered_and_the_step_kept,
    export_arrives_as_a_file,
    forget_deletes_after_confirmation,
]
