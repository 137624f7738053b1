"""Connections: every business with access, what it may see and why, and the customer's controls over it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from vrm.accounts.models import Business
from vrm.consent.grants import change_grant, ended_grants, withdraw_grant
from vrm.consent.models import Grant
from vrm.consent.policy import disclosures
from vrm.consent.webhooks import announce
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session, runtime
from web import words
from web.forms import ConfirmForm, ConnectionForm
from web.login import signed_in, signed_in_vault

connections = Blueprint("connections", __name__, url_prefix="/connections")
PROBLEMS = {
    "scopes": "Tick at least one of the things it asked for. To stop all access, withdraw it instead.",
    "last_day": "Until: choose a day from today to the current end date.",
}


@connections.get("")
@login_required  # type: ignore[untyped-decorator]
def overview() -> str:
    return _page()


@connections.post("/<grant_id>")
@login_required  # type: ignore[untyped-decorator]
def change(grant_id: str) -> Response | tuple[str, int]:
    form = ConnectionForm()
    scopes = request.form.getlist("scope")
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            grant = change_grant(
                db_session(),
                keyring=runtime().keyring,
                customer_id=signed_in().customer_id,
                grant_id=grant_id,
                scopes=scopes,
                last_day=form.until.data,
            )
        except ValidationError as error:
            errors = [PROBLEMS.get(field, f"{field}: {message}.") for field, message in error.errors.items()]
        else:
            _announce(grant, "consent.changed")
            flash(f"Saved. {_name(grant)} sees only what you ticked, from its next request on.")
            return redirect(url_for("connections.overview"))
    else:
        errors = [PROBLEMS["last_day"]]
    return _page(failed=(grant_id, set(scopes), form, errors)), 422


@connections.post("/<grant_id>/withdraw")
@login_required  # type: ignore[untyped-decorator]
def withdraw(grant_id: str) -> Response:
    grant = withdraw_grant(
        db_session(), keyring=runtime().keyring, customer_id=signed_in().customer_id, grant_id=grant_id
    )
    _announce(grant, "consent.withdrawn")
    flash(f"{_name(grant)} no longer has access. Its next request for your data will be refused.")
    return redirect(url_for("connections.overview"))


def _page(failed: tuple[str, set[str], ConnectionForm, list[str]] | None = None) -> str:
    return render_template(
        "connections.html",
        connections=disclosures(db_session(), vault=signed_in_vault()),
        words=words,
        ended=[
            (grant, _name(grant)) for grant in ended_grants(db_session(), customer_id=signed_in().customer_id)
        ],
        failed=failed,
        blank=ConnectionForm(formdata=None),
        confirm=ConfirmForm(),
        now=datetime.now(UTC),
    )


def _announce(grant: Grant, event: str) -> None:
    announce(
        db_session(),
        keyring=runtime().keyring,
        customer_id=grant.customer_id,
        business_ids={grant.business_id},
        event=event,
    )


def _name(grant: Grant) -> str:
    business = db_session().get(Business, grant.business_id)
    return business.display_name if business else "The company"
