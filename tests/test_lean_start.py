"""What a started bot has loaded (idle memory, issue 17): the libraries only some answers
need are imported when the first such answer is made, not at start."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import clean_environment, run_python

#: Loaded only when needed: spreadsheets and charts (reports, budget files), Matrix, the
#: lemmatiser (the first typed words) and the FAQ's stemmer and typo matching (the first
#: question).
LATER = ("openpyxl", "matplotlib", "nio", "simplemma", "snowballstemmer", "rapidfuzz")

SCRIPT = """
import asyncio, io, json, sys
from bot.app import Application
from bot.config import Settings
s = Settings(_env_file=None)
app = Application(s, console_stdin=io.StringIO(sys.argv[1]), console_stdout=io.StringIO())
assert asyncio.run(app.run()) == 0
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[2:])))
"""


def loaded_after(typed: str, tmp_path: Path) -> list[str]:
    env = clean_environment(HANKEBOT_DATABASE=str(tmp_path / f"lean{len(typed)}.sqlite3"))
    done = run_python(SCRIPT, typed, *LATER, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    tops = {name.split(".")[0] for name in json.loads(done.stdout.strip().splitlines()[-1])}
    return sorted(tops)


def test_start_loads_none_of_what_only_some_answers_need(tmp_path: Path) -> None:
    assert loaded_after("/start\n", tmp_path) == []


def test_the_first_question_loads_the_faq_matching(tmp_path: Path) -> None:
    """The stemmer with the first question; the typo matching with a word it does not
    know (the FAQ still answers both: tests/test_faq_match.py)."""
    first = loaded_after("/start\nmikä on flat rate?\n", tmp_path)
    assert first == ["simplemma", "snowballstemmer"]
    typo = loaded_after("/start\nvoiko yhdistys rahottaa hanketta?\n", tmp_path)
    assert typo == ["rapidfuzz", "simplemma", "snowballstemmer"]
