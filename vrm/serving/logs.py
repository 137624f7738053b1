"""Structured logs: one JSON object a line on stderr, each carrying the id of the request it belongs to.

What is logged is chosen so that a log never holds a token, a password or anything about a person: the
access line names the route template ('/reset/<token>'), never the path ('/reset/eyJ...'), nor the query
string, the client's address or its user agent. SQLAlchemy hides bound values (vrm.db.make_engine).
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from flask import g, has_request_context

# dictConfig form: gunicorn takes it as `logconfig_dict`, the CLI through configure().
LOGCONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "vrm.serving.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        # gunicorn's own lines (worker starts, timeouts) in the same form, not twice.
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        # The access line is written by the app (vrm.serving.observe), which knows the route template.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        # Alembic's notes on each schema check (/readyz) say nothing an operator needs.
        "alembic": {"level": "WARNING"},
    },
}


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being answered on this thread, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


def configure() -> None:
    logging.config.dictConfig(LOGCONFIG)
