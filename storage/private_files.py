"""Files and directories on disk that hold personal data: readable by their owner only.

The database (and the -wal and -shm files SQLite makes beside it), every export written to
disk and the Matrix crypto store are created with these modes from the start — not
created with the umask's mode and tightened afterwards, which would leave a moment in
which others could open them. A file or directory found looser at start is logged (path
and mode only) and tightened: nothing the bot does needs others to read them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def check(path: Path, wanted: int) -> bool:
    """Warn about and tighten ``path`` if others may use it; False if it does not exist."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if current & ~wanted:
        log.warning("%s is readable by others (mode %04o); setting %04o", path, current, wanted)
        with contextlib.suppress(OSError):  # not ours to change: the warning stays
            path.chmod(wanted)
    return True


def create_file(path: Path) -> None:
    """Create an empty file with mode 0600 unless it exists (then :func:`check` it)."""
    if check(path, FILE_MODE):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def write_file(path: Path | str, content: bytes) -> None:
    """Write ``content`` to ``path`` as a 0600 file (an existing file is made 0600 first)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with open(fd, "wb") as handle:
        os.fchmod(fd, FILE_MODE)
        handle.write(content)


def make_dir(path: Path) -> None:
    """Create a 0700 directory (its parents as usual), or :func:`check` an existing one."""
    if check(path, DIR_MODE):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIR_MODE)
    check(path, DIR_MODE)  # a umask stricter than 077 is kept; this only tightens
