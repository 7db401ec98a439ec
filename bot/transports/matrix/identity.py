"""Who the bot is on Matrix: login, device, keys.

The user id, device id and access token are kept in ``kv`` (the token is a secret: it goes
to the database, never to a log), and the olm/megolm keys in nio's store directory beside
the database (``<database>.matrix-store/``, made 0700), so a restart keeps the same device
and keys: people's clients keep trusting it and old sessions still decrypt. A configured
access token wins over the stored one; a revoked token is replaced by logging in again as
the same device. Besides the syncing client (with the olm machine) there is a plain one for
the same device, without it, for the few notices that must not be end-to-end encrypted.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import AsyncClient, AsyncClientConfig, ErrorResponse, LoginResponse, WhoamiResponse

from bot.transports.base import StartupError
from bot.transports.matrix.state import MatrixState
from storage import private_files, updates

log = logging.getLogger(__name__)


KEY_USER = "matrix:user_id"
KEY_DEVICE = "matrix:device_id"
KEY_TOKEN = "matrix:access_token"  # noqa: S105 - a kv key name; the token: stored, never logged
KEY_SINCE = "matrix:next_batch"
KEY_PICKLE = "matrix:pickle_key"  # encrypts the olm pickles in the crypto store
KEY_TXN_PREFIX = "matrix:txn_prefix"
DEVICE_NAME = "hankebot"
START_ATTEMPTS = 6
TOKEN_ERRORS = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"})


class MatrixStartError(StartupError):
    """The Matrix account could not be used (bad credentials, homeserver unreachable)."""


def same_account(stored_user_id: str, configured: str) -> bool:
    """Whether the stored identity belongs to the configured ``HANKEBOT_MATRIX_USER``."""
    configured = configured.strip()
    if configured.startswith("@"):
        return stored_user_id.lower() == configured.lower()
    return stored_user_id[1:].split(":", 1)[0].lower() == configured.lower()


def _transient(response: Any) -> bool:
    """An error answer worth retrying: rate limited, or the server (or a proxy) failing."""
    if not isinstance(response, ErrorResponse):
        return False
    status = getattr(getattr(response, "transport_response", None), "status", None)
    code = response.status_code
    return code == "M_LIMIT_EXCEEDED" or status == 429 or (status is not None and status >= 500)


def quiet_nio_logs() -> None:
    """nio logs event contents and olm payloads in some warnings: keep only where it happened.

    Logger filters are not inherited, so every ``nio.*`` logger gets the filter.
    """
    for name in list(logging.Logger.manager.loggerDict):
        if name == "nio" or name.startswith("nio."):
            logger = logging.getLogger(name)
            if not any(isinstance(f, _RedactFilter) for f in logger.filters):
                logger.addFilter(_RedactFilter())
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("peewee").setLevel(logging.WARNING)


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = f"nio {record.levelname.lower()} at {record.module}:{record.lineno}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


@dataclass(frozen=True)
class Identity:
    user_id: str
    device_id: str
    access_token: str


class IdentityPart(MatrixState):
    """Who the bot is on Matrix: the stored device or a fresh login, and its clients."""

    def _config(self, encrypted: bool, pickle_key: str = "") -> Any:
        return AsyncClientConfig(
            encryption_enabled=encrypted,
            store_sync_tokens=False,  # the token lives in our database, stored after handling
            max_limit_exceeded=0,  # rate limits come back to us (outbox retry)
            max_timeouts=2,
            request_timeout=30,
            pickle_key=pickle_key or "DEFAULT_KEY",
        )

    async def _identity(self) -> Identity:
        """Who the bot is: the stored device when possible, otherwise a fresh login."""
        settings = self.settings
        assert settings.matrix_user is not None
        async with self.db.transaction() as conn:
            stored_user = await updates.get_value(conn, KEY_USER)
            stored_device = await updates.get_value(conn, KEY_DEVICE)
            stored_token = await updates.get_value(conn, KEY_TOKEN)
            prefix = await updates.get_value(conn, KEY_TXN_PREFIX)
            if prefix is None:
                prefix = f"hankebot-{secrets.token_hex(4)}"
                await updates.set_value(conn, KEY_TXN_PREFIX, prefix)
        self.txn_prefix = prefix
        stored: Identity | None = None
        if stored_user and stored_device and stored_token:
            if same_account(stored_user, settings.matrix_user):
                stored = Identity(stored_user, stored_device, stored_token)
            else:
                log.warning("matrix: configured account changed; starting a new device")
                async with self.db.transaction() as conn:
                    await updates.delete_value(conn, KEY_SINCE)
        password = settings.matrix_password.get_secret_value() if settings.matrix_password else ""
        configured_token = (
            settings.matrix_access_token.get_secret_value() if settings.matrix_access_token else ""
        )
        identity: Identity | None = None
        if configured_token and (stored is None or stored.access_token != configured_token):
            identity = await self._whoami(configured_token)
            if identity is None:
                raise MatrixStartError("HANKEBOT_MATRIX_ACCESS_TOKEN was rejected")
        elif stored is not None:
            if not self._store_file(stored).exists() and password:
                log.warning("matrix: crypto store missing; logging in as a new device")
                stored = None
            else:
                identity = await self._whoami(stored.access_token)
        if identity is None:
            if not password:
                raise MatrixStartError("no usable Matrix access token and no password")
            identity = await self._password_login(password, stored.device_id if stored else None)
        async with self.db.transaction() as conn:
            await updates.set_value(conn, KEY_USER, identity.user_id)
            await updates.set_value(conn, KEY_DEVICE, identity.device_id)
            await updates.set_value(conn, KEY_TOKEN, identity.access_token)
        return identity

    def _store_file(self, identity: Identity) -> Path:
        return self.store_dir / f"{identity.user_id}_{identity.device_id}.db"

    async def _probe(self, call: Callable[[Any], Any], device_id: str | None = None) -> Any:
        """Run one request with a throw-away client without a crypto store.

        Connection errors, rate limits and server errors are retried a few times (the
        homeserver may be starting, or behind a restarting proxy); the last answer is returned.
        """
        assert self.settings.matrix_user is not None
        response: Any = None
        for attempt in range(START_ATTEMPTS):
            client = AsyncClient(
                self.homeserver,
                self.settings.matrix_user,
                device_id=device_id,
                config=self._config(encrypted=False),
            )
            delay = min(30.0, 2.0**attempt)
            try:
                response = await call(client)
                if not _transient(response):
                    return response
                retry_ms = getattr(response, "retry_after_ms", None)
                delay = retry_ms / 1000.0 if retry_ms else delay
                problem = str(getattr(response, "status_code", None) or "server error")
            except (ClientError, TimeoutError, OSError) as error:
                problem = type(error).__name__
            finally:
                await client.close()
            if attempt == START_ATTEMPTS - 1:
                break
            log.warning("matrix: homeserver not usable yet: %s", problem)
            await asyncio.sleep(delay)
        if response is None:
            raise MatrixStartError("Matrix homeserver not reachable")
        return response

    async def _whoami(self, token: str) -> Identity | None:
        """The identity behind ``token``; None when the homeserver rejects the token."""

        async def call(client: Any) -> Any:
            client.access_token = token
            return await client.whoami()

        response = await self._probe(call)
        if isinstance(response, WhoamiResponse) and response.device_id:
            assert self.settings.matrix_user is not None
            if not same_account(str(response.user_id), self.settings.matrix_user):
                raise MatrixStartError("the Matrix access token belongs to another account")
            return Identity(str(response.user_id), str(response.device_id), token)
        code = getattr(response, "status_code", None)
        if code not in (*TOKEN_ERRORS, "M_FORBIDDEN") and not isinstance(response, WhoamiResponse):
            raise MatrixStartError(f"Matrix homeserver error: {code or 'unknown'}")
        log.warning("matrix: access token not accepted (%s)", code or "no device")
        return None

    async def _password_login(self, password: str, device_id: str | None) -> Identity:
        async def call(client: Any) -> Any:
            return await client.login(password, device_name=DEVICE_NAME)

        response = await self._probe(call, device_id=device_id)
        if not isinstance(response, LoginResponse):
            raise MatrixStartError(
                f"Matrix login failed: {getattr(response, 'status_code', None) or 'error'}"
            )
        return Identity(str(response.user_id), str(response.device_id), str(response.access_token))

    async def _open_client(self, identity: Identity) -> Any:
        private_files.make_dir(self.store_dir)  # the device's keys: 0700 from the start
        async with self.db.transaction() as conn:
            pickle_key = await updates.get_value(conn, KEY_PICKLE)
            if pickle_key is None:
                pickle_key = secrets.token_urlsafe(32)
                await updates.set_value(conn, KEY_PICKLE, pickle_key)
        client = AsyncClient(
            self.homeserver,
            identity.user_id,
            device_id=identity.device_id,
            store_path=str(self.store_dir),
            config=self._config(encrypted=True, pickle_key=pickle_key),
        )
        client.restore_login(identity.user_id, identity.device_id, identity.access_token)
        return client

    def _plain_client(self, identity: Identity) -> Any:
        """The same device without an olm machine, for :attr:`plain` (no crypto store)."""
        client = AsyncClient(
            self.homeserver,
            identity.user_id,
            device_id=identity.device_id,
            config=self._config(encrypted=False),
        )
        client.restore_login(identity.user_id, identity.device_id, identity.access_token)
        return client
