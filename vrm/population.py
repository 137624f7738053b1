"""A synthetic population for load and scale tests: `vrm demo --customers N [--interactions K]`.

Each new customer gets an account and vault as sign-up makes them (vrm.accounts.customers.open_account),
a consent to one of the demo businesses, the pairwise id that business knows them by, K interactions in
their history with it (sealed like any other), and the consent log's events for all of it, made by the same
functions as the services' (vrm.consent.events), chained exactly as one-by-one appends would be. Only the
writing is done in bulk: 500 customers a transaction, the log's events with one INSERT each time.

Development and test installations only (`vrm demo` refuses production). Run again with a larger N to
grow the population: it adds customers after the ones already there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vrm.accounts.customers import open_account
from vrm.accounts.models import Business, Customer
from vrm.consent import events
from vrm.consent.log import batched
from vrm.consent.models import Grant
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.oauth.models import Relationship
from vrm.oauth.pairwise import pairwise_subject
from vrm.vault.models import Interaction
from vrm.vault.vocabulary import CHANNELS

BATCH = 500
SCOPES = "profile:read contact:read preferences:read interactions:read interactions:write"
SUBJECTS = ("Meter reading", "Billing question", "Moving house", "Tariff change", "Missed delivery")
EMAIL_DOMAIN = "population.example"


def customer_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer)) or 0


def populate(
    sessions: sessionmaker[Session],
    *,
    keyring: KeyRing,
    customers: int,
    interactions: int,
    progress: Callable[[int], None] = lambda _done: None,
) -> int:
    """Add customers until the database holds `customers`; return how many were added."""
    with sessions() as session:
        start = customer_count(session)
        businesses = list(session.scalars(select(Business.id).order_by(Business.name)))
    if not businesses:
        raise ValueError("no business to consent to: run `vrm demo` first")
    added = 0
    for first in range(start, customers, BATCH):
        numbers = range(first, min(first + BATCH, customers))
        with sessions.begin() as session, batched(session):
            _add(session, keyring, numbers, businesses, interactions)
        added += len(numbers)
        progress(len(numbers))
    return added


def _add(
    session: Session, keyring: KeyRing, numbers: range, businesses: Sequence[uuid.UUID], interactions: int
) -> None:
    now = utcnow()
    for number in numbers:
        customer, vault = open_account(
            session, keyring=keyring, email=f"person{number}@{EMAIL_DOMAIN}", password_hash=None
        )
        business_id = businesses[number % len(businesses)]
        grant = Grant(
            id=uuid.uuid4(),
            customer_id=customer.id,
            business_id=business_id,
            purpose="service",
            requested_scopes=SCOPES,
            scopes=SCOPES,
            granted_at=now - timedelta(days=400),
            expires_at=now + timedelta(days=365),
        )
        subject = pairwise_subject(keyring, business_id, customer.id)
        session.add_all(
            [
                grant,
                Relationship(
                    id=uuid.uuid4(), business_id=business_id, customer_id=customer.id, subject=subject
                ),
            ]
        )
        events.consent_granted(session, keyring=keyring, grant=grant, client_id=None)
        for index in range(interactions):
            channel = CHANNELS[(number + index) % len(CHANNELS)]
            row = Interaction(
                id=uuid.uuid4(),
                customer_id=customer.id,
                business_id=business_id,
                channel=channel,
                direction="inbound" if index % 2 else "outbound",
                occurred_at=now - timedelta(days=index * 30, minutes=number % 1440),
                recorded_by="business",
            )
            vault.seal_into(row, subject=SUBJECTS[index % len(SUBJECTS)], summary=f"Call {index} about it.")
            session.add(row)
            events.interaction_recorded(
                session,
                vault=vault,
                grant_id=grant.id,
                business_id=business_id,
                client_id="population",
                interaction_id=row.id,
                channel=channel,
                direction=row.direction,
            )
