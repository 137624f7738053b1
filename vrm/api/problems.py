"""RFC 9457 problem details for every error under /api and the operator endpoints."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

from vrm.errors import ValidationError, VrmError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> Response:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra})
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    return response


def register(blueprint: Blueprint) -> None:
    """Answer every error raised under this blueprint with problem+json, never a stack trace."""

    @blueprint.errorhandler(VrmError)
    def domain_error(error: VrmError) -> Response:
        if error.status >= 500:
            log.error("request failed: %s", error.code, exc_info=error)
        extra = {"errors": error.errors} if isinstance(error, ValidationError) else {}
        return problem(error.status, error.code.replace("_", " "), error.detail, code=error.code, **extra)

    @blueprint.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        return problem(status, error.name, error.description or error.name)

    @blueprint.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return problem(500, "Internal Server Error", "the server failed to complete the request")
