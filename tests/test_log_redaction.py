"""Secrets never reach a log line or a traceback (issue 11, item 10).

The second line of defence: whatever a library puts into a log record or an exception
message, the Telegram token, the Matrix access token and password and the webhook secret
are replaced before the line is written, and so are uncaught exceptions at top level.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.log_format import JsonFormatter
from bot.log_safety import SecretRedactor
from tests.processes import clean_environment

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:AAH-secret_PART-of-the-token"
MATRIX_TOKEN = "syt_aGFua2Vib3Q_secretsecret_1a2b3c"
PASSWORD = "correct horse battery"
WEBHOOK = "webhook-secret-value-42"


def _logger(redactor: SecretRedactor) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    logger = logging.getLogger(f"test.redaction.{id(redactor)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_secrets_are_replaced_in_text_in_every_form() -> None:
    redactor = SecretRedactor()
    redactor.add(TOKEN, MATRIX_TOKEN, PASSWORD, None, "")
    text = (
        f"GET https://api.telegram.org/bot{TOKEN}/getMe and /file/bot{TOKEN.replace(':', '%3A')}"
        f" half={TOKEN.split(':', 1)[1]} matrix={MATRIX_TOKEN} pw={PASSWORD!r} bot id 123456"
    )
    clean = redactor.redact(text)
    for secret in (TOKEN, TOKEN.split(":", 1)[1], MATRIX_TOKEN, PASSWORD, "%3AAAH-secret"):
        assert secret not in clean
    assert "getMe" in clean and "bot id 123456" in clean  # the rest stays readable
    assert clean.count("[redacted]") == 5
    # Very short values are not "secrets" worth garbling every log line for.
    redactor.add("ab")
    assert redactor.redact("abcabc") == "abcabc"


def test_log_records_and_their_tracebacks_are_redacted() -> None:
    redactor = SecretRedactor()
    redactor.add(TOKEN, MATRIX_TOKEN, WEBHOOK)
    logger, stream = _logger(redactor)
    logger.info("starting with %s and %s", TOKEN, {"secret": WEBHOOK})
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        logger.exception("start failed for %s", MATRIX_TOKEN)
    logger.error("stack", stack_info=True, extra={"token": TOKEN})
    written = stream.getvalue()
    assert "Traceback" in written and "RuntimeError" in written
    assert "starting with [redacted]" in written
    for secret in (TOKEN, TOKEN.split(":", 1)[1], MATRIX_TOKEN, WEBHOOK):
        assert secret not in written


def test_settings_name_their_secrets() -> None:
    settings = Settings(
        _env_file=None,
        telegram_token=TOKEN,
        telegram_webhook_secret=WEBHOOK,
        matrix_homeserver="https://matrix.example.org",
        matrix_user="@bot:example.org",
        matrix_password=PASSWORD,
        matrix_access_token=MATRIX_TOKEN,
    )
    assert set(settings.secret_values()) == {TOKEN, WEBHOOK, PASSWORD, MATRIX_TOKEN}
    assert Settings(_env_file=None).secret_values() == []


@pytest.mark.parametrize("bad", ["has space", "ä-not-ascii", "x" * 257, "semi;colon"])
def test_a_webhook_secret_telegram_would_refuse_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ValueError, match="telegram_webhook_secret") as caught:
        Settings(_env_file=None, telegram_webhook_secret=bad)
    assert bad not in str(caught.value)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_command_line_redacts_log_lines_and_uncaught_exceptions(log_format: str) -> None:
    """``configure_logging`` as ``hankebot`` runs it: log lines and a crash at top level,
    in either log format."""
    script = (
        "import logging, os\n"
        "from bot.cli import configure_logging\n"
        "from bot.config import Settings\n"
        "configure_logging(Settings())\n"
        "token = os.environ['HANKEBOT_TELEGRAM_TOKEN']\n"
        "logging.getLogger('httpx').warning('POST https://api.telegram.org/bot%s/getMe', token)\n"
        "try:\n"
        "    raise ValueError(token)\n"
        "except ValueError:\n"
        "    logging.getLogger('bot').exception('wrapped')\n"
        "raise RuntimeError(f'The token {token} was rejected')\n"
    )
    env = clean_environment()
    env.update(
        HANKEBOT_TELEGRAM_TOKEN=TOKEN,
        HANKEBOT_MATRIX_PASSWORD=PASSWORD,
        HANKEBOT_LOG_FORMAT=log_format,
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode != 0
    assert "RuntimeError" in output and "getMe" in output and "wrapped" in output
    assert TOKEN not in output and TOKEN.split(":", 1)[1] not in output
    if log_format == "json":  # every log line is one JSON object; the crash is not a log line
        crash = result.stderr.decode().split("\nTraceback (most recent call last)")
        lines = crash[0].splitlines()
        entries = [json.loads(line) for line in lines]
        assert [e["logger"] for e in entries] == ["httpx", "bot"]
        assert entries[1]["error"] == "ValueError" and "[redacted]" in entries[1]["traceback"]
        assert "[redacted]" in entries[0]["message"]


def test_json_lines_carry_the_redacted_record_and_the_error_type() -> None:
    redactor = SecretRedactor()
    redactor.add(TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(redactor)
    logger = logging.getLogger("test.redaction.json")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.info("delivery retry: outbox=%s error=%s", 7, "NetworkError")
    try:
        raise OSError(f"bad {TOKEN}")
    except OSError:
        logger.exception("poll failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "delivery retry: outbox=7 error=NetworkError"
    assert first["level"] == "INFO" and first["logger"] == "test.redaction.json"
    assert first["time"].endswith("+00:00")
    assert second["error"] == "OSError" and "Traceback" in second["traceback"]
    assert TOKEN not in stream.getvalue() and TOKEN.split(":", 1)[1] not in stream.getvalue()
    # Without secrets to replace the record keeps its exception object: same fields.
    plain = SecretRedactor()
    handler.filters = [plain]
    stream.truncate(0)
    stream.seek(0)
    try:
        raise KeyError("x")
    except KeyError:
        logger.exception("lookup failed")
    entry = json.loads(stream.getvalue())
    assert entry["error"] == "KeyError"


def test_a_log_format_other_than_text_or_json_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None, log_format="xml")
