"""/start, the main menu, /help, /cancel and /language.

```mermaid
stateDiagram-v2
    [*] --> menu: /start
    menu --> area: menu button (go:FLOW / cmd:NAME)
    area --> menu: /cancel (any step)
```
"""

from __future__ import annotations

from dataclasses import replace

from handlers.common.buttons import COMMAND, GO, LANGUAGE, QUIT
from handlers.core.context import Context
from handlers.core.flow import NONEMPTY, Command, MenuEntry, Registry, one_of
from handlers.core.types import Button, Lines, Text
from messages.languages import LOCALES
from messages.words import command_names
from storage import users

# the language chooser: every language in messages/ (its name is the entry "language.<locale>")
LANGUAGE_NAMES = {locale: f"language.{locale}" for locale in LOCALES}


def main_menu(ctx: Context) -> None:
    """The menu as buttons, showing only what the person's roles allow."""
    registry = ctx.services.registry
    rows = [
        (Button(entry.label_key, entry.payload),)
        for entry in registry.menu
        if entry.visible(ctx.roles)
    ]
    ctx.reply("menu.prompt", buttons=rows)


async def start(ctx: Context) -> None:
    if ctx.args:
        for handler in ctx.services.registry.start_arguments:
            if await handler(ctx, ctx.args):
                return
    ctx.end()
    ctx.reply("start.greeting")
    main_menu(ctx)


async def show_help(ctx: Context) -> None:
    locale = ctx.locale
    lines = tuple(
        Text(
            "help.line",
            {
                "command": "/" + command.names.get(locale, command.names["fi"])[0],
                "description": Text(command.description_key),
            },
        )
        for command in ctx.services.registry.commands
        if command.visible(ctx.roles)
    )
    ctx.reply("help.text", commands=Lines(lines))


#: Where in a flow's data /peru remembers the step at which it asked before throwing away.
CANCEL_ASKED = "cancel_asked"


async def cancel(ctx: Context) -> None:
    if ctx.state is None:
        ctx.reply("cancel.nothing")
        main_menu(ctx)
        return
    flow = ctx.services.registry.flows.get(ctx.state.flow)
    question = flow.confirm_cancel(ctx) if flow and flow.confirm_cancel else None
    if question is not None and ctx.data.get(CANCEL_ASKED) != ctx.state.step:
        # Asked once at this step: a second /peru, or "Kyllä, lopeta", throws it away.
        ctx.data[CANCEL_ASKED] = ctx.state.step
        ctx.reply(
            question,
            buttons=[
                [QUIT.button("cancel.really", "yes")],
                [QUIT.button("cancel.keep_going", "no")],
            ],
        )
        return
    await _cancelled(ctx)


async def _cancelled(ctx: Context) -> None:
    """End the conversation, after its flow kept what it keeps (``Flow.on_cancel``)."""
    assert ctx.state is not None
    flow = ctx.services.registry.flows.get(ctx.state.flow)
    ctx.data.pop(CANCEL_ASKED, None)
    if flow is not None and flow.on_cancel is not None:
        await flow.on_cancel(ctx)
    ctx.end()
    ctx.reply("cancel.done")
    main_menu(ctx)


async def answer_cancel_question(ctx: Context) -> None:
    """ "Kyllä, lopeta" ends the flow as /peru; "Ei, jatketaan" asks its question again."""
    choice = QUIT.value(ctx.payload)
    if ctx.state is None:
        ctx.reply("cancel.nothing")
        main_menu(ctx)
    elif choice == "yes":
        await _cancelled(ctx)
    else:
        ctx.data.pop(CANCEL_ASKED, None)
        ctx.next_step = ctx.state.step


async def choose_language(ctx: Context) -> None:
    ctx.reply(
        "language.prompt",
        buttons=[[LANGUAGE.button(label, code)] for code, label in LANGUAGE_NAMES.items()],
    )


async def set_language(ctx: Context) -> None:
    parts = LANGUAGE.parse(ctx.payload, one_of(*LANGUAGE_NAMES))
    if parts is None:
        await choose_language(ctx)
        return
    code = parts[0]
    await users.set_locale(ctx.conn, ctx.user.user_id, code)
    ctx.user = replace(ctx.user, locale=code, locale_chosen=True)
    ctx.reply("language.changed")
    if ctx.state is not None:
        ctx.next_step = ctx.state.step  # carry on where we were, in the new language
    else:
        main_menu(ctx)


async def show_menu(ctx: Context) -> None:
    main_menu(ctx)


async def run_command_button(ctx: Context) -> None:
    """Menu buttons with payload ``cmd:NAME`` behave exactly like typing /NAME."""
    parts = COMMAND.parse(ctx.payload, NONEMPTY)
    if parts is None:
        ctx.reply("error.old_button")
        return
    command = ctx.services.registry.command_named(parts[0])
    if command is None or not command.visible(ctx.roles):
        ctx.reply("error.not_allowed")
        return
    await command.action(ctx)


async def start_flow_button(ctx: Context) -> None:
    """Menu buttons with payload ``go:FLOW`` start that flow (flows check roles themselves)."""
    parts = GO.parse(ctx.payload, one_of(*ctx.services.registry.flows))
    if parts is None:
        ctx.reply("error.old_button")
        main_menu(ctx)
        return
    ctx.begin(parts[0])


def register(registry: Registry) -> None:
    registry.add_command(Command(command_names("start"), start, "cmd.start", order=0))
    registry.add_command(Command(command_names("help"), show_help, "cmd.help", order=1))
    registry.add_command(Command(command_names("menu"), show_menu, "cmd.menu", order=2))
    registry.add_command(
        Command(
            command_names("cancel"),
            cancel,
            "cmd.cancel",
            order=3,
        )
    )
    registry.add_command(
        Command(
            command_names("language"),
            choose_language,
            "cmd.language",
            order=90,
        )
    )
    registry.add_global_payload(LANGUAGE, set_language)
    registry.add_global_payload(QUIT, answer_cancel_question)
    registry.add_global_payload(COMMAND, run_command_button)
    registry.add_global_payload(GO, start_flow_button)
    registry.add_menu_entry(MenuEntry("menu.language", "cmd:kieli", order=900))
    registry.add_menu_entry(MenuEntry("menu.help", "cmd:apua", order=910))
