"""Who may use the bot: the core's rule for which people's events are served.

On Matrix ``HANKEBOT_MATRIX_ALLOWED_SERVERS`` restricts the bot to people on those
homeservers: the core declines their invites, drops their messages (only the update id is
recorded) and fetches none of their files. Transports report everyone; the rule is here, in
one place (issue 12, rule 4: transports translate and nothing more).
"""

from __future__ import annotations

from collections.abc import Mapping


def server_of(user_id: str) -> str:
    """The homeserver part of ``@local:server`` (lower case, port kept)."""
    return user_id.split(":", 1)[1].lower() if ":" in user_id else ""


def server_allowed(user_id: str, allowed: frozenset[str]) -> bool:
    """Whether a person on ``user_id``'s homeserver (``@local:server``) may use the bot.

    An empty ``allowed`` set means every server. Entries match the server name exactly
    (case-insensitive), with or without the port.
    """
    if not allowed:
        return True
    server = server_of(user_id)
    if not server:
        return False
    names = {entry.strip().lower() for entry in allowed}
    return server in names or server.rsplit(":", 1)[0] in names


class Admission:
    """The allowed homeservers per platform (only Matrix has any); a platform not named, or
    named with an empty set, admits everyone."""

    def __init__(self, allowed_servers: Mapping[str, frozenset[str]] | None = None) -> None:
        self._allowed = dict(allowed_servers or {})

    def admits(self, user_id: str) -> bool:
        """Whether ``user_id`` (``platform:native id``) may use the bot."""
        platform, _, native = user_id.partition(":")
        allowed = self._allowed.get(platform)
        return not allowed or server_allowed(native, allowed)


#: Everyone (command-line tools, tests, a bot without allowed servers).
EVERYONE = Admission()
