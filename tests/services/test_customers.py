from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.customers import authenticate, create_customer, erase_customer, find_customer, login_email
from vrm.crypto.keyring import KeyRing
from vrm.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from vrm.vault.keys import open_vault
from vrm.vault.profile import get_profile


def test_new_customer_gets_a_vault_with_their_email_as_primary(session: Session, keyring: KeyRing) -> None:
    customer = create_customer(session, keyring=keyring, email="Ana.Silva@Example.ORG", password="x" * 12)
    vault = open_vault(session, keyring=keyring, customer_id=customer.id)
    assert login_email(vault, customer) == "Ana.Silva@example.org"
    assert get_profile(session, vault=vault).primary_email == "Ana.Silva@example.org"


def test_email_lookup_ignores_case_and_surrounding_space(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring, email="MixedCase@example.org")
    assert find_customer(session, keyring=keyring, email="  mixedcase@EXAMPLE.org ") is customer


def test_second_account_with_the_same_email_is_refused(session: Session, keyring: KeyRing) -> None:
    factories.customer(session, keyring, email="twice@example.org")
    with pytest.raises(Conflict):
        create_customer(session, keyring=keyring, email="TWICE@example.org")


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", None, "email"),
        ("", None, "email"),
        ("ok@example.org", "short", "password"),
    ],
)
def test_invalid_sign_up_names_the_field(
    session: Session, keyring: KeyRing, email: str, password: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        create_customer(session, keyring=keyring, email=email, password=password)
    assert field in raised.value.errors


def test_authentication_checks_the_password(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring, email="auth@example.org", password=factories.PASSWORD)
    assert (
        authenticate(session, keyring=keyring, email="auth@example.org", password=factories.PASSWORD)
        is customer
    )


def test_wrong_password_and_unknown_email_fail_alike(session: Session, keyring: KeyRing) -> None:
    factories.customer(session, keyring, email="known@example.org", password=factories.PASSWORD)
    with pytest.raises(AuthenticationFailed) as wrong:
        authenticate(session, keyring=keyring, email="known@example.org", password="wrong password!")
    with pytest.raises(AuthenticationFailed) as unknown:
        authenticate(session, keyring=keyring, email="nobody@example.org", password="wrong password!")
    assert wrong.value.detail == unknown.value.detail


def test_account_without_password_cannot_sign_in(session: Session, keyring: KeyRing) -> None:
    factories.customer(session, keyring, email="nopass@example.org", password=None)
    with pytest.raises(AuthenticationFailed):
        # The very password behind the hash verified for missing accounts: only the guard refuses it.
        authenticate(
            session, keyring=keyring, email="nopass@example.org", password="an account that does not exist"
        )


def test_erased_customer_has_no_vault_left(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    erase_customer(session, keyring=keyring, customer_id=customer.id)
    with pytest.raises(NotFound):
        open_vault(session, keyring=keyring, customer_id=customer.id)
    with pytest.raises(NotFound):
        erase_customer(session, keyring=keyring, customer_id=customer.id)


def test_sign_in_finds_an_idna_domain_in_either_spelling(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring, email="user@xn--bcher-kva.example")
    assert find_customer(session, keyring=keyring, email="user@bücher.example") is customer
    assert find_customer(session, keyring=keyring, email="USER@xn--bcher-kva.example") is customer


def test_sign_in_rehashes_a_password_hashed_with_older_parameters(session: Session, keyring: KeyRing) -> None:
    from argon2 import PasswordHasher

    customer, _ = factories.customer(session, keyring, email="old@example.org")
    customer.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(factories.PASSWORD)
    authenticate(session, keyring=keyring, email="old@example.org", password=factories.PASSWORD)
    assert customer.password_hash.startswith("$argon2id$") and "m=8192" not in customer.password_hash
    authenticate(session, keyring=keyring, email="old@example.org", password=factories.PASSWORD)
