"""Signing up, in and out. Every form carries a CSRF token; sign-in and sign-up are rate-limited."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from vrm.accounts.customers import authenticate, create_customer, find_customer, login_email
from vrm.accounts.resets import check_reset_token, issue_reset_token, reset_password
from vrm.accounts.sessions import end_session, start_session
from vrm.errors import AuthenticationFailed, Conflict, ValidationError
from vrm.outbox import deliver
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.keys import open_vault
from web.forms import ResetPasswordForm, ResetRequestForm, SignInForm, SignUpForm, show_errors
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
    if current_user.is_authenticated:
        end_session(db_session(), customer_id=signed_in().customer_id, session_id=signed_in().session_id)
    logout_user()
    session.clear()
    flash("You are signed out.")
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
