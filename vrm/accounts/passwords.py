"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106's second recommended profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vrm import validation as v

MIN_LENGTH, MAX_LENGTH = 12, 128  # OWASP ASVS 2.1.1 and 2.1.2 (at least 64 allowed, more than 128 refused)
_hasher = PasswordHasher()
# Verified against when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("an account that does not exist")


def check_password_rules(password: str, problems: v.Problems, field: str = "password") -> None:
    if not v.is_text(password) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.add(field, f"must be between {MIN_LENGTH} and {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's (rehash it at the next sign-in)."""
    return bool(_hasher.check_needs_rehash(password_hash))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant time for the hash; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
