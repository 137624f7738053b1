"""Connections: every business with access, what it may see and why, the customer's controls over it, and
every read of their data each business made, while it has access and after."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from vrm.accounts.models import Business
from vrm.consent.access import connected_company, read_counts, reads_of
from vrm.consent.grants import change_grant, ended_grants, withdraw_grant
from vrm.consent.models import Grant
from vrm.consent.policy import disclosures
from vrm.consent.webhooks import announce
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session, runtime
from web import words
from web.clock import viewer_zone
from web.forms import ConfirmForm, ConnectionForm
from web.login import signed_in, signed_in_vault

connections = Blueprint("connections", __name__, url_prefix="/connections")
LARGEST_SEQ = 2**63 - 1  # the log's seq is a BIGINT: a larger cursor names no event
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
                zone=viewer_zone(),  # "Until" is a day where the customer lives
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


@connections.get("/<handle>/reads")
@login_required  # type: ignore[untyped-decorator]
def reads(handle: str) -> str:
    """Every read of the customer's data by one company they gave access to, newest first, by pages."""
    customer_id, keyring = signed_in().customer_id, runtime().keyring
    company = connected_company(db_session(), customer_id=customer_id, handle=handle)
    before = _cursor(request.args.get("before"))
    page = reads_of(
        db_session(),
        keyring=keyring,
        customer_id=customer_id,
        business_id=company.business.id,
        before_seq=before,
    )
    counts = read_counts(db_session(), keyring=keyring, customer_id=customer_id)
    return render_template(
        "access.html",
        company=company,
        page=page,
        before=before,
        total=counts.get(company.business.id, 0),
        ended_at=company.ended_at(datetime.now(UTC)),
        words=words,
    )


def _cursor(value: str | None) -> int | None:
    """The seq a page of older reads starts before; None (the newest page) for anything else."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > len(str(LARGEST_SEQ)):
        return None  # (a digit string too long is not even converted: int() refuses past 4,300 digits)
    seq = int(value)
    return seq if seq <= LARGEST_SEQ else None


def _page(failed: tuple[str, set[str], ConnectionForm, list[str]] | None = None) -> str:
    customer_id = signed_in().customer_id
    return render_template(
        "connections.html",
        connections=disclosures(db_session(), vault=signed_in_vault()),
        words=words,
        ended=[(grant, _business(grant)) for grant in ended_grants(db_session(), customer_id=customer_id)],
        counts=read_counts(db_session(), keyring=runtime().keyring, customer_id=customer_id),
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
    business = _business(grant)
    return business.display_name if business else "The company"


def _business(grant: Grant) -> Business | None:
    return db_session().get(Business, grant.business_id)
