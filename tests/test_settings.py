"""Where the settings come from: ``HANKEBOT_`` environment variables, then an optional
``.env`` file, then the defaults; what is given in code wins over all (README,
"Configuration"). A bad value is named, never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import settings_problems
from bot.config import Settings


@pytest.fixture(autouse=True)
def no_settings_of_this_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("HANKEBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no developer's .env


def test_defaults() -> None:
    settings = Settings()
    assert settings.database == Path("./hankebot.sqlite3")
    assert settings.rate_limit_per_minute == 20
    assert settings.admins == frozenset()
    assert not settings.telegram_enabled and not settings.matrix_enabled


def test_the_environment_gives_values_by_prefix_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANKEBOT_RATE_LIMIT_PER_MINUTE", "5")
    monkeypatch.setenv("hankebot_timezone", "Europe/Stockholm")
    monkeypatch.setenv("HANKEBOT_ADMINS", "telegram:1, matrix:@a:b ,")
    monkeypatch.setenv("HANKEBOT_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("HANKEBOT_HEALTH_PORT", "8080")
    monkeypatch.setenv("HANKEBOT_NOT_A_SETTING", "ignored")
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "99")  # no prefix: not ours
    settings = Settings()
    assert settings.rate_limit_per_minute == 5
    assert settings.timezone == "Europe/Stockholm"
    assert settings.admins == frozenset({"telegram:1", "matrix:@a:b"})
    assert settings.telegram_enabled and settings.secret_values() == ["123:abc"]
    assert settings.health_port == 8080


def test_a_dotenv_file_gives_what_the_environment_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "# the operator's file\n"
        "HANKEBOT_TIMEZONE=Europe/Oslo\n"
        'HANKEBOT_LOG_LEVEL="DEBUG"\n'
        "HANKEBOT_RATE_LIMIT_PER_MINUTE=7\n"
        "OTHER_PROGRAM=1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HANKEBOT_RATE_LIMIT_PER_MINUTE", "3")
    settings = Settings()
    assert settings.timezone == "Europe/Oslo"
    assert settings.log_level == "DEBUG"
    assert settings.rate_limit_per_minute == 3  # the environment wins
    assert Settings(_env_file=None).timezone == "Europe/Helsinki"
    assert Settings(timezone="UTC").timezone == "UTC"  # code wins over both


def test_a_bad_value_is_named_but_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANKEBOT_RATE_LIMIT_PER_MINUTE", "twenty-secret")
    monkeypatch.setenv("HANKEBOT_TELEGRAM_WEBHOOK_SECRET", "has spaces secret")
    with pytest.raises(ValidationError) as caught:
        Settings()
    problems = settings_problems(caught.value)
    assert "HANKEBOT_RATE_LIMIT_PER_MINUTE" in problems
    assert "HANKEBOT_TELEGRAM_WEBHOOK_SECRET" in problems
    assert "secret" not in str(caught.value).replace("webhook_secret", "")
    assert "twenty" not in problems
