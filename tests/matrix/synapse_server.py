"""A throw-away Synapse homeserver for tests.

``SynapseServer`` runs ``python -m synapse.app.homeserver`` from the running interpreter's
environment (``sys.executable``) on 127.0.0.1 with a random free port, SQLite and a config it
writes into a temporary directory. Nothing has to be installed at test time beyond the
``matrix-synapse`` package already in the virtualenv, and the server never reaches the
network: only the client listener (which also serves the admin and media APIs) is bound, to
127.0.0.1; federation is off (no federation listener, empty ``federation_domain_whitelist``,
no trusted key servers); URL previews, stats reporting, presence, push and e-mail are off.

Synapse's default generation mode (what ``--generate-missing-and-run`` selects; the flag itself
is rejected by the second argument parse in 1.163) creates the signing key that the written
config points to on first start, so one process start does both.

Usage::

    with SynapseServer() as server:
        user_id, token, device_id = server.register("anna", "secret")

Rate limits are relaxed for the shared server; pass ``rate_limits={"rc_message": {...}}``
to one instance to tighten a limit (see ``TIGHT_MESSAGE_LIMIT``) and provoke
``M_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self

import yaml

SERVER_NAME = "localhost"

_GENEROUS = {"per_second": 10_000, "burst_count": 10_000}

#: Rate limits of the shared test server: high enough that no test is slowed or refused.
RELAXED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _GENEROUS,
    "rc_registration": _GENEROUS,
    "rc_registration_token_validity": _GENEROUS,
    "rc_login": {
        "address": _GENEROUS,
        "account": _GENEROUS,
        "failed_attempts": _GENEROUS,
    },
    "rc_admin_redaction": _GENEROUS,
    "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
    "rc_joins_per_room": _GENEROUS,
    "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
    "rc_third_party_invite": _GENEROUS,
    "rc_3pid_validation": _GENEROUS,
    "rc_key_requests": _GENEROUS,
    "rc_media_create": _GENEROUS,
    "rc_presence": {"per_user": _GENEROUS},
    "rc_delayed_event_mgmt": _GENEROUS,
    "rc_room_creation": _GENEROUS,
    "rc_reports": _GENEROUS,
    "rc_user_directory": _GENEROUS,
    "rc_profile": _GENEROUS,
}

#: A message limit a test can hit on purpose: a burst of at most 2, then one every 10 s.
TIGHT_MESSAGE_LIMIT: dict[str, Any] = {"rc_message": {"per_second": 0.1, "burst_count": 2}}

_LOG_CONFIG_TEMPLATE = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s %(levelname)s %(name)s %(request)s - %(message)s'
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
    request: ""
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {log_path}
    filters: [context]
    encoding: utf8
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


class MatrixAccount(NamedTuple):
    """What registration or login returns: unpacks as ``(user_id, access_token, device_id)``."""

    user_id: str
    access_token: str
    device_id: str


@dataclass(frozen=True)
class MatrixUser:
    """A registered test user: its password and the login session registration returned."""

    localpart: str
    password: str
    account: MatrixAccount

    @property
    def user_id(self) -> str:
        return self.account.user_id

    @property
    def access_token(self) -> str:
        return self.account.access_token

    @property
    def device_id(self) -> str:
        return self.account.device_id


@dataclass(frozen=True)
class UserPair:
    """A person and a bot account, both freshly registered for one test."""

    human: MatrixUser
    bot: MatrixUser


class SynapseError(RuntimeError):
    """Synapse did not start, or answered an HTTP request with an error."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"({path.name}: missing)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path.name}: empty)"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM Synapse if the test process dies without cleaning up."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class SynapseServer:
    """One Synapse process with its own temporary config, database and media store."""

    def __init__(
        self,
        base_dir: Path | str | None = None,
        *,
        rate_limits: Mapping[str, Any] | None = None,
        extra_config: Mapping[str, Any] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        """Prepare (but do not start) a server.

        ``base_dir``: where config, keys, database, media and logs go; a fresh temporary
        directory (removed on ``stop``) when ``None``.
        ``rate_limits``: ``rc_*`` settings that replace the relaxed defaults key by key,
        e.g. ``TIGHT_MESSAGE_LIMIT``.
        ``extra_config``: any other top-level homeserver.yaml keys, applied last.
        """
        self._own_dir: tempfile.TemporaryDirectory[str] | None = None
        if base_dir is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="synapse-test-")
            base_dir = self._own_dir.name
        self.base_dir = Path(base_dir)
        self.rate_limits = {**RELAXED_RATE_LIMITS, **(rate_limits or {})}
        self.extra_config = dict(extra_config or {})
        self.startup_timeout = startup_timeout
        self.server_name = SERVER_NAME
        self.port = 0
        self.shared_secret = secrets.token_urlsafe(32)
        self.startup_seconds: float | None = None
        self.config_path = self.base_dir / "homeserver.yaml"
        self.log_path = self.base_dir / "homeserver.log"
        self.output_path = self.base_dir / "stdout-stderr.log"
        self._process: subprocess.Popen[bytes] | None = None
        # Never talk to a proxy, even if the environment names one.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Base URL of the client API, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def config(self) -> dict[str, Any]:
        """The homeserver.yaml contents for the current port."""
        base = self.base_dir
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"{self.url}/",
            "pid_file": str(base / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(base / "homeserver.db")}},
            "log_config": str(base / "log.config.yaml"),
            "media_store_path": str(base / "media_store"),
            "signing_key_path": str(base / f"{self.server_name}.signing.key"),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_urlsafe(32),
            "form_secret": secrets.token_urlsafe(32),
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            "push": {"enabled": False},
            # Cheap password hashing: registration and login take milliseconds, not 0.3 s.
            "bcrypt_rounds": 4,
            **self.rate_limits,
            **self.extra_config,
        }
        return config

    def start(self) -> None:
        """Start Synapse and block until ``/_matrix/client/versions`` answers.

        Raises ``SynapseError`` with the tail of Synapse's logs if it exits or does not answer
        within ``startup_timeout`` seconds; the process is stopped before raising.
        """
        if self.running:
            raise SynapseError("Synapse is already running")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / "log.config.yaml").write_text(
            _LOG_CONFIG_TEMPLATE.format(log_path=json.dumps(str(self.log_path))),
            encoding="utf-8",
        )
        started = time.monotonic()
        last_error: SynapseError | None = None
        # A free port can be taken between probing and binding: try a few.
        for _attempt in range(3):
            self.port = _free_port()
            self.config_path.write_text(yaml.safe_dump(self.config()), encoding="utf-8")
            self._spawn()
            try:
                self._wait_until_ready(started + self.startup_timeout)
            except SynapseError as exc:
                last_error = exc
                in_use = "Address already in use" in _tail(self.output_path, 200)
                self.stop(remove_dir=False)
                if not in_use:
                    break
            else:
                self.startup_seconds = time.monotonic() - started
                atexit.register(self.stop)
                return
        assert last_error is not None
        raise last_error

    def _spawn(self) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        with self.output_path.open("ab") as output:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "synapse.app.homeserver",
                    "--config-path",
                    str(self.config_path),
                ],
                cwd=self.base_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def _wait_until_ready(self, deadline: float) -> None:
        assert self._process is not None
        while True:
            code = self._process.poll()
            if code is not None:
                raise SynapseError(f"Synapse exited with code {code} during start\n{self.logs()}")
            try:
                with self._opener.open(f"{self.url}/_matrix/client/versions", timeout=2) as resp:
                    if resp.status == 200 and "versions" in json.load(resp):
                        return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer on {self.url} within {self.startup_timeout:.0f} s\n"
                    f"{self.logs()}"
                )
            time.sleep(0.1)

    def logs(self, lines: int = 40) -> str:
        """The last lines of Synapse's log file and of its stdout/stderr."""
        return (
            f"--- {self.log_path} ---\n{_tail(self.log_path, lines)}\n"
            f"--- {self.output_path} ---\n{_tail(self.output_path, lines)}"
        )

    def stop(self, remove_dir: bool = True) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL after 10 s) and reap it. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            else:
                process.wait()
        if remove_dir and self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ HTTP helpers

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """A JSON request to Synapse; raises ``SynapseError`` on a non-2xx answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if access_token is not None:
            req.add_header("Authorization", f"Bearer {access_token}")
        try:
            with self._opener.open(req, timeout=30) as resp:
                result: dict[str, Any] = json.load(resp)
                return result
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")
            raise SynapseError(f"{method} {path}: HTTP {exc.code} {detail}") from None

    def register(self, localpart: str, password: str, admin: bool = False) -> MatrixAccount:
        """Create a user with the shared-secret admin API (HMAC-SHA1 over a fresh nonce).

        Works although ``enable_registration`` is false. Returns the new login session.
        """
        path = "/_synapse/admin/v1/register"
        nonce = self.request("GET", path)["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join(
                (
                    nonce.encode(),
                    localpart.encode(),
                    password.encode(),
                    b"admin" if admin else b"notadmin",
                )
            )
        )
        result = self.request(
            "POST",
            path,
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return MatrixAccount(result["user_id"], result["access_token"], result["device_id"])

    def register_user(self, prefix: str, admin: bool = False) -> MatrixUser:
        """Register a user with a fresh unique localpart ``<prefix>-<random>`` and password."""
        localpart = f"{prefix}-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        return MatrixUser(localpart, password, self.register(localpart, password, admin))

    def login(self, localpart: str, password: str, device_id: str | None = None) -> MatrixAccount:
        """Password login (``m.login.password``); a new device unless ``device_id`` is given."""
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": localpart},
            "password": password,
        }
        if device_id is not None:
            body["device_id"] = device_id
        result = self.request("POST", "/_matrix/client/v3/login", body)
        return MatrixAccount(result["user_id"], result["access_token"], result["device_id"])
