"""Journeys: one issue with one company across channels, opened and continued by the company's reference,
shaped by the customer; references stay with their company; what the customer records stays theirs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound, ValidationError
from vrm.vault.interactions import get_interaction, list_interactions, update_interaction
from vrm.vault.journeys import (
    business_sees,
    find_journey,
    get_journey,
    list_journeys,
    move_interaction,
    open_journey,
    rename_journey,
    start_journey,
)
from vrm.vault.models import Journey as JourneyRow
from vrm.vault.threads import journey_timeline

NOW = datetime.now(UTC).replace(microsecond=0)


def test_a_reference_opens_a_journey_once_and_continues_it_after(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    first, opened = open_journey(
        session, keyring=keyring, vault=vault, business_id=shop.id, reference="CASE-1234", title="Refund"
    )
    # The same reference, in another Unicode form and with spaces around it, continues the same journey.
    again, opened_again = open_journey(
        session, keyring=keyring, vault=vault, business_id=shop.id, reference=" CASE-1234 ", title="Other"
    )
    assert opened and not opened_again and again == first
    assert (again.title, again.reference, again.opened_by) == ("Refund", "CASE-1234", "business")
    composed, _ = open_journey(session, keyring=keyring, vault=vault, business_id=shop.id, reference="Café-1")
    decomposed, _ = open_journey(
        session, keyring=keyring, vault=vault, business_id=shop.id, reference="Cafe\u0301-1"
    )
    assert composed.id == decomposed.id and composed.id != first.id


def test_the_thread_follows_the_issue_across_channels_in_order(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    journey = factories.journey(session, keyring, vault, shop, title="Broken fridge")
    phone = factories.interaction(
        session, vault, shop, channel="voice", journey_id=journey.id, occurred_at=NOW - timedelta(days=1)
    )
    chat = factories.interaction(
        session, vault, shop, channel="chat", journey_id=journey.id, occurred_at=NOW - timedelta(days=2)
    )
    factories.interaction(session, vault, shop, channel="email")
    steps = journey_timeline(session, vault=vault, journey_id=journey.id)
    assert [step.id for step in steps] == [chat.id, phone.id]
    assert [j.title for j in list_journeys(session, vault=vault)] == ["Broken fridge"]


def test_references_are_per_company_and_never_reach_another(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop, rival = factories.business(session), factories.business(session)
    ours, _ = open_journey(session, keyring=keyring, vault=vault, business_id=shop.id, reference="CASE-1")
    assert (
        find_journey(session, keyring=keyring, vault=vault, business_id=rival.id, reference="CASE-1") is None
    )
    with pytest.raises(NotFound):
        get_journey(session, vault=vault, journey_id=ours.id, business_id=rival.id)
    assert list_journeys(session, vault=vault, business_id=rival.id) == []
    theirs, opened = open_journey(
        session, keyring=keyring, vault=vault, business_id=rival.id, reference="CASE-1"
    )
    assert opened and theirs.id != ours.id
    # Nor does one customer's reference find another customer's journey with the same company.
    _, other = factories.customer(session, keyring)
    assert (
        find_journey(session, keyring=keyring, vault=other, business_id=shop.id, reference="CASE-1") is None
    )
    indexes = session.scalars(
        select(JourneyRow.reference_index).where(JourneyRow.id.in_([ours.id, theirs.id]))
    )
    assert len(set(indexes)) == 2  # the stored index differs too: nothing to join the two companies on


def test_one_reference_names_one_journey_with_a_company(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    factories.journey(session, keyring, vault, shop, reference="T-9", opened_by="business")
    with pytest.raises(ValidationError) as raised:
        factories.journey(session, keyring, vault, shop, reference="T-9", opened_by="business")
    assert "reference" in raised.value.errors
    assert len(list_journeys(session, vault=vault)) == 1


@pytest.mark.parametrize(
    "reference", ["", "   ", "x" * 101, "CASE\n1", "CASE\t1", "A\u200bB", 12, None, "\udfff"]
)
def test_a_reference_that_is_not_printable_text_of_1_to_100_is_refused(
    session: Session, keyring: KeyRing, reference: object
) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    with pytest.raises(ValidationError) as raised:
        open_journey(session, keyring=keyring, vault=vault, business_id=shop.id, reference=reference)
    assert "reference" in raised.value.errors
    assert list_journeys(session, vault=vault) == []


def test_interactions_move_in_and_out_only_within_their_company(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop, bank = factories.business(session), factories.business(session)
    journey = factories.journey(session, keyring, vault, shop, title="Meter")
    call = factories.interaction(session, vault, shop, channel="voice")
    letter = factories.interaction(session, vault, bank, channel="post")
    assert move_interaction(session, vault=vault, interaction_id=call.id, journey_id=journey.id).journey_id
    with pytest.raises(ValidationError) as raised:
        move_interaction(session, vault=vault, interaction_id=letter.id, journey_id=journey.id)
    assert "journey_id" in raised.value.errors
    with pytest.raises(ValidationError):
        factories.interaction(session, vault, bank, journey_id=journey.id)
    assert get_interaction(session, vault=vault, interaction_id=letter.id).journey_id is None
    assert move_interaction(session, vault=vault, interaction_id=call.id, journey_id=None).journey_id is None
    assert journey_timeline(session, vault=vault, journey_id=journey.id) == []


def test_another_customers_journey_cannot_be_used_or_seen(session: Session, keyring: KeyRing) -> None:
    _, mine = factories.customer(session, keyring)
    _, theirs = factories.customer(session, keyring)
    shop = factories.business(session)
    journey = factories.journey(session, keyring, mine, shop, title="Mine")
    their_call = factories.interaction(session, theirs, shop)
    for action in (
        lambda: journey_timeline(session, vault=theirs, journey_id=journey.id),
        lambda: get_journey(session, vault=theirs, journey_id=journey.id),
        lambda: rename_journey(session, vault=theirs, journey_id=journey.id, title="Ours now"),
    ):
        with pytest.raises(NotFound):
            action()
    with pytest.raises(ValidationError):
        factories.interaction(session, theirs, shop, journey_id=journey.id)
    with pytest.raises(ValidationError):
        move_interaction(session, vault=theirs, interaction_id=their_call.id, journey_id=journey.id)
    assert get_journey(session, vault=mine, journey_id=journey.id).title == "Mine"


def test_the_customer_titles_a_journey_and_can_clear_the_title(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    journey = factories.journey(session, keyring, vault, factories.business(session), reference="R-1")
    assert (
        rename_journey(session, vault=vault, journey_id=journey.id, title=" Refund saga ").title
        == "Refund saga"
    )
    assert rename_journey(session, vault=vault, journey_id=journey.id, title="").title is None
    with pytest.raises(ValidationError):
        rename_journey(session, vault=vault, journey_id=journey.id, title="x" * 201)
    assert get_journey(session, vault=vault, journey_id=journey.id).reference == "R-1"


def test_what_the_customer_records_is_private_until_shared(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    told = factories.interaction(session, vault, shop, subject="Agent call")
    own = factories.interaction(
        session, vault, shop, channel="voice", subject="I called; refund by Friday", recorded_by="customer"
    )
    seen = lambda: [item.id for item in list_interactions(session, vault=vault, shared_only=True)]  # noqa: E731
    assert (own.shared, told.shared) == (False, True) and seen() == [told.id]
    update_interaction(session, vault=vault, interaction_id=own.id, changes={"shared": True})
    assert set(seen()) == {told.id, own.id}
    update_interaction(session, vault=vault, interaction_id=own.id, changes={"shared": False})
    assert seen() == [told.id]
    with pytest.raises(ValidationError) as raised:
        update_interaction(session, vault=vault, interaction_id=told.id, changes={"shared": False})
    assert (
        "shared" in raised.value.errors
        and get_interaction(session, vault=vault, interaction_id=told.id).shared
    )
    shared_now = factories.interaction(session, vault, shop, recorded_by="customer", shared=True)
    assert shared_now.shared


def test_a_journey_needs_a_known_company(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(ValidationError) as raised:
        start_journey(session, keyring=keyring, vault=vault, business_id=uuid.uuid4(), title="Nobody")
    assert "business" in raised.value.errors


@pytest.mark.parametrize(
    "before",
    [
        (datetime(2026, 1, 5, 10, 0), uuid.uuid4()),  # naive: the database cannot compare it
        (datetime(1, 1, 1, tzinfo=UTC), uuid.uuid4()),
        ("9999-12-31T23:00:00-05:00", str(uuid.uuid4())),
        (NOW, 5),
        (NOW,),
        "junk",
    ],
)
def test_a_journeys_page_cursor_is_checked_before_it_reaches_the_database(
    session: Session, keyring: KeyRing, before: object
) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(ValidationError) as raised:
        list_journeys(session, vault=vault, before=before)
    assert set(raised.value.errors) == {"before"}


def test_a_business_sees_a_journey_it_opened_or_one_holding_what_it_may_see(
    session: Session, keyring: KeyRing
) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    theirs = factories.journey(session, keyring, vault, shop, opened_by="business", reference="C-1")
    mine = factories.journey(session, keyring, vault, shop, title="Mine alone")
    own = factories.interaction(session, vault, shop, recorded_by="customer", journey_id=mine.id)

    def seen() -> list[uuid.UUID]:
        return [j.id for j in list_journeys(session, vault=vault, business_id=shop.id, seen_by_business=True)]

    assert seen() == [theirs.id] and not business_sees(session, vault=vault, journey_id=mine.id)
    with pytest.raises(NotFound):
        get_journey(session, vault=vault, journey_id=mine.id, business_id=shop.id, seen_by_business=True)
    update_interaction(session, vault=vault, interaction_id=own.id, changes={"shared": True})
    assert seen() == [mine.id, theirs.id] and business_sees(session, vault=vault, journey_id=mine.id)
    update_interaction(session, vault=vault, interaction_id=own.id, changes={"hidden": True})
    assert mine.id in seen()  # hiding is for the customer's own timeline only
