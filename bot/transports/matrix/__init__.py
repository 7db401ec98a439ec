"""Matrix through matrix-nio (with end-to-end encryption via vodozemac).

The transport translates and nothing more: a person's message becomes an ``Incoming``, any
other happening a platform event for the core, and the core's outbox rows become events in
rooms. Its parts, each in its own module:

- :mod:`~bot.transports.matrix.identity`: login, device, access token and keys;
- :mod:`~bot.transports.matrix.sync`: the sync loop, the since token, events translated;
- :mod:`~bot.transports.matrix.media`: files people send (fetched with caps) and files the
  bot sends (uploaded);
- :mod:`~bot.transports.matrix.send`: an outbox row as ``room_send`` (or leaving a room);
- :mod:`~bot.transports.matrix.state` holds what they share, and
  :mod:`~bot.transports.matrix.transport` puts them together as :class:`MatrixTransport`.
"""

from __future__ import annotations

from bot.transports.matrix.identity import Identity, MatrixStartError, same_account
from bot.transports.matrix.media import Media, media_of, png_size, safe_filename
from bot.transports.matrix.send import (
    bang_commands,
    edit_content,
    matrix_html,
    notice_content,
    render_message,
)
from bot.transports.matrix.state import error_delivery, store_dir_for
from bot.transports.matrix.sync import (
    addressed_text,
    is_direct_room,
    strip_reply_fallback,
)
from bot.transports.matrix.transport import MATRIX_PACING, MatrixTransport

__all__ = [
    "MATRIX_PACING",
    "Identity",
    "MatrixStartError",
    "MatrixTransport",
    "Media",
    "addressed_text",
    "bang_commands",
    "edit_content",
    "error_delivery",
    "is_direct_room",
    "matrix_html",
    "media_of",
    "notice_content",
    "png_size",
    "render_message",
    "safe_filename",
    "same_account",
    "store_dir_for",
    "strip_reply_fallback",
]
