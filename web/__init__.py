"""The consumer web front: pages, forms and templates, wired into the app by `install`."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from vrm.serving.paths import is_json_path
from web import (
    clock,
    journey_pages,  # noqa: F401  (its routes join the history blueprint)
    login,
)
from web.account import account
from web.audit import audit
from web.auth import auth, pending_customer
from web.connections import connections
from web.consent import consent
from web.devices import describe
from web.forms import error_items
from web.history import history
from web.mydata import mydata
from web.portal import portal
from web.preferences import preferences
from web.profile import profile
from web.receipts import receipts
from web.two_factor import two_factor
from web.views import pages

# Sign-in and sign-up attempts per client address (ASVS 2.2.1); a shared Redis keeps them across workers.
AUTH_LIMIT = "10 per minute;100 per hour"
# Codes per account, whichever addresses they come from: a password thief cannot spread guesses out.
CODE_LIMIT = "5 per minute;30 per hour"
# Password attempts per account, whichever addresses they come from (ASVS 2.2.1: at most 100 an hour).
ACCOUNT_LIMIT = "100 per hour"


def install(app: Flask, limiter: Limiter) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600)
    # Every form of the web pages is checked; JSON paths authenticate with tokens, not cookies.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    @app.before_request
    def check_csrf() -> None:
        if not is_json_path(request.path):
            csrf.protect()

    @app.after_request
    def no_cached_pages(response: Response) -> Response:
        # Pages show personal data: no copy in the browser's or a proxy's cache, nor back after sign-out.
        # Static files and the JSON front set their own.
        if not is_json_path(request.path) and not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    limiter.limit(AUTH_LIMIT, methods=["POST"])(auth)
    limiter.limit(AUTH_LIMIT, methods=["POST"])(portal)
    login.install(app)
    clock.install(app)
    app.jinja_env.globals.update(describe_device=describe, error_items=error_items)
    for blueprint in (
        pages,
        auth,
        account,
        two_factor,
        mydata,
        history,
        profile,
        preferences,
        connections,
        receipts,
        consent,
        portal,
        audit,
    ):
        app.register_blueprint(blueprint)
    # Auditor sign-in attempts per address, as for customers; the workspace's other forms are not limited.
    app.view_functions["audit.signin"] = limiter.limit(AUTH_LIMIT, methods=["POST"], scope="audit-sign-in")(  # type: ignore[assignment]
        app.view_functions["audit.signin"]
    )
    # Per-account limits on the password step (keyed by the address typed) and on the code step
    # (keyed by the account whose password was right); Flask-Limiter wraps each view.
    app.view_functions["auth.signin"] = limiter.limit(  # type: ignore[assignment]
        ACCOUNT_LIMIT,
        key_func=_account_limit_key,
        methods=["POST"],
        scope="sign-in-account",
        override_defaults=False,  # in addition to the per-address limit of the blueprint, not instead
    )(app.view_functions["auth.signin"])
    app.view_functions["auth.signin_code"] = limiter.limit(  # type: ignore[assignment]
        CODE_LIMIT, key_func=_code_limit_key, methods=["POST"], scope="sign-in-code", override_defaults=False
    )(app.view_functions["auth.signin_code"])


def _account_limit_key() -> str:
    """The account a sign-in names, as a keyed hash: the limiter's store never holds an email address."""
    email = str(request.form.get("email", "")).strip().lower()
    return hmac.new(current_app.secret_key.encode(), email.encode(), hashlib.sha256).hexdigest()  # type: ignore[union-attr]


def _code_limit_key() -> str:
    return str(pending_customer() or get_remote_address())
