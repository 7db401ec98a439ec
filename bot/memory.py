"""Giving freed memory back to the system (idle RSS, issue 17).

Start-up reads the content's YAML, validates it and builds the catalogs. Python frees those
working objects, but glibc keeps the freed heap for later and the process stays that much
bigger while it idles (about 4 MB measured here, 76 → 72 MB after /start). glibc's
``malloc_trim`` returns it. Elsewhere (musl, macOS) there is no such call and nothing is done.

What start-up keeps (modules, content, catalogs: about 85 000 objects the garbage collector
tracks) lives as long as the process, so it is frozen out of later collections
(``gc.freeze``): a full collection under load took 46 ms with them, 7.5-8.7 ms without them
(measured in ``bench.conversation``, issue 17). Only reference cycles among those objects
are never collected; plain garbage is still freed as its last reference goes.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the C library this process already uses
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)  # glibc only
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def give_back_free_memory() -> bool:
    """Collect garbage, freeze what is left out of later collections, then hand the C
    heap's free pages back; whether that last step could be done."""
    gc.collect()
    gc.freeze()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
