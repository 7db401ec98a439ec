"""The platform-neutral core through the in-memory transport: menu, commands, bad input."""

from __future__ import annotations

import json

from handlers.core.context import Context
from handlers.core.flow import Flow, Step
from handlers.core.types import Incoming, Text
from handlers.registry import build_registry
from storage.db import Database
from tests.catalog_labels import shown
from tests.harness import Bot


async def test_start_greets_in_finnish_and_shows_menu(bot: Bot) -> None:
    [message] = await bot.person().says("/start")
    assert message.keys == ("start.greeting", "menu.prompt")
    assert message.text.startswith(shown("start.greeting"))  # in Finnish
    assert message.label_keys[-3:] == ["menu.language", "menu.privacy", "menu.help"]


async def test_platform_language_is_used_and_unknown_falls_back_to_finnish(bot: Bot) -> None:
    [swedish] = await bot.person(1, "sv-FI").says("/start")
    assert swedish.text.startswith(shown("start.greeting", "sv"))
    [english] = await bot.person(2, "en").says("/start")
    assert english.text.startswith(shown("start.greeting", "en"))
    [german] = await bot.person(3, "de").says("/start")
    assert german.text.startswith(shown("start.greeting", "fi"))


async def test_language_button_changes_language_for_good(bot: Bot) -> None:
    person = bot.person()
    await person.says("/start")
    await person.presses_key("menu.language")
    [changed] = await person.presses_key("language.en")
    assert changed.text.startswith(shown("language.changed", "en"))
    [help_text] = await person.says("/apua")
    assert help_text.keys == ("help.text",)
    assert help_text.text.startswith(shown("help.text", "en", commands="").strip())
    cancel = shown("help.line", "en", command="/cancel", description=Text("cmd.cancel"))
    assert cancel in help_text.text


async def test_help_lists_commands_in_the_persons_language(bot: Bot) -> None:
    [message] = await bot.person().says("/apua")
    cancel = shown("help.line", command="/peru", description=Text("cmd.cancel"))
    for line in (cancel, "/tietosuoja", "/omattiedot", "/unohda"):
        assert line in message.text


async def test_unknown_text_gets_a_helpful_answer_and_the_menu(bot: Bot) -> None:
    [message] = await bot.person().says("mitä kuuluu")
    assert message.keys[0] == "error.unknown_input"
    assert "menu.help" in message.label_keys


async def test_unknown_command_points_to_help(bot: Bot) -> None:
    [message] = await bot.person().says("/nonsense")
    assert "/apua" in message.text


async def test_bad_inputs_get_short_answers(bot: Bot) -> None:
    person = bot.person()
    [sticker] = await person.says(None)
    assert sticker.keys == ("error.text_only",)
    [empty] = await person.says("   \x00\x07  ")
    assert empty.keys == ("error.text_only",)
    [long] = await person.says("a" * 5000)
    assert long.keys == ("error.too_long",) and "4\xa0000" in long.text
    [emoji] = await person.says("🙂🙂🙂")
    assert emoji.keys[0] == "error.unknown_input"
    [markup] = await person.says("<b>hi</b> & *bold* _x_")
    assert markup.keys[0] == "error.unknown_input"


async def test_cancel_ends_a_conversation_anywhere(bot: Bot) -> None:
    person = bot.person()
    [nothing] = await person.says("/peru")
    assert nothing.keys[0] == "cancel.nothing"
    await person.says("/unohda")
    [done] = await person.says("/cancel")
    assert done.keys[0] == "cancel.done"
    [after] = await person.says("Kyllä")
    assert after.keys[0] == "error.unknown_input"  # the forget step is gone


async def test_wrong_answer_keeps_the_step(bot: Bot) -> None:
    person = bot.person()
    await person.says("/unohda")
    [hint] = await person.says("joo")
    assert hint.keys == ("forget.use_buttons", "forget.confirm")  # the options again
    [kept] = await person.presses_key("forget.no")
    assert kept.keys[0] == "forget.kept"


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
    [gone] = await person.presses_key("forget.yes")
    assert gone.keys[0] == "forget.done"
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
    assert short.keys == ("privacy.short",)
    assert len(short.text) < 700
    assert short.label_keys == [
        "privacy.more_button",
        "privacy.export_button",
        "privacy.forget_button",
    ]
    [whole] = await person.presses_key("privacy.more_button")
    assert whole.keys[0] == "privacy.text" and "/unohda" in whole.text
    [export] = await person.presses_key("privacy.export_button")
    assert export.document is not None and export.document[0].endswith(".json")
    [confirm] = await person.presses_key("privacy.forget_button")
    assert confirm.label_keys[0] == "forget.yes"


async def test_forged_and_foreign_buttons_are_refused(bot: Bot) -> None:
    alice, mallory = bot.person(1), bot.person(2)
    await alice.says("/unohda")
    yes_token = alice.last.buttons[0][0][1]
    [forged] = await mallory.presses_token("not-a-token")
    assert forged.keys[0] == "error.old_button"
    [foreign] = await mallory.presses_token(yes_token)  # valid token, other chat
    assert foreign.keys[0] == "error.old_button"
    [still] = await alice.says("/omattiedot")
    assert still.document is not None  # alice's data was not deleted by mallory


async def test_old_button_repeats_the_current_question(bot: Bot) -> None:
    person = bot.person()
    await person.says("/start")
    menu_language = person.last.button("menu.language")
    assert menu_language is not None
    await person.says("/unohda")
    [again] = await person.presses_token(menu_language.token)
    # "lang:" buttons are global and still work; a stale flow button would not
    assert again.keys == ("language.prompt",)
    await person.presses_key("forget.no")
    no = next(b for m in person.messages() for b in m.all_buttons() if b.key == "forget.no")
    [stale] = await person.presses_token(no.token)
    assert stale.keys[0] == "error.old_button"


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
        assert answer.keys[0] == "error.internal"
        assert "Traceback" not in answer.html and "secret" not in answer.html
        assert "menu.help" in answer.label_keys
        [next_answer] = await person.says("trigger")
        assert next_answer.keys[0] == "error.unknown_input"  # the broken flow was left


async def test_a_reply_that_cannot_be_rendered_still_gets_an_answer(db: Database) -> None:
    registry = build_registry()

    async def broken(ctx: Context) -> None:
        ctx.reply("no.such.key")

    from handlers.core.flow import Command

    registry.add_command(Command({"fi": ("rikki",)}, broken, "cmd.help"))
    async with Bot(db, registry=registry) as bot:
        [answer] = await bot.person().says("/rikki")
        assert answer.keys[0] == "error.internal"


async def test_commands_typed_without_a_slash(bot: Bot) -> None:
    person = bot.person()
    for typed in ("apua", "Apua!", "help", "hjälp"):
        [message] = await person.says(typed)
        assert message.keys == ("help.text",), typed
    [nothing] = await person.says("peru")
    assert nothing.keys[0] == "cancel.nothing"
    # inside a flow, the ways out still work, other command words are answers
    await person.says("/unohda")
    [done] = await person.says("peru")
    assert done.keys[0] == "cancel.done"
    await person.says("/unohda")
    [hint] = await person.says("kieli")
    assert hint.keys == ("forget.use_buttons", "forget.confirm")  # the options again
    # a sentence with a command word is not a command
    [sentence] = await person.says("tarvitsen apua budjetin kanssa")
    assert sentence.keys[0] != "help.text"
