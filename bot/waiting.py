"""Waiting for an :class:`asyncio.Event` with a time limit, without losing a stop.

Python 3.11's ``asyncio.wait_for`` returns the inner result when the inner wait finished
in the same moment as the caller was cancelled, and the cancellation is gone: a loop
that waits for a wake-up then goes on after its task was cancelled, and whoever awaits
that task (a shutdown) waits forever. ``asyncio.timeout`` has no such window.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Whether ``event`` was set within ``timeout`` seconds; a cancellation goes on."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
