"""The conversation path against a bot that keeps nothing (issues 16 and 17).

``hankebot run`` and a bare python-telegram-bot echo bot (bench/echo_bot.py) run as real
processes, one after the other, polling the same kind of fake Bot API server on loopback
with the same load; hankebot's send pacing is lifted (and flood control is off in the
server) so that only the pipeline is measured. Each update is a text a person would send
(/start, questions, /apua, small talk) and gets exactly one message back from either bot
(checked before measuring: :func:`calibrate`).

Figures, per bot, side by side:

* throughput: 100 people each waiting for the answer before writing again (closed loop),
  updates answered per second, and the CPU time of the bot process per update;
* latency: updates offered at 50, 200 and 500 per second (open loop, a new person for each
  update while earlier ones wait), p50 / p95 / p99 from the update being queued to the
  answer reaching the server;
* start to first answer, RSS idle and after the load.

Both bots run in the deployed set of packages, not in the test set this benchmark runs in
(:mod:`bench.deployed`: the test set's extra packages make either bot about 20 MB bigger).

Run from the repository root::

    .venv/bin/python -m bench.conversation                 # 3 repetitions, min/median/max
    .venv/bin/python -m bench.conversation --quick         # one short repetition

The load generator and the fake server share this process; on a 2-core machine they take
CPU from the bot measured, the same for both bots, which is why only ratios are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.deployed import deployed_python
from bench.figures import Figure
from bench.reminders import rss_mb
from tests.e2e.telegram_driver import bot_process_env
from tests.fakes.telegram_api import FakeTelegramServer

ROOT = Path(__file__).resolve().parent.parent
#: What people send; each gets one message back (see :func:`calibrate`).
TEXTS = (
    "/start",
    "mikä on flat rate?",
    "/apua",
    "Voiko yhdistys hakea rahoitusta?",
    "kiitos",
    "Paljonko sivukuluja palkan päälle lasketaan?",
)
PEOPLE = 100
RATES = (50, 200, 500)
FIRST_PERSON = 50_001
ANSWER_TIMEOUT = 120.0
#: hankebot's pacing lifted: the server does not limit, and the bot does not wait either.
LIFTED = {
    "HANKEBOT_TELEGRAM_MESSAGES_PER_SECOND": "100000",
    "HANKEBOT_TELEGRAM_PER_CHAT_INTERVAL": "0",
    "HANKEBOT_TELEGRAM_GROUP_PER_MINUTE": "100000",
    "HANKEBOT_RATE_LIMIT_PER_MINUTE": "0",
    "HANKEBOT_LOG_LEVEL": "WARNING",
}


@dataclass
class Run:
    """One bot's figures from one repetition."""

    bot: str
    start_seconds: float = 0.0
    rss_idle_mb: float = 0.0
    rss_after_mb: float = 0.0
    updates_per_second: float = 0.0
    cpu_ms_per_update: float = 0.0
    latency_ms: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    achieved: dict[int, float] = field(default_factory=dict)


class Answers:
    """Follows the server's send log: how many answers each chat has got, and when."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.position = 0
        self.times: dict[int, list[float]] = {}

    def poll(self) -> None:
        new = self.server.sent_since(self.position)
        self.position += len(new)
        for chat, sent_at in new:
            self.times.setdefault(chat, []).append(sent_at)

    def count(self, chat: int) -> int:
        return len(self.times.get(chat, ()))


def _proc(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of process ``pid`` from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return cpu, rss_mb(pid)[0]


def _command(bot: str, server: FakeTelegramServer) -> list[str]:
    """Either bot as deployed: in the deployed set of packages (:mod:`bench.deployed`)."""
    python = str(deployed_python())
    if bot == "echo bot":
        return [python, "-m", "bench.echo_bot", server.token, server.base_url]
    return [python, "-m", "bot", "run"]


def _env(bot: str, server: FakeTelegramServer, folder: Path) -> dict[str, str]:
    env = bot_process_env(server, folder / "bot.sqlite3")
    env.update(LIFTED)
    return env


async def _until(answers: Answers, expected: dict[int, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        answers.poll()
        if all(answers.count(chat) >= n for chat, n in expected.items()):
            return
        if time.monotonic() > deadline:
            missing = sum(1 for chat, n in expected.items() if answers.count(chat) < n)
            raise RuntimeError(f"{missing} chats did not get their answers")
        await asyncio.sleep(0.002)


async def _closed_loop(
    server: FakeTelegramServer, answers: Answers, people: Sequence[int], per_person: int
) -> float:
    """Everyone writes, waits for the answer, writes again; returns the wall time."""
    started = time.monotonic()
    waiting = {person: answers.count(person) for person in people}
    for person in people:
        server.user_sends(person, TEXTS[0])
    rounds = {person: 1 for person in people}
    deadline = started + ANSWER_TIMEOUT + per_person
    while waiting:
        answers.poll()
        for person in list(waiting):
            if answers.count(person) > waiting[person]:
                if rounds[person] == per_person:
                    del waiting[person]
                    continue
                waiting[person] = answers.count(person)
                server.user_sends(person, TEXTS[rounds[person] % len(TEXTS)])
                rounds[person] += 1
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(waiting)} people still wait for an answer")
        await asyncio.sleep(0.001)
    return time.monotonic() - started


async def _open_loop(
    server: FakeTelegramServer, answers: Answers, rate: int, seconds: float, first: int
) -> tuple[list[float], float]:
    """``rate`` updates a second for ``seconds``, each from a new person; returns the
    latencies (s) and the rate achieved (answers / time until the last answer)."""
    count = int(rate * seconds)
    queued: list[tuple[int, float]] = []
    started = time.monotonic()
    for index in range(count):
        due = started + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        person = first + index
        server.add_user(person)
        queued.append((person, time.monotonic()))
        server.user_sends(person, TEXTS[index % len(TEXTS)])
        if index % 50 == 0:
            answers.poll()
    await _until(answers, {person: 1 for person, _ in queued}, ANSWER_TIMEOUT)
    latencies = [answers.times[person][0] - at for person, at in queued]
    last = max(answers.times[person][0] for person, _ in queued)
    return latencies, count / (last - started)


def _percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


async def measure(bot: str, per_person: int, rate_seconds: float) -> Run:
    """One repetition for one bot, in a fresh server and a fresh database."""
    result = Run(bot)
    with tempfile.TemporaryDirectory() as folder, FakeTelegramServer(flood_control=False) as server:
        people = [FIRST_PERSON + n for n in range(PEOPLE)]
        for person in people:
            server.add_user(person)
        answers = Answers(server)
        log = (Path(folder) / "bot.log").open("wb")
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
            _command(bot, server),
            env=_env(bot, server, Path(folder)),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            server.user_sends(people[0], TEXTS[0])
            await _until(answers, {people[0]: 1}, ANSWER_TIMEOUT)
            result.start_seconds = time.monotonic() - started
            await asyncio.sleep(2.0)
            _, result.rss_idle_mb = _proc(process.pid)
            cpu_before, _ = _proc(process.pid)
            wall = await _closed_loop(server, answers, people, per_person)
            cpu_after, _ = _proc(process.pid)
            total = per_person * len(people)
            result.updates_per_second = total / wall
            result.cpu_ms_per_update = (cpu_after - cpu_before) * 1000 / total
            first = FIRST_PERSON + PEOPLE
            for rate in RATES:
                await asyncio.sleep(1.0)
                latencies, achieved = await _open_loop(server, answers, rate, rate_seconds, first)
                first += len(latencies)
                result.latency_ms[rate] = _percentiles(latencies)
                result.achieved[rate] = achieved
            _, result.rss_after_mb = _proc(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
    return result


async def calibrate() -> dict[str, list[int]]:
    """How many messages each bot sends back for each of :data:`TEXTS` (must be 1)."""
    counts: dict[str, list[int]] = {}
    for bot in ("hankebot", "echo bot"):
        with (
            tempfile.TemporaryDirectory() as folder,
            FakeTelegramServer(flood_control=False) as server,
        ):
            server.add_user(FIRST_PERSON)
            process = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
                _command(bot, server),
                env=_env(bot, server, Path(folder)),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                answers = Answers(server)
                counts[bot] = []
                for text in TEXTS:
                    before = answers.count(FIRST_PERSON)
                    server.user_sends(FIRST_PERSON, text)
                    await _until(answers, {FIRST_PERSON: before + 1}, ANSWER_TIMEOUT)
                    await asyncio.sleep(1.5)  # anything more would have come by now
                    answers.poll()
                    counts[bot].append(answers.count(FIRST_PERSON) - before)
            finally:
                process.terminate()
                process.wait(timeout=30)
    return counts


def _spread(values: Sequence[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def report(runs: dict[str, list[Run]]) -> list[str]:
    """min / median / max of every figure, per bot, and the ratios of the medians."""
    ours, echo = runs["hankebot"], runs["echo bot"]
    lines = [f"{len(ours)} repetition(s); figures are min / median / max", ""]
    lines.append(f"{'':<34}{'echo bot':>24}{'hankebot':>24}{'ratio':>8}")

    def row(name: str, pick: str, key: int | None = None, index: int = 0) -> None:
        def values(bot_runs: list[Run]) -> list[float]:
            got = []
            for run in bot_runs:
                value = getattr(run, pick)
                if key is not None:
                    value = value[key]
                    if isinstance(value, tuple):
                        value = value[index]
                got.append(float(value))
            return got

        mine, base = values(ours), values(echo)
        ratio = statistics.median(mine) / statistics.median(base) if statistics.median(base) else 0
        lines.append(f"{name:<34}{_spread(base):>24}{_spread(mine):>24}{ratio:>8.2f}")

    row("updates/s (closed loop)", "updates_per_second")
    row("CPU ms per update", "cpu_ms_per_update")
    for rate in RATES:
        row(f"achieved/s offered {rate}/s", "achieved", rate)
        for index, cut in enumerate(("p50", "p95", "p99")):
            row(f"  {cut} ms at {rate}/s", "latency_ms", rate, index)
    row("start to first answer s", "start_seconds")
    row("RSS idle MB", "rss_idle_mb")
    row("RSS after load MB", "rss_after_mb")
    return lines


async def repetitions(count: int, per_person: int, rate_seconds: float) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {"hankebot": [], "echo bot": []}
    for _ in range(count):
        for bot in ("echo bot", "hankebot"):  # side by side, alternating
            runs[bot].append(await measure(bot, per_person, rate_seconds))
    return runs


def figures(runs: dict[str, list[Run]]) -> list[Figure]:
    def median(bot: str, pick: str) -> float:
        return statistics.median(float(getattr(run, pick)) for run in runs[bot])

    def p99(bot: str, rate: int) -> float:
        return statistics.median(run.latency_ms[rate][2] for run in runs[bot])

    ours_rate, echo_rate = (
        median("hankebot", "updates_per_second"),
        median("echo bot", "updates_per_second"),
    )
    ours_cpu, echo_cpu = (
        median("hankebot", "cpu_ms_per_update"),
        median("echo bot", "cpu_ms_per_update"),
    )
    note = f"{len(runs['hankebot'])} repetition(s), medians, pacing lifted"
    found = [
        Figure(
            "conversation updates/s ratio to echo bot",
            ours_rate / echo_rate,
            "×",
            1.0,
            at_least=1.0,
            note=f"{ours_rate:.1f} vs {echo_rate:.1f} updates/s; {note}",
        ),
        Figure(
            "conversation CPU per update ratio to echo bot",
            ours_cpu / echo_cpu,
            "×",
            1.0,
            at_most=1.5,
            note=f"{ours_cpu:.1f} vs {echo_cpu:.1f} ms; {note}",
        ),
    ]
    for rate in RATES:
        found.append(
            Figure(
                f"p99 added latency at {rate} updates/s",
                p99("hankebot", rate) - p99("echo bot", rate),
                "ms",
                0.0,
                at_most=20.0 if rate == 200 else None,
                note=f"{p99('hankebot', rate):.0f} vs {p99('echo bot', rate):.0f} ms p99; {note}",
            )
        )
    found.append(
        Figure(
            "idle RSS",
            median("hankebot", "rss_idle_mb"),
            "MB",
            median("echo bot", "rss_idle_mb"),
            at_most=70.0,
            note=note,
        )
    )
    return found


def run() -> list[Figure]:
    """For ``python -m bench``: three short repetitions, side by side (min/median/max
    printed by ``python -m bench.conversation``; the medians go into RESULTS.md)."""
    return figures(asyncio.run(repetitions(3, 10, 2.0)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.conversation")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--per-person", type=int, default=30, help="updates per person")
    parser.add_argument("--rate-seconds", type=float, default=6.0)
    parser.add_argument("--quick", action="store_true", help="one short repetition")
    args = parser.parse_args(argv)
    if args.quick:
        args.repetitions, args.per_person, args.rate_seconds = 1, 10, 4.0
    counts = asyncio.run(calibrate())
    print("answers per text:", ", ".join(f"{bot} {values}" for bot, values in counts.items()))
    if any(value != 1 for values in counts.values() for value in values):
        print("a text did not get exactly one answer: the comparison would not be fair")
        return 1
    runs = asyncio.run(repetitions(args.repetitions, args.per_person, args.rate_seconds))
    print("\n".join(report(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
