"""OAuth 2 clients, authorization codes and tokens, and the pairwise ids businesses know customers by.

No secret is stored: client secrets, codes and tokens are random (at least 256 bits) and kept only as
SHA-256 digests, looked up by digest, so a copy of the database lets nobody in.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vrm.db import Base, UTCDateTime, created_at, sealed, uuid_pk


class OAuthClient(Base):
    """An application of a business. Confidential: it authenticates at the token endpoint with its secret."""

    __tablename__ = "oauth_clients"

    id: Mapped[uuid_pk]
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # What the business says it uses the data for; shown on the consent screen, kept on every grant.
    purpose: Mapped[str] = mapped_column(String(64))
    redirect_uris: Mapped[str] = mapped_column(Text)  # one per line, matched exactly
    scopes: Mapped[str] = mapped_column(String(200))  # the most this client may ask for
    created_at: Mapped[created_at]
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthorizationCode(Base):
    """A single-use code, valid for 60 seconds, bound to its client, redirect URI and PKCE challenge."""

    __tablename__ = "oauth_codes"

    id: Mapped[uuid_pk]
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(200))
    code_challenge: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Token(Base):
    """An opaque access token, with its refresh token when a customer's grant stands behind it.

    `family_id` ties together every token descending from one authorization code through refreshes, so a
    replayed code or refresh token revokes the whole family. Client-credentials tokens have no customer.
    """

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_family_id", "family_id"),)

    id: Mapped[uuid_pk]
    access_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    refresh_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("grants.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID | None]
    scope: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the refresh token was exchanged for a new pair: presenting it again is a replay.
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Relationship(Base):
    """The pairwise pseudonymous id (`sub`) under which one business knows one customer.

    Derived with a keyed HMAC, so two businesses get unrelated ids for the same person and cannot join
    their data on it; stored, so a business's ids can be resolved in bulk (contact decisions).
    """

    __tablename__ = "relationships"
    __table_args__ = (
        UniqueConstraint("business_id", "subject", name="uq_relationships_business_subject"),
        UniqueConstraint("business_id", "customer_id", name="uq_relationships_business_customer"),
    )

    id: Mapped[uuid_pk]
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]


class IdempotentRequest(Base):
    """A write sent with an Idempotency-Key: a retry with the same key and body gets the same answer."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[uuid_pk]
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[uuid.UUID]
    created_at: Mapped[created_at]


class AuthorizationAnswer(Base):
    """The customer's answer to one authorization request, kept for a day so its consent form works once:
    a second press, a reloaded post or a form reached again by going back finds this answer instead of
    consenting again. `request_digest` is a keyed HMAC of the customer and the request, and what they
    answered (allow or deny, and the grant an Allow made) is sealed with their data key
    (`vrm.oauth.answers`): a copy of the database shows that the customer answered something, then, and
    not what, nor to which company.
    """

    __tablename__ = "authorization_answers"

    id: Mapped[uuid_pk]
    request_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[sealed]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
