"""Friendly error pages for the web front."""

from __future__ import annotations

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from vrm.errors import VrmError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to see this page.",
    404: "There is nothing at this address.",
    405: "This page cannot be used that way.",
    413: "What you sent is too large.",
    422: "Some of what you entered needs correcting.",
    429: "Too many attempts. Please wait a moment and try again.",
    503: "The service is busy for a moment. Nothing was changed; please go back and try again shortly.",
}
GENERIC = "Something went wrong on our side. Nothing you entered was lost; please try again."


EXPIRED_FORM = (
    "This form expired or did not come from this site. Please go back, reload the page and try again."
)


def error_page(status: int, error: VrmError | None = None) -> tuple[str, int]:
    message = error.detail if error is not None and status < 500 else MESSAGES.get(status, GENERIC)
    return render_template("error.html", status=status, message=message), status


def http_error_page(error: HTTPException) -> tuple[str, int]:
    """The page for an HTTP error: a missing or forged CSRF token gets its own explanation."""
    if isinstance(error, CSRFError):
        return render_template("error.html", status=400, message=EXPIRED_FORM), 400
    return error_page(error.code or 500)
