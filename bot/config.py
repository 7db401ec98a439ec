"""Settings from the environment (prefix ``HANKEBOT_``) or an optional ``.env`` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.audit import DEFAULT_RETENTION_DAYS

DEFAULT_REPLY_DELAY = 120
DEFAULT_BULK_DELAY = 3600

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
#: What Telegram accepts as a webhook's ``secret_token``.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Every knob the bot has; README.md lists them for operators."""

    model_config = SettingsConfigDict(
        env_prefix="HANKEBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,  # a bad setting's error never shows its (secret) value
    )

    database: Path = Path("./hankebot.sqlite3")
    timezone: str = "Europe/Helsinki"
    content_dir: Path | None = None
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    log_level: str = "INFO"
    # How long audit log entries are kept (default six years; see storage.audit).
    audit_retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1)
    # Messages (texts, button presses, files) one person is served a minute; 0: no limit.
    rate_limit_per_minute: int = Field(default=20, ge=0)
    # Logs: "text" (one readable line each) or "json" (one JSON object a line, for
    # log collectors); either carries ids and error types only (bot.log_format).
    log_format: Literal["text", "json"] = "text"

    # The health endpoint GET /healthz (bot.health): off unless a port is set; 127.0.0.1
    # by default, so that only the machine itself can ask.
    health_port: int | None = Field(default=None, ge=0, le=65535)
    health_listen: str = "127.0.0.1"
    # How long a due reply or reminder / an announcement row may wait before it is unhealthy.
    health_reply_delay_seconds: int = Field(default=DEFAULT_REPLY_DELAY, ge=1)
    health_bulk_delay_seconds: int = Field(default=DEFAULT_BULK_DELAY, ge=1)

    telegram_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook must be reachable
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None
    telegram_poll_timeout: int = Field(default=30, ge=0, le=60)
    # Pacing of the delivery worker; defaults follow Telegram's published limits.
    telegram_messages_per_second: float = Field(default=29.0, gt=0)
    telegram_per_chat_interval: float = Field(default=1.05, ge=0)
    telegram_group_per_minute: int = Field(default=19, gt=0)

    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None
    matrix_allowed_servers: Annotated[frozenset[str], NoDecode] = frozenset()

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "telegram_webhook_secret: 1-256 characters, only A-Z, a-z, 0-9, _ and -"
            )
        return value

    @field_validator("admins", "matrix_allowed_servers", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, for :mod:`bot.log_safety` to keep out of the logs."""
        fields = (
            self.telegram_token,
            self.telegram_webhook_secret,
            self.matrix_password,
            self.matrix_access_token,
        )
        return [f.get_secret_value() for f in fields if f is not None and f.get_secret_value()]

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None and bool(self.telegram_token.get_secret_value())

    @property
    def matrix_enabled(self) -> bool:
        return bool(
            self.matrix_homeserver
            and self.matrix_user
            and (self.matrix_password is not None or self.matrix_access_token is not None)
        )
