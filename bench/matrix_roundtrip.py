"""Matrix round trip: the real bot against a bare nio echo bot, on a throw-away Synapse.

Run from the repository root: ``.venv/bin/python -m bench.matrix_roundtrip``.

Both bots run as their own processes on 127.0.0.1, as in production: the real one is
``python -m bot run`` (Matrix only, fresh SQLite database: dispatcher transaction, outbox row,
delivery worker), the baseline a bare nio client that answers every text with an HTML
``m.notice`` straight from its sync callback. A person (a nio client in this process) sends
``/apua`` and times until the answer reaches their own sync: after a warm-up, ``--rounds``
round trips per room, in a plain room and in an encrypted direct chat.

Between round trips the person pauses ``--think`` seconds (default 0.3 s): people do not type
faster than that, and it stays above the bot's deliberate per-chat pacing (0.2 s between two
messages to one chat), which would otherwise be measured instead of the bot's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageNotice,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bench.figures import Figure, Skipped
from tests.matrix.synapse_server import MatrixUser, SynapseServer
from tests.processes import clean_environment

ROOT = Path(__file__).resolve().parent.parent
MEGOLM = "m.megolm.v1.aes-sha2"
READY = "echo bot ready"


# --- the baseline: a bare nio echo bot (runs as ``--echo-bot`` in its own process) ---------
async def echo_bot(homeserver: str, user_id: str, device_id: str, token: str, store: str) -> None:
    client = AsyncClient(
        homeserver,
        user_id,
        device_id=device_id,
        store_path=store,
        config=AsyncClientConfig(encryption_enabled=True, max_timeouts=3, request_timeout=30),
    )
    client.restore_login(user_id, device_id, token)
    if client.should_upload_keys:
        await client.keys_upload()
    first = await client.sync(timeout=0, full_state=True)
    assert isinstance(first, SyncResponse), first

    async def on_invite(room: MatrixRoom, event: Any) -> None:
        if getattr(event, "state_key", None) == user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_text(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == user_id:
            return
        await client.room_send(
            room.room_id,
            "m.room.message",
            {
                "msgtype": "m.notice",
                "body": f"echo: {event.body}",
                "format": "org.matrix.custom.html",
                "formatted_body": f"<b>echo:</b> {html.escape(event.body)}",
            },
            ignore_unverified_devices=True,
        )

    from nio import InviteMemberEvent

    client.add_event_callback(on_invite, InviteMemberEvent)
    client.add_event_callback(on_text, RoomMessageText)
    print(READY, flush=True)
    try:
        await client.sync_forever(timeout=30_000)
    finally:
        await client.close()


# --- the person ---------------------------------------------------------------------------
class Person:
    def __init__(self, server: SynapseServer, user: MatrixUser, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            server.url,
            user.user_id,
            device_id=user.device_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, max_timeouts=3, request_timeout=30),
        )
        self.client.restore_login(user.user_id, user.device_id, user.access_token)
        self.notices: list[tuple[str, str, float]] = []  # room, sender, arrival
        self.arrived = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.client.keys_upload()
        await self.client.sync(timeout=0, full_state=True)
        self.client.add_event_callback(self._on_notice, RoomMessageNotice)
        self.task = asyncio.create_task(self.client.sync_forever(timeout=30_000))

    async def _on_notice(self, room: MatrixRoom, event: RoomMessageNotice) -> None:
        self.notices.append((room.room_id, event.sender, time.perf_counter()))
        self.arrived.set()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task
        await self.client.close()

    async def open_room(self, bot: str, encrypted: bool) -> str:
        if encrypted:
            created = await self.client.room_create(
                is_direct=True,
                preset=RoomPreset.trusted_private_chat,
                invite=[bot],
                initial_state=[
                    {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
                ],
            )
        else:
            created = await self.client.room_create(name="bench", invite=[bot])
        assert isinstance(created, RoomCreateResponse), created
        return str(created.room_id)

    async def wait_notice(self, room_id: str, bot: str, after: int, timeout: float = 30.0) -> float:
        """Arrival time of the first notice from ``bot`` in ``room_id`` past index ``after``."""
        async with asyncio.timeout(timeout):
            while True:
                self.arrived.clear()
                for room, sender, at in self.notices[after:]:
                    if room == room_id and sender == bot:
                        return at
                await self.arrived.wait()

    async def wait_member(self, room_id: str, bot: str, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                room = self.client.rooms.get(room_id)
                if room is not None and bot in room.users and not room.users[bot].invited:
                    return
                await asyncio.sleep(0.05)

    async def round_trips(
        self, room_id: str, bot: str, rounds: int, warmup: int, think: float
    ) -> list[float]:
        times: list[float] = []
        for index in range(warmup + rounds):
            await asyncio.sleep(think)
            mark = len(self.notices)
            sent_at = time.perf_counter()
            response = await self.client.room_send(
                room_id,
                "m.room.message",
                {"msgtype": "m.text", "body": "/apua"},
                ignore_unverified_devices=True,
            )
            assert isinstance(response, RoomSendResponse), response
            arrived = await self.wait_notice(room_id, bot, mark)
            if index >= warmup:
                times.append(arrived - sent_at)
            # Let any second message of the same answer land before the next round.
            await asyncio.sleep(0)
        return times


# --- the two bots as processes ---------------------------------------------------------------
def start_real_bot(
    server: SynapseServer, account: MatrixUser, work: Path
) -> subprocess.Popen[bytes]:
    env = clean_environment()
    env.update(
        HANKEBOT_DATABASE=str(work / "bot.sqlite3"),
        HANKEBOT_MATRIX_HOMESERVER=server.url,
        HANKEBOT_MATRIX_USER=account.user_id,
        HANKEBOT_MATRIX_ACCESS_TOKEN=account.access_token,
        HANKEBOT_LOG_LEVEL="WARNING",
        # 35 rounds 0.3 s apart are far more than a person types: the per-person limit
        # (20 a minute, tests/test_inbound_gate.py) would hold them back, not the pipeline
        HANKEBOT_RATE_LIMIT_PER_MINUTE="0",
        PYTHONPATH=str(ROOT),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=(work / "bot.log").open("ab"),
        stderr=subprocess.STDOUT,
    )


def start_echo_bot(
    server: SynapseServer, account: MatrixUser, work: Path
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.matrix_roundtrip",
            "--echo-bot",
            server.url,
            account.user_id,
            account.device_id,
            account.access_token,
            str(work / "echo-store"),
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=(work / "echo.log").open("ab"),
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if READY not in line:
        raise RuntimeError(f"echo bot did not start: {(work / 'echo.log').read_text()}")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def summary(times: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def measure(
    server: SynapseServer, work: Path, rounds: int, warmup: int, think: float
) -> dict[tuple[str, bool], list[float]]:
    person_account = server.register_user("person")
    echo_account = server.register_user("echo")
    bot_account = server.register_user("hankebot")
    person = Person(server, person_account, work / "person-store")
    await person.start()
    results: dict[tuple[str, bool], list[float]] = {}
    echo = start_echo_bot(server, echo_account, work)
    real = start_real_bot(server, bot_account, work)
    try:
        for encrypted in (False, True):
            for name, account in (("echo", echo_account), ("hankebot", bot_account)):
                mark = len(person.notices)
                room_id = await person.open_room(account.user_id, encrypted)
                await person.wait_member(room_id, account.user_id)
                if name == "hankebot":
                    await person.wait_notice(room_id, account.user_id, mark)  # the greeting
                results[(name, encrypted)] = await person.round_trips(
                    room_id, account.user_id, rounds, warmup, think
                )
    finally:
        stop(real)
        stop(echo)
        await person.stop()
    return results


def run() -> list[Figure]:
    """For ``python -m bench``: the defaults of :func:`main`; no goal is set for these."""
    try:
        import synapse  # noqa: F401 - the test homeserver is in the test extra only
    except ImportError:
        raise Skipped("matrix-synapse is not installed (pip install -e '.[test]')") from None
    logging.basicConfig(level=logging.ERROR)
    rounds, warmup, think = 30, 5, 0.3
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp, SynapseServer() as server:
        results = asyncio.run(measure(server, Path(tmp), rounds, warmup, think))
    figures = []
    for encrypted in (False, True):
        room = "encrypted direct chat" if encrypted else "plain room"
        echo_median, echo_p95 = summary(results[("echo", encrypted)])
        bot_median, bot_p95 = summary(results[("hankebot", encrypted)])
        note = f"{rounds} rounds, {think:g} s apart"
        figures.append(
            Figure(f"{room}: median round trip", bot_median, "ms", echo_median, note=note)
        )
        figures.append(Figure(f"{room}: p95 round trip", bot_p95, "ms", echo_p95, note=note))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--think", type=float, default=0.3)
    parser.add_argument("--echo-bot", nargs=5, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_bot:
        Path(args.echo_bot[4]).mkdir(parents=True, exist_ok=True)
        with suppress(KeyboardInterrupt):
            asyncio.run(echo_bot(*args.echo_bot))
        return 0
    logging.basicConfig(level=logging.ERROR)  # nio's harmless "Missing session" warnings
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp, SynapseServer() as server:
        results = asyncio.run(measure(server, Path(tmp), args.rounds, args.warmup, args.think))
    print(
        f"Matrix round trip, /apua → answer, {args.rounds} rounds after {args.warmup} warm-up, "
        f"{args.think:.1f} s between rounds (ms)"
    )
    print(f"{'room':<10} {'bot':<9} {'median':>8} {'p95':>8}   ratio to echo (median / p95)")
    for encrypted in (False, True):
        room = "encrypted" if encrypted else "plain"
        echo_median, echo_p95 = summary(results[("echo", encrypted)])
        bot_median, bot_p95 = summary(results[("hankebot", encrypted)])
        print(f"{room:<10} {'echo':<9} {echo_median:8.1f} {echo_p95:8.1f}")
        print(
            f"{room:<10} {'hankebot':<9} {bot_median:8.1f} {bot_p95:8.1f}   "
            f"{bot_median / echo_median:.2f}× / {bot_p95 / echo_p95:.2f}×"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
