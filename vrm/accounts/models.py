"""Accounts: customers who own vaults, their sign-in factors and sessions, and businesses."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from vrm.db import Base, UTCDateTime, created_at, sealed, uuid_pk


class Customer(Base):
    """A person with a vault. Their login email is stored only sealed, found through its blind index."""

    __tablename__ = "customers"

    id: Mapped[uuid_pk]
    email_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    email: Mapped[sealed]
    # argon2id hash (PHC string); NULL until the customer sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[created_at]
    # When the "Next steps" after sign-up were all done or put away; None while the account page shows them.
    next_steps_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Business(Base):
    """A company customers have relationships with; `name` is its stable handle (CLI, API)."""

    __tablename__ = "businesses"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at]


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Which browser, sealed: a device description is personal data too.
    user_agent: Mapped[sealed | None]
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TwoFactor(Base):
    """A customer's authenticator app (TOTP, RFC 6238). The shared secret is sealed with their data key."""

    __tablename__ = "two_factor"

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[sealed]
    # NULL while being set up: the factor counts only once a code from the app has been typed back.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest 30-second step a code was accepted for: each code (and any older one) works once.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[created_at]


class RecoveryCode(Base):
    """A one-time code for when the authenticator is lost; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BusinessUser(Base):
    """Someone who manages a business's integration. Only the email's blind index is kept, not the email."""

    __tablename__ = "business_users"

    id: Mapped[uuid_pk]
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    email_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[created_at]


class BusinessSession(Base):
    """A signed-in business user's browser; like customers' sessions, only the token's SHA-256 is kept."""

    __tablename__ = "business_sessions"

    id: Mapped[uuid_pk]
    business_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("business_users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Auditor(Base):
    """A privacy auditor: reads the consent log (never personal data) with an API token; only its SHA-256
    is stored. `name` is the handle the operator created it under (`vrm auditors create`)."""

    __tablename__ = "auditors"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[created_at]
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditorSession(Base):
    """A signed-in auditor's browser (the audit workspace), as `BusinessSession`: only the token's SHA-256."""

    __tablename__ = "auditor_sessions"

    id: Mapped[uuid_pk]
    auditor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auditors.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
