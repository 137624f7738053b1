"""Signing up, in and out. Every form carries a CSRF token; sign-in and sign-up are rate-limited."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from vrm import validation as v
from vrm.accounts.customers import authenticate, create_customer, find_customer, login_email
from vrm.accounts.resets import check_reset_token, issue_reset_token, reset_password
from vrm.accounts.sessions import end_session, start_session
from vrm.accounts.two_factor import recovery_codes_left, two_factor_enabled, verify_second_factor
from vrm.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from vrm.outbox import deliver
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.keys import open_vault
from web.authorizing import asking_through, may_return_to
from web.forms import (
    ResetPasswordForm,
    ResetRequestForm,
    SignInCodeForm,
    SignInForm,
    SignUpForm,
    show_errors,
)
from web.login import SignedIn, signed_in
from web.targets import local_target

auth = Blueprint("auth", __name__)
SIGN_IN_FAILED = "The email or password is not right."
CODE_FAILED = "That code is not right. App codes change every 30 seconds, and each one works once."
PENDING = "pending_sign_in"  # in the signed session cookie between the password and the code
CODE_WINDOW = timedelta(minutes=5)


@auth.route("/signup", methods=["GET", "POST"])
def signup() -> Response:
    form = SignUpForm()
    on_the_way = asking_through(request.args.get("next"))
    if form.validate_on_submit():
        try:
            customer = create_customer(
                db_session(),
                keyring=runtime().keyring,
                email=form.email.data,
                password=form.password.data,
                time_zone=form.time_zone.data,  # the browser's, from static/time-zone.js
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
            return redirect(_safe_next(request.args.get("next")))
    return may_return_to(render_template("signup.html", form=form, asking=on_the_way), on_the_way)


@auth.route("/signin", methods=["GET", "POST"])
def signin() -> Response:
    form = SignInForm()
    on_the_way = asking_through(request.args.get("next"))
    if form.validate_on_submit():
        try:
            customer = authenticate(
                db_session(), keyring=runtime().keyring, email=form.email.data, password=form.password.data
            )
        except AuthenticationFailed:
            form.form_errors.append(SIGN_IN_FAILED)
        else:
            target = _safe_next(request.args.get("next"))
            if two_factor_enabled(db_session(), customer_id=customer.id):
                session.clear()
                session[PENDING] = {"customer": str(customer.id), "since": int(time.time()), "next": target}
                return redirect(url_for("auth.signin_code"))
            _sign_in(customer.id)
            return redirect(target)
    return may_return_to(render_template("signin.html", form=form, asking=on_the_way), on_the_way)


@auth.route("/signin/code", methods=["GET", "POST"])
def signin_code() -> Response:
    customer_id = pending_customer()
    if customer_id is None:
        flash("Please sign in again: the code must follow your password within 5 minutes.", "info")
        return redirect(url_for("auth.signin"))
    on_the_way = asking_through(session[PENDING].get("next"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            vault = open_vault(db_session(), keyring=runtime().keyring, customer_id=customer_id)
            used_recovery_code = verify_second_factor(db_session(), vault=vault, code=form.code.data)
        except (AuthenticationFailed, NotFound):
            form.code.errors = [*form.code.errors, CODE_FAILED]
        else:
            target = session[PENDING]["next"]
            _sign_in(customer_id)
            if used_recovery_code:
                left = recovery_codes_left(db_session(), customer_id=customer_id)
                flash(
                    f"You signed in with a recovery code; {left} left. Make new ones under Two-step sign-in."
                )
            return redirect(target)
    return may_return_to(render_template("signin_code.html", form=form, asking=on_the_way), on_the_way)


def pending_customer() -> uuid.UUID | None:
    """Who typed the right password in this browser in the last 5 minutes and owes a code."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    since = pending.get("since")
    if not isinstance(since, int) or time.time() - since > CODE_WINDOW.total_seconds():
        return None
    return v.identifier(pending.get("customer"))


@auth.post("/signout")
def signout() -> Response:
    if current_user.is_authenticated:
        end_session(db_session(), customer_id=signed_in().customer_id, session_id=signed_in().session_id)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.signin"))


RESET_UNAVAILABLE = (
    "Password reset by email is not available on this server yet. Please contact its operator."
)
RESET_SENT = (
    "If an account uses that email, a link to choose a new password is on its way. It works for 30 minutes."
)


@auth.route("/reset", methods=["GET", "POST"])
def reset_request() -> str:
    if runtime().settings.is_production:
        # Links go out by email, and no mail transport exists yet: say so rather than pretend.
        return render_template("reset_sent.html", message=RESET_UNAVAILABLE)
    form = ResetRequestForm()
    if form.validate_on_submit():
        _send_reset_link(form.email.data)
        # The same answer whether or not the account exists: the page must not tell who has a vault.
        return render_template("reset_sent.html", message=RESET_SENT)
    return render_template("reset_request.html", form=form)


@auth.route("/reset/<token>", methods=["GET", "POST"])
def reset_with_token(token: str) -> str | Response | tuple[str, int]:
    secret = runtime().settings.secret_key
    try:
        check_reset_token(db_session(), secret=secret, token=token)
    except ValidationError:
        return render_template("reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(db_session(), secret=secret, token=token, new_password=form.new_password.data)
        except ValidationError as error:
            show_errors(form, {"new_password" if k == "password" else k: m for k, m in error.errors.items()})
        else:
            flash("Your password is changed, and every session was signed out. Sign in with the new one.")
            return redirect(url_for("auth.signin"))
    return render_template("reset_password.html", form=form)


def _send_reset_link(email: str) -> None:
    keyring, settings = runtime().keyring, runtime().settings
    customer = find_customer(db_session(), keyring=keyring, email=email)
    if customer is None:
        return
    vault = open_vault(db_session(), keyring=keyring, customer_id=customer.id)
    token = issue_reset_token(customer, secret=settings.secret_key)
    link = settings.issuer + url_for("auth.reset_with_token", token=token)
    deliver(
        settings.instance_dir / "outbox.log",
        production=settings.is_production,
        to=login_email(vault, customer),
        subject="Choose a new password for your VRM vault",
        body=f"Someone asked to reset the password of your vault. If it was you, open {link} within 30 "
        "minutes. If not, ignore this message: your password stays as it is.",
    )


def _sign_in(customer_id: uuid.UUID) -> None:
    """Start a fresh server-side session and a fresh cookie: nothing from before sign-in carries over."""
    vault = open_vault(db_session(), keyring=runtime().keyring, customer_id=customer_id)
    row, token = start_session(db_session(), vault=vault, user_agent=request.user_agent.string)
    session.clear()
    login_user(SignedIn(row.customer_id, row.id, token))


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site (a path), never an address elsewhere."""
    return local_target(target) or url_for("account.overview")
