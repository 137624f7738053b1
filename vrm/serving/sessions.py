"""Cookie sessions for the web pages only: JSON paths are token-authenticated and never read or set one."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from vrm.serving.paths import is_json_path


class WebOnlySessions(SecureCookieSessionInterface):
    """The signed cookie session, opened only on web paths.

    An API call carrying a browser's cookie must not act as that browser (its bearer token alone says who
    calls), and it saves opening and signing a cookie on every call.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_json_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)
