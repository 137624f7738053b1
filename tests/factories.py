"""Build test data through the real services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from vrm.accounts.businesses import create_business
from vrm.accounts.customers import create_customer
from vrm.accounts.models import Business, Customer
from vrm.consent.grants import grant_access
from vrm.consent.models import Grant
from vrm.crypto.keyring import KeyRing
from vrm.vault.interactions import Interaction, add_interaction
from vrm.vault.journeys import Journey, start_journey
from vrm.vault.keys import open_vault
from vrm.vault.seal import CustomerVault

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def customer(
    session: Session, keyring: KeyRing, email: str | None = None, password: str | None = None
) -> tuple[Customer, CustomerVault]:
    address = email or f"customer{next(_numbers)}@example.org"
    created = create_customer(session, keyring=keyring, email=address, password=password)
    return created, open_vault(session, keyring=keyring, customer_id=created.id)


def grant(
    session: Session,
    keyring: KeyRing,
    customer: Customer,
    shop: Business,
    scopes: str = "profile:read",
    **extra: object,
) -> Grant:
    """The customer lets the business see `scopes`, for service, as the consent screen records it."""
    return grant_access(
        session,
        keyring=keyring,
        customer_id=customer.id,
        business_id=shop.id,
        purpose="service",
        scopes=scopes,
        **extra,  # type: ignore[arg-type]
    )


def business(session: Session, name: str | None = None) -> Business:
    handle = name or f"business-{next(_numbers)}"
    return create_business(session, name=handle, display_name=handle.replace("-", " ").title())


def interaction(session: Session, vault: CustomerVault, shop: Business, **overrides: object) -> Interaction:
    values: dict[str, object] = {
        "channel": "email",
        "direction": "inbound",
        "subject": "Where is my parcel?",
        "summary": "Customer asked about a late delivery.",
        "outcome": "Tracking link sent",
        "occurred_at": datetime.now(UTC) - timedelta(days=1),
    }
    values.update(overrides)
    return add_interaction(session, vault=vault, business_id=shop.id, **values)  # type: ignore[arg-type]


def journey(
    session: Session, keyring: KeyRing, vault: CustomerVault, shop: Business, **values: object
) -> Journey:
    """A journey of the customer with the business (opened by the customer unless `opened_by` says)."""
    return start_journey(session, keyring=keyring, vault=vault, business_id=shop.id, **values)  # type: ignore[arg-type]
