"""The business portal: a business registers, creates its applications (OAuth clients), sees their redirect
URIs, rotates their secrets and sets its webhook. Secrets are shown once, never stored."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from vrm.accounts.business_users import (
    authenticate_business_user,
    end_business_session,
    register_business,
    resume_business_session,
    start_business_session,
)
from vrm.accounts.models import Business
from vrm.consent.models import Webhook
from vrm.consent.scopes import SCOPES
from vrm.consent.webhooks import set_webhook
from vrm.errors import AuthenticationFailed, Conflict, ValidationError
from vrm.oauth.clients import create_client, list_clients, redirect_uris_of, rotate_secret
from vrm.serving.request_scope import db_session, runtime
from web import words
from web.forms import BusinessSignUpForm, ConfirmForm, NewClientForm, SignInForm, WebhookForm, show_errors

portal = Blueprint("portal", __name__, url_prefix="/business")
SESSION_KEY = "business_session"  # in the signed cookie, beside (not instead of) a customer's sign-in
F = TypeVar("F", bound=Callable[..., Any])


def business_required(view: F) -> F:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        found = resume_business_session(db_session(), token=session.get(SESSION_KEY))
        if found is None:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("portal.signin"))
        g.business_user, g.business = found
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


@portal.route("/signup", methods=["GET", "POST"])
def signup() -> str | Response:
    form = BusinessSignUpForm()
    if form.validate_on_submit():
        try:
            user = register_business(
                db_session(),
                keyring=runtime().keyring,
                name=form.name.data,
                display_name=form.display_name.data,
                website=form.website.data or None,
                email=form.email.data,
                password=form.password.data,
            )
        except ValidationError as error:
            show_errors(form, error.errors)
        except Conflict as error:
            form.form_errors.append(error.detail[0].upper() + error.detail[1:] + ".")
        else:
            _sign_in(start_business_session(db_session(), user=user))
            flash("Your business is registered. Create an application to connect with customers.")
            return redirect(url_for("portal.overview"))
    return render_template("portal_signup.html", form=form)


@portal.route("/signin", methods=["GET", "POST"])
def signin() -> str | Response:
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = authenticate_business_user(
                db_session(), keyring=runtime().keyring, email=form.email.data, password=form.password.data
            )
        except AuthenticationFailed:
            form.form_errors.append("The email or password is not right.")
        else:
            _sign_in(start_business_session(db_session(), user=user))
            return redirect(url_for("portal.overview"))
    return render_template("portal_signin.html", form=form)


@portal.post("/signout")
def signout() -> Response:
    end_business_session(db_session(), token=session.pop(SESSION_KEY, None))
    flash("You are signed out of the business portal.")
    return redirect(url_for("portal.signin"))


@portal.get("")
@business_required
def overview() -> str:
    return _overview(NewClientForm(formdata=None), WebhookForm(formdata=None))


@portal.post("/clients")
@business_required
def new_client() -> Response | tuple[str, int]:
    form = NewClientForm()
    form.purpose.choices = list(words.PURPOSES.items())
    scopes = [scope for scope in request.form.getlist("scope") if scope in SCOPES]
    if form.validate_on_submit():
        try:
            client, secret = create_client(
                db_session(),
                business_id=g.business.id,
                name=form.name.data,
                redirect_uris=[line.strip() for line in form.redirect_uris.data.splitlines() if line.strip()],
                scopes=scopes,
                purpose=form.purpose.data,
            )
        except ValidationError as error:
            form.redirect_uris.errors = [
                f"{key}: {message}"
                for key, message in error.errors.items()
                if key.startswith("redirect_uris")
            ]
            show_errors(form, {k: m for k, m in error.errors.items() if not k.startswith("redirect_uris")})
        else:
            return _secret_page(f"{client.name} is ready", client.client_id, secret)
    return _overview(form, WebhookForm(formdata=None), ticked=set(scopes)), 422


@portal.post("/clients/<client_id>/rotate")
@business_required
def rotate(client_id: str) -> Response:
    secret = rotate_secret(db_session(), client_id=client_id, business_id=g.business.id)
    return _secret_page("A new secret", client_id, secret)


@portal.post("/webhook")
@business_required
def webhook() -> Response | tuple[str, int]:
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            _, secret = set_webhook(
                db_session(), keyring=runtime().keyring, business_id=g.business.id, url=form.url.data
            )
        except ValidationError as error:
            show_errors(form, error.errors)
        else:
            return _secret_page("Your webhook is set", None, secret, webhook=True)
    return _overview(NewClientForm(formdata=None), form), 422


def _overview(client_form: NewClientForm, webhook_form: WebhookForm, ticked: set[str] | None = None) -> str:
    client_form.purpose.choices = list(words.PURPOSES.items())
    business: Business = g.business
    hook = db_session().scalar(select(Webhook).where(Webhook.business_id == business.id))
    return render_template(
        "portal.html",
        business=business,
        clients=[(c, redirect_uris_of(c)) for c in list_clients(db_session(), business_id=business.id)],
        client_form=client_form,
        webhook_form=webhook_form,
        hook=hook,
        scopes=SCOPES,
        ticked=set(SCOPES) if ticked is None else ticked,
        words=words,
        confirm=ConfirmForm(),
    )


def _secret_page(title: str, client_id: str | None, secret: str, *, webhook: bool = False) -> Response:
    page = render_template(
        "portal_secret.html", title=title, client_id=client_id, secret=secret, webhook=webhook
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # shown once: no copy in the browser's cache
    return response


def _sign_in(token: str) -> None:
    session.pop(SESSION_KEY, None)
    session[SESSION_KEY] = token
