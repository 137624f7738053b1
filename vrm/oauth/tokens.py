"""Authorization codes and tokens: issued, redeemed once, rotated, revoked, and checked on every request.

Every secret is looked up by its SHA-256 digest. A code or refresh token is claimed by a conditional
UPDATE, so of two requests racing with the same one only one wins; the loser is treated as a replay,
which revokes every token of the family (RFC 9700 §2.2.2, §4.14).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.consent.models import Grant
from vrm.crypto.derive import secret_digest
from vrm.db import claimed, utcnow
from vrm.oauth.models import AuthorizationCode, OAuthClient, Relationship, Token

CODE_LIFETIME = timedelta(seconds=60)
ACCESS_LIFETIME = timedelta(minutes=10)
MAX_SECRET = 200  # longer than anything this server issues: refused before hashing


class ReplayDetected(Exception):
    """A code or refresh token was presented after its one use; its family must be revoked."""

    def __init__(self, family_id: uuid.UUID | None) -> None:
        super().__init__("a used credential was presented again")
        self.family_id = family_id


class BearerGrant(NamedTuple):
    """The grant a token works under, as read with the token (plain values, no ORM object)."""

    id: uuid.UUID
    customer_id: uuid.UUID
    business_id: uuid.UUID
    purpose: str
    scopes: str
    expires_at: datetime
    withdrawn_at: datetime | None
    last_read_at: datetime | None
    last_read_scopes: str | None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def is_live(self, now: datetime) -> bool:
        return self.withdrawn_at is None and self.expires_at > now


class BearerClient(NamedTuple):
    id: uuid.UUID
    client_id: str  # the public id the client authenticates with
    business_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Bearer:
    """A live access token as the business API sees it: a snapshot read in one query per request."""

    token_id: uuid.UUID
    scope: str
    customer_id: uuid.UUID | None
    issued_at: datetime
    expires_at: datetime
    client: BearerClient
    grant: BearerGrant | None
    subject: str | None = None  # the customer's pairwise id for this client's business

    @property
    def scopes(self) -> frozenset[str]:
        """The token's scopes, narrowed to what the customer allows now (they may have unticked some)."""
        issued = frozenset(self.scope.split())
        return issued & self.grant.scope_set if self.grant is not None else issued


def save_code(
    session: Session,
    *,
    client: OAuthClient,
    customer_id: uuid.UUID,
    grant_id: uuid.UUID,
    code: str,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
) -> AuthorizationCode:
    now = utcnow()
    row = AuthorizationCode(
        id=uuid.uuid4(),
        code_hash=secret_digest(code),
        client_id=client.id,
        customer_id=customer_id,
        grant_id=grant_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row


def redeem_code(session: Session, *, client: OAuthClient, code: object) -> AuthorizationCode | None:
    """Claim a code for its one use by this client; None when unknown, another client's or expired.

    Raises:
        ReplayDetected: the code was already used (the tokens it gave must be revoked).
    """
    row = _by_hash(session, AuthorizationCode, AuthorizationCode.code_hash, code)
    if row is None or row.client_id != client.id:
        return None
    if row.used_at is not None or not _claim(session, AuthorizationCode, row.id, "used_at"):
        raise ReplayDetected(row.id)
    return row if row.expires_at > utcnow() else None


def issue_tokens(
    session: Session,
    *,
    client: OAuthClient,
    scope: str,
    access_token: str,
    refresh_token: str | None = None,
    customer_id: uuid.UUID | None = None,
    grant: Grant | None = None,
    family_id: uuid.UUID | None = None,
) -> Token:
    """Store a newly issued token pair. A refresh token lives no longer than the grant behind it."""
    now = utcnow()
    row = Token(
        id=uuid.uuid4(),
        access_hash=secret_digest(access_token),
        refresh_hash=secret_digest(refresh_token) if refresh_token else None,
        client_id=client.id,
        customer_id=customer_id,
        grant_id=grant.id if grant else None,
        family_id=family_id,
        scope=scope,
        issued_at=now,
        expires_at=now + ACCESS_LIFETIME,
        refresh_expires_at=grant.expires_at if grant and refresh_token else None,
    )
    session.add(row)
    session.flush()
    return row


def redeem_refresh_token(session: Session, *, client: OAuthClient, refresh_token: object) -> Token | None:
    """Claim a refresh token for its one exchange; None when unknown, another client's, revoked or dead.

    Raises:
        ReplayDetected: it was already exchanged (its whole family must be revoked).
    """
    row: Token | None = _by_hash(session, Token, Token.refresh_hash, refresh_token)
    if row is None or row.client_id != client.id:
        return None
    # Checked before revocation: an exchanged token is revoked too, and presenting it is still a replay.
    if row.refreshed_at is not None:
        raise ReplayDetected(row.family_id)
    if row.revoked_at is not None:
        return None
    if not _claim(session, Token, row.id, "refreshed_at"):
        raise ReplayDetected(row.family_id)
    return row if _refresh_unexpired(session, row) else None


def find_bearer(session: Session, *, access_token: object) -> Bearer | None:
    """The live token for a bearer value: not expired, not revoked, its grant neither withdrawn nor expired.

    Checked against the database on every request, so a withdrawal takes effect on the very next one.
    """
    if not v.is_text(access_token) or not 0 < len(access_token) <= MAX_SECRET:  # type: ignore[arg-type]
        return None
    # Plain columns through the connection: the ORM's entity loading was a third of a request.
    found = session.connection().execute(BEARER, {"digest": secret_digest(access_token)}).first()  # type: ignore[arg-type]
    if found is None:
        return None
    now = utcnow()
    if found.revoked_at is not None or found.expires_at <= now:
        return None
    grant = BearerGrant(*tuple(found)[GRANT_COLUMNS]) if found.grant_id is not None else None
    if found.token_grant_id is not None and (grant is None or not grant.is_live(now)):
        return None
    return Bearer(
        token_id=found.token_id,
        scope=found.scope,
        customer_id=found.customer_id,
        issued_at=found.issued_at,
        expires_at=found.expires_at,
        client=BearerClient(found.client_pk, found.client_id, found.business_id),
        grant=grant,
        subject=found.subject,
    )


# Built once (constructing it per request cost more than running it): the token with its client, its grant
# and the customer's pairwise id for the client's business, in one query.
_GRANT = (
    Grant.id.label("grant_id"),
    Grant.customer_id.label("grant_customer_id"),
    Grant.business_id.label("grant_business_id"),
    Grant.purpose,
    Grant.scopes,
    Grant.expires_at.label("grant_expires_at"),
    Grant.withdrawn_at,
    Grant.last_read_at,
    Grant.last_read_scopes,
)
BEARER = (
    select(
        Token.id.label("token_id"),
        Token.scope,
        Token.customer_id,
        Token.issued_at,
        Token.expires_at,
        Token.revoked_at,
        Token.grant_id.label("token_grant_id"),
        OAuthClient.id.label("client_pk"),
        OAuthClient.client_id,
        OAuthClient.business_id,
        Relationship.subject,
        *_GRANT,
    )
    .join(OAuthClient, OAuthClient.id == Token.client_id)
    .outerjoin(Grant, Grant.id == Token.grant_id)
    .outerjoin(
        Relationship,
        (Relationship.business_id == OAuthClient.business_id)
        & (Relationship.customer_id == Token.customer_id),
    )
    .where(Token.access_hash == bindparam("digest"))
)
GRANT_COLUMNS = slice(11, 11 + len(_GRANT))


def revoke(session: Session, *, client: OAuthClient, token: object, hint: object = None) -> None:
    """Revoke one of the client's tokens (RFC 7009); a refresh token takes its whole family with it.

    An unknown token, or another client's, is silently ignored, as the RFC asks.
    """
    kinds = [("refresh_token", Token.refresh_hash), ("access_token", Token.access_hash)]
    if hint == "access_token":
        kinds.reverse()
    for kind, column in kinds:
        row = _by_hash(session, Token, column, token)
        if row is not None and row.client_id == client.id:
            if kind == "refresh_token" and row.family_id is not None:
                revoke_family(session, family_id=row.family_id)
            else:
                row.revoked_at = row.revoked_at or utcnow()
                session.flush()
            return


def revoke_family(session: Session, *, family_id: uuid.UUID | None) -> None:
    """Revoke every token descending from one authorization code."""
    if family_id is None:
        return
    session.execute(
        update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()


def introspect(session: Session, *, client: OAuthClient, token: object) -> dict[str, Any]:
    """RFC 7662: what a token is, told only to the client it belongs to; anything else is inactive."""
    bearer = find_bearer(session, access_token=token)
    if bearer is not None and bearer.client.id == client.id:
        return _description(bearer.scope, bearer.issued_at, bearer.expires_at, client, "access_token")
    row = _by_hash(session, Token, Token.refresh_hash, token)
    unused = row is not None and row.revoked_at is None and row.refreshed_at is None
    if unused and row.client_id == client.id and _refresh_unexpired(session, row):
        assert row.refresh_expires_at is not None
        return _description(row.scope, row.issued_at, row.refresh_expires_at, client, "refresh_token")
    return {"active": False}


def _description(
    scope: str, issued_at: datetime, expires_at: datetime, client: OAuthClient, kind: str
) -> dict[str, Any]:
    return {
        "active": True,
        "scope": scope,
        "client_id": client.client_id,
        "token_type": "Bearer" if kind == "access_token" else "refresh_token",
        "exp": int(expires_at.timestamp()),
        "iat": int(issued_at.timestamp()),
    }


def _refresh_unexpired(session: Session, row: Token) -> bool:
    """Whether a refresh token is within its lifetime and the grant behind it is still in force."""
    now = utcnow()
    grant = session.get(Grant, row.grant_id) if row.grant_id else None
    alive = row.refresh_expires_at is not None and row.refresh_expires_at > now
    return alive and grant is not None and grant.is_live(now)


def _by_hash(session: Session, model: Any, column: Any, secret: object) -> Any:
    if not v.is_text(secret) or not 0 < len(secret) <= MAX_SECRET:  # type: ignore[arg-type]
        return None
    return session.scalar(select(model).where(column == secret_digest(secret)))  # type: ignore[arg-type]


def _claim(session: Session, model: Any, row_id: uuid.UUID, column: str) -> bool:
    """Stamp `column` on one row if nobody has yet; True for the one request that did."""
    won = claimed(
        session,
        update(model).where(model.id == row_id, getattr(model, column).is_(None)).values({column: utcnow()}),
    )
    row = session.get(model, row_id)
    if row is not None:
        session.refresh(row)
    return won
