"""The customer's data as theirs to take away, or to destroy: export and account deletion."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, session
from flask_login import login_required, logout_user

from vrm.accounts.customers import confirm_password, erase_customer, login_email
from vrm.accounts.models import Customer
from vrm.accounts.two_factor import two_factor_enabled, verify_second_factor
from vrm.errors import AuthenticationFailed, ValidationError
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.export import export_vault
from web.forms import DeleteAccountForm, show_errors
from web.login import signed_in, signed_in_vault

mydata = Blueprint("mydata", __name__, url_prefix="/account")


def _customer() -> Customer:
    customer = db_session().get(Customer, signed_in().customer_id)
    assert customer is not None  # a live session belongs to an existing customer (cascade)
    return customer


@mydata.get("/export")
@login_required  # type: ignore[untyped-decorator]
def export() -> Response:
    customer = _customer()
    vault = signed_in_vault()
    document = export_vault(
        db_session(),
        vault=vault,
        login_email=login_email(vault, customer),
        keyring=runtime().keyring,
        issuer=runtime().settings.issuer,
    )
    filename = f"vrm-vault-export-{datetime.now(UTC):%Y%m%d}.json"
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@mydata.route("/delete", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def delete() -> str | tuple[str, int]:
    form = DeleteAccountForm()
    two_step = two_factor_enabled(db_session(), customer_id=signed_in().customer_id)
    if form.validate_on_submit():
        customer = _customer()
        try:
            confirm_password(customer, form.password.data)
            if two_step:
                _confirm_code(form.code.data or "")
        except ValidationError as error:
            show_errors(form, error.errors)
        else:
            erase_customer(db_session(), keyring=runtime().keyring, customer_id=customer.id)
            logout_user()
            session.clear()
            return render_template("deleted.html")
        return render_template("delete_account.html", form=form, two_step=two_step), 422
    return render_template("delete_account.html", form=form, two_step=two_step)


def _confirm_code(code: str) -> None:
    """Raises: ValidationError: the code is neither a fresh app code nor an unused recovery code."""
    try:
        verify_second_factor(db_session(), vault=signed_in_vault(), code=code)
    except AuthenticationFailed:
        raise ValidationError({"code": "is not right; enter the code your app shows now"}) from None
