"""Pairwise pseudonymous ids: each business knows a customer under its own `sub`, unrelated to any other's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from vrm.crypto.keyring import KeyRing
from vrm.oauth.models import Relationship


def subject_for(session: Session, *, keyring: KeyRing, business_id: uuid.UUID, customer_id: uuid.UUID) -> str:
    """The id under which this business knows this customer, recorded on first use."""
    existing = session.scalar(
        select(Relationship.subject).where(
            Relationship.business_id == business_id, Relationship.customer_id == customer_id
        )
    )
    if existing is not None:
        return existing
    subject = pairwise_subject(keyring, business_id, customer_id)
    try:
        with session.begin_nested():  # two first uses at once: the second finds the first's row
            session.add(
                Relationship(
                    id=uuid.uuid4(), business_id=business_id, customer_id=customer_id, subject=subject
                )
            )
    except DatabaseIntegrityError:
        pass
    return subject


def pairwise_subject(keyring: KeyRing, business_id: uuid.UUID, customer_id: uuid.UUID) -> str:
    """The pairwise id (OpenID Connect's pairwise `sub`): the same for a business and customer, unlinkable
    across businesses without the ring's pairwise key."""
    mac = hmac.new(keyring.pairwise_key, business_id.bytes + customer_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()  # 192 bits, 32 characters
