"""Answers to authorization requests: each consent form counts once.

A customer may press Allow twice, reload the post that answered, or go back to the form and press again.
Each of these sends the same request (the same client, redirect URI, scopes, `state` and PKCE challenge),
so the first answer is recorded under a digest of the customer and that request and every later one finds
it: one consent, one receipt, and no earlier grant replaced by its own copy. A business that asks again
sends a new request (a new `state` and challenge) and gets a new consent screen.

The digest is a keyed HMAC (`KeyRing.answer_key`): a copy of the database tells nobody which requests a
customer answered. Answers are kept for a day, past the life of any code or form they could matter to.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import timedelta

import orjson
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.oauth.models import AuthorizationAnswer, OAuthClient

KEPT = timedelta(days=1)
# What makes two authorization requests the same request (RFC 6749 §4.1.1, RFC 7636 §4.3).
REQUEST_PARAMETERS = ("client_id", "redirect_uri", "scope", "state", "code_challenge")
DECISIONS = ("allow", "deny")


def request_digest(
    keyring: KeyRing, *, customer_id: uuid.UUID, parameters: Mapping[str, str | None]
) -> bytes:
    """The digest naming one customer's answer to one authorization request."""
    request = orjson.dumps([parameters.get(name) for name in REQUEST_PARAMETERS])
    return hmac.new(keyring.answer_key, customer_id.bytes + request, hashlib.sha256).digest()


def earlier_answer(session: Session, *, digest: bytes) -> AuthorizationAnswer | None:
    """The answer already given to this request, if it was given in the last day."""
    answer = session.get(AuthorizationAnswer, digest)
    return answer if answer is not None and answer.answered_at > utcnow() - KEPT else None


def record_answer(
    session: Session, *, digest: bytes, customer_id: uuid.UUID, client: OAuthClient, decision: str
) -> AuthorizationAnswer | None:
    """Record the customer's answer to this request; None when an answer was recorded first (by another
    press of the same form racing this one, or earlier): the first answer stands.

    Two presses at once cannot both win: the digest is the primary key, and the second insert waits for the
    first one's transaction and then fails.
    """
    assert decision in DECISIONS
    now = utcnow()
    # Answers older than a day matter to nobody: each new answer clears them (an indexed range).
    session.execute(delete(AuthorizationAnswer).where(AuthorizationAnswer.answered_at < now - KEPT))
    answer = AuthorizationAnswer(
        request_digest=digest,
        customer_id=customer_id,
        client_id=client.id,
        decision=decision,
        answered_at=now,
    )
    try:
        with session.begin_nested():
            session.add(answer)
    except IntegrityError:
        return None
    return answer


def answered_with(session: Session, *, answer: AuthorizationAnswer, grant_id: uuid.UUID) -> None:
    """Note the grant an Allow created, so the form, found again, can say what was allowed."""
    answer.grant_id = grant_id
    session.flush()
