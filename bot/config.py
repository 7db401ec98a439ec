"""Settings from the environment (prefix ``HANKEBOT_``) or an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.audit import DEFAULT_RETENTION_DAYS

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    """Every knob the bot has; README.md lists them for operators."""

    model_config = SettingsConfigDict(
        env_prefix="HANKEBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database: Path = Path("./hankebot.sqlite3")
    timezone: str = "Europe/Helsinki"
    content_dir: Path | None = None
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    log_level: str = "INFO"
    # How long audit log entries are kept (default six years; see storage.audit).
    audit_retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1)

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

    @field_validator("admins", "matrix_allowed_servers", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

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
