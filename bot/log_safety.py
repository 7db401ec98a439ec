"""Secrets never reach a log line or a traceback.

The first line of defence is the code itself: it logs ids and error types only, and the
chatty libraries are kept at WARNING (:func:`bot.app.quiet_libraries`). This module is the
second: a :class:`SecretRedactor` knows the secret values of this process (the Telegram
token, the Matrix access token and password, the webhook secret, a token got by logging
in) and rewrites every log record that reaches a handler — message, arguments, formatted
traceback and stack — replacing each of them with ``[redacted]``. :func:`protect` puts it
on the root logger's handlers and routes uncaught exceptions (main thread, other threads,
``warnings``) through the same replacement.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote

MARK = "[redacted]"
#: Values shorter than this are not treated as secrets: replacing them would garble every
#: line (and a secret that short protects nothing anyway).
MIN_SECRET_LENGTH = 6


def variants(secret: str) -> set[str]:
    """The forms in which a secret may show up: as is, URL-encoded, and for a Telegram
    token (``<bot id>:<secret>``) its secret half alone (the bot id is public)."""
    forms = {secret, quote(secret, safe=""), quote(secret, safe="/:")}
    bot_id, colon, rest = secret.partition(":")
    if colon and bot_id.isdigit():
        forms.add(rest)
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class SecretRedactor(logging.Filter):
    """Replaces known secret values in text and in log records (as a handler filter)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._forms: tuple[str, ...] = ()

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            forms = set(self._forms)
            for secret in secrets:
                if secret:
                    forms |= variants(secret)
            # Longest first, so that a token is replaced whole before its half is looked at.
            self._forms = tuple(sorted(forms, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MARK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (every handler after this one sees it clean)."""
        if not self._forms:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template, drop the arguments
            message = str(record.msg)
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


#: The process's redactor; :func:`protect` installs it, transports add secrets they create.
REDACTOR = SecretRedactor()


def add_secret(*secrets: str | None) -> None:
    REDACTOR.add(*secrets)


def protect(secrets: Iterable[str] = ()) -> None:
    """Redact ``secrets`` (and any added later) in every root handler's output and in
    uncaught exceptions; call after the logging handlers exist."""
    REDACTOR.add(*secrets)
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    logging.captureWarnings(True)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def _write_exception(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    text = "".join(traceback.format_exception(kind, error, trace))
    sys.stderr.write(REDACTOR.redact(text))
    sys.stderr.flush()


def _excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    _write_exception(kind, error, trace)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _write_exception(args.exc_type, args.exc_value, args.exc_traceback)
