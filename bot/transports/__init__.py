"""The transports: console, Telegram (python-telegram-bot) and Matrix (matrix-nio)."""

from __future__ import annotations

from bot.transports.base import Capabilities, DeclaredTransports


def every_transport() -> DeclaredTransports:
    """What every transport the application has can do, as each declares it (for a process
    that runs none of them: the command-line tools, and tests)."""
    from bot.transports.console import ConsoleTransport
    from bot.transports.matrix import MatrixTransport
    from bot.transports.telegram import TelegramTransport

    declared: dict[str, Capabilities] = {
        transport.name: transport.capabilities
        for transport in (ConsoleTransport, TelegramTransport, MatrixTransport)
    }
    return DeclaredTransports(declared)
