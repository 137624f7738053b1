"""Load-balancer probes: /healthz (the process answers) and /readyz (it can serve real requests)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from vrm import schema
from vrm.api import problems
from vrm.errors import SchemaMismatch
from vrm.requests import runtime

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> Response:
    """Ready when the database answers, its schema is at head and the key ring holds its primary key."""
    current = runtime()
    try:
        with current.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema.require_head(current.engine)
    except SQLAlchemyError:
        return problems.problem(503, "Service Unavailable", "the database is not reachable")
    except SchemaMismatch as error:
        return problems.problem(503, "Service Unavailable", error.detail)
    if current.keyring.primary not in current.keyring.keys:
        return problems.problem(503, "Service Unavailable", "the key ring has no primary key")
    return jsonify(status="ready")
