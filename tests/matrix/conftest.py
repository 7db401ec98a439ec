"""Fixtures for tests against a real Synapse (see ``synapse_server.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .synapse_server import SynapseServer, UserPair


@pytest.fixture(scope="session")
def synapse() -> Iterator[SynapseServer]:
    """One Synapse for the whole test run, started on first use and always stopped."""
    server = SynapseServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def matrix_users(synapse: SynapseServer) -> UserPair:
    """Register a new ``human-…`` and ``bot-…`` user on the shared Synapse."""
    return UserPair(human=synapse.register_user("human"), bot=synapse.register_user("bot"))
