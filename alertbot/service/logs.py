"""Log lines for the service: text, or one JSON object per line (``ALERTBOT_LOG_FORMAT=json``).

Context travels in ``extra``: ``log.info("…", extra={"source": name, "run_id": 12, "alert_id": 3})`` puts
``source``, ``run_id`` and ``alert_id`` as fields of the JSON object (and appends them to text lines).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

CONTEXT_FIELDS = ("source", "run_id", "alert_id", "delivery_id", "job", "node", "role")


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", <context fields>, "exc"}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The usual text line, with the context fields appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = [
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if getattr(record, name, None)
        ]
        return f"{line} [{' '.join(context)}]" if context else line


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send the root logger's lines to stderr in ``log_format`` (``text`` or ``json``)."""
    root = logging.getLogger()
    formatter: logging.Formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    if not root.handlers:
        logging.basicConfig(level=level)
    for handler in root.handlers:
        handler.setFormatter(formatter)
    root.setLevel(min(root.level or level, level))
    # Per-request chatter of the HTTP clients would drown the service's own lines.
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
