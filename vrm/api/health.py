"""Load-balancer probes: /healthz (the process answers) and /readyz (it can serve real requests)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from vrm import schema
from vrm.api import problems
from vrm.errors import SchemaMismatch
from vrm.serving.request_scope import runtime

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> Response:
    """Ready when the database answers and its schema is at head (the key ring was checked at start)."""
    current = runtime()
    try:
        with current.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema.require_head(current.engine)
    except SQLAlchemyError:
        return problems.problem(503, "Service Unavailable", "the database is not reachable")
    except SchemaMismatch as error:
        return problems.problem(503, "Service Unavailable", error.detail)
    return jsonify(status="ready")
