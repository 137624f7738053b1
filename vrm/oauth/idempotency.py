"""Idempotent writes: a client that retries a request with the same Idempotency-Key gets the first answer."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.errors import Conflict, ValidationError
from vrm.oauth.models import IdempotentRequest

MAX_KEY = 200


def claim_key(
    session: Session, *, client_id: uuid.UUID, key: object, customer_id: uuid.UUID, body: bytes
) -> tuple[uuid.UUID, bool]:
    """Reserve the id of what this request creates; return it and whether an earlier request already did.

    The key is claimed before anything is written, in a savepoint, so two requests racing with one key
    cannot both create: the second waits for the first and then finds its row.

    Raises:
        ValidationError: the key is not 1-200 printable characters.
        Conflict: the key was already used for a different request.
    """
    if not isinstance(key, str) or not v.is_text(key) or not 0 < len(key) <= MAX_KEY or not key.isprintable():
        raise ValidationError({"Idempotency-Key": f"must be 1 to {MAX_KEY} printable characters"})
    digest = hashlib.sha256(customer_id.bytes + body).digest()
    new_id = uuid.uuid4()
    try:
        with session.begin_nested():
            session.add(
                IdempotentRequest(
                    id=uuid.uuid4(),
                    client_id=client_id,
                    key=key,
                    request_digest=digest,
                    customer_id=customer_id,
                    interaction_id=new_id,
                )
            )
        return new_id, False
    except DatabaseIntegrityError:
        earlier = session.scalar(
            select(IdempotentRequest).where(
                IdempotentRequest.client_id == client_id, IdempotentRequest.key == key
            )
        )
        if earlier is None or earlier.request_digest != digest:
            raise Conflict("this Idempotency-Key was already used for a different request") from None
        return earlier.interaction_id, True
