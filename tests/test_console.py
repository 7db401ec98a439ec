"""The console chat as a newcomer runs it: a real process, input piped, clean exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.catalog_labels import first_line, label, shown
from tests.processes import clean_environment


def run_console(
    tmp_path: Path, lines: list[str], lang: str = "fi"
) -> subprocess.CompletedProcess[str]:
    env = clean_environment()
    env.update(
        HANKEBOT_DATABASE=str(tmp_path / "console.sqlite3"),
        LANG=lang,
        HANKEBOT_LOG_LEVEL="DEBUG",
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_console_start_numbers_and_end_of_input(tmp_path: Path) -> None:
    result = run_console(tmp_path, ["/start", "8", "/omattiedot"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert first_line("start.greeting") in out
    assert f"  6. {label('menu.language')}" in out
    assert f"  8. {label('menu.help')}" in out
    assert first_line("help.text") in out  # "8" pressed the eighth button, help
    my_data = shown("file.my_data") + ".json"
    assert my_data in out
    assert (tmp_path / my_data).exists()
    assert "Traceback" not in result.stderr


def test_console_exits_cleanly_with_no_input(tmp_path: Path) -> None:
    result = run_console(tmp_path, [])
    assert result.returncode == 0, result.stderr


def test_console_shows_user_markup_as_text_and_logs_no_message_text(tmp_path: Path) -> None:
    secret = "salainen-viesti-<b>"
    result = run_console(tmp_path, ["/start", secret, "9", "/peru"])
    assert result.returncode == 0
    assert secret not in result.stderr  # debug logging is on and still no message text
    # a message with no FAQ word gets "this is what I can help with" (issue 13 item 4)
    assert shown("faq.small_talk.capabilities").split(":")[0] in result.stdout
