"""Two-step sign-in: an authenticator app's codes (TOTP, RFC 6238) and one-time recovery codes.

The shared secret is sealed with the customer's data key, so it is crypto-shredded with the vault. A code
is accepted for the current 30-second step or one step either side (clock drift), and only for a step
later than the last one accepted, so an overheard code cannot be replayed. Recovery codes are random,
shown once, stored as SHA-256 digests and marked used on first use.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.models import RecoveryCode, TwoFactor
from vrm.crypto.derive import secret_digest
from vrm.db import claimed, utcnow
from vrm.errors import AuthenticationFailed, Conflict, ValidationError
from vrm.vault.seal import CustomerVault

ISSUER = "VRM vault"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# No 0/O, 1/I/L: recovery codes are read off paper. 12 symbols of 32 = 60 bits each.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 12


@dataclass(frozen=True)
class Enrolment:
    """What the customer's authenticator app needs: the secret, also as an otpauth:// URI for a QR code."""

    secret: str
    uri: str


def two_factor_enabled(session: Session, *, customer_id: uuid.UUID) -> bool:
    factor = _factor(session, customer_id)
    return factor is not None and factor.confirmed_at is not None


def begin_enrolment(session: Session, *, vault: CustomerVault, account_name: str) -> Enrolment:
    """Create a fresh, not yet confirmed secret (replacing an unfinished one) and return it for the app.

    Raises:
        Conflict: two-step sign-in is already on; turn it off first.
    """
    factor = _factor(session, vault.customer_id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("two-step sign-in is already on")
    if factor is None:
        factor = TwoFactor(id=uuid.uuid4(), customer_id=vault.customer_id, last_step=0)
        session.add(factor)
    secret = pyotp.random_base32(32)  # 160 bits, the size RFC 4226 recommends
    vault.seal_into(factor, secret=secret)
    session.flush()
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER))


def pending_enrolment(session: Session, *, vault: CustomerVault, account_name: str) -> Enrolment | None:
    """The unfinished set-up's secret, to show the QR code again after a mistyped code."""
    factor = _factor(session, vault.customer_id)
    if factor is None or factor.confirmed_at is not None:
        return None
    secret = str(vault.open_from(factor, ["secret"])["secret"])
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER))


def confirm_enrolment(session: Session, *, vault: CustomerVault, code: str) -> list[str]:
    """Turn two-step sign-in on once the app's first code matches; return recovery codes, shown once.

    Raises:
        ValidationError: no set-up is under way, or the code does not match (`code`).
    """
    factor = _factor(session, vault.customer_id)
    if factor is None or factor.confirmed_at is not None:
        raise ValidationError({"code": "belongs to no set-up under way; start again"})
    if not _accept_code(session, factor, vault, code):
        raise ValidationError({"code": "does not match; check the time on your phone and try the next one"})
    factor.confirmed_at = utcnow()
    session.flush()
    return replace_recovery_codes(session, customer_id=vault.customer_id)


def verify_second_factor(session: Session, *, vault: CustomerVault, code: str) -> bool:
    """Check a code from the app or a recovery code; return True when it was a recovery code.

    Raises:
        AuthenticationFailed: neither an unused recovery code nor a fresh code of the app.
    """
    factor = _factor(session, vault.customer_id)
    if factor is None or factor.confirmed_at is None:
        raise AuthenticationFailed("two-step sign-in is not on")
    if _accept_code(session, factor, vault, code):
        return False
    if _use_recovery_code(session, vault.customer_id, code):
        return True
    raise AuthenticationFailed("the code is not right")


def turn_off(session: Session, *, customer_id: uuid.UUID) -> None:
    """Forget the authenticator and every recovery code (after the caller re-authenticated the customer)."""
    session.execute(delete(TwoFactor).where(TwoFactor.customer_id == customer_id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.customer_id == customer_id))
    session.flush()


def replace_recovery_codes(session: Session, *, customer_id: uuid.UUID) -> list[str]:
    """Void every recovery code and issue a new set; the plain codes exist only in the return value."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.customer_id == customer_id))
    codes = [_random_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(id=uuid.uuid4(), customer_id=customer_id, code_hash=secret_digest(code))
        for code in codes
    )
    session.flush()
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


def recovery_codes_left(session: Session, *, customer_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.customer_id == customer_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _factor(session: Session, customer_id: uuid.UUID) -> TwoFactor | None:
    return session.scalar(select(TwoFactor).where(TwoFactor.customer_id == customer_id))


def _accept_code(session: Session, factor: TwoFactor, vault: CustomerVault, code: str) -> bool:
    typed = "".join(code.split()) if v.is_text(code) else ""
    if len(typed) != 6 or not (typed.isascii() and typed.isdigit()):  # "١٢٣٤٥٦" is digits too
        return False
    totp = pyotp.TOTP(str(vault.open_from(factor, ["secret"])["secret"]))
    now = int(time.time()) // STEP_SECONDS
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if step > factor.last_step and hmac.compare_digest(totp.generate_otp(step), typed):
            # A conditional update, so two requests racing with the same code cannot both win.
            won = claimed(
                session,
                update(TwoFactor)
                .where(TwoFactor.id == factor.id, TwoFactor.last_step < step)
                .values(last_step=step),
            )
            session.refresh(factor)
            return won
    return False


def _use_recovery_code(session: Session, customer_id: uuid.UUID, code: str) -> bool:
    upper = code.upper() if v.is_text(code) else ""
    typed = "".join(ch for ch in upper if ch.isascii() and ch.isalnum())
    if len(typed) != RECOVERY_LENGTH:
        return False
    # Looked up by digest: the codes are random (60 bits), so an unsalted hash gives a leak nothing to try.
    # A conditional update, so two requests racing with the same code cannot both use it.
    return claimed(
        session,
        update(RecoveryCode)
        .where(
            RecoveryCode.customer_id == customer_id,
            RecoveryCode.code_hash == secret_digest(typed),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow()),
    )


def _random_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
