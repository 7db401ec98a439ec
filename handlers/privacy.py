"""/privacy, /mydata (export as JSON) and /forget (delete after a confirmation).

```mermaid
stateDiagram-v2
    [*] --> confirm: /forget
    confirm --> [*]: yes → everything about the person is deleted
    confirm --> [*]: no → nothing changes
```
"""

from __future__ import annotations

import json

from handlers import privacy_notice
from handlers.context import Context
from handlers.flow import Command, Flow, MenuEntry, Registry, Step
from handlers.start import main_menu
from handlers.types import Button, Document, InvalidInput
from storage import personal_data

FORGET = "forget"


async def show_privacy(ctx: Context) -> None:
    """The short version first (many read with difficulty); the whole text one tap away."""
    privacy_notice.show_short(ctx)


async def privacy_button(ctx: Context) -> None:
    if ctx.payload == "privacy:more":
        await privacy_notice.show_full(ctx)
    else:
        ctx.reply("error.old_button")


def _private_only(ctx: Context) -> bool:
    if ctx.incoming.is_group_chat:
        ctx.reply("privacy.private_only")
        return False
    return True


async def export_my_data(ctx: Context) -> None:
    if not _private_only(ctx):
        return
    data = await personal_data.export(ctx.conn, ctx.user.user_id, ctx.incoming.chat_id)
    body = {
        "exported_at": ctx.now.isoformat(),
        "user_id": ctx.user.user_id,
        "tables": data,
    }
    content = json.dumps(body, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    ctx.reply(
        "mydata.ready",
        document=Document("hankebot-omat-tiedot.json", content, "application/json"),
    )


async def forget(ctx: Context) -> None:
    if not _private_only(ctx):
        return
    ctx.begin(FORGET)


async def _confirm_prompt(ctx: Context) -> None:
    ctx.reply(
        "forget.confirm",
        buttons=[
            [Button("forget.yes", "forget:yes")],
            [Button("forget.no", "forget:no")],
        ],
    )


async def _confirm_handle(ctx: Context) -> None:
    if ctx.payload == "forget:yes":
        await personal_data.delete(ctx.conn, ctx.user.user_id, ctx.incoming.chat_id)
        ctx.forgotten = True
        ctx.end()
        ctx.reply("forget.done")
    elif ctx.payload == "forget:no":
        ctx.end()
        ctx.reply("forget.kept")
        main_menu(ctx)
    else:
        raise InvalidInput("forget.use_buttons")


def register(registry: Registry) -> None:
    registry.add_flow(Flow(FORGET, {"confirm": Step(_confirm_prompt, _confirm_handle)}, "confirm"))
    registry.add_command(
        Command(
            {"fi": ("tietosuoja",), "sv": ("dataskydd",), "en": ("privacy",)},
            show_privacy,
            "cmd.privacy",
            order=91,
        )
    )
    registry.add_command(
        Command(
            {"fi": ("omattiedot",), "sv": ("minadata",), "en": ("mydata",)},
            export_my_data,
            "cmd.mydata",
            order=92,
        )
    )
    registry.add_command(
        Command(
            {"fi": ("unohda",), "sv": ("glom",), "en": ("forget",)},
            forget,
            "cmd.forget",
            order=93,
        )
    )
    registry.add_global_payload("privacy", privacy_button)
    registry.add_menu_entry(MenuEntry("menu.privacy", "cmd:tietosuoja", order=905))
