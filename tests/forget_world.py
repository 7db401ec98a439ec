"""People on real platforms' ids for the /unohda tests, and a dump of the whole database.

The harness :class:`~tests.harness.Person` chats with ``test:N`` ids whose private chat is the
user id and whose update keys contain that id. Here a person has a Telegram or a Matrix id, a
chat id of its own (a Matrix direct room is not the user id), the name their app shows, and
update keys shaped like the platforms' own (``telegram:update:N``, ``matrix:$event``), which
name nobody. Buttons are pressed by payload, looked up in the ``buttons`` table.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from handlers.core.types import Incoming
from storage.db import Database
from tests.harness import Bot, Delivered, Person

_UPDATES = itertools.count(1)


@dataclass(frozen=True)
class Account:
    user_id: str
    chat_id: str
    name: str

    @property
    def bare_user(self) -> str:
        """The platform's own id, without the ``telegram:`` / ``matrix:`` prefix."""
        return self.user_id.split(":", 1)[1]

    @property
    def bare_chat(self) -> str:
        return self.chat_id.split(":", 1)[1]


#: Everyone in a test world, per platform: the person who forgets, a coordinator, an admin.
ACCOUNTS: dict[str, dict[str, Account]] = {
    "telegram": {
        "person": Account("telegram:7305118842", "telegram:7305118842", "Anna Kivimäki-Testaaja"),
        "coordinator": Account("telegram:5550001111", "telegram:5550001111", "Olli Ohjaaja"),
        "admin": Account("telegram:5550002222", "telegram:5550002222", "Ylla Pitäjä"),
    },
    "matrix": {
        "person": Account(
            "matrix:@anna.k:example.org",
            "matrix:!AnnaDirect7Qx:example.org",
            "Anna Kivimäki-Testaaja",
        ),
        "coordinator": Account(
            "matrix:@olli.ohjaaja:example.org", "matrix:!OlliDirect3Zp:example.org", "Olli Ohjaaja"
        ),
        "admin": Account(
            "matrix:@ylla:example.org", "matrix:!YllaDirect9Wd:example.org", "Ylla Pitäjä"
        ),
    },
}


class Someone(Person):
    """A person chatting in their own private chat under a platform's ids."""

    def __init__(self, bot: Bot, account: Account, locale: str = "fi") -> None:
        super().__init__(bot, account.user_id, locale)
        self.account = account

    async def _send(self, **fields: str | None) -> list[Delivered]:
        platform = self.user_id.split(":", 1)[0]
        number = next(_UPDATES)
        key = f"matrix:$ev{number:06d}" if platform == "matrix" else f"telegram:update:{number}"
        await self.bot.dispatcher.handle(
            Incoming(
                user_id=self.user_id,
                chat_id=self.account.chat_id,
                locale_hint=self.locale,
                display_name=self.account.name,
                update_key=key,
                **fields,  # type: ignore[arg-type]
            )
        )
        await self.bot.worker.drain(timeout=10)
        return self.new_messages()

    def messages(self) -> list[Delivered]:
        return [m for m in self.bot.transport.delivered if m.chat_id == self.account.chat_id]

    async def press(self, matches: str | Callable[[str], bool]) -> list[Delivered]:
        """Press the newest button whose payload is ``matches`` (or satisfies it)."""
        wanted = matches if callable(matches) else (lambda payload: payload == matches)
        async with self.bot.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT token, payload FROM buttons WHERE chat_id = ?", (self.account.chat_id,)
            )
            payloads = {row["token"]: row["payload"] for row in await cursor.fetchall()}
        for message in reversed(self.messages()):
            for row in message.buttons:
                for _, token in row:
                    if token in payloads and wanted(payloads[token]):
                        return await self.presses_token(token)
        raise AssertionError(f"no button for {matches!r}; saw {sorted(payloads.values())}")

    async def payloads(self) -> list[str]:
        """Every payload of a button offered in this person's chat."""
        async with self.bot.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT payload FROM buttons WHERE chat_id = ?", (self.account.chat_id,)
            )
            return [str(row[0]) for row in await cursor.fetchall()]


def starts(prefix: str, suffix: str = "") -> Callable[[str], bool]:
    return lambda payload: payload.startswith(prefix) and payload.endswith(suffix)


# --- the whole database -------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    table: str
    column: str
    text: str


def _texts(value: object) -> list[str]:
    """A stored value as every text it can be read as: blobs decoded, JSON unescaped."""
    if value is None:
        return []
    if isinstance(value, bytes):
        texts = [value.decode("utf-8", errors="replace"), value.decode("latin-1")]
    else:
        texts = [str(value)]
    for text in list(texts):
        try:
            decoded = json.loads(text)
        except ValueError:
            continue
        texts.append(json.dumps(decoded, ensure_ascii=False))
    return texts


async def dump(db: Database) -> list[Cell]:
    """Every cell of every table (from ``sqlite_master``), as text."""
    cells: list[Cell] = []
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [str(row[0]) for row in await cursor.fetchall()]
        for table in tables:
            cursor = await conn.execute(f'SELECT * FROM "{table}"')
            for row in await cursor.fetchall():
                for column in row.keys():  # noqa: SIM118 - sqlite rows are not dicts
                    for text in _texts(row[column]):
                        cells.append(Cell(table, column, text))
    return cells


def needles_of(account: Account, *typed: str) -> list[str]:
    """What must not be left of a person: ids with and without the platform, their chat,
    the name their app shows and what they typed."""
    found = {
        account.user_id,
        account.bare_user,
        account.chat_id,
        account.bare_chat,
        account.name,
        *typed,
    }
    return sorted(found)


async def traces(db: Database, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every cell that still holds a needle (any case)."""
    lowered = [(needle, needle.lower()) for needle in needles]
    hits = {
        (cell.table, cell.column, needle)
        for cell in await dump(db)
        for needle, low in lowered
        if low in cell.text.lower()
    }
    return sorted(hits)


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)
