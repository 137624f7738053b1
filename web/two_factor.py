"""Two-step sign-in from the customer's side: set up an authenticator app, recovery codes, turn it off."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from vrm.accounts.customers import confirm_password, login_email
from vrm.accounts.models import Customer
from vrm.accounts.two_factor import (
    Enrolment,
    begin_enrolment,
    confirm_enrolment,
    pending_enrolment,
    recovery_codes_left,
    replace_recovery_codes,
    turn_off,
    two_factor_enabled,
)
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session
from web.forms import ConfirmForm, EnrolmentCodeForm, PasswordCheckForm, show_errors
from web.login import signed_in, signed_in_vault

two_factor = Blueprint("two_factor", __name__, url_prefix="/account/two-step")


@two_factor.get("")
@login_required  # type: ignore[untyped-decorator]
def overview() -> str:
    return _overview()


@two_factor.post("/setup")
@login_required  # type: ignore[untyped-decorator]
def start() -> Response:
    if not two_factor_enabled(db_session(), customer_id=signed_in().customer_id):
        begin_enrolment(db_session(), vault=signed_in_vault(), account_name=_account_name())
    return redirect(url_for("two_factor.setup"))


@two_factor.get("/setup")
@login_required  # type: ignore[untyped-decorator]
def setup() -> str | Response:
    enrolment = pending_enrolment(db_session(), vault=signed_in_vault(), account_name=_account_name())
    if enrolment is None:
        return redirect(url_for("two_factor.overview"))
    return _setup_page(enrolment, EnrolmentCodeForm(formdata=None))


@two_factor.post("/confirm")
@login_required  # type: ignore[untyped-decorator]
def confirm() -> str | tuple[str, int] | Response:
    vault = signed_in_vault()
    enrolment = pending_enrolment(db_session(), vault=vault, account_name=_account_name())
    if enrolment is None:
        flash("That set-up is no longer under way. Start again.")
        return redirect(url_for("two_factor.overview"))
    form = EnrolmentCodeForm()
    if form.validate_on_submit():
        try:
            codes = confirm_enrolment(db_session(), vault=vault, code=form.code.data)
        except ValidationError as error:
            show_errors(form, error.errors)
        else:
            return _recovery_codes_page(codes, first_time=True)
    return _setup_page(enrolment, form), 422


@two_factor.post("/recovery-codes")
@login_required  # type: ignore[untyped-decorator]
def new_recovery_codes() -> Response | tuple[str, int]:
    form = PasswordCheckForm(prefix="codes")
    if _password_confirmed(form):
        codes = replace_recovery_codes(db_session(), customer_id=signed_in().customer_id)
        return _recovery_codes_page(codes, first_time=False)
    return _overview(codes_form=form), 422


@two_factor.post("/off")
@login_required  # type: ignore[untyped-decorator]
def off() -> Response | tuple[str, int]:
    form = PasswordCheckForm(prefix="off")
    if _password_confirmed(form):
        turn_off(db_session(), customer_id=signed_in().customer_id)
        flash("Two-step sign-in is off. Your password alone now signs you in.")
        return redirect(url_for("two_factor.overview"))
    return _overview(off_form=form), 422


def _password_confirmed(form: PasswordCheckForm) -> bool:
    if not form.validate_on_submit():
        return False
    try:
        confirm_password(_customer(), form.password.data)
    except ValidationError as error:
        show_errors(form, error.errors)
        return False
    return True


def _overview(
    *, codes_form: PasswordCheckForm | None = None, off_form: PasswordCheckForm | None = None
) -> str:
    customer_id = signed_in().customer_id
    enabled = two_factor_enabled(db_session(), customer_id=customer_id)
    return render_template(
        "two_factor.html",
        enabled=enabled,
        codes_left=recovery_codes_left(db_session(), customer_id=customer_id) if enabled else 0,
        codes_form=codes_form or PasswordCheckForm(prefix="codes", formdata=None),
        off_form=off_form or PasswordCheckForm(prefix="off", formdata=None),
        start=ConfirmForm(),
    )


def _setup_page(enrolment: Enrolment, form: EnrolmentCodeForm) -> str:
    qr = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5, border=4, light="#fff")
    grouped = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return render_template("two_factor_setup.html", qr=qr, secret=grouped, form=form)


def _recovery_codes_page(codes: list[str], *, first_time: bool) -> Response:
    response = make_response(render_template("recovery_codes.html", codes=codes, first_time=first_time))
    response.headers["Cache-Control"] = "no-store"  # shown once: no copy in the browser's cache
    return response


def _customer() -> Customer:
    customer = db_session().get(Customer, signed_in().customer_id)
    assert customer is not None  # a live session belongs to an existing customer (cascade)
    return customer


def _account_name() -> str:
    return login_email(signed_in_vault(), _customer())
