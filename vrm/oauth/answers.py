"""Answers to authorization requests: each consent form counts once.

A customer may press Allow twice, reload the post that answered, or go back to the form and press again.
Each of these sends the same request (the same client, redirect URI, scopes, `state` and PKCE challenge),
so the first answer is recorded under a digest of the customer and that request and every later one finds
it: one consent, one receipt, and no earlier grant replaced by its own copy. A business that asks again
sends a new request (a new `state` and challenge) and gets a new consent screen.

The digest is a keyed HMAC (`KeyRing.answer_key`) and the answer itself is sealed with the customer's data
key: a copy of the database shows that a customer answered some request at some moment, not to whom nor
what. Answers are kept for a day, past the life of any code or form they could matter to.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.oauth.models import AuthorizationAnswer
from vrm.vault.seal import CustomerVault

KEPT = timedelta(days=1)
# What makes two authorization requests the same request (RFC 6749 §4.1.1, RFC 7636 §4.3).
REQUEST_PARAMETERS = ("client_id", "redirect_uri", "scope", "state", "code_challenge")
DECISIONS = ("allow", "deny")


@dataclass(frozen=True)
class Answer:
    """What the customer answered to one request, and when; `grant_id` is the grant an Allow made."""

    id: uuid.UUID
    decision: str
    grant_id: uuid.UUID | None
    answered_at: datetime


def request_digest(
    keyring: KeyRing, *, customer_id: uuid.UUID, parameters: Mapping[str, str | None]
) -> bytes:
    """The digest naming one customer's answer to one authorization request."""
    request = orjson.dumps([parameters.get(name) for name in REQUEST_PARAMETERS])
    return hmac.new(keyring.answer_key, customer_id.bytes + request, hashlib.sha256).digest()


def earlier_answer(session: Session, *, vault: CustomerVault, digest: bytes) -> Answer | None:
    """The customer's answer to this request, if they gave one in the last day."""
    row = session.scalar(
        select(AuthorizationAnswer).where(
            AuthorizationAnswer.request_digest == digest,
            AuthorizationAnswer.customer_id == vault.customer_id,
            AuthorizationAnswer.answered_at > utcnow() - KEPT,
        )
    )
    return None if row is None else _answer(vault, row)


def record_answer(session: Session, *, vault: CustomerVault, digest: bytes, decision: str) -> Answer | None:
    """Record the customer's answer to this request; None when an answer was recorded first (by another
    press of the same form racing this one, or earlier): the first answer stands.

    Two presses at once cannot both win: the digest is unique, and the second insert waits for the first
    one's transaction and then fails.
    """
    assert decision in DECISIONS
    now = utcnow()
    # Answers older than a day matter to nobody: each new answer clears them (an indexed range).
    session.execute(delete(AuthorizationAnswer).where(AuthorizationAnswer.answered_at < now - KEPT))
    row = AuthorizationAnswer(id=uuid.uuid4(), request_digest=digest, customer_id=vault.customer_id)
    row.answered_at = now
    vault.seal_into(row, outcome={"decision": decision, "grant": None})
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return _answer(vault, row)


def answered_with(session: Session, *, vault: CustomerVault, answer: Answer, grant_id: uuid.UUID) -> None:
    """Note the grant an Allow created, so the form, found again, can say what was allowed."""
    row = session.get(AuthorizationAnswer, answer.id)
    assert row is not None  # recorded in this transaction
    vault.seal_into(row, outcome={"decision": answer.decision, "grant": str(grant_id)})
    session.flush()


def _answer(vault: CustomerVault, row: AuthorizationAnswer) -> Answer:
    outcome = vault.open_from(row, ["outcome"])["outcome"]
    grant = outcome.get("grant")
    return Answer(row.id, outcome["decision"], uuid.UUID(grant) if grant else None, row.answered_at)
