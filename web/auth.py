"""Signing up, in and out. Every form carries a CSRF token; sign-in and sign-up are rate-limited."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from vrm.accounts.customers import authenticate, create_customer
from vrm.accounts.sessions import end_session, start_session
from vrm.errors import AuthenticationFailed, Conflict, ValidationError
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.keys import open_vault
from web.forms import ConfirmForm, SignInForm, SignUpForm, show_errors
from web.login import SignedIn, signed_in

auth = Blueprint("auth", __name__)
SIGN_IN_FAILED = "The email or password is not right."


@auth.route("/signup", methods=["GET", "POST"])
def signup() -> str | Response:
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            customer = create_customer(
                db_session(), keyring=runtime().keyring, email=form.email.data, password=form.password.data
            )
        except ValidationError as error:
            show_errors(form, error.errors)
        except Conflict:
            # Saying so reveals that the address has an account; sign-up cannot avoid it, sign-in does.
            form.email.errors = [
                *form.email.errors,
                "An account with this email already exists. Sign in instead.",
            ]
        else:
            _sign_in(customer.id)
            flash("Welcome! Your vault is ready.")
            return redirect(url_for("account.overview"))
    return render_template("signup.html", form=form)


@auth.route("/signin", methods=["GET", "POST"])
def signin() -> str | Response:
    form = SignInForm()
    if form.validate_on_submit():
        try:
            customer = authenticate(
                db_session(), keyring=runtime().keyring, email=form.email.data, password=form.password.data
            )
        except AuthenticationFailed:
            form.form_errors.append(SIGN_IN_FAILED)
        else:
            _sign_in(customer.id)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("signin.html", form=form)


@auth.post("/signout")
def signout() -> Response:
    if ConfirmForm().validate_on_submit() and not _anonymous():
        end_session(db_session(), customer_id=signed_in().customer_id, session_id=signed_in().session_id)
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.signin"))


def _sign_in(customer_id: object) -> None:
    """Start a fresh server-side session and a fresh cookie: nothing from before sign-in carries over."""
    vault = open_vault(db_session(), keyring=runtime().keyring, customer_id=customer_id)  # type: ignore[arg-type]
    row, token = start_session(db_session(), vault=vault, user_agent=request.user_agent.string)
    session.clear()
    login_user(SignedIn(row.customer_id, row.id, token))


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site (a path), never an address elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("account.overview")


def _anonymous() -> bool:
    from flask_login import current_user

    return bool(current_user.is_anonymous)
