"""Is the bot well? The checks behind ``/healthz`` and ``hankebot status``.

Three things are checked, each with ids and counts only (never a message or a person):

* the database answers a read within :data:`DATABASE_TIMEOUT` seconds;
* each transport's delivery worker is running (inside the bot only: ``hankebot status``
  asks the running bot's ``/healthz`` for it when ``HANKEBOT_HEALTH_PORT`` is set);
* the outbox backlog: how long the oldest message whose time has come has waited. Replies
  and reminders (priority 0) may wait ``health_reply_delay_seconds``, bulk announcement rows
  ``health_bulk_delay_seconds`` (a large announcement takes minutes by design).

``/healthz`` answers 200 with ``{"status": "ok", ...}`` when every check holds, 503 with
``"status": "unhealthy"`` otherwise. It listens on ``HANKEBOT_HEALTH_LISTEN`` (default
127.0.0.1, so only the machine itself can ask) at ``HANKEBOT_HEALTH_PORT`` (unset: no
endpoint).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.config import DEFAULT_BULK_DELAY, DEFAULT_REPLY_DELAY, Settings
from storage import outbox
from storage.db import Database, ping

if TYPE_CHECKING:  # aiohttp is imported only when the endpoint starts (idle RSS, issue 17)
    from aiohttp import web

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    """One check: its name (``database``, ``delivery:telegram``, ``backlog:telegram``…),
    whether it holds, a sentence for people and figures for machines."""

    name: str
    ok: bool
    sentence: str
    figures: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "unhealthy",
            "checks": {
                check.name: {"ok": check.ok, **dict(check.figures)} for check in self.checks
            },
        }

    def sentences(self) -> list[str]:
        return [f"{'ok  ' if check.ok else 'FAIL'} {check.sentence}" for check in self.checks]


@dataclass(frozen=True)
class Limits:
    reply_delay: float = DEFAULT_REPLY_DELAY
    bulk_delay: float = DEFAULT_BULK_DELAY


def limits_of(settings: Settings) -> Limits:
    return Limits(settings.health_reply_delay_seconds, settings.health_bulk_delay_seconds)


class Worker(Protocol):
    @property
    def alive(self) -> bool: ...


async def database_check(db: Database, timeout: float = DATABASE_TIMEOUT) -> Check:
    async def probe() -> None:
        async with db.read() as conn:
            await ping(conn)

    try:
        await asyncio.wait_for(probe(), timeout)
    except TimeoutError:
        return Check(
            "database",
            False,
            f"the database did not answer within {timeout:g} s",
            {"error": "TimeoutError"},
        )
    except Exception as error:
        return Check(
            "database",
            False,
            f"the database cannot be read ({type(error).__name__})",
            {"error": type(error).__name__},
        )
    return Check("database", True, "the database answers")


def worker_checks(workers: Mapping[str, Worker]) -> list[Check]:
    checks = []
    for name, worker in sorted(workers.items()):
        if worker.alive:
            checks.append(Check(f"delivery:{name}", True, f"the {name} delivery worker runs"))
        else:
            checks.append(
                Check(f"delivery:{name}", False, f"the {name} delivery worker has stopped")
            )
    return checks


async def backlog_checks(
    db: Database, now: dt.datetime, limits: Limits, transports: set[str] | None = None
) -> list[Check]:
    """One check per transport with rows due (and per running transport, due or not)."""
    async with db.read() as conn:
        rows = await outbox.backlog(conn, now)
    names = set(transports or ()) | {row.transport for row in rows}
    checks = []
    for name in sorted(names):
        mine = [row for row in rows if row.transport == name]
        due = sum(row.due for row in mine)
        ages = {row.priority: max(0.0, (now - row.oldest_due).total_seconds()) for row in mine}
        reply_age = ages.get(0, 0.0)
        bulk_age = max((age for priority, age in ages.items() if priority > 0), default=0.0)
        ok = reply_age <= limits.reply_delay and bulk_age <= limits.bulk_delay
        figures = {
            "due": due,
            "oldest_reply_seconds": round(reply_age, 1),
            "oldest_bulk_seconds": round(bulk_age, 1),
        }
        if not due:
            sentence = f"nothing waits to be sent on {name}"
        else:
            sentence = (
                f"{due} {'message waits' if due == 1 else 'messages wait'} to be sent on"
                f" {name}; the oldest reply has waited"
                f" {reply_age:.0f} s (limit {limits.reply_delay:g} s), the oldest"
                f" announcement message {bulk_age:.0f} s (limit {limits.bulk_delay:g} s)"
            )
        checks.append(Check(f"backlog:{name}", ok, sentence, figures))
    return checks


async def inside_report(
    db: Database,
    workers: Mapping[str, Worker],
    now: dt.datetime,
    limits: Limits,
) -> Report:
    """The running bot's own view: database, workers, backlog."""
    database = await database_check(db)
    checks = [database, *worker_checks(workers)]
    if database.ok:
        checks += await backlog_checks(db, now, limits, set(workers))
    return Report(tuple(checks))


class HealthServer:
    """``GET /healthz`` on ``listen:port`` (port 0: any free port; see :attr:`port`)."""

    def __init__(
        self,
        db: Database,
        workers: Mapping[str, Worker],
        *,
        clock: Callable[[], dt.datetime],
        limits: Limits,
        listen: str,
        port: int,
    ) -> None:
        self.db = db
        self.workers = workers
        self.clock = clock
        self.limits = limits
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.listen, self.port)
        await site.start()
        self._runner = runner
        for address in runner.addresses:  # the port really bound (port 0 picks one)
            self.port = int(address[1])
            break
        log.info("health endpoint on %s:%s/healthz", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        from aiohttp import web

        report = await inside_report(self.db, self.workers, self.clock(), self.limits)
        return web.Response(
            status=200 if report.ok else 503,
            text=json.dumps(report.as_json(), sort_keys=True),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )
