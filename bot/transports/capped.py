"""Reading a file a person sent without ever reading much more than the limit.

A sender's client declares a file's size, and the platform may too; neither is trusted
alone. Transports refuse by a declared size first (the event's, the API's, the HTTP
``Content-Length``), then stream the body through :func:`read_capped`, which stops at the
first chunk that goes over the limit: at most ``limit`` + one chunk is ever read, whatever
the server sends. The same reader serves Telegram (httpx) and Matrix (aiohttp).
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from pathlib import Path

#: Bytes asked of the network at a time.
CHUNK = 64 * 1024


def declared_too_large(declared: int | str | None, limit: int) -> bool:
    """Whether a declared size (an int, or a header's text) is over ``limit``."""
    if declared is None:
        return False
    try:
        return int(declared) > limit
    except (TypeError, ValueError):
        return False


async def read_capped(chunks: AsyncIterable[bytes], limit: int) -> bytes | None:
    """All of ``chunks``, or None as soon as they add up to more than ``limit`` bytes.

    The caller closes the stream (and with it the connection) after a None.
    """
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)


def read_file_capped(path: Path, limit: int) -> bytes | None:
    """A local file (a self-hosted Bot API server in ``--local`` mode gives paths), or None
    when it is larger than ``limit``; at most ``limit`` + 1 bytes are read."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data
