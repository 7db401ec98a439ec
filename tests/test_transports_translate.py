"""Transports translate and nothing more (issue 12, rule 4): what a transport shows is
finished by the core. Here: Telegram's command menu, which the core renders (names and
descriptions in each language, only the commands everyone sees) and the transport only
publishes; and no transport module looks a catalog text up itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.command_menu import command_menus
from bot.config import Settings
from bot.i18n import Renderer
from bot.transports.telegram import TelegramTransport
from handlers.core.context import Roles
from handlers.registry import build_registry
from messages.languages import LOCALES
from storage.db import Database

ROOT = Path(__file__).resolve().parents[1]


def test_the_core_renders_the_menu_in_every_language() -> None:
    registry = build_registry()
    renderer = Renderer(ZoneInfo("Europe/Helsinki"))
    menus = command_menus(registry, renderer)
    assert set(menus) == {None, *LOCALES}
    visible = [command for command in registry.commands if command.visible(Roles())]
    assert visible and len(visible) < len(registry.commands)  # some are hidden
    for locale, menu in menus.items():
        lang = locale or "fi"
        assert menu == [
            (
                command.names.get(lang, command.names["fi"])[0],
                renderer.text(lang, command.description_key),
            )
            for command in visible
        ]


class _FakeBot:
    def __init__(self) -> None:
        self.published: dict[str | None, list[tuple[str, str]]] = {}

    async def set_my_commands(self, commands: Any, language_code: str | None = None) -> bool:
        self.published[language_code] = [(c.command, c.description) for c in commands]
        return True


async def test_telegram_publishes_the_menu_it_is_given(db: Database, tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database=tmp_path / "bot.sqlite3",
        telegram_token="123456:" + "A" * 35,
        telegram_api_url="http://127.0.0.1:9",
    )
    menus = {None: [("alku", "Given text")], "sv": [("start", "Annan text")]}
    transport = TelegramTransport(settings, db, menus)
    fake = _FakeBot()
    transport.bot = fake  # type: ignore[assignment]
    await transport._publish_commands()
    assert fake.published == menus


def test_no_transport_looks_up_a_catalog_text() -> None:
    """A catalog lookup (``.text(`` of a renderer, ``gettext``) in a transport module would
    be the transport deciding what people read."""
    lookup = re.compile(r"\brenderer\b|\.text\(|gettext|\bRenderer\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "bot" / "transports").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if lookup.search(line)
    ]
    assert offenders == []
