"""Load-balancer probes: /healthz (the process answers) and /readyz (it can serve real requests)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from vrm import schema
from vrm.api import problems
from vrm.errors import KeyRingError, SchemaMismatch
from vrm.serving.request_scope import runtime

health = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> Response:
    """Ready when the database answers, its schema is at head and the key ring can still be read.

    The ring is re-read if its file changed (a rotation by another process): a ring that became unreadable,
    or was replaced by another installation's, takes this node out of the load balancer.
    """
    current = runtime()
    try:
        with current.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema.require_head(current.engine)
        current.keyring.refresh()
    except SQLAlchemyError:
        return _unavailable("the database is not reachable")
    except SchemaMismatch as error:
        return _unavailable(error.detail)
    except KeyRingError as error:
        log.error("not ready: %s", error.detail)  # the operator's log gets the file's path; callers do not
        return _unavailable("the key ring cannot be read")
    return jsonify(status="ready")


def _unavailable(detail: str) -> Response:
    response = problems.problem(503, "Service Unavailable", detail)
    response.headers["Retry-After"] = "5"
    return response
