"""Consent: which business may see which of a customer's data categories, for what purpose, until when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vrm.db import Base, UTCDateTime, created_at, sealed, uuid_pk

UNLOGGED_EXPIRY = "expiry_logged_at IS NULL AND withdrawn_at IS NULL"


class Grant(Base):
    """A customer's consent to one business. Live while neither withdrawn nor expired.

    Scopes are space-separated OAuth scope names. `requested_scopes` is what the business asked for; the
    customer may narrow `scopes` to any part of it and widen it back, never beyond. Tokens (issue 4) belong
    to a grant, so withdrawing it ends them on their next use.
    """

    __tablename__ = "grants"
    __table_args__ = (
        Index("ix_grants_customer_id_business_id", "customer_id", "business_id"),
        Index(
            "ix_grants_unlogged_expiry",
            "expires_at",
            sqlite_where=text(UNLOGGED_EXPIRY),
            postgresql_where=text(UNLOGGED_EXPIRY),
        ),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(64))
    requested_scopes: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended early: "withdrawn" by the customer, or "replaced" by their newer consent to the same
    # business for the same purpose (the relationship goes on under the new grant). None while it has not.
    end_reason: Mapped[str | None] = mapped_column(String(16))
    # What the business last read, for the customer's "last read ... what" (set by the business API).
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_read_scopes: Mapped[str | None] = mapped_column(String(200))
    # When the consent log recorded that the grant ran out (consent.expired); None until then.
    expiry_logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def is_live(self, now: datetime) -> bool:
        return self.withdrawn_at is None and self.expires_at > now

    @classmethod
    def live_at(cls, now: datetime) -> ColumnElement[bool]:
        """`is_live` as a query condition."""
        return and_(cls.withdrawn_at.is_(None), cls.expires_at > now)


class GrantTerms(Protocol):
    """What the business API needs of a grant: a `Grant`, or the snapshot read with a bearer token."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def customer_id(self) -> uuid.UUID: ...
    @property
    def business_id(self) -> uuid.UUID: ...
    @property
    def last_read_at(self) -> datetime | None: ...
    @property
    def last_read_scopes(self) -> str | None: ...
    @property
    def scope_set(self) -> frozenset[str]: ...
    def is_live(self, now: datetime) -> bool: ...


class ContactStanding(Base):
    """What one business may do with one customer now: the current state bulk contact decisions read.

    One row per relationship, keyed as businesses ask (their pairwise id for the customer). Database
    triggers (migration 0008) keep it current in the transaction of every change it depends on: grants set
    `consent_until`, the latest expiry among live grants; a change to the customer's contact rules for this
    business clears `rules` and bumps `version`; the policy reseals them on their next use. See
    `vrm.consent.standing` for how they are sealed.
    """

    __tablename__ = "contact_standing"
    __table_args__ = (
        ForeignKeyConstraint(
            ["business_id", "subject"],
            ["relationships.business_id", "relationships.subject"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},  # one B-tree lookup per question
    )

    business_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    consent_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rules: Mapped[sealed | None]
    version: Mapped[int] = mapped_column(default=0)


class Webhook(Base):
    """Where a business hears about its customers' changes. Its signing secret is derived, never stored."""

    __tablename__ = "webhooks"

    id: Mapped[uuid_pk]
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(500))
    secret_version: Mapped[int] = mapped_column(default=1)  # bumped to rotate the secret
    created_at: Mapped[created_at]


class WebhookDelivery(Base):
    """One event on its way to a business (an outbox row written with the change that caused it).

    Its id is sent as the event's idempotency id: delivery is at least once, never lost, and a receiver
    that has seen an id may drop the repeat.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "delivered_at", "failed_at", "next_attempt_at"),)

    id: Mapped[uuid_pk]
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON; pseudonymous ids only, never personal data
    created_at: Mapped[created_at]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(200))


class LogEvent(Base):
    """One event of the consent log, kept as its canonical bytes (see `vrm.consent.log`).

    Insert-only: the database refuses updates and deletes (triggers, migration 0009). `type`, `at`,
    `business_id` and `customer` (a log pseudonym) repeat what the event says, for receipts and filters;
    no foreign key, as the log outlives the businesses and customers it speaks of.
    """

    __tablename__ = "consent_log"
    __table_args__ = (
        # A customer's events of one type, by company, in order: their reads by one company a page at a
        # time, their consent events, their reads counted by company (0017); its first column serves any
        # lookup by customer alone.
        Index("ix_consent_log_customer_type_business_seq", "customer", "type", "business_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    business_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    customer: Mapped[str | None] = mapped_column(String(32))  # their log pseudonym (0012)
    event: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogCheckpoint(Base):
    """A signed checkpoint of the consent log (see `vrm.consent.checkpoints`): its canonical `body` as
    signed, and the tree's `frontier` (its complete subtrees' roots) so the next one hashes only new leaves.

    Insert-only, like the log (triggers, migration 0010).
    """

    __tablename__ = "log_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(String(32))


class AuditVerification(Base):
    """An auditor's check of the whole log, run in steps (`vrm.consent.audit.verify_step`): where it has
    got to (the chain's last hash and the tree's frontier), and what it found."""

    __tablename__ = "audit_verifications"

    id: Mapped[uuid_pk]
    auditor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auditors.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(BigInteger)  # the log's size when the run began: what it checks
    next_seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    root_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    first_bad_seq: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(String(300))
