"""Structured logs: one JSON object per line on stderr, with the request's ids.

`leadstate serve` configures the standard library's logging with `JsonFormatter` and
turns uvicorn's access log off: `leadstate.api.observability` writes one `request` line
per request instead (method, route template, status, duration, ids: never a raw path,
a query string, a body, a header or a client address).

No personal data: log calls pass ids and counts, never lead fields. An exception is
logged by its type and stack frames only: its message may quote data (a database error
quotes the row it refused), so it is left out; the error's reference in the response
and in the log line tie the two together.
"""

from __future__ import annotations

import json
import logging
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("leadstate_request_id", default=None)
CORRELATION_ID: ContextVar[str | None] = ContextVar("leadstate_correlation_id", default=None)

# Attributes every LogRecord has: anything else was passed in `extra` and is emitted.
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


MAX_FRAMES = 30


def _frames(error: BaseException) -> list[str]:
    """`file:line in function` for the innermost `MAX_FRAMES` frames, innermost last."""
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(error.__traceback__)[-MAX_FRAMES:]
    ]


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message, request and
    correlation ids, the `extra` fields, and an exception's type and frames."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON."""
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        correlation_id = getattr(record, "correlation_id", None) or CORRELATION_ID.get()
        if request_id:
            out["request_id"] = request_id
        if correlation_id:
            out["correlation_id"] = correlation_id
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in out:
                out[name] = value if isinstance(value, int | float | bool | str) else str(value)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            out["exc_type"] = f"{type(error).__module__}.{type(error).__qualname__}"
            out["exc_frames"] = _frames(error)
        return json.dumps(out, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` (also uvicorn's `log_config`): JSON on stderr for
    every logger, uvicorn's included; uvicorn's access log silenced."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


__all__ = ["CORRELATION_ID", "REQUEST_ID", "JsonFormatter", "logging_config"]
