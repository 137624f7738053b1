"""/metrics for Prometheus, behind the operator's bearer token (VRM_METRICS_TOKEN).

Without that token /metrics answers 404 in production, so nothing is exposed by accident; in development
it is open.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST

from vrm.api import problems
from vrm.metrics import exposition
from vrm.serving.request_scope import runtime

metrics_api = Blueprint("metrics", __name__)


@metrics_api.get("/metrics")
def metrics() -> Response:
    settings = runtime().settings
    if settings.metrics_token is None:
        if settings.is_production:
            abort(404)
    elif not hmac.compare_digest(
        request.headers.get("Authorization", "").encode(), f"Bearer {settings.metrics_token}".encode()
    ):
        response = problems.problem(401, "Unauthorized", "/metrics wants the operator's bearer token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
