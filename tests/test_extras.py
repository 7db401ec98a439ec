"""A lean install (issue 16, Operations): ``pip install hankebot`` without the charts
extra runs, and says what is missing."""

from __future__ import annotations

from pathlib import Path

from tests.processes import clean_environment, run_python


def test_a_lean_install_without_matplotlib_starts_and_says_charts_are_off(
    tmp_path: Path,
) -> None:
    """``pip install hankebot`` has no charts extra: nothing imports matplotlib on the way to
    a running bot, and the log says once what is missing."""
    script = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"  # as if it were not installed
        "import asyncio, io\n"
        "from bot.app import Application\n"
        "from bot.config import Settings\n"
        "from bot.cli import configure_logging\n"
        "s = Settings(_env_file=None)\n"
        "configure_logging(s)\n"
        "app = Application(\n"
        "    s, console_stdin=io.StringIO('/start\\n'), console_stdout=io.StringIO()\n"
        ")\n"
        "assert asyncio.run(app.run()) == 0\n"
        "assert sys.modules['matplotlib'] is None\n"
    )
    clean = clean_environment(HANKEBOT_DATABASE=str(tmp_path / "lean.sqlite3"))
    done = run_python(script, cwd=tmp_path, env=clean)
    assert done.returncode == 0, done.stderr
    assert "charts are off: matplotlib is not installed" in done.stderr
