"""Subkeys derived by HKDF from the key ring's derivation secret, and the blind index built on one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Each purpose has its own label, so no two uses ever share a key.
BLIND_INDEX_EMAIL = b"vrm/blind-index/email/v1"
PAIRWISE_SUBJECT = b"vrm/pairwise-subject/v1"
WEBHOOK_SECRET = b"vrm/webhook-secret/v1"
LOG_PSEUDONYM = b"vrm/log-pseudonym/v1"
LOG_SIGNING = b"vrm/log-signing/v1"
AUTHORIZATION_ANSWER = b"vrm/authorization-answer/v1"
JOURNEY_REFERENCE = b"vrm/journey-reference/v1"


def derive_subkey(secret: bytes, label: bytes, length: int = 32) -> bytes:
    """Derive a key for one purpose from the derivation secret (HKDF-SHA256, RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label).derive(secret)


def pseudonym(key: bytes, customer_id: uuid.UUID) -> str:
    """A customer's keyed pseudonym under `key`: 192 bits of HMAC-SHA256, base64url (32 characters)."""
    return base64.urlsafe_b64encode(hmac.digest(key, customer_id.bytes, "sha256")[:24]).decode()


def journey_reference_index(
    key: bytes, business_id: uuid.UUID, customer_id: uuid.UUID, reference: str
) -> bytes:
    """The lookup key of a business's reference for a journey with one customer: HMAC-SHA256 over both ids
    (fixed 16 bytes each, so no two inputs run together) and the reference as given (already normalized)."""
    return hmac.digest(key, business_id.bytes + customer_id.bytes + reference.encode(), "sha256")


def normalize_email(address: str) -> str:
    """Return the canonical form of an email address used for lookups: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", address).strip().casefold()


class BlindIndex:
    """Keyed HMAC-SHA256 of a normalized value: equality lookups without storing the value."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of_email(self, address: str) -> bytes:
        return hmac.new(self._key, normalize_email(address).encode(), hashlib.sha256).digest()


def secret_digest(secret: str) -> bytes:
    """SHA-256 of a random secret (token, code, client secret), the only form in which one is stored.

    Unsalted is enough because the secrets carry at least 60 random bits; lookups go by this digest.
    """
    return hashlib.sha256(secret.encode()).digest()
