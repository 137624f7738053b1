"""Business users: the people who register a business and manage its applications in the portal.

Their email is kept only as a blind index (for signing in); their sessions follow the customers' rules
(a random token of which only the SHA-256 is stored, 30 minutes idle, 12 hours in all).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.businesses import create_business
from vrm.accounts.models import Business, BusinessSession, BusinessUser
from vrm.accounts.passwords import check_password_rules, hash_password, verify_password
from vrm.accounts.sessions import end_session_row, live_session_row, new_session_row
from vrm.crypto.keyring import KeyRing
from vrm.errors import AuthenticationFailed, Conflict

# Blind indexes of business users are namespaced, so one person may be a customer and a business user.
NAMESPACE = "business-user:"


def register_business(
    session: Session,
    *,
    keyring: KeyRing,
    name: str,
    display_name: str,
    website: str | None,
    email: str,
    password: str,
) -> BusinessUser:
    """Register a business and its first user.

    Raises:
        ValidationError: naming each bad field.
        Conflict: the handle or the email is taken.
    """
    problems = v.Problems()
    address = v.email(email, "email", problems)
    check_password_rules(password, problems)
    problems.check()
    assert address is not None
    index = _index(keyring, address)
    if session.scalar(select(BusinessUser.id).where(BusinessUser.email_index == index)) is not None:
        raise Conflict("a business user with this email already exists")
    try:
        with session.begin_nested():
            business = create_business(session, name=name, display_name=display_name, website=website)
            user = BusinessUser(
                id=uuid.uuid4(),
                business_id=business.id,
                email_index=index,
                password_hash=hash_password(password),
            )
            session.add(user)
            session.flush()
    except DatabaseIntegrityError:
        raise Conflict("a business user with this email already exists") from None
    return user


def authenticate_business_user(
    session: Session, *, keyring: KeyRing, email: str, password: str
) -> BusinessUser:
    """Raises: AuthenticationFailed: the same answer whether the email is unknown or the password wrong."""
    user = (
        session.scalar(select(BusinessUser).where(BusinessUser.email_index == _index(keyring, email)))
        if v.is_text(email)
        else None
    )
    candidate = password if v.is_text(password) else ""
    if not verify_password(user.password_hash if user else None, candidate) or user is None:
        raise AuthenticationFailed("the email or password is not right")
    return user


def start_business_session(session: Session, *, user: BusinessUser) -> str:
    row, token = new_session_row(BusinessSession, business_user_id=user.id)
    session.add(row)
    session.flush()
    return token


def resume_business_session(session: Session, *, token: object) -> tuple[BusinessUser, Business] | None:
    """The user and business a live session token belongs to; an idle or old session is ended."""
    row = live_session_row(session, BusinessSession, token)
    if row is None:
        return None
    user = session.get(BusinessUser, row.business_user_id)
    assert user is not None  # sessions cascade with their user
    business = session.get(Business, user.business_id)
    assert business is not None
    return user, business


def end_business_session(session: Session, *, token: object) -> None:
    end_session_row(session, BusinessSession, token)


def _index(keyring: KeyRing, email: str) -> bytes:
    return keyring.blind_index.of_email(NAMESPACE + v.canonical_email(email))
