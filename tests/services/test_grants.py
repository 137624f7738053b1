"""Grants: what a customer lets a business see, narrowed or withdrawn at will; the policy's answer follows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.customers import erase_customer
from vrm.consent import grants
from vrm.consent.grants import (
    LONGEST,
    change_grant,
    ended_grants,
    grant_access,
    live_grants,
    withdraw_grant,
)
from vrm.consent.models import Grant
from vrm.consent.policy import audience, disclosure, disclosures
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound, ValidationError
from vrm.vault.preferences import set_override, update_preferences

ASKED = "profile:read contact:read interactions:read interactions:write"


def granted(
    session: Session, keyring: KeyRing, customer_id, business_id, scopes: str = ASKED, **extra
) -> Grant:  # type: ignore[no-untyped-def]
    return grant_access(
        session,
        keyring=keyring,
        customer_id=customer_id,
        business_id=business_id,
        purpose="service",
        requested_scopes=ASKED,
        scopes=scopes,
        **extra,
    )


def test_a_grant_lasts_a_year_unless_shorter_and_never_longer(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    shop = factories.business(session)
    grant = granted(session, keyring, customer.id, shop.id)
    assert timedelta(days=364) < grant.expires_at - grant.granted_at <= LONGEST
    soon = datetime.now(UTC) + timedelta(days=30)
    assert granted(session, keyring, customer.id, shop.id, expires_at=soon).expires_at == soon
    with pytest.raises(ValidationError) as too_long:
        granted(
            session, keyring, customer.id, shop.id, expires_at=datetime.now(UTC) + LONGEST + timedelta(days=1)
        )
    assert "expires_at" in too_long.value.errors


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("scopes", {"scopes": "profile:read admin"}),
        ("scopes", {"scopes": ""}),
        ("scopes", {"scopes": ["profile:read", 7]}),
        ("scopes", {"scopes": "feedback:read"}),  # not among those asked for
        ("purpose", {"purpose": "selling-your-data"}),
        ("expires_at", {"expires_at": "yesterday"}),
        ("expires_at", {"expires_at": "2001-01-01T00:00:00+00:00"}),
    ],
)
def test_bad_grants_are_refused_naming_the_field(
    session: Session, keyring: KeyRing, field: str, values: dict[str, object]
) -> None:
    customer, _ = factories.customer(session, keyring)
    shop = factories.business(session)
    arguments: dict[str, object] = {
        "purpose": "service",
        "requested_scopes": ASKED,
        "scopes": ASKED,
        **values,
    }
    with pytest.raises(ValidationError) as refused:
        grant_access(session, keyring=keyring, customer_id=customer.id, business_id=shop.id, **arguments)
    assert field in refused.value.errors


def test_the_policy_reads_only_granted_and_shared_categories(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop, other = factories.business(session), factories.business(session)
    grant = granted(session, keyring, customer.id, shop.id)
    assert disclosure(session, vault=vault, grant=grant).readable == {"profile", "contact", "interactions"}
    update_preferences(session, vault=vault, changes={"data_sharing": {"contact": False}})
    seen = disclosure(session, vault=vault, grant=grant)
    assert seen.readable == {"profile", "interactions"} and seen.withheld == {"contact"}
    # A per-business choice wins over the general one, in both directions.
    set_override(session, vault=vault, business_id=shop.id, settings={"data_sharing": {"contact": True}})
    assert "contact" in disclosure(session, vault=vault, grant=grant).readable
    granted(session, keyring, customer.id, other.id, scopes="contact:read")
    assert audience(session, vault=vault) == {
        "profile": [shop.display_name],
        "contact": [shop.display_name],
        "interactions": [shop.display_name],
    }


def test_narrowing_a_grant_takes_effect_at_once_and_can_be_undone(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    grant = granted(session, keyring, customer.id, shop.id)
    change_grant(
        session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=["profile:read"]
    )
    assert disclosure(session, vault=vault, grant=grant).readable == {"profile"}
    change_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=ASKED.split())
    assert disclosure(session, vault=vault, grant=grant).readable == {"profile", "contact", "interactions"}


@pytest.mark.parametrize(
    ("scopes", "last_day", "field"),
    [
        ([], None, "scopes"),
        (["feedback:read"], None, "scopes"),  # wider than the business asked for
        (["profile:read"], date(2000, 1, 1), "last_day"),
        (["profile:read"], datetime.now(UTC).date() + timedelta(days=400), "last_day"),
        (["profile:read"], "2030-01-01", "last_day"),
    ],
)
def test_a_change_beyond_the_request_or_its_end_is_refused(
    session: Session, keyring: KeyRing, scopes: list[str], last_day: object, field: str
) -> None:
    customer, _ = factories.customer(session, keyring)
    grant = granted(session, keyring, customer.id, factories.business(session).id)
    with pytest.raises(ValidationError) as refused:
        change_grant(
            session,
            keyring=keyring,
            customer_id=customer.id,
            grant_id=grant.id,
            scopes=scopes,
            last_day=last_day,
        )
    assert field in refused.value.errors
    assert grant.scopes == ASKED  # unchanged


def test_a_grant_can_be_ended_sooner_on_a_chosen_day(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    grant = granted(session, keyring, customer.id, factories.business(session).id)
    end = grant.expires_at
    change_grant(
        session,
        keyring=keyring,
        customer_id=customer.id,
        grant_id=grant.id,
        scopes=ASKED,
        last_day=end.date(),
    )
    assert grant.expires_at == end  # the current last day changes nothing
    day = datetime.now(UTC).date() + timedelta(days=10)
    change_grant(
        session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=ASKED, last_day=day
    )
    assert grant.expires_at == datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def test_a_withdrawn_grant_discloses_nothing_and_ends_up_among_the_ended(
    session: Session, keyring: KeyRing
) -> None:
    customer, vault = factories.customer(session, keyring)
    grant = granted(session, keyring, customer.id, factories.business(session).id)
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id)
    assert disclosure(session, vault=vault, grant=grant).readable == frozenset()
    assert live_grants(session, customer_id=customer.id) == [] and disclosures(session, vault=vault) == []
    assert ended_grants(session, customer_id=customer.id) == [grant]
    first = grant.withdrawn_at
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id)
    assert grant.withdrawn_at == first  # withdrawing twice changes nothing
    with pytest.raises(NotFound):
        change_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=ASKED)


def test_an_expired_grant_discloses_nothing(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    grant = granted(session, keyring, customer.id, factories.business(session).id)
    grant.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert disclosure(session, vault=vault, grant=grant).readable == frozenset()
    assert ended_grants(session, customer_id=customer.id) == [grant]


@pytest.mark.parametrize("grant_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", None, 12])
def test_unknown_grant_ids_are_not_found(session: Session, keyring: KeyRing, grant_id: object) -> None:
    customer, _ = factories.customer(session, keyring)
    with pytest.raises(NotFound):
        withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant_id)


def test_a_customer_can_neither_see_nor_touch_another_customers_grant(
    session: Session, keyring: KeyRing
) -> None:
    owner, _ = factories.customer(session, keyring)
    intruder, _ = factories.customer(session, keyring)
    grant = granted(session, keyring, owner.id, factories.business(session).id)
    assert live_grants(session, customer_id=intruder.id) == []
    with pytest.raises(NotFound):
        withdraw_grant(session, keyring=keyring, customer_id=intruder.id, grant_id=grant.id)
    with pytest.raises(NotFound):
        change_grant(
            session, keyring=keyring, customer_id=intruder.id, grant_id=grant.id, scopes=["profile:read"]
        )
    assert grant.withdrawn_at is None and grant.scopes == ASKED


def test_erasure_removes_the_customers_grants(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    granted(session, keyring, customer.id, factories.business(session).id)
    erase_customer(session, keyring=keyring, customer_id=customer.id)
    session.expire_all()
    assert session.scalars(select(Grant)).all() == []


AUCKLAND, LOS_ANGELES = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize("zone", [AUCKLAND, LOS_ANGELES], ids=str)
def test_until_ends_access_at_the_end_of_that_day_where_the_customer_lives(
    session: Session, keyring: KeyRing, zone: ZoneInfo
) -> None:
    customer, _ = factories.customer(session, keyring)
    grant = granted(session, keyring, customer.id, factories.business(session).id)
    day = datetime.now(zone).date() + timedelta(days=30)
    change_grant(
        session,
        keyring=keyring,
        customer_id=customer.id,
        grant_id=grant.id,
        scopes=ASKED,
        last_day=day,
        zone=zone,
    )
    assert grant.expires_at == datetime.combine(day, time(23, 59, 59), zone)
    assert grant.expires_at.astimezone(zone).date() == day  # shown back to them as the day they chose
    assert grant.expires_at.astimezone(UTC).date() == (day if zone is AUCKLAND else day + timedelta(days=1))


@pytest.mark.parametrize("zone", [AUCKLAND, LOS_ANGELES], ids=str)
def test_the_current_last_day_where_the_customer_lives_changes_nothing(
    session: Session, keyring: KeyRing, zone: ZoneInfo
) -> None:
    customer, _ = factories.customer(session, keyring)
    # 03:00 UTC: the day before in Los Angeles, the same day in Auckland; neither is 23:59:59 there.
    end = datetime.combine(datetime.now(UTC).date() + timedelta(days=100), time(3), UTC)
    grant = granted(session, keyring, customer.id, factories.business(session).id, expires_at=end)
    shown = end.astimezone(zone).date()  # what the date input shows them as the current last day
    change_grant(
        session,
        keyring=keyring,
        customer_id=customer.id,
        grant_id=grant.id,
        scopes=["profile:read"],
        last_day=shown,
        zone=zone,
    )
    assert grant.expires_at == end and grant.scopes == "profile:read"
    if zone is LOS_ANGELES:  # read as a UTC day, the same date would have ended access a day early
        change_grant(
            session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=ASKED, last_day=shown
        )
        assert grant.expires_at < end


@pytest.mark.parametrize(
    ("now", "zone", "accepted"),
    [
        # 03:00 UTC on 2 May is still 1 May in Los Angeles: 1 May is today there, though yesterday in UTC.
        (datetime(2031, 5, 2, 3, tzinfo=UTC), LOS_ANGELES, True),
        (datetime(2031, 5, 2, 3, tzinfo=UTC), ZoneInfo("UTC"), False),
        # 20:00 UTC on 1 May is already 2 May in Auckland: 1 May is past there, though today in UTC.
        (datetime(2031, 5, 1, 20, tzinfo=UTC), AUCKLAND, False),
        (datetime(2031, 5, 1, 20, tzinfo=UTC), ZoneInfo("UTC"), True),
    ],
)
def test_today_is_the_day_it_is_where_the_customer_lives(
    session: Session,
    keyring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
    now: datetime,
    zone: ZoneInfo,
    accepted: bool,
) -> None:
    monkeypatch.setattr(grants, "utcnow", lambda: now)  # the service's clock, set to a moment of interest
    customer, _ = factories.customer(session, keyring)
    grant = granted(session, keyring, customer.id, factories.business(session).id)
    change = {"keyring": keyring, "customer_id": customer.id, "grant_id": grant.id, "scopes": ASKED}
    if accepted:
        change_grant(session, **change, last_day=date(2031, 5, 1), zone=zone)  # type: ignore[arg-type]
        assert grant.expires_at == datetime.combine(date(2031, 5, 1), time(23, 59, 59), zone)
        assert grant.is_live(now)  # the rest of today stays theirs
    else:
        with pytest.raises(ValidationError) as refused:
            change_grant(session, **change, last_day=date(2031, 5, 1), zone=zone)  # type: ignore[arg-type]
        assert "last_day" in refused.value.errors
