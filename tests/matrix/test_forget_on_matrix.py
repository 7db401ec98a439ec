"""/unohda on Matrix against a real Synapse: after the farewell the bot leaves and forgets the
encrypted direct room, and its crypto store no longer holds the person's device keys, the Olm
sessions with their device or the room's Megolm sessions; the bot's database names nobody."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.i18n import Renderer
from bot.markup import html_to_plain
from tests.meeting_helpers import TZ

from .matrix_bot import BotProcess, Human
from .synapse_server import SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(180)]


def text(key: str) -> str:
    return html_to_plain(Renderer(TZ).text("fi", key))


def crypto_store(store_dir: Path, person: str, curve: str, room_id: str) -> dict[str, int]:
    """What the bot's nio store holds of the person and the room (row counts)."""
    [path] = store_dir.glob("*.db")
    with sqlite3.connect(path) as conn:

        def count(sql: str, *params: str) -> int:
            return int(conn.execute(sql, params).fetchone()[0])

        found = {
            "device keys": count("SELECT COUNT(*) FROM devicekeys WHERE user_id = ?", person),
            "olm sessions": count("SELECT COUNT(*) FROM olmsessions WHERE sender_key = ?", curve),
            "megolm sessions": count(
                "SELECT COUNT(*) FROM megolminboundsessions WHERE room_id = ?", room_id
            ),
            "encrypted room": count(
                "SELECT COUNT(*) FROM encryptedrooms WHERE room_id = ?", room_id
            ),
        }
    found["trust file lines"] = sum(
        line.startswith(person + " ")
        for trust in store_dir.glob("*_devices")
        for line in trust.read_text(encoding="utf-8").splitlines()
    )
    return found


def database_mentions(database: Path, needles: list[str]) -> list[str]:
    """table.column of every cell in the bot's database that holds a needle."""
    hits = []
    with sqlite3.connect(database) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    shown = (
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    )
                    hits += [f"{table}.{column}" for n in needles if n.lower() in shown.lower()]
    return sorted(set(hits))


async def left_room(human: Human, room_id: str, bot_user_id: str, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while bot_user_id in human.client.rooms[room_id].users:
            human.new_event.clear()
            await human.new_event.wait()


async def test_forget_leaves_the_direct_room_and_drops_its_keys(
    synapse: SynapseServer, tmp_path: Path
) -> None:
    account = synapse.register_user("hankebot")
    bot = BotProcess(synapse, account, tmp_path / "bot")
    person = synapse.register_user("human")
    store_dir = Path(f"{bot.database}.matrix-store")
    bot.start()
    try:
        async with Human(synapse, person, tmp_path / "human-store") as human:
            chat = await human.open_chat(account.user_id, encrypted=True)
            await chat.send("!apua")
            await chat.replies()
            assert human.client.olm is not None
            curve = human.client.olm.account.identity_keys["curve25519"]
            before = crypto_store(store_dir, person.user_id, curve, chat.room_id)
            assert all(before.values()), before  # the bot has what it will forget
            await chat.send("!unohda")
            await chat.replies()
            await chat.press(text("forget.yes"))
            [farewell] = await chat.replies()
            assert farewell.text.startswith(text("forget.done"))
            assert text("forget.done_matrix") in farewell.text
            await left_room(human, chat.room_id, account.user_id)
        assert bot.stop() == 0
        after = crypto_store(store_dir, person.user_id, curve, chat.room_id)
        assert not any(after.values()), after
        needles = [person.user_id, chat.room_id]
        assert database_mentions(bot.database, needles) == []
    finally:
        bot.stop()
    log = bot.log()
    assert "matrix: forgot" in log and "Traceback" not in log, bot.tail(60)
    assert person.user_id not in log
