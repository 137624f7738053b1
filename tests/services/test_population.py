"""`vrm demo --customers N`: the bulk population is made of the same records the services make, readable
through them, with a log that verifies and grows by the same events one-by-one appends would write."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import Database
from vrm.accounts.customers import find_customer
from vrm.accounts.models import Customer
from vrm.consent import log as consent_log
from vrm.consent.models import ContactStanding, Grant, LogEvent
from vrm.crypto.keyring import KeyRing
from vrm.demo import load_demo
from vrm.oauth.pairwise import subject_for
from vrm.population import customer_count, populate
from vrm.vault.interactions import list_interactions
from vrm.vault.keys import open_vault
from vrm.vault.profile import get_profile


def test_a_population_is_made_of_records_the_services_read(database: Database, keyring: KeyRing) -> None:
    with database.sessions.begin() as session:
        load_demo(session, keyring=keyring)
        before = customer_count(session)
    progress: list[int] = []
    added = populate(
        database.sessions, keyring=keyring, customers=before + 12, interactions=3, progress=progress.append
    )
    assert added == 12 and sum(progress) == 12
    assert (
        populate(database.sessions, keyring=keyring, customers=before + 12, interactions=3) == 0
    )  # grown already
    with database.sessions() as session:
        person = find_customer(session, keyring=keyring, email=f"person{before + 5}@population.example")
        assert person is not None
        vault = open_vault(session, keyring=keyring, customer_id=person.id)
        assert (
            get_profile(session, vault=vault).emails[0]["address"] == f"person{before + 5}@population.example"
        )
        history = list_interactions(session, vault=vault)
        assert len(history) == 3 and history[0].subject
        grant = session.scalars(select(Grant).where(Grant.customer_id == person.id)).one()
        assert subject_for(session, keyring=keyring, business_id=grant.business_id, customer_id=person.id)
        standing = session.scalar(
            select(func.count()).select_from(ContactStanding).where(ContactStanding.customer_id == person.id)
        )
        assert standing == 1  # the contact decisions' table follows, as for any consent
        events = list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))
        types = list(session.scalars(select(LogEvent.type).order_by(LogEvent.seq)))
        assert session.scalar(select(func.count()).select_from(Customer)) == before + 12
    assert consent_log.verify(events).intact
    assert types[-4:] == [
        "consent.granted",
        "interaction.recorded",
        "interaction.recorded",
        "interaction.recorded",
    ]


def test_batched_appends_write_what_one_by_one_appends_would(database: Database) -> None:
    with database.sessions.begin() as session:
        consent_log.append(session, kind="test.first", actors={}, details={})
    with database.sessions.begin() as session, consent_log.batched(session):
        appended = [
            consent_log.append(session, kind="test.batched", actors={}, details={"n": n}) for n in range(5)
        ]
        with database.sessions() as other:  # nothing is written until the block ends
            assert other.scalar(select(func.count()).select_from(LogEvent)) == 1
    with database.sessions() as session:
        stored = list(session.execute(select(LogEvent.seq, LogEvent.event).order_by(LogEvent.seq)))
    assert [(a.seq, a.event) for a in appended] == [(row.seq, row.event) for row in stored[1:]]
    assert consent_log.verify([row.event for row in stored]).intact
