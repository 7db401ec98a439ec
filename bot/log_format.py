"""``HANKEBOT_LOG_FORMAT=json``: one JSON object a line, for log collectors.

The fields are ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, plus
``error`` (the exception's type) and ``traceback`` when a record carries one. The privacy
rules are those of the text format: the code logs ids and error types only, and the
:class:`bot.log_safety.SecretRedactor` on the handler has rewritten message and traceback
before this formatter sees them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:  # the redactor turned the exception into (clean) text
            entry["traceback"] = record.exc_text
            last = record.exc_text.rstrip().rsplit("\n", 1)[-1]
            entry["error"] = last.split(":", 1)[0].strip()
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)
