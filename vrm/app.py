"""The application factory: the one place that wires settings, runtime and the HTTP fronts together."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

import web
from vrm import api
from vrm.api import problems
from vrm.config import Settings
from vrm.errors import VrmError
from vrm.oauth import server as oauth_server
from vrm.runtime import Runtime, open_runtime
from vrm.serving import limits, observe
from vrm.serving.csp import content_security_policy
from vrm.serving.paths import is_json_path
from vrm.serving.request_scope import install
from vrm.serving.sessions import WebOnlySessions
from web.errors import error_page, http_error_page

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    # A view that lets a form lead elsewhere (the consent screen) sets its own, widened only there.
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> Flask:
    """Build the app for these settings (or an already opened runtime, in tests).

    Raises:
        ConfigError, KeyRingError, SchemaMismatch: the service cannot safely start.
    """
    runtime = runtime or open_runtime(settings)
    app = Flask("web", instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        # __Host-: browsers accept it only over https, from this host, for the whole site (no Domain).
        SESSION_COOKIE_NAME="__Host-vrm-session" if settings.is_production else "session",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    if settings.proxies:
        # Client addresses (rate limits) and https (cookies, HSTS) as the operator's own proxies saw them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxies, x_proto=settings.proxies)  # type: ignore[method-assign]
    app.session_interface = WebOnlySessions()
    observe.install(app)  # first: its before hook runs first and its after hook last, on the final answer
    install(app, runtime)
    limiter = limits.install(app, settings)
    oauth_server.install(app, settings.issuer)
    api.install(app, limiter, settings)
    web.install(app, limiter)
    _answer_errors(app)

    @app.after_request
    def secure_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.issuer.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response

    return app


def _answer_errors(app: Flask) -> None:
    """Answer errors as problem+json on the JSON paths and as a page elsewhere; never leak exception text."""

    @app.errorhandler(VrmError)
    def domain_error(error: VrmError) -> Response | tuple[str, int]:
        if error.status >= 500:
            log.error("request failed: %s", error.code, exc_info=error)
        return problems.from_domain(error) if is_json_path(request.path) else error_page(error.status, error)

    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError) -> Response | tuple[str, int]:
        # The database is down, restarting or busy, or dropped the connection mid-request: a clean,
        # retryable answer, never a 500. Any other database error is a bug, answered as one.
        if not (isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated):
            return unexpected(error)
        log.warning("database unavailable: %s", type(error.orig).__name__)
        answer = (
            problems.problem(503, "Service Unavailable", "the database is busy or unreachable; retry shortly")
            if is_json_path(request.path)
            else error_page(503)
        )
        response = app.make_response(answer)
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        # A failure after the view (the commit in an after_request hook) reaches Flask's 500 path, not
        # the handlers above: a lost database is still answered as unavailable.
        cause = getattr(error, "original_exception", None)
        if isinstance(cause, DBAPIError):
            return database_unavailable(cause)
        return problems.from_http(error) if is_json_path(request.path) else http_error_page(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | tuple[str, int]:
        log.exception("unexpected error")
        return problems.unexpected() if is_json_path(request.path) else error_page(500)
