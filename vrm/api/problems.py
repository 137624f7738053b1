"""RFC 9457 problem details: how every error is answered on the JSON paths."""

from __future__ import annotations

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from vrm.errors import ValidationError, VrmError

MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> Response:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra})
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    return response


def from_domain(error: VrmError) -> Response:
    extra = {"errors": error.errors} if isinstance(error, ValidationError) else {}
    detail = error.detail if error.status < 500 else "the server could not complete the request"
    return problem(error.status, error.code.replace("_", " ").capitalize(), detail, code=error.code, **extra)


def from_http(error: HTTPException) -> Response:
    return problem(error.code or 500, error.name, error.description or error.name)


def unexpected() -> Response:
    return problem(500, "Internal Server Error", "the server failed to complete the request")
