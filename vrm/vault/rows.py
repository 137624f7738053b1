"""Finding a customer's own rows: a row of another customer is treated exactly like a missing one."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.models import Business
from vrm.errors import IntegrityError
from vrm.vault.models import BusinessOverride, Interaction, Journey, Preferences, Profile
from vrm.vault.seal import CustomerVault

Owned = TypeVar("Owned", Profile, Preferences, BusinessOverride, Journey, Interaction)


def owned_row(session: Session, model: type[Owned], row_id: Any, vault: CustomerVault) -> Owned | None:
    """Return the row with this id if it is the vault customer's; an id that is no UUID matches none."""
    key = v.identifier(row_id)
    row = session.get(model, key) if key is not None else None
    return row if row is not None and row.customer_id == vault.customer_id else None


def only_row(session: Session, model: type[Owned], vault: CustomerVault) -> Owned:
    """Return the customer's single row of a one-per-customer table (profile, preferences).

    Raises:
        IntegrityError: it is missing, which only a damaged database can cause.
    """
    row = session.scalar(select(model).where(model.customer_id == vault.customer_id))
    if row is None:
        raise IntegrityError(f"the customer's {model.__tablename__} row is missing")
    return row


def business_exists(session: Session, business_id: uuid.UUID) -> bool:
    return session.get(Business, business_id) is not None
