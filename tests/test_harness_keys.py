"""The harness's view beside each delivered message: the catalog keys it came from, each
button's label key and payload, and pressing by key, payload or payload family."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.applicant_chat import seed_content
from tests.catalog_labels import label
from tests.harness import Bot, KeyLog


async def test_a_message_shows_the_keys_of_its_texts_and_buttons(bot: Bot) -> None:
    person = bot.person(1)
    [menu] = await person.says("/start")
    assert menu.keys == ("start.greeting", "menu.prompt")
    assert "menu.language" in menu.label_keys
    assert menu.labels[menu.label_keys.index("menu.language")] == label("menu.language")
    assert menu.button("menu.language") == menu.button(payload="cmd:kieli")
    assert menu.has_button(family="go") and not menu.has_button(family="g")
    # what went to the transport is what a platform gets: labels and tokens only
    assert all(len(button) == 2 for row in menu.buttons for button in row)


async def test_buttons_are_pressed_by_key_payload_or_family(bot: Bot) -> None:
    person = bot.person(1)
    await person.says("/start")
    [languages] = await person.presses_key("menu.language")
    assert languages.keys == ("language.prompt",)
    assert [b.payload for b in languages.buttons_of("lang")] == ["lang:fi", "lang:sv", "lang:en"]
    [swedish] = await person.presses_payload("lang:sv")
    assert swedish.keys[0] == "language.changed"
    await person.presses_key("menu.language")
    [finnish] = await person.presses_family("lang", 0)
    assert finnish.keys[0] == "language.changed"
    assert finnish.text.startswith(label("language.changed"))


async def test_a_key_with_parameters_finds_the_button_showing_them(db: Database) -> None:
    async with Bot(db, content=seed_content()) as bot:
        person = bot.person(1)
        await person.says("/start")
        [models] = await person.presses_key("menu.budget")
        names = [b.label for b in models.all_buttons() if b.key == "applicant.option"]
        assert names
        [chosen] = await person.presses_key("applicant.option", label=names[0])
        assert chosen.has_button("budget.staff_lines")
        with pytest.raises(AssertionError, match=r"no button applicant\.option"):
            await person.presses_key("applicant.option", label="no such model")
        with pytest.raises(AssertionError, match="no button payload 'lang:sv'"):
            await person.presses_payload("lang:sv")


def test_the_newest_key_wins_and_unknown_parts_are_left_out() -> None:
    log = KeyLog()
    log.record("a.first", "Same words")
    log.record("b.second", "Same words")
    assert log.label_key("Same words") == "b.second"
    log.record("c.para", "One\n\nTwo")
    log.record("d.line", "<b>Three</b>")
    assert log.keys_of("One\n\nTwo\n\n<b>Three</b>") == ("c.para", "d.line")
    assert log.keys_of("typed by someone\n\n<b>Three</b>") == ("d.line",)
    assert log.label_key("Three") == "d.line"  # a label is the plain text
