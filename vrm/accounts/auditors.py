"""Privacy auditors: accounts that read the consent log through the log API, with a token shown once."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.businesses import HANDLE
from vrm.accounts.models import Auditor, AuditorSession
from vrm.accounts.sessions import end_session_row, live_session_row, new_session_row
from vrm.crypto.derive import secret_digest
from vrm.db import utcnow
from vrm.errors import AuthenticationFailed, Conflict, NotFound, ValidationError

TOKEN_PREFIX = "vrm_audit_"  # noqa: S105 (a prefix, recognisable in a leaked-secrets scan)  # nosec B105
MAX_TOKEN = 200


def create_auditor(session: Session, *, name: str) -> tuple[Auditor, str]:
    """Create an auditor under a handle; return it and its API token, which is never shown again.

    Raises:
        ValidationError: the handle is not 3-64 lower-case letters, digits or dashes.
        Conflict: the handle is taken.
    """
    if not isinstance(name, str) or not HANDLE.match(name):
        raise ValidationError({"name": "must be 3-64 lower-case letters, digits or dashes, e.g. acme-audit"})
    if session.scalar(select(Auditor.id).where(Auditor.name == name)) is not None:
        raise Conflict(f"an auditor named {name} already exists")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    auditor = Auditor(id=uuid.uuid4(), name=name, token_hash=secret_digest(token))
    session.add(auditor)
    session.flush()
    return auditor, token


def revoke_auditor(session: Session, *, name: str) -> None:
    """End an auditor's access; their token stops working on its next use.

    Raises:
        NotFound: no auditor has that handle.
    """
    auditor = session.scalar(select(Auditor).where(Auditor.name == name))
    if auditor is None:
        raise NotFound(f"no auditor named {name}")
    auditor.revoked_at = auditor.revoked_at or utcnow()
    session.flush()


def auditor_for_token(session: Session, token: object) -> Auditor | None:
    """The live auditor a token belongs to (looked up by its digest), or None."""
    if not v.is_text(token) or not 0 < len(token) <= MAX_TOKEN:  # type: ignore[arg-type]
        return None
    found = session.scalar(select(Auditor).where(Auditor.token_hash == secret_digest(token)))  # type: ignore[arg-type]
    return found if found is not None and found.revoked_at is None else None


def start_auditor_session(session: Session, *, token: object) -> str:
    """Sign an auditor in to the audit workspace with their API token; return a new session token.

    Raises:
        AuthenticationFailed: not a live auditor's token.
    """
    auditor = auditor_for_token(session, token)
    if auditor is None:
        raise AuthenticationFailed("that is not a live auditor's token")
    row, secret = new_session_row(AuditorSession, auditor_id=auditor.id)
    session.add(row)
    session.flush()
    return secret


def resume_auditor_session(session: Session, *, token: object) -> Auditor | None:
    """The live auditor a workspace session belongs to; an idle, old or revoked one ends."""
    row = live_session_row(session, AuditorSession, token)
    if row is None:
        return None
    auditor = session.get(Auditor, row.auditor_id)
    return auditor if auditor is not None and auditor.revoked_at is None else None


def end_auditor_session(session: Session, *, token: object) -> None:
    end_session_row(session, AuditorSession, token)
