"""Customer accounts: sign-up with a sealed email, lookup by blind index, password check, erasure."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.models import Customer
from vrm.accounts.passwords import check_password_rules, hash_password, needs_rehash, verify_password
from vrm.consent import events
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from vrm.vault.keys import create_data_key, destroy_data_keys, open_vault
from vrm.vault.preferences import create_preferences
from vrm.vault.profile import create_profile
from vrm.vault.seal import CustomerVault


def create_customer(
    session: Session,
    *,
    keyring: KeyRing,
    email: str,
    password: str | None = None,
    time_zone: object = None,
) -> Customer:
    """Open an account and an empty vault (profile with this email as primary, default preferences).
    `time_zone` is the one the customer's browser reported, if any: kept when the tz database knows it.

    Raises:
        ValidationError: the email or password is invalid.
        Conflict: an account with this email exists.
    """
    problems = v.Problems()
    address = v.email(email, "email", problems)
    if password is not None:
        check_password_rules(password, problems)
    problems.check()
    assert address is not None
    index = _email_index(keyring, address)
    if session.scalar(select(Customer.id).where(Customer.email_index == index)) is not None:
        raise Conflict("an account with this email already exists")
    try:
        # A concurrent sign-up with the same email loses at the unique index: answer it as a conflict.
        with session.begin_nested():
            customer, _ = open_account(
                session,
                keyring=keyring,
                email=address,
                password_hash=hash_password(password) if password is not None else None,
                time_zone=time_zone,
            )
            session.flush()
    except DatabaseIntegrityError:
        raise Conflict("an account with this email already exists") from None
    return customer


def open_account(
    session: Session, *, keyring: KeyRing, email: str, password_hash: str | None, time_zone: object = None
) -> tuple[Customer, CustomerVault]:
    """Add an account for a checked, normalised, unused email: its row, data key, profile and preferences.

    Only added to the session, for the caller to flush: create_customer one at a time, with its checks;
    vrm.population many at once.
    """
    customer = Customer(
        id=uuid.uuid4(), email_index=_email_index(keyring, email), password_hash=password_hash
    )
    vault = create_data_key(session, keyring=keyring, customer_id=customer.id)
    vault.seal_into(customer, email=email)
    session.add(customer)
    create_profile(session, vault=vault, email=email, time_zone=time_zone)
    create_preferences(session, vault=vault)
    return customer, vault


def close_next_steps(session: Session, *, customer: Customer) -> None:
    """Stop showing the steps that follow sign-up: the customer did them all or put them away."""
    if customer.next_steps_closed_at is None:
        customer.next_steps_closed_at = utcnow()
        session.flush()


def find_customer(session: Session, *, keyring: KeyRing, email: str) -> Customer | None:
    """Find an account by email through the blind index (the address itself is never compared in clear)."""
    if not v.is_text(email):
        return None
    return session.scalar(select(Customer).where(Customer.email_index == _email_index(keyring, email)))


def authenticate(session: Session, *, keyring: KeyRing, email: str, password: str) -> Customer:
    """Return the customer whose email and password match.

    Raises:
        AuthenticationFailed: with the same message whether the email is unknown or the password wrong.
    """
    customer = find_customer(session, keyring=keyring, email=email)
    # Malformed input still costs one verification, so timing tells nothing about what was wrong.
    candidate = password if v.is_text(password) else ""
    if not verify_password(customer.password_hash if customer else None, candidate) or customer is None:
        raise AuthenticationFailed("the email or password is not right")
    if customer.password_hash is not None and needs_rehash(customer.password_hash):
        # Keeps every hash on today's parameters, so sign-in timing cannot tell old accounts apart.
        customer.password_hash = hash_password(candidate)
        session.flush()
    return customer


def _email_index(keyring: KeyRing, email: str) -> bytes:
    # Sign-up stores email-validator's normal form; look up the same form, whatever the spelling typed.
    return keyring.blind_index.of_email(v.canonical_email(email))


def open_customer_vault(session: Session, *, keyring: KeyRing, customer: Customer) -> CustomerVault:
    """Raises: NotFound, KeyRingError, IntegrityError (see `vrm.vault.keys.open_vault`)."""
    return open_vault(session, keyring=keyring, customer_id=customer.id)


def login_email(vault: CustomerVault, customer: Customer) -> str:
    return str(vault.open("customers", "email", customer.id, customer.email))


def erase_customer(session: Session, *, keyring: KeyRing, customer_id: uuid.UUID) -> None:
    """Crypto-shred a customer: destroy their data key, then delete every row of theirs.

    Without the data key nothing sealed for them can be opened again, from this database, its replicas or
    its backups, once the key version that wrapped it is retired from the ring.

    Raises:
        NotFound: no such customer.

    The consent log records the erasure under the customer's log pseudonym, which then leads nowhere.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("no such customer")
    destroy_data_keys(session, customer_id=customer_id)
    session.delete(customer)  # the database cascades to profile, preferences, interactions, journeys
    session.flush()
    events.account_erased(session, keyring=keyring, customer_id=customer_id)


def change_password(session: Session, *, customer: Customer, current: str, new: str) -> None:
    """Replace the password after checking the current one.

    Raises:
        ValidationError: the current password is wrong (`current_password`) or the new one breaks the rules.
    """
    problems = v.Problems()
    if not verify_password(customer.password_hash, current if v.is_text(current) else ""):
        problems.add("current_password", "is not your current password")
    check_password_rules(new, problems, "new_password")
    problems.check()
    customer.password_hash = hash_password(new)
    session.flush()


def confirm_password(customer: Customer, password: str) -> None:
    """Re-authenticate before something irreversible.

    Raises:
        ValidationError: the password is not the customer's (`password`).
    """
    if not verify_password(customer.password_hash, password if v.is_text(password) else ""):
        raise ValidationError({"password": "is not your password"})  # nosec B105
