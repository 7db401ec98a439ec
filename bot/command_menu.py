"""The command menu a platform shows (Telegram's ``setMyCommands``), finished by the core.

For each language (and ``None``: the platform's default, in Finnish) the commands everyone
sees, each as its name in that language and its description from the catalog. Transports
only publish it (issue 12, rule 4).
"""

from __future__ import annotations

from bot.i18n import Renderer
from handlers.core.context import Roles
from handlers.core.flow import Registry
from messages.languages import LOCALES, SOURCE_LOCALE

#: (name, description) per language code; ``None``: the default menu.
Menus = dict[str | None, list[tuple[str, str]]]


def command_menus(registry: Registry, renderer: Renderer) -> Menus:
    menus: Menus = {}
    for locale in (None, *LOCALES):
        lang = locale or SOURCE_LOCALE
        menus[locale] = [
            (
                command.names.get(lang, command.names[SOURCE_LOCALE])[0],
                renderer.text(lang, command.description_key),
            )
            for command in registry.commands
            if command.visible(Roles())
        ]
    return menus
