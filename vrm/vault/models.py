"""Vault tables. Every column typed `sealed` holds AES-256-GCM ciphertext bound to its customer, table,
column and row; the plaintext columns are metadata the service must query by (who, when, which channel)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

# Foreign keys below point at these tables; their column types are resolved from them.
from vrm.accounts import models as _accounts  # noqa: F401
from vrm.db import Base, UTCDateTime, created_at, sealed, short_str, timestamp, utcnow, uuid_pk


def customer_fk() -> ForeignKey:
    return ForeignKey("customers.id", ondelete="CASCADE")


class KeyRingBinding(Base):
    """The fingerprint of the key ring this database was sealed with, so another ring is refused early."""

    __tablename__ = "key_ring_binding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[created_at]


class DataKey(Base):
    """A customer's data key, wrapped by one key-encryption key of the key ring (`kek_id`)."""

    __tablename__ = "data_keys"

    customer_id: Mapped[uuid.UUID] = mapped_column(customer_fk(), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    kek_id: Mapped[int] = mapped_column(Integer, index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created_at]
    rewrapped_at: Mapped[timestamp | None]


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(customer_fk(), unique=True)
    given_name: Mapped[sealed | None]
    family_name: Mapped[sealed | None]
    display_name: Mapped[sealed | None]
    emails: Mapped[sealed | None]
    phones: Mapped[sealed | None]
    addresses: Mapped[sealed | None]
    language: Mapped[sealed | None]
    locale: Mapped[sealed | None]
    time_zone: Mapped[sealed | None]
    birth_date: Mapped[sealed | None]
    attributes: Mapped[sealed | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Preferences(Base):
    __tablename__ = "preferences"

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(customer_fk(), unique=True)
    contact: Mapped[sealed | None]
    quiet_hours: Mapped[sealed | None]
    frequency_caps: Mapped[sealed | None]
    preferred_channel: Mapped[sealed | None]
    # Legacy: the language once chosen here, read only until the customer saves their profile's language.
    preferred_language: Mapped[sealed | None]
    data_sharing: Mapped[sealed | None]
    # When the customer last saved these (None: never, they are still the defaults).
    saved_at: Mapped[timestamp | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BusinessOverride(Base):
    """The customer's preferences for one business, taking precedence over their general ones."""

    __tablename__ = "preference_overrides"
    __table_args__ = (UniqueConstraint("customer_id", "business_id"),)

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(customer_fk(), index=True)
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    settings: Mapped[sealed]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Journey(Base):
    """One issue the customer has with one business, followed across channels.

    A business may name it by its own reference (a ticket or case number): sealed like any text, and
    looked up by `reference_index`, a keyed HMAC of business, customer and reference
    (`vrm.crypto.derive.journey_reference_index`), unique for each customer and business.
    """

    __tablename__ = "journeys"
    __table_args__ = (UniqueConstraint("customer_id", "business_id", "reference_index"),)

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(customer_fk(), index=True)
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[sealed | None]
    reference: Mapped[sealed | None]
    reference_index: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    opened_by: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[created_at]


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_timeline", "customer_id", "occurred_at", "id"),
        Index("ix_interactions_business_timeline", "customer_id", "business_id", "occurred_at"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(customer_fk())
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="RESTRICT"), index=True
    )
    journey_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journeys.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[short_str]
    direction: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(8))
    # Whether the business sees it: always for what the business recorded; the customer's own records
    # only once the customer shares them.
    shared: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    subject: Mapped[sealed | None]
    summary: Mapped[sealed | None]
    outcome: Mapped[sealed | None]
    rating: Mapped[sealed | None]
    feedback_comment: Mapped[sealed | None]
    feedback_at: Mapped[timestamp | None]
    customer_note: Mapped[sealed | None]
    hidden_at: Mapped[timestamp | None]
    created_at: Mapped[created_at]
