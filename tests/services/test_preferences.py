from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests import factories
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound, ValidationError
from vrm.vault.preferences import (
    get_override,
    get_preferences,
    list_overrides,
    preferences_for_business,
    set_override,
    update_preferences,
)
from vrm.vault.vocabulary import CHANNELS, DATA_CATEGORIES, PURPOSES


def test_new_vault_allows_only_service_messages_off_social(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    preferences = get_preferences(session, vault=vault)
    assert set(preferences.contact) == set(CHANNELS)
    assert all(set(purposes) == set(PURPOSES) for purposes in preferences.contact.values())
    assert preferences.contact["email"]["service"] and not preferences.contact["email"]["marketing"]
    assert not preferences.contact["social"]["service"]
    assert preferences.data_sharing == dict.fromkeys(DATA_CATEGORIES, True)
    assert preferences.quiet_hours is None


def test_contact_changes_merge_into_the_matrix(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    update_preferences(session, vault=vault, changes={"contact": {"sms": {"marketing": True}}})
    session.expire_all()
    contact = get_preferences(session, vault=vault).contact
    assert contact["sms"]["marketing"] and contact["sms"]["service"] and not contact["email"]["marketing"]


def test_quiet_hours_caps_and_preferred_channel_are_stored(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    update_preferences(
        session,
        vault=vault,
        changes={
            "quiet_hours": {"start": "22:00", "end": "07:30", "time_zone": "America/New_York"},
            "frequency_caps": {"email": {"limit": 3, "period": "week"}},
            "preferred_channel": "chat",
        },
    )
    preferences = get_preferences(session, vault=vault)
    assert preferences.quiet_hours == {"start": "22:00", "end": "07:30", "time_zone": "America/New_York"}
    assert preferences.frequency_caps == {"email": {"limit": 3, "period": "week"}}
    assert preferences.preferred_channel == "chat"


def test_a_cap_set_to_null_is_removed(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    update_preferences(
        session,
        vault=vault,
        changes={
            "frequency_caps": {"sms": {"limit": 1, "period": "day"}, "email": {"limit": 2, "period": "day"}}
        },
    )
    preferences = update_preferences(session, vault=vault, changes={"frequency_caps": {"sms": None}})
    assert preferences.frequency_caps == {"email": {"limit": 2, "period": "day"}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Mars/Olympus"}},
            "quiet_hours.time_zone",
        ),
        (
            {"quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "../../etc/passwd"}},
            "quiet_hours.time_zone",
        ),
        ({"quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "UTC"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "07:00", "end": "07:00", "time_zone": "UTC"}}, "quiet_hours.end"),
        ({"contact": {"pigeon": {"service": True}}}, "contact.pigeon"),
        ({"contact": {"email": {"spam": True}}}, "contact.email.spam"),
        ({"contact": {"email": {"marketing": "yes"}}}, "contact.email.marketing"),
        ({"frequency_caps": {"email": {"limit": 0, "period": "day"}}}, "frequency_caps.email.limit"),
        ({"frequency_caps": {"email": {"limit": 2, "period": "fortnight"}}}, "frequency_caps.email.period"),
        ({"preferred_channel": "fax"}, "preferred_channel"),
        ({"data_sharing": {"secrets": False}}, "data_sharing.secrets"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_preferences_name_the_field_and_change_nothing(
    session: Session, keyring: KeyRing, changes: dict[str, Any], field: str
) -> None:
    _, vault = factories.customer(session, keyring)
    before = get_preferences(session, vault=vault)
    with pytest.raises(ValidationError) as raised:
        update_preferences(
            session,
            vault=vault,
            changes={**changes, "preferred_channel": "sms"}
            if "preferred_channel" not in changes
            else changes,
        )
    assert field in raised.value.errors
    assert get_preferences(session, vault=vault) == before


def test_business_override_takes_precedence_for_that_business_only(
    session: Session, keyring: KeyRing
) -> None:
    _, vault = factories.customer(session, keyring)
    bank, shop = factories.business(session), factories.business(session)
    set_override(
        session,
        vault=vault,
        business_id=bank.id,
        settings={"contact": {"voice": {"service": False}}, "data_sharing": {"contact": False}},
    )
    for_bank = preferences_for_business(session, vault=vault, business_id=bank.id)
    for_shop = preferences_for_business(session, vault=vault, business_id=shop.id)
    assert not for_bank.contact["voice"]["service"] and for_bank.contact["email"]["service"]
    assert not for_bank.data_sharing["contact"]
    assert for_shop.contact["voice"]["service"] and for_shop.data_sharing["contact"]
    assert list_overrides(session, vault=vault) == {
        bank.id: {"contact": {"voice": {"service": False}}, "data_sharing": {"contact": False}}
    }


def test_empty_override_removes_it(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    bank = factories.business(session)
    set_override(session, vault=vault, business_id=bank.id, settings={"contact": {"sms": {"service": False}}})
    set_override(session, vault=vault, business_id=bank.id, settings={})
    assert get_override(session, vault=vault, business_id=bank.id) == {}


def test_override_for_an_unknown_business_is_refused(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(NotFound):
        set_override(session, vault=vault, business_id=uuid.uuid4(), settings={})


def test_override_rejects_fields_that_cannot_differ_per_business(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    bank = factories.business(session)
    with pytest.raises(ValidationError) as raised:
        set_override(session, vault=vault, business_id=bank.id, settings={"preferred_channel": "sms"})
    assert "preferred_channel" in raised.value.errors
