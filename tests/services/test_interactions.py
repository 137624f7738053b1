from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests import factories
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound, ValidationError
from vrm.vault.interactions import (
    delete_interaction,
    get_interaction,
    list_interactions,
    record_feedback,
    update_interaction,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def test_recorded_interaction_reads_back_whole(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    created = factories.interaction(
        session,
        vault,
        shop,
        channel="voice",
        direction="outbound",
        occurred_at=(NOW - timedelta(hours=2)).isoformat(),
    )
    session.expire_all()
    read = get_interaction(session, vault=vault, interaction_id=created.id)
    assert read == created
    assert (read.channel, read.direction, read.subject) == ("voice", "outbound", "Where is my parcel?")
    assert read.occurred_at == NOW - timedelta(hours=2) and read.recorded_by == "business"


def test_timeline_is_newest_first_and_filters(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop, bank = factories.business(session), factories.business(session)
    old = factories.interaction(session, vault, shop, channel="email", occurred_at=NOW - timedelta(days=3))
    mid = factories.interaction(session, vault, bank, channel="chat", occurred_at=NOW - timedelta(days=2))
    new = factories.interaction(session, vault, shop, channel="chat", occurred_at=NOW - timedelta(days=1))
    ids = lambda items: [item.id for item in items]  # noqa: E731
    assert ids(list_interactions(session, vault=vault)) == [new.id, mid.id, old.id]
    assert ids(list_interactions(session, vault=vault, business_id=shop.id)) == [new.id, old.id]
    assert ids(list_interactions(session, vault=vault, channel="chat")) == [new.id, mid.id]
    assert ids(
        list_interactions(
            session, vault=vault, since=NOW - timedelta(days=2, hours=1), until=NOW - timedelta(hours=36)
        )
    ) == [mid.id]


def test_pages_follow_each_other_without_gaps_or_repeats(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    same_time = NOW - timedelta(days=1)
    created = {
        factories.interaction(
            session, vault, shop, occurred_at=same_time if i % 2 else NOW - timedelta(minutes=i)
        ).id
        for i in range(7)
    }
    seen: list[uuid.UUID] = []
    before = None
    while page := list_interactions(session, vault=vault, limit=3, before=before):
        seen += [item.id for item in page]
        before = (page[-1].occurred_at, page[-1].id)
    assert len(seen) == 7 and set(seen) == created


def test_another_customers_interaction_is_not_found(session: Session, keyring: KeyRing) -> None:
    _, mine = factories.customer(session, keyring)
    _, theirs = factories.customer(session, keyring)
    shop = factories.business(session)
    interaction = factories.interaction(session, mine, shop)
    for action in (
        lambda: get_interaction(session, vault=theirs, interaction_id=interaction.id),
        lambda: record_feedback(session, vault=theirs, interaction_id=interaction.id, rating=1),
        lambda: update_interaction(
            session, vault=theirs, interaction_id=interaction.id, changes={"hidden": True}
        ),
        lambda: delete_interaction(session, vault=theirs, interaction_id=interaction.id),
    ):
        with pytest.raises(NotFound):
            action()
    assert list_interactions(session, vault=theirs) == []
    assert get_interaction(session, vault=mine, interaction_id=interaction.id).hidden is False


def test_feedback_is_stored_and_replaced(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    interaction = factories.interaction(session, vault, factories.business(session))
    record_feedback(session, vault=vault, interaction_id=interaction.id, rating=2, comment="Slow")
    rated = record_feedback(session, vault=vault, interaction_id=interaction.id, rating=5, comment="Sorted!")
    assert (rated.rating, rated.feedback_comment) == (5, "Sorted!") and rated.feedback_at is not None


@pytest.mark.parametrize("rating", [0, 6, -1, 3.5, "5", True, None])
def test_rating_outside_one_to_five_is_refused(session: Session, keyring: KeyRing, rating: object) -> None:
    _, vault = factories.customer(session, keyring)
    interaction = factories.interaction(session, vault, factories.business(session))
    with pytest.raises(ValidationError) as raised:
        record_feedback(session, vault=vault, interaction_id=interaction.id, rating=rating)  # type: ignore[arg-type]
    assert "rating" in raised.value.errors
    assert get_interaction(session, vault=vault, interaction_id=interaction.id).rating is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),
        ({"occurred_at": NOW + timedelta(days=3)}, "occurred_at"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"journey_id": uuid.uuid4()}, "journey_id"),
    ],
)
def test_invalid_interaction_names_the_field(
    session: Session, keyring: KeyRing, overrides: dict[str, object], field: str
) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(ValidationError) as raised:
        factories.interaction(session, vault, factories.business(session), **overrides)
    assert field in raised.value.errors
    assert list_interactions(session, vault=vault) == []


def test_hidden_interactions_leave_the_timeline_until_shown(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    interaction = factories.interaction(session, vault, factories.business(session))
    update_interaction(
        session,
        vault=vault,
        interaction_id=interaction.id,
        changes={"hidden": True, "customer_note": "My own words"},
    )
    assert list_interactions(session, vault=vault) == []
    assert list_interactions(session, vault=vault, include_hidden=True)[0].customer_note == "My own words"
    update_interaction(session, vault=vault, interaction_id=interaction.id, changes={"hidden": False})
    assert len(list_interactions(session, vault=vault)) == 1


def test_deleted_interaction_is_gone(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    interaction = factories.interaction(session, vault, factories.business(session))
    delete_interaction(session, vault=vault, interaction_id=interaction.id)
    with pytest.raises(NotFound):
        get_interaction(session, vault=vault, interaction_id=interaction.id)


def test_listing_rejects_an_unknown_channel_and_a_huge_page(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(ValidationError) as raised:
        list_interactions(session, vault=vault, channel="fax", limit=10_000)
    assert set(raised.value.errors) == {"channel", "limit"}
