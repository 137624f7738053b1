"""Every read of a customer's data, as the consent log recorded it: paged, each with the consent it was made
under, kept after the access ends, never another customer's or another company's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.models import Business, Customer
from vrm.consent import events
from vrm.consent.access import connected_company, every_read, read_counts, reads_of
from vrm.consent.grants import change_grant, record_read, withdraw_grant
from vrm.consent.models import Grant, LogEvent
from vrm.consent.receipts import customer_receipts
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound
from vrm.oauth.clients import create_client
from vrm.oauth.models import OAuthClient

ASKED = "profile:read contact:read interactions:read"
ISSUER = "https://vault.example.com"


def application(session: Session, shop: Business, name: str = "Self-service app") -> OAuthClient:
    client, _ = create_client(
        session, business_id=shop.id, name=name, redirect_uris=["https://app.example/callback"]
    )
    return client


def read(session: Session, keyring: KeyRing, grant: Grant, client: OAuthClient, scopes: str) -> int:
    """The business reads these categories as the API notes a read, a minute after its last note; the
    seq of the read in the log."""
    grant.last_read_at = None  # the once-a-minute note is due again
    session.flush()
    record_read(
        session,
        keyring=keyring,
        grant=grant,
        client_id=client.client_id,
        token_id=uuid.uuid4(),
        scopes=scopes.split(),
    )
    return latest(session, events.READ)


def latest(session: Session, kind: str) -> int:
    seq = session.scalar(select(LogEvent.seq).where(LogEvent.type == kind).order_by(LogEvent.seq.desc()))
    assert seq is not None
    return seq


def connected(session: Session, keyring: KeyRing) -> tuple[Customer, Business, Grant, OAuthClient]:
    customer, _ = factories.customer(session, keyring)
    shop = factories.business(session)
    grant = factories.grant(session, keyring, customer, shop, ASKED)
    return customer, shop, grant, application(session, shop)


def test_reads_come_newest_first_in_pages_that_later_reads_do_not_shift(
    session: Session, keyring: KeyRing
) -> None:
    customer, shop, grant, client = connected(session, keyring)
    made = [read(session, keyring, grant, client, "profile:read") for _ in range(5)]
    first = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id, limit=2)
    assert [r.seq for r in first.reads] == made[:2:-1] and first.older == made[3]
    later = [read(session, keyring, grant, client, "contact:read") for _ in range(2)]
    pages, before = [], first.older
    while before is not None:
        page = reads_of(
            session, keyring=keyring, customer_id=customer.id, business_id=shop.id, before_seq=before, limit=2
        )
        pages.append([r.seq for r in page.reads])
        before = page.older
    assert pages == [[made[2], made[1]], [made[0]]]  # as they were before the later reads
    newest = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id, limit=2)
    assert [r.seq for r in newest.reads] == later[::-1]
    whole = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id, limit=10)
    assert whole.older is None and len(whole.reads) == 7


def test_each_read_is_matched_with_the_receipt_of_the_consent_in_force_when_it_was_made(
    session: Session, keyring: KeyRing
) -> None:
    customer, shop, grant, client = connected(session, keyring)
    given = latest(session, events.GRANTED)
    before_change = read(session, keyring, grant, client, "profile:read contact:read")
    change_grant(
        session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=["profile:read"]
    )
    changed = latest(session, events.CHANGED)
    after_change = [read(session, keyring, grant, client, "profile:read") for _ in range(2)]
    page = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id)
    matched = {r.seq: r.consent.seq for r in page.reads if r.consent is not None}
    assert matched == {before_change: given, after_change[0]: changed, after_change[1]: changed}
    receipts = {
        r.seq: r.payload
        for r in customer_receipts(session, keyring=keyring, issuer=ISSUER, customer_id=customer.id)
    }
    for r in page.reads:
        assert r.covered and r.application == "Self-service app" and r.grant_id == grant.id
        assert r.consent is not None and r.categories <= r.consent.categories
        assert r.categories <= set(receipts[r.consent.seq]["consent"]["data_categories"])  # what it signs
    assert page.reads[-1].categories == {"profile", "contact"}
    assert page.reads[-1].consent.kind == events.GRANTED  # type: ignore[union-attr]
    assert page.reads[0].consent.kind == events.CHANGED  # type: ignore[union-attr]


def test_the_reads_of_an_ended_grant_stay_listed(session: Session, keyring: KeyRing) -> None:
    customer, shop, grant, client = connected(session, keyring)
    withdrawn = read(session, keyring, grant, client, "profile:read")
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id)
    other = factories.business(session)
    expiring = factories.grant(session, keyring, customer, other, ASKED)
    expired = read(session, keyring, expiring, application(session, other), "contact:read")
    expiring.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    for company, seq in ((shop, withdrawn), (other, expired)):
        page = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=company.id)
        assert [(r.seq, r.covered) for r in page.reads] == [(seq, True)]  # read while it had access
        found = connected_company(session, customer_id=customer.id, handle=company.name)
        assert found.ended_at(datetime.now(UTC)) is not None


def test_a_read_the_log_holds_beyond_its_consent_is_shown_as_such_never_hidden(
    session: Session, keyring: KeyRing
) -> None:
    customer, shop, grant, client = connected(session, keyring)
    change_grant(
        session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=["profile:read"]
    )

    # Reads the API never notes, as it discloses neither (a category no longer granted, then anything after
    # the withdrawal), written straight to the log: the list reports such a record, it does not hide it.
    def logged(categories: list[str]) -> None:
        events.data_read(
            session,
            keyring=keyring,
            grant=grant,
            client_id=client.client_id,
            token_id=uuid.uuid4(),
            categories=categories,
        )

    logged(["contact"])
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id)
    logged(["profile"])
    page = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id)
    assert [(sorted(r.categories), r.covered) for r in page.reads] == [
        (["profile"], False),
        (["contact"], False),
    ]
    assert all(r.consent is not None and r.consent.kind == events.CHANGED for r in page.reads)


def test_other_customers_and_other_companies_reads_are_never_listed(
    session: Session, keyring: KeyRing
) -> None:
    customer, shop, grant, client = connected(session, keyring)
    other_company = factories.business(session)
    other_customer, _ = factories.customer(session, keyring)
    theirs = factories.grant(session, keyring, other_customer, shop, ASKED)
    elsewhere = factories.grant(session, keyring, customer, other_company, ASKED)
    mine = [read(session, keyring, grant, client, "profile:read") for _ in range(2)]
    read(session, keyring, theirs, client, "profile:read")
    read(session, keyring, elsewhere, application(session, other_company), "contact:read")
    page = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id)
    assert [r.seq for r in page.reads] == mine[::-1]
    assert read_counts(session, keyring=keyring, customer_id=customer.id) == {shop.id: 2, other_company.id: 1}
    assert read_counts(session, keyring=keyring, customer_id=other_customer.id) == {shop.id: 1}
    with pytest.raises(NotFound):  # a company the other customer never gave access to
        connected_company(session, customer_id=other_customer.id, handle=other_company.name)
    with pytest.raises(NotFound):
        connected_company(session, customer_id=customer.id, handle="no-such-company")
    assert connected_company(session, customer_id=customer.id, handle=shop.name).grants == [grant]


def test_the_application_is_named_and_one_since_deleted_is_shown_as_such(
    session: Session, keyring: KeyRing
) -> None:
    customer, shop, grant, client = connected(session, keyring)
    read(session, keyring, grant, client, "profile:read")
    gone = application(session, shop, "Old kiosk")
    read(session, keyring, grant, gone, "contact:read")
    gone_id = gone.client_id
    session.delete(gone)
    session.flush()
    page = reads_of(session, keyring=keyring, customer_id=customer.id, business_id=shop.id)
    assert [(r.client_id, r.application) for r in page.reads] == [
        (gone_id, None),
        (client.client_id, "Self-service app"),
    ]


def test_every_read_runs_oldest_first_across_companies_a_batch_at_a_time(
    session: Session, keyring: KeyRing
) -> None:
    customer, shop, grant, client = connected(session, keyring)
    other = factories.business(session)
    second = factories.grant(session, keyring, customer, other, ASKED)
    other_client = application(session, other)
    made = []
    for index in range(7):
        made.append(read(session, keyring, grant, client, "profile:read"))
        if index % 2:
            made.append(read(session, keyring, second, other_client, "contact:read"))
    everything = list(every_read(session, keyring=keyring, customer_id=customer.id, batch=2))
    assert [r.seq for r in everything] == made
    assert {r.business_id for r in everything} == {shop.id, other.id}
    assert all(r.consent is not None and r.covered for r in everything)
