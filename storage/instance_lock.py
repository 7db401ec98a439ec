"""One running bot per database: ``hankebot run`` holds an exclusive lock on
``<database>.lock`` while it runs (released by the kernel when the process ends, even by
SIGKILL), and ``hankebot db restore`` refuses to replace a database whose bot is running."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from storage import private_files


class AlreadyRunning(RuntimeError):
    """Another process holds the database's lock."""


def lock_path(database: Path) -> Path:
    return Path(f"{database}.lock")


class InstanceLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process ends)."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        private_files.create_file(self.path)
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(
                f"another hankebot is running on {self.path.with_suffix('')}"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def is_held(database: Path) -> bool:
    """True while a running bot holds ``database``'s lock."""
    path = lock_path(database)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
