"""``hankebot db``: backup, restore and schema migrations of the database.

* ``db backup PATH`` copies the database (and the Matrix device store beside it, if there
  is one) while the bot runs, then checks the copy.
* ``db restore PATH`` puts a checked copy in place; it refuses while the bot runs.
* ``db migrate`` applies the schema migrations not yet applied; ``--check`` only says
  whether any are pending (exit code 1) and never writes.

Exit codes: 0 done, 1 not done (a check failed, migrations pending, the bot is running),
2 wrong use. Every problem is one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from storage.backup import (
    BackupError,
    check_copy,
    copy_database,
    copy_store,
    restore_database,
    store_dir_for,
)
from storage.db import Database, NewerDatabase, latest_version
from storage.instance_lock import is_held


def add_db_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "db",
        help="back up, restore or migrate the database",
        description="Back up, restore or migrate the database (HANKEBOT_DATABASE).",
    )
    actions = parser.add_subparsers(dest="db_command", required=True)
    backup = actions.add_parser(
        "backup", help="copy the database while the bot runs, and check the copy"
    )
    backup.add_argument("path", type=Path, help="the new copy (must not exist)")
    backup.set_defaults(handler=run_db)
    restore = actions.add_parser("restore", help="replace the database with a checked copy")
    restore.add_argument("path", type=Path, help="a copy made by 'hankebot db backup'")
    restore.set_defaults(handler=run_db)
    migrate = actions.add_parser("migrate", help="apply pending schema migrations")
    migrate.add_argument(
        "--check", action="store_true", help="only say whether migrations are pending"
    )
    migrate.set_defaults(handler=run_db)


def run_db(args: argparse.Namespace) -> int:
    return db_from_cli(Settings(), args, sys.stdout, sys.stderr)


def db_from_cli(settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    database = Path(settings.database)
    try:
        if args.db_command == "backup":
            return _backup(database, args.path, out)
        if args.db_command == "restore":
            return _restore(database, args.path, out, err)
        if args.check and not database.exists():
            out.write(f"no database at {database} yet: the bot creates it at its first start\n")
            return 1
        return asyncio.run(_migrate(database, args.check, out))
    except (BackupError, NewerDatabase) as error:
        err.write(f"hankebot db {args.db_command}: {error}\n")
        return 1


def _backup(database: Path, target: Path, out: TextIO) -> int:
    copy_database(database, target)
    checked = check_copy(target)
    out.write(
        f"copied {database} to {target}: schema {checked.schema_version},"
        f" {checked.tables} tables, {checked.people} people; integrity ok\n"
    )
    store = store_dir_for(database)
    if store.is_dir():
        copied = copy_store(store, store_dir_for(target))
        out.write(f"copied the Matrix device store: {copied} files to {store_dir_for(target)}\n")
    return 0


def _restore(database: Path, copy: Path, out: TextIO, err: TextIO) -> int:
    if is_held(database):
        err.write("hankebot db restore: the bot is running on this database; stop it first\n")
        return 1
    checked = restore_database(copy, database)
    out.write(
        f"restored {database} from {copy}: schema {checked.schema_version},"
        f" {checked.people} people\n"
    )
    store, saved = store_dir_for(database), store_dir_for(copy)
    if saved.is_dir():
        if store.exists():
            out.write(
                f"the Matrix device store {store} was left as it is; to go back to the saved"
                f" device, replace it with {saved} while the bot is stopped\n"
            )
        else:
            copied = copy_store(saved, store)
            out.write(f"restored the Matrix device store: {copied} files\n")
    return 0


async def _migrate(database: Path, check: bool, out: TextIO) -> int:
    db = await Database.open(database, migrate=False)
    try:
        pending = await db.pending()
        if check:
            if pending:
                names = ", ".join(name for _, name, _ in pending)
                out.write(f"{len(pending)} migrations pending: {names}\n")
                return 1
            out.write(f"up to date: schema {latest_version()}\n")
            return 0
        await db.migrate()
        out.write(f"applied {len(pending)} migrations; schema {await db.schema_version()}\n")
        return 0
    finally:
        await db.close()
