"""The consent screen: a business asks, the customer chooses what it may see and allows, or denies."""

from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint, current_app, render_template, request
from flask_login import login_required
from werkzeug.wrappers import Response

from vrm.accounts.models import Business
from vrm.consent.grants import grant_access
from vrm.db import utcnow
from vrm.oauth.models import OAuthClient
from vrm.oauth.pairwise import subject_for
from vrm.oauth.server import Owner, authorization_server, error_redirect, malformed_parameter
from vrm.serving.request_scope import db_session, runtime
from web import words
from web.forms import ConfirmForm
from web.login import signed_in

consent = Blueprint("consent", __name__)
DURATIONS = {
    "365": "1 year",
    "180": "6 months",
    "90": "3 months",
    "30": "1 month",
    "7": "1 week",
    "1": "1 day",
}


@consent.route("/authorize", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def authorize() -> str | Response | tuple[str, int]:
    server = authorization_server(current_app)
    malformed = malformed_parameter(request.values)
    if malformed:  # never redirected to: nothing about the request can be trusted
        return render_template("consent_error.html", detail=malformed), 400
    try:
        grant = server.get_consent_grant(end_user=signed_in())
    except OAuth2Error as error:
        if error.redirect_uri:  # the client and its redirect URI are known good: tell the client
            return error_redirect(server, error, runtime().settings.issuer)
        # An unknown client or redirect URI must never be redirected to (RFC 6749 §4.1.2.1).
        return render_template("consent_error.html", detail=error.get_error_description()), 400
    client: OAuthClient = grant.request.client.row
    requested = grant.request.scope.split()
    if request.method == "GET":
        return _page(client, requested, ticked=set(requested), duration="365")
    if request.form.get("decision") != "allow":
        return server.create_authorization_response(grant=grant, grant_user=None)  # type: ignore[no-any-return]
    ticked = set(request.form.getlist("allow_scope")) & set(requested)
    duration = request.form.get("duration", "")
    if not ticked or duration not in DURATIONS:
        problem = "Tick at least one thing it may do, or choose Deny." if not ticked else "Choose how long."
        return _page(client, requested, ticked=ticked, duration=duration, problem=problem), 422
    customer_id = signed_in().customer_id
    approved = grant_access(
        db_session(),
        keyring=runtime().keyring,
        customer_id=customer_id,
        business_id=client.business_id,
        purpose=client.purpose,
        requested_scopes=requested,
        scopes=ticked,
        expires_at=utcnow() + timedelta(days=int(duration)),
        supersede=True,
        client_id=client.client_id,
    )
    subject_for(
        db_session(), keyring=runtime().keyring, business_id=client.business_id, customer_id=customer_id
    )
    return server.create_authorization_response(  # type: ignore[no-any-return]
        grant=grant, grant_user=Owner(customer_id, approved)
    )


def _page(
    client: OAuthClient, requested: list[str], *, ticked: set[str], duration: str, problem: str | None = None
) -> str:
    business = db_session().get(Business, client.business_id)
    assert business is not None  # clients cascade with their business
    return render_template(
        "consent.html",
        business=business,
        client=client,
        requested=requested,
        ticked=ticked,
        duration=duration,
        durations=DURATIONS,
        problem=problem,
        words=words,
        confirm=ConfirmForm(),
    )
