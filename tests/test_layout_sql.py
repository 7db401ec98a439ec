"""No SQL outside ``storage/`` (issue 12): ``bot/`` and ``handlers/`` call storage functions.

The check reads the source of every module in ``bot/`` and ``handlers/``: a string literal
that reads as SQL (``SELECT``, ``INSERT``, ``UPDATE``, ``DELETE``, ``SAVEPOINT``,
``RELEASE``, ``ROLLBACK TO``, ``PRAGMA``) or a call of ``.execute(`` is an offence, listed
with its file and line. Docstrings and comments do not count.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("bot", "handlers")
#: SQL as this code base writes it: an upper-case keyword and a space (user-visible text
#: lives in the catalogs, so no sentence here starts a clause with "DELETE ").
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|SAVEPOINT|RELEASE|ROLLBACK TO|PRAGMA)\s")
#: Files that may still hold SQL, each with the reason.
ALLOWED = {
    # Works on matrix-nio's own crypto store through nio's peewee models: nio's database,
    # not ours, and no SQL text (``.execute()`` is peewee's query call).
    "bot/transports/matrix_forget.py": "nio's crypto store through its ORM",
}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def offences(path: Path) -> list[str]:
    """Where ``path`` holds SQL text or runs a statement, as "line: what", in line order."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if SQL.search(node.value):
                found.append((node.lineno, repr(node.value[:50])))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "executescript")
        ):
            found.append((node.lineno, repr(f".{node.func.attr}(")))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_no_sql_in_bot_or_handlers() -> None:
    report: list[str] = []
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in ALLOWED:
                continue
            report += [f"{name}:{line}" for line in offences(path)]
    assert not report, "SQL outside storage/:\n" + "\n".join(report)


def test_the_check_finds_sql(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""SELECT in a docstring is prose."""\n'
        "async def f(conn):\n"
        '    await conn.execute("SAVEPOINT step")\n'
        '    q = "DELETE FROM kv WHERE key = ?"\n'
        '    text = "Update your settings"\n'
    )
    assert offences(sample) == [
        "3: '.execute('",
        "3: 'SAVEPOINT step'",
        "4: 'DELETE FROM kv WHERE key = ?'",
    ]


def test_allowed_files_still_exist() -> None:
    """An entry for a file that is gone (or clean now) is stale: remove it."""
    for name in ALLOWED:
        path = ROOT / name
        assert path.exists(), name
        if name != "bot/transports/matrix_forget.py":
            assert offences(path), f"{name} holds no SQL any more: drop it from ALLOWED"
