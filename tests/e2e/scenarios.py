"""Conversations every transport must carry, written once against :class:`ChatDriver`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tests.catalog_labels import find_label, label, shown
from tests.e2e.driver import ChatDriver

Scenario = Callable[[ChatDriver], Awaitable[None]]


def first_line(key: str, locale: str = "fi") -> str:
    """The first line of a catalog text (the rest may name commands, which Matrix shows
    with "!" instead of "/")."""
    return shown(key, locale).split("\n")[0]


async def start_menu_and_help(chat: ChatDriver) -> None:
    await chat.send("/start")
    [greeting] = await chat.replies()
    assert greeting.text.startswith(first_line("start.greeting"))
    assert label("menu.help") in greeting.labels
    await chat.press(label("menu.help"))
    [help_text] = await chat.replies()
    command = chat.command_prefix  # "!" on Matrix, where clients take "/" for their own
    assert f"{command}peru" in help_text.text and f"{command}tietosuoja" in help_text.text


async def language_change(chat: ChatDriver) -> None:
    await chat.send("/kieli")
    [prompt] = await chat.replies()
    assert label("language.sv") in prompt.labels
    await chat.press(label("language.sv"))
    [changed] = await chat.replies()
    assert changed.text.startswith(shown("language.changed", "sv"))
    await chat.send("/start")
    [greeting] = await chat.replies()
    assert greeting.text.startswith(first_line("start.greeting", "sv"))


async def bad_input_is_answered_and_the_step_kept(chat: ChatDriver) -> None:
    await chat.send("/unohda")
    [confirm] = await chat.replies()
    assert label("forget.yes") in confirm.labels
    await chat.send("<b>joo</b> & 🙂")
    [hint] = await chat.replies()
    assert hint.text.startswith(shown("forget.use_buttons"))
    await chat.send("x" * 4500)
    [too_long] = await chat.replies()
    assert too_long.text.startswith(shown("error.too_long", limit=4000))
    await chat.press(label("forget.no"))
    [kept] = await chat.replies()
    assert kept.text.startswith(shown("forget.kept"))


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
    await chat.press(label("forget.yes"))
    [done] = await chat.replies()
    assert done.text.startswith(shown("forget.done"))


# --- applicants (issue #5) ----------------------------------------------------------------


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


async def can_i_join_to_an_outcome(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.press(label("menu.join"))
    [projects] = await chat.replies()
    assert "Kaveria ei jätetä" in projects.labels
    await chat.press("Kaveria ei jätetä")
    [age] = await chat.replies()
    assert "Kuinka vanha olet?" in age.text and not age.labels
    await chat.send("35")  # typed: never a numbered button
    [municipality] = await chat.replies()
    assert "Mikkeli" in municipality.labels
    await chat.press("Mikkeli")
    [situation] = await chat.replies()
    on_subsidy = "Olen työtön ja saan työmarkkinatukea (en ansiosidonnaista)"
    assert on_subsidy in situation.labels
    await chat.press(on_subsidy)
    [outcome] = await chat.replies()
    assert shown("eligibility.outcome.likely_eligible") in outcome.text, outcome.text
    await chat.press(label("applicant.finish"))
    [bye] = await chat.replies()
    assert bye.text.startswith(shown("join.bye"))


async def budget_for_seed_000(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.press(label("menu.budget"))
    await chat.replies()
    await chat.press("Flat rate 40 % kehittäminen")
    await chat.replies()
    await chat.press(label("budget.staff_total"))
    await chat.replies()
    await chat.send("154 727")
    [flat] = await chat.replies()
    assert "61 891 €" in _plain(flat.text)
    await chat.send("0")  # typed: never a numbered button
    [net] = await chat.replies()
    assert "= 216 618 €" in _plain(net.text)
    await chat.press("yhdistys tai muu järjestö")
    [eu] = await chat.replies()
    use_max = find_label(eu.labels, "budget.eu_use_max")
    assert "80 %" in _plain(use_max)
    await chat.press(use_max)
    await chat.replies()
    await chat.press("Kuntarahoitus")
    await chat.replies()
    await chat.press("Muu julkinen rahoitus")
    await chat.replies()
    await chat.press(label("applicant.done"))
    await chat.replies()
    await chat.send("19 499")
    await chat.replies()
    await chat.send("19 499")
    [own] = await chat.replies()
    rest = find_label(own.labels, "budget.own_rest")
    assert "4 326 €" in _plain(rest)
    await chat.press(rest)
    await chat.replies()
    await chat.press(label("budget.split_no"))
    [summary] = await chat.replies()
    shown = _plain(summary.text)
    for line in (
        "Nettokustannusarvio yhteensä: 216 618 €",
        "Haettava EU- ja valtion rahoitus: 173 294 € (80,00 %)",
        "Omarahoitus: Yksityinen rahoitus: 4 326 € (2,00 %)",
        "Rahoitussuunnitelma yhteensä: 216 618 € (100,00 %)",
    ):
        assert line in shown, (line, shown)
    await chat.press(label("budget.file_csv"))
    [file] = await chat.replies()
    assert file.file is not None and file.file[0] == "budjetti.csv"
    assert "Haettava EU- ja valtion rahoitus;173294;80,00" in file.file[1].decode("utf-8-sig")


SCENARIOS: list[Scenario] = [
    start_menu_and_help,
    language_change,
    bad_input_is_answered_and_the_step_kept,
    export_arrives_as_a_file,
    forget_deletes_after_confirmation,
    can_i_join_to_an_outcome,
    budget_for_seed_000,
]
