"""Forgotten passwords: a signed link that works once, for 30 minutes, and proves nothing about who exists."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.models import Customer
from vrm.accounts.passwords import check_password_rules, hash_password
from vrm.accounts.sessions import end_other_sessions
from vrm.errors import ValidationError

LIFETIME_SECONDS = 30 * 60
SALT = "vrm/password-reset/v1"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def _fingerprint(customer: Customer) -> str:
    # Changes with the password, so a link stops working once it has been used (or the password changed).
    return hashlib.sha256((customer.password_hash or "no password").encode()).hexdigest()[:32]


def issue_reset_token(customer: Customer, *, secret: str) -> str:
    return str(
        _serializer(secret).dumps({"customer": str(customer.id), "fingerprint": _fingerprint(customer)})
    )


def reset_password(session: Session, *, secret: str, token: str, new_password: str) -> Customer:
    """Set a new password through a reset link and sign out every session of the account.

    Raises:
        ValidationError: the link is expired, used or forged (`token`), or the password breaks the rules.
    """
    customer = _redeem(session, secret=secret, token=token)
    problems = v.Problems()
    check_password_rules(new_password, problems)
    problems.check()
    customer.password_hash = hash_password(new_password)
    end_other_sessions(session, customer_id=customer.id, keep=None)
    session.flush()
    return customer


def check_reset_token(session: Session, *, secret: str, token: str) -> None:
    """Raises: ValidationError: the link is expired, used or forged (`token`)."""
    _redeem(session, secret=secret, token=token)


def _redeem(session: Session, *, secret: str, token: str) -> Customer:
    refused = ValidationError({"token": "this reset link is expired, already used or not valid"})  # nosec B105
    try:
        claims = _serializer(secret).loads(token, max_age=LIFETIME_SECONDS)
        customer = session.get(Customer, uuid.UUID(claims["customer"]))
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        raise refused from None
    if customer is None or not hmac.compare_digest(str(claims.get("fingerprint")), _fingerprint(customer)):
        raise refused
    return customer
