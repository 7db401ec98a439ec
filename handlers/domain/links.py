"""Web links typed or imported for meetings (pure): strict, so that a stored link always fits
in a calendar file, a message and a button.

A link is accepted when it is, after surrounding spaces are removed:

* ``http://`` or ``https://`` (any case) and a host name with at least one dot
  (``meet.example.fi``, ``teams.microsoft.com``, an IDN such as ``kylä.fi``), or an IP
  address; a port is allowed, a user name (``https://good.example@evil.example``) is not;
* without any whitespace, line break or control or formatting character inside (a newline
  in a link used to break the participant's .ics file; an invisible right-to-left mark
  would hide where a link goes);
* at most :data:`MAX_LENGTH` characters (a Teams link is about 300).

:func:`parse_link` returns the link as typed or raises :class:`LinkInputError`;
:func:`looks_like_link` tells a link (which must then be valid) from a place's name.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from enum import StrEnum
from urllib.parse import urlsplit

MAX_LENGTH = 500
SCHEMES = ("http", "https")
_LABEL = re.compile(r"^[^\W_](?:[\w-]*[^\W_])?$")


class LinkProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    SPACE = "space"
    SCHEME = "scheme"
    HOST = "host"


class LinkInputError(ValueError):
    """A link that cannot be accepted; ``reason`` says why."""

    def __init__(self, reason: LinkProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


def looks_like_link(text: str) -> bool:
    """True if ``text`` is meant as a web link (starts with http:// or https://)."""
    return text.strip().lower().startswith(("http://", "https://"))


def parse_link(text: str) -> str:
    """``text`` without surrounding spaces if it is a valid web link (see the module)."""
    link = text.strip()
    if not link:
        raise LinkInputError(LinkProblem.EMPTY)
    if len(link) > MAX_LENGTH:
        raise LinkInputError(LinkProblem.TOO_LONG)
    if any(_invisible(ch) for ch in link):
        raise LinkInputError(LinkProblem.SPACE)
    try:
        parts = urlsplit(link)
        port = parts.port  # a port that is not a number raises here
    except ValueError as error:
        raise LinkInputError(LinkProblem.HOST) from error
    if parts.scheme.lower() not in SCHEMES or not link.lower().startswith(f"{parts.scheme}://"):
        raise LinkInputError(LinkProblem.SCHEME)
    host = parts.hostname or ""
    if "@" in parts.netloc or (port is not None and not 0 < port < 65536):
        raise LinkInputError(LinkProblem.HOST)
    if not _valid_host(host):
        raise LinkInputError(LinkProblem.HOST)
    return link


def is_valid_link(text: str) -> bool:
    try:
        parse_link(text)
    except LinkInputError:
        return False
    return True


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or len(host) > 253:
        return False
    return all(len(label) <= 63 and _LABEL.match(label) for label in labels)
