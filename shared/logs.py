"""Structured JSON logs with a request/session/task context and personal-data redaction."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from shared.redaction import redact, redact_value, register_customer, register_sensitive

__all__ = [
    "configure_logging",
    "current_context",
    "get_logger",
    "log_context",
    "redact",
    "register_customer",
    "register_sensitive",
]

_CONTEXT: ContextVar[dict[str, str]] = ContextVar("csn_log_context", default={})  # noqa: B039
_SERVICE = {"name": "csn"}

_CONTEXT_KEYS = ("request_id", "session_id", "task_id")


class RedactingFilter(logging.Filter):
    """Redacts personal data from every record's message and arguments, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        fields = record.__dict__.get("fields")
        if isinstance(fields, dict):
            record.__dict__["fields"] = redact_value(fields)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, message, context, fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": _SERVICE["name"],
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(_CONTEXT.get())
        for key, value in getattr(record, "fields", {}).items():
            line.setdefault(key, value)  # a field never overwrites the line's own keys
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


def configure_logging(service: str, level: str = "INFO", as_json: bool = True) -> None:
    """Route every logger through one redacting handler (JSON lines by default)."""
    _SERVICE["name"] = service
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(levelname)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel("WARNING")
    # Access lines carry query strings and client addresses; our middleware logs requests.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str) -> logging.Logger:
    """A standard logger; pass structured fields with `extra={"fields": {...}}`."""
    return logging.getLogger(name)


def current_context() -> dict[str, str]:
    """The request/session/task ids bound to the current task."""
    return dict(_CONTEXT.get())


@contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    """Bind request_id / session_id / task_id to every log line inside the block."""
    merged = {**_CONTEXT.get(), **{k: str(v) for k, v in ids.items() if v and k in _CONTEXT_KEYS}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)
