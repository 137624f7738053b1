"""The signed-in customer's account: the next steps after sign-up, their sessions and their password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from vrm.accounts.customers import change_password, close_next_steps
from vrm.accounts.models import Customer
from vrm.accounts.sessions import end_other_sessions, end_session, list_sessions
from vrm.accounts.two_factor import two_factor_enabled
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session
from vrm.vault.profile import get_profile
from web.forms import ChangePasswordForm, ConfirmForm, show_errors
from web.login import signed_in, signed_in_vault
from web.next_steps import next_steps

account = Blueprint("account", __name__, url_prefix="/account")


@account.get("")
@login_required  # type: ignore[untyped-decorator]
def overview() -> str:
    return _page(ChangePasswordForm())


@account.post("/password")
@login_required  # type: ignore[untyped-decorator]
def password() -> tuple[str, int] | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = signed_in()
        try:
            change_password(
                db_session(),
                customer=_customer(),
                current=form.current_password.data,
                new=form.new_password.data,
            )
        except ValidationError as error:
            show_errors(form, error.errors)
        else:
            end_other_sessions(db_session(), customer_id=me.customer_id, keep=me.session_id)
            flash("Your password is changed, and every other session is signed out.")
            return redirect(url_for("account.overview"))
    return _page(form), 422


@account.post("/next-steps/close")
@login_required  # type: ignore[untyped-decorator]
def close_steps() -> Response:
    close_next_steps(db_session(), customer=_customer())
    flash("The next steps are put away. Profile, Preferences and Connections stay in the menu above.")
    return redirect(url_for("account.overview"))


@account.post("/sessions/<session_id>/end")
@login_required  # type: ignore[untyped-decorator]
def end(session_id: str) -> Response:
    end_session(db_session(), customer_id=signed_in().customer_id, session_id=session_id)
    flash("That session is signed out.")
    return redirect(url_for("account.overview"))


def _customer() -> Customer:
    customer = db_session().get(Customer, signed_in().customer_id)
    assert customer is not None  # a signed-in session belongs to an existing customer (cascade)
    return customer


def _page(password_form: ChangePasswordForm) -> str:
    me = signed_in()
    vault = signed_in_vault()
    profile = get_profile(db_session(), vault=vault)
    return render_template(
        "account.html",
        profile=profile,
        steps=next_steps(_customer(), profile),
        password_form=password_form,
        sessions=list_sessions(db_session(), vault=vault),
        current_session=me.session_id,
        confirm=ConfirmForm(),
        two_step=two_factor_enabled(db_session(), customer_id=me.customer_id),
    )
