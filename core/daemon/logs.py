"""``--log-format json``: one JSON object per line, for journald, Loki or any log shipper.

Each line has ``ts`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, plus the
fields the daemon attaches (``connector``, ``worker``, counts, ``seconds``…). Records are
redacted before they reach the formatter (``itsmhub.http.redact``), and JSON escaping
keeps a CR or LF inside a value from forging a line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: Attributes every LogRecord has: not copied as extra fields.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            # itsmhub_redacted is the redaction filter's own mark, not a field of the event.
            if key not in _STANDARD and not key.startswith(("_", "itsmhub_")):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def use_json(handler: logging.Handler) -> None:
    """Make ``handler`` write JSON lines."""
    handler.setFormatter(JsonFormatter())


__all__ = ["JsonFormatter", "use_json"]
