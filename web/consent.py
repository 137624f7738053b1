"""The consent screen: a business asks, the customer chooses what it may see and allows, or denies.

The answer goes back to the business's redirect URI by a redirect after the form's post, so the screen
lets its form lead to that one origin (`web.authorizing`). Each request is answered once
(`vrm.oauth.answers`): pressing again, reloading or going back shows where the first answer went.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint, current_app, render_template, request
from flask_login import login_required
from werkzeug.wrappers import Response

from vrm.consent.grants import grant_access
from vrm.consent.models import Grant
from vrm.db import utcnow
from vrm.oauth.answers import Answer, answered_with, earlier_answer, record_answer, request_digest
from vrm.oauth.pairwise import subject_for
from vrm.oauth.server import Owner, authorization_server, error_redirect, malformed_parameter
from vrm.serving.request_scope import db_session, runtime
from web import words
from web.authorizing import Asking, asking_for, may_return_to
from web.forms import ConfirmForm
from web.login import signed_in, signed_in_vault

consent = Blueprint("consent", __name__)
# Shortest first; nothing longer than needed is offered first (a short default, changed on purpose).
DURATIONS = {
    "1": "1 day",
    "7": "1 week",
    "30": "1 month",
    "90": "3 months",
    "180": "6 months",
    "365": "1 year",
}
DEFAULT_DURATION = "30"


@consent.route("/authorize", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def authorize() -> Response | tuple[str, int]:
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
    to = asking_for(grant.request.client.row, grant.request.payload.redirect_uri)
    return may_return_to(_answer(server, grant, to), to)


def _answer(server: Any, grant: Any, to: Asking) -> Any:
    """The screen, or where an earlier answer to this very request went."""
    vault = signed_in_vault()
    parameters = grant.request.payload.data
    digest = request_digest(runtime().keyring, customer_id=vault.customer_id, parameters=parameters)
    earlier = earlier_answer(db_session(), vault=vault, digest=digest)
    if earlier is not None:
        return _answered(to, earlier), 200 if request.method == "GET" else 409
    if request.method == "GET":
        return _page(to, grant.request.scope.split(), ticked=set(), duration=DEFAULT_DURATION)
    return _decide(server, grant, to, digest)


def _decide(server: Any, grant: Any, to: Asking, digest: bytes) -> Any:
    """Record the customer's answer and send it to the business, or show the screen with its problem."""
    session, vault = db_session(), signed_in_vault()
    customer_id = vault.customer_id
    requested = grant.request.scope.split()
    allow = request.form.get("decision") == "allow"
    ticked = set(request.form.getlist("allow_scope")) & set(requested)
    duration = request.form.get("duration", "")
    if allow and (not ticked or duration not in DURATIONS):
        problem = "Tick at least one thing it may do, or choose Deny." if not ticked else "Choose how long."
        return _page(to, requested, ticked=ticked, duration=duration, problem=problem), 422
    answer = record_answer(session, vault=vault, digest=digest, decision="allow" if allow else "deny")
    if answer is None:  # the same form, pressed again while the first press was on its way
        first = earlier_answer(session, vault=vault, digest=digest)
        assert first is not None
        return _answered(to, first), 409
    if not allow:
        return server.create_authorization_response(grant=grant, grant_user=None)
    approved = grant_access(
        session,
        keyring=runtime().keyring,
        customer_id=customer_id,
        business_id=to.client.business_id,
        purpose=to.client.purpose,
        requested_scopes=requested,
        scopes=ticked,
        expires_at=utcnow() + timedelta(days=int(duration)),
        supersede=True,
        client_id=to.client.client_id,
    )
    answered_with(session, vault=vault, answer=answer, grant_id=approved.id)
    subject_for(
        session, keyring=runtime().keyring, business_id=to.client.business_id, customer_id=customer_id
    )
    return server.create_authorization_response(grant=grant, grant_user=Owner(customer_id, approved))


def _page(
    to: Asking, requested: list[str], *, ticked: set[str], duration: str, problem: str | None = None
) -> str:
    return render_template(
        "consent.html",
        to=to,
        requested=requested,
        ticked=ticked,
        duration=duration,
        durations=DURATIONS,
        problem=problem,
        words=words,
        confirm=ConfirmForm(),
    )


def _answered(to: Asking, answer: Answer) -> str:
    """Where the first answer to this request went, and what it said."""
    grant = db_session().get(Grant, answer.grant_id) if answer.grant_id is not None else None
    return render_template("consent_answered.html", to=to, answer=answer, grant=grant, words=words)
