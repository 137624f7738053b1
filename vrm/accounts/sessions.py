"""Browser sessions: started at sign-in, listed and ended by the customer, expired when idle or old."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.models import AuditorSession, BusinessSession, WebSession
from vrm.crypto.derive import secret_digest
from vrm.db import utcnow
from vrm.errors import NotFound
from vrm.vault.seal import CustomerVault

IDLE_LIMIT = timedelta(minutes=30)  # OWASP ASVS 3.3.2 (level 2): 30 minutes idle, 12 hours in all
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # spare a write on every request
MAX_USER_AGENT = 300


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    user_agent: str | None
    created_at: datetime
    last_seen_at: datetime


# The session rows of customers, business users and auditors: each holds only its token's digest.
Row = TypeVar("Row", WebSession, BusinessSession, AuditorSession)


def new_session_row(row_type: type[Row], **owner: uuid.UUID) -> tuple[Row, str]:
    """A session row for this owner, not yet added, and its secret token."""
    token, now = secrets.token_urlsafe(32), utcnow()
    row = row_type(
        id=uuid.uuid4(), token_hash=secret_digest(token), created_at=now, last_seen_at=now, **owner
    )
    return row, token


def live_session_row(session: Session, row_type: type[Row], token: object) -> Row | None:
    """The live session row a token belongs to, ended if it has idled or lived too long.

    Looked up by the token's digest: the token itself is never stored, so a database leak signs no one in.
    """
    if not v.is_text(token) or not token:
        return None
    row = session.scalar(select(row_type).where(row_type.token_hash == secret_digest(str(token))))
    return row if row is not None and still_alive(session, row) else None


def end_session_row(session: Session, row_type: type[Row], token: object) -> None:
    """End the session a token belongs to, if any."""
    if v.is_text(token) and token:
        session.execute(delete(row_type).where(row_type.token_hash == secret_digest(str(token))))


def start_session(
    session: Session, *, vault: CustomerVault, user_agent: str | None
) -> tuple[WebSession, str]:
    """Open a session for a customer who just proved who they are; return it and its secret token."""
    row, token = new_session_row(WebSession, customer_id=vault.customer_id)
    agent = user_agent[:MAX_USER_AGENT] if user_agent is not None and v.is_text(user_agent) else None
    vault.seal_into(row, user_agent=agent)
    session.add(row)
    session.flush()
    return row, token


def resume_session(session: Session, *, token: str) -> WebSession | None:
    """Return the live session a token belongs to, ending it if it has idled or lived too long."""
    return live_session_row(session, WebSession, token)


class Timed(Protocol):
    created_at: datetime
    last_seen_at: datetime


def still_alive(session: Session, row: Timed) -> bool:
    """Whether a session row is within its idle and lifetime limits: ended if not, touched if so."""
    now = utcnow()
    if now - row.last_seen_at > IDLE_LIMIT or now - row.created_at > LIFETIME:
        session.delete(row)
        session.flush()
        return False
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return True


def list_sessions(session: Session, *, vault: CustomerVault) -> list[SessionInfo]:
    rows = session.scalars(
        select(WebSession)
        .where(WebSession.customer_id == vault.customer_id)
        .order_by(WebSession.last_seen_at.desc())
    )
    return [
        SessionInfo(
            id=row.id,
            user_agent=vault.open_from(row, ["user_agent"])["user_agent"],
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
        )
        for row in rows
    ]


def end_session(session: Session, *, customer_id: uuid.UUID, session_id: object) -> None:
    """End one of the customer's sessions.

    Raises:
        NotFound: not one of this customer's sessions (another customer's looks exactly the same).
    """
    key = v.identifier(session_id)
    row = session.get(WebSession, key) if key is not None else None
    if row is None or row.customer_id != customer_id:
        raise NotFound("no such session")
    session.delete(row)
    session.flush()


def end_other_sessions(session: Session, *, customer_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    """End every session of the customer but `keep` (after a password change, for example)."""
    query = delete(WebSession).where(WebSession.customer_id == customer_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    session.execute(query)
    session.flush()
