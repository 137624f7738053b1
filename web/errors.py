"""Friendly error pages for the web front."""

from __future__ import annotations

from flask import render_template

from vrm.errors import VrmError

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to see this page.",
    404: "There is nothing at this address.",
    405: "This page cannot be used that way.",
    413: "What you sent is too large.",
    422: "Some of what you entered needs correcting.",
    429: "Too many attempts. Please wait a moment and try again.",
}
GENERIC = "Something went wrong on our side. Nothing you entered was lost; please try again."


def error_page(status: int, error: VrmError | None = None) -> tuple[str, int]:
    message = error.detail if error is not None and status < 500 else MESSAGES.get(status, GENERIC)
    return render_template("error.html", status=status, message=message), status
