"""Two-step sign-in: app codes work once and only when fresh, recovery codes once; the secret is sealed."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.customers import erase_customer
from vrm.accounts.models import RecoveryCode, TwoFactor
from vrm.accounts.two_factor import (
    begin_enrolment,
    confirm_enrolment,
    pending_enrolment,
    recovery_codes_left,
    replace_recovery_codes,
    turn_off,
    two_factor_enabled,
    verify_second_factor,
)
from vrm.crypto.keyring import KeyRing
from vrm.errors import AuthenticationFailed, Conflict, ValidationError
from vrm.vault.seal import CustomerVault


def enrolled(session: Session, vault: CustomerVault) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-step sign-in on as a customer would, with the app's current code; return the app and codes."""
    app = pyotp.TOTP(begin_enrolment(session, vault=vault, account_name="me@example.org").secret)
    # A code from one step back: the app's code of the current step stays unused for the tests.
    codes = confirm_enrolment(session, vault=vault, code=app.at(time.time() - 30))
    return app, codes


def test_two_step_sign_in_is_on_only_once_the_apps_code_is_typed_back(
    session: Session, keyring: KeyRing
) -> None:
    customer, vault = factories.customer(session, keyring)
    enrolment = begin_enrolment(session, vault=vault, account_name="me@example.org")
    assert enrolment.uri.startswith("otpauth://totp/VRM%20vault:me%40example.org?secret=")
    assert not two_factor_enabled(session, customer_id=customer.id)
    with pytest.raises(ValidationError) as wrong:
        confirm_enrolment(
            session,
            vault=vault,
            code="000000" if pyotp.TOTP(enrolment.secret).now() != "000000" else "111111",
        )
    assert "code" in wrong.value.errors
    assert pending_enrolment(session, vault=vault, account_name="x") is not None  # still under way
    codes = confirm_enrolment(session, vault=vault, code=pyotp.TOTP(enrolment.secret).now())
    assert two_factor_enabled(session, customer_id=customer.id)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert pending_enrolment(session, vault=vault, account_name="x") is None
    with pytest.raises(Conflict):
        begin_enrolment(session, vault=vault, account_name="me@example.org")


def test_an_app_code_works_once(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    app, _ = enrolled(session, vault)
    code = app.now()
    assert verify_second_factor(session, vault=vault, code=code) is False
    with pytest.raises(AuthenticationFailed):
        verify_second_factor(session, vault=vault, code=code)


def test_an_older_or_stale_code_is_refused(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    app, _ = enrolled(session, vault)
    verify_second_factor(session, vault=vault, code=app.at(time.time() + 30))  # a phone running fast
    with pytest.raises(AuthenticationFailed):  # older than the last one accepted
        verify_second_factor(session, vault=vault, code=app.now())
    _, other_vault = factories.customer(session, keyring)
    other_app, _ = enrolled(session, other_vault)
    with pytest.raises(AuthenticationFailed):  # two minutes old: outside the drift allowed
        verify_second_factor(session, vault=other_vault, code=other_app.at(time.time() - 120))


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "\ud800" * 6, "0" * 10_000])
def test_malformed_codes_are_refused_quietly(session: Session, keyring: KeyRing, typed: str) -> None:
    _, vault = factories.customer(session, keyring)
    enrolled(session, vault)
    with pytest.raises(AuthenticationFailed):
        verify_second_factor(session, vault=vault, code=typed)


def test_a_recovery_code_works_once_however_it_is_typed(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    _, codes = enrolled(session, vault)
    typed = " " + codes[3].lower().replace("-", " ") + " "
    assert verify_second_factor(session, vault=vault, code=typed) is True
    assert recovery_codes_left(session, customer_id=customer.id) == 9
    with pytest.raises(AuthenticationFailed):
        verify_second_factor(session, vault=vault, code=codes[3])


def test_new_recovery_codes_void_the_old_ones(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    _, old = enrolled(session, vault)
    new = replace_recovery_codes(session, customer_id=customer.id)
    assert not set(old) & set(new)
    with pytest.raises(AuthenticationFailed):
        verify_second_factor(session, vault=vault, code=old[0])
    assert verify_second_factor(session, vault=vault, code=new[0]) is True


def test_one_customers_codes_never_sign_in_another(session: Session, keyring: KeyRing) -> None:
    _, vault_a = factories.customer(session, keyring)
    _, vault_b = factories.customer(session, keyring)
    app_a, codes_a = enrolled(session, vault_a)
    enrolled(session, vault_b)
    for code in (codes_a[0], app_a.now()):
        with pytest.raises(AuthenticationFailed):
            verify_second_factor(session, vault=vault_b, code=code)


def test_the_secret_is_sealed_and_recovery_codes_kept_as_digests(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    app, codes = enrolled(session, vault)
    row = session.scalars(select(TwoFactor).where(TwoFactor.customer_id == customer.id)).one()
    assert app.secret.encode() not in row.secret
    stored = [r.code_hash for r in session.scalars(select(RecoveryCode))]
    assert len(stored) == 10 and not any(
        code.replace("-", "").encode() in h for code in codes for h in stored
    )


def test_turning_off_and_erasure_forget_every_factor(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    _, codes = enrolled(session, vault)
    turn_off(session, customer_id=customer.id)
    assert not two_factor_enabled(session, customer_id=customer.id)
    with pytest.raises(AuthenticationFailed):
        verify_second_factor(session, vault=vault, code=codes[0])
    other, other_vault = factories.customer(session, keyring)
    enrolled(session, other_vault)
    erase_customer(session, keyring=keyring, customer_id=other.id)
    session.expire_all()
    assert session.scalars(select(TwoFactor)).all() == []
    assert session.scalars(select(RecoveryCode)).all() == []
