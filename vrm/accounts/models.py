"""Accounts: customers who own vaults, and the businesses they deal with."""

from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from vrm.db import Base, created_at, sealed, uuid_pk


class Customer(Base):
    """A person with a vault. Their login email is stored only sealed, found through its blind index."""

    __tablename__ = "customers"

    id: Mapped[uuid_pk]
    email_index: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    email: Mapped[sealed]
    # argon2id hash (PHC string); NULL until the customer sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[created_at]


class Business(Base):
    """A company customers have relationships with; `name` is its stable handle (CLI, API)."""

    __tablename__ = "businesses"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at]
