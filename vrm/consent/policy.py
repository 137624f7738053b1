"""The one place that decides what a business may see of a customer: a live grant's scopes, narrowed by the
customer's current data-sharing choices for that business. The API filters through it; the UI explains it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent.grants import live_grants
from vrm.consent.models import Grant
from vrm.consent.scopes import categories_read
from vrm.db import utcnow
from vrm.vault.preferences import preferences_for_business
from vrm.vault.seal import CustomerVault


@dataclass(frozen=True)
class Disclosure:
    """What one grant lets its business read now, and what the customer's sharing choices hold back."""

    grant: Grant
    business: Business
    readable: frozenset[str]
    withheld: frozenset[str]


def disclosure(session: Session, *, vault: CustomerVault, grant: Grant) -> Disclosure:
    """Decide which data categories the grant's business may read at this moment."""
    business = session.get(Business, grant.business_id)
    assert business is not None  # grants cascade with their business
    granted = categories_read(grant.scope_set) if grant.is_live(utcnow()) else set()
    sharing = preferences_for_business(session, vault=vault, business_id=grant.business_id).data_sharing
    shared = {category for category in granted if sharing.get(category, False)}
    return Disclosure(grant, business, frozenset(shared), frozenset(granted - shared))


def disclosures(session: Session, *, vault: CustomerVault) -> list[Disclosure]:
    """Every live grant of the customer with what it discloses now."""
    return [
        disclosure(session, vault=vault, grant=grant)
        for grant in live_grants(session, customer_id=vault.customer_id)
    ]


def audience(session: Session, *, vault: CustomerVault) -> dict[str, list[str]]:
    """For each data category, the names of the businesses that may read it now (each named once)."""
    readers: dict[str, list[str]] = defaultdict(list)
    for seen in disclosures(session, vault=vault):
        for category in seen.readable:
            if seen.business.display_name not in readers[category]:
                readers[category].append(seen.business.display_name)
    return dict(readers)


def readable_by_token(
    session: Session, *, vault: CustomerVault, grant: Grant, token_scopes: frozenset[str]
) -> frozenset[str]:
    """The categories a request may read now: the live grant's, the token's, and the customer's choices."""
    return disclosure(session, vault=vault, grant=grant).readable & categories_read(token_scopes)
