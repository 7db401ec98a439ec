"""The platform-neutral core through the in-memory transport: menu, commands, bad input."""

from __future__ import annotations

import json

from handlers.core.context import Context
from handlers.core.flow import Flow, Step
from handlers.core.types import Incoming
from handlers.registry import build_registry
from storage.db import Database
from tests.harness import Bot


async def test_start_greets_in_finnish_and_shows_menu(bot: Bot) -> None:
    [message] = await bot.person().says("/start")
    assert message.text.startswith("Hei! Olen hankebotti.")
    assert message.labels[-3:] == ["Vaihda kieli", "Tietosuoja ja omat tiedot", "Ohjeet"]


async def test_platform_language_is_used_and_unknown_falls_back_to_finnish(bot: Bot) -> None:
    [swedish] = await bot.person(1, "sv-FI").says("/start")
    assert swedish.text.startswith("Hej!")
    [english] = await bot.person(2, "en").says("/start")
    assert english.text.startswith("Hello!")
    [german] = await bot.person(3, "de").says("/start")
    assert german.text.startswith("Hei!")


async def test_language_button_changes_language_for_good(bot: Bot) -> None:
    person = bot.person()
    await person.says("/start")
    await person.presses("Vaihda kieli")
    [changed] = await person.presses("English (englanti)")
    assert changed.text.startswith("The language is now English.")
    [help_text] = await person.says("/apua")
    assert "How to use the bot" in help_text.text
    assert "/cancel – stop what you are doing" in help_text.text


async def test_help_lists_commands_in_the_persons_language(bot: Bot) -> None:
    [message] = await bot.person().says("/apua")
    for line in ("/peru – lopeta kesken oleva asia", "/tietosuoja", "/omattiedot", "/unohda"):
        assert line in message.text


async def test_unknown_text_gets_a_helpful_answer_and_the_menu(bot: Bot) -> None:
    [message] = await bot.person().says("mitä kuuluu")
    assert message.text.startswith("En ymmärtänyt.")
    assert "Ohjeet" in message.labels


async def test_unknown_command_points_to_help(bot: Bot) -> None:
    [message] = await bot.person().says("/nonsense")
    assert "/apua" in message.text


async def test_bad_inputs_get_short_answers(bot: Bot) -> None:
    person = bot.person()
    [sticker] = await person.says(None)
    assert "tekstiä" in sticker.text
    [empty] = await person.says("   \x00\x07  ")
    assert "tekstiä" in empty.text
    [long] = await person.says("a" * 5000)
    assert "liian pitkä" in long.text and "4\xa0000" in long.text
    [emoji] = await person.says("🙂🙂🙂")
    assert emoji.text.startswith("En ymmärtänyt.")
    [markup] = await person.says("<b>hi</b> & *bold* _x_")
    assert markup.text.startswith("En ymmärtänyt.")


async def test_cancel_ends_a_conversation_anywhere(bot: Bot) -> None:
    person = bot.person()
    [nothing] = await person.says("/peru")
    assert nothing.text.startswith("Mitään ei ollut kesken.")
    await person.says("/unohda")
    [done] = await person.says("/cancel")
    assert done.text.startswith("Selvä, lopetettiin.")
    [after] = await person.says("Kyllä")
    assert after.text.startswith("En ymmärtänyt.")  # the forget step is gone


async def test_wrong_answer_keeps_the_step(bot: Bot) -> None:
    person = bot.person()
    await person.says("/unohda")
    [hint] = await person.says("joo")
    assert "Kyllä, poista" in hint.text
    [kept] = await person.presses("Ei, pidä tiedot")
    assert kept.text.startswith("Selvä, tietosi pysyvät")


async def test_mydata_exports_and_forget_deletes_everything(bot: Bot, db: Database) -> None:
    person = bot.person()
    await person.says("/start")
    [export] = await person.says("/omattiedot")
    assert export.document is not None
    name, content = export.document
    assert name.endswith(".json")
    data = json.loads(content)
    assert data["tables"]["users"][0]["user_id"] == person.user_id
    await person.says("/unohda")
    [gone] = await person.presses("Kyllä, poista")
    assert gone.text.startswith("Tietosi on poistettu.")
    async with db.transaction() as conn:
        for table in ("users", "conversations", "memberships", "buttons", "chat_keyboards"):
            column = "chat_id" if table in ("buttons", "chat_keyboards") else "user_id"
            cursor = await conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (person.user_id,)
            )
            row = await cursor.fetchone()
            assert row is not None and row[0] == 0, table
        cursor = await conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE user_id = ?", (person.user_id,)
        )
        row = await cursor.fetchone()
        assert row is not None and row[0] == 0


async def test_privacy_is_short_first_with_the_whole_text_and_own_data_a_tap_away(
    bot: Bot,
) -> None:
    person = bot.person()
    await person.says("/start")
    [short] = await person.says("/tietosuoja")
    assert short.text.startswith("Mitä botti tallentaa?")
    assert len(short.text) < 700
    assert short.labels == ["Lue tarkemmin", "Lataa omat tietoni", "Poista kaikki tietoni"]
    [whole] = await person.presses("Lue tarkemmin")
    assert "Mitä botti ei tallenna?" in whole.text and "/unohda" in whole.text
    [export] = await person.presses("Lataa omat tietoni")
    assert export.document is not None and export.document[0].endswith(".json")
    [confirm] = await person.presses("Poista kaikki tietoni")
    assert confirm.labels[0] == "Kyllä, poista"


async def test_forged_and_foreign_buttons_are_refused(bot: Bot) -> None:
    alice, mallory = bot.person(1), bot.person(2)
    await alice.says("/unohda")
    yes_token = alice.last.buttons[0][0][1]
    [forged] = await mallory.presses_token("not-a-token")
    assert forged.text.startswith("Tämä painike on vanha.")
    [foreign] = await mallory.presses_token(yes_token)  # valid token, other chat
    assert foreign.text.startswith("Tämä painike on vanha.")
    [still] = await alice.says("/omattiedot")
    assert still.document is not None  # alice's data was not deleted by mallory


async def test_old_button_repeats_the_current_question(bot: Bot) -> None:
    person = bot.person()
    await person.says("/start")
    menu_language = next(
        token for row in person.last.buttons for label, token in row if label == "Vaihda kieli"
    )
    await person.says("/unohda")
    [again] = await person.presses_token(menu_language)
    # "lang:" buttons are global and still work; a stale flow button would not
    assert again.text.startswith("Valitse kieli.")
    await person.presses("Ei, pidä tiedot")
    no_token = next(
        t for m in person.messages() for r in m.buttons for label, t in r if label.startswith("Ei")
    )
    [stale] = await person.presses_token(no_token)
    assert stale.text.startswith("Tämä painike on vanha.")


async def test_a_redelivered_update_is_answered_once(bot: Bot) -> None:
    incoming = Incoming(user_id="test:5", chat_id="test:5", text="/start", update_key="u-1")
    first = await bot.dispatcher.handle(incoming)
    second = await bot.dispatcher.handle(incoming)
    await bot.worker.drain()
    assert first.handled and not second.handled and second.duplicate
    assert len([m for m in bot.transport.delivered if m.chat_id == "test:5"]) == 1


async def test_a_failing_step_never_shows_a_traceback(db: Database) -> None:
    registry = build_registry()

    async def prompt(ctx: Context) -> None:
        ctx.reply("menu.prompt")

    async def explode(ctx: Context) -> None:
        raise ValueError(f"secret {ctx.text}")

    registry.add_flow(Flow("boom", {"ask": Step(prompt, explode)}, "ask"))
    async with Bot(db, registry=registry) as bot:
        person = bot.person()
        await person.says("/start")
        async with db.transaction() as conn:
            from storage import conversations

            await conversations.save(
                conn,
                person.user_id,
                person.user_id,
                conversations.ConversationState("boom", "ask"),
                bot.dispatcher.clock(),
            )
        [answer] = await person.says("trigger")
        assert answer.text.startswith("Jotain meni vikaan.")
        assert "Traceback" not in answer.html and "secret" not in answer.html
        assert "Ohjeet" in answer.labels
        [next_answer] = await person.says("trigger")
        assert next_answer.text.startswith("En ymmärtänyt.")  # the broken flow was left


async def test_a_reply_that_cannot_be_rendered_still_gets_an_answer(db: Database) -> None:
    registry = build_registry()

    async def broken(ctx: Context) -> None:
        ctx.reply("no.such.key")

    from handlers.core.flow import Command

    registry.add_command(Command({"fi": ("rikki",)}, broken, "cmd.help"))
    async with Bot(db, registry=registry) as bot:
        [answer] = await bot.person().says("/rikki")
        assert answer.text.startswith("Jotain meni vikaan.")
