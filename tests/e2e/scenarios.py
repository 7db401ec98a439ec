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
    command = chat.command_prefix  # "!" on Matrix, where clients take "/" for their own
    assert f"{command}peru" in help_text.text and f"{command}tietosuoja" in help_text.text


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


# --- applicants (issue #5) ----------------------------------------------------------------


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _label_starting(labels: list[str], prefix: str) -> str:
    """The exact label (whatever its spaces) of the option that starts with ``prefix``."""
    return next(label for label in labels if _plain(label).startswith(prefix))


async def can_i_join_to_an_outcome(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.press("Voinko liittyä hankkeeseen?")
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
    assert outcome.text.startswith("Näyttää siltä, että hanke sopii sinulle."), outcome.text
    await chat.press("Valmis")
    [bye] = await chat.replies()
    assert bye.text.startswith("Selvä. Vastauksesi on unohdettu.")


async def budget_for_seed_000(chat: ChatDriver) -> None:
    await chat.send("/start")
    await chat.replies()
    await chat.press("Laske hankkeen budjetti")
    await chat.replies()
    await chat.press("Flat rate 40 % kehittäminen")
    await chat.replies()
    await chat.press("Kirjoitan palkkakustannukset yhteensä")
    await chat.replies()
    await chat.send("154 727")
    [flat] = await chat.replies()
    assert "61 891 €" in _plain(flat.text)
    await chat.send("0")  # typed: never a numbered button
    [net] = await chat.replies()
    assert "= 216 618 €" in _plain(net.text)
    await chat.press("yhdistys tai muu järjestö")
    [eu] = await chat.replies()
    await chat.press(_label_starting(eu.labels, "Haetaan 80 %"))
    await chat.replies()
    await chat.press("Kuntarahoitus")
    await chat.replies()
    await chat.press("Muu julkinen rahoitus")
    await chat.replies()
    await chat.press("Valmis ➡️")
    await chat.replies()
    await chat.send("19 499")
    await chat.replies()
    await chat.send("19 499")
    [own] = await chat.replies()
    await chat.press(_label_starting(own.labels, "Loput: 4 326 €"))
    await chat.replies()
    await chat.press("Ei tarvitse")
    [summary] = await chat.replies()
    shown = _plain(summary.text)
    for line in (
        "Nettokustannusarvio yhteensä: 216 618 €",
        "Haettava EU- ja valtion rahoitus: 173 294 € (80,00 %)",
        "Omarahoitus: Yksityinen rahoitus: 4 326 € (2,00 %)",
        "Rahoitussuunnitelma yhteensä: 216 618 € (100,00 %)",
    ):
        assert line in shown, (line, shown)
    await chat.press("CSV")
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
