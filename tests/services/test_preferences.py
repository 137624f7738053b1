from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests import factories
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound, ValidationError
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.preferences import (
    contact_rules,
    get_override,
    get_preferences,
    list_overrides,
    preferences_for_business,
    preferences_saved,
    set_override,
    update_preferences,
)
from vrm.vault.rows import only_row
from vrm.vault.seal import CustomerVault
from vrm.vault.vocabulary import CHANNELS, DATA_CATEGORIES, PURPOSES

# The contact rules as stored before the web channel existed: its key is missing.
BEFORE_WEB = {
    channel: {purpose: purpose == "service" and channel != "social" for purpose in PURPOSES}
    for channel in ("email", "sms", "voice", "chat", "post", "push", "social")
}


def store_old_contact_rules(session: Session, vault: CustomerVault) -> None:
    vault.seal_into(only_row(session, PreferencesRow, vault), contact=BEFORE_WEB)
    session.flush()


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


def test_a_new_customer_gets_service_messages_on_the_web_channel_too(
    session: Session, keyring: KeyRing
) -> None:
    _, vault = factories.customer(session, keyring)
    assert get_preferences(session, vault=vault).contact["web"] == {
        purpose: purpose == "service" for purpose in PURPOSES
    }


def test_rules_stored_before_the_web_channel_allow_nothing_on_it(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    store_old_contact_rules(session, vault)
    preferences = get_preferences(session, vault=vault)
    assert preferences.contact["web"] == dict.fromkeys(PURPOSES, False)  # the customer never said yes
    assert preferences.contact["email"]["service"]  # the rest as stored


def test_old_rules_read_complete_through_every_path(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop, other = factories.business(session), factories.business(session)
    store_old_contact_rules(session, vault)
    set_override(
        session, vault=vault, business_id=shop.id, settings={"contact": {"sms": {"marketing": True}}}
    )
    for_shop = preferences_for_business(session, vault=vault, business_id=shop.id).contact
    assert for_shop["web"] == dict.fromkeys(PURPOSES, False) and for_shop["sms"]["marketing"]
    # Bulk decisions read only what is allowed: the web, which old rules lack, allows nothing.
    bulk = contact_rules(session, vaults={vault.customer_id: vault}, business_id=shop.id)
    assert not any(bulk[vault.customer_id].contact.get("web", {}).values())
    assert bulk[vault.customer_id].contact["sms"]["marketing"]
    plain = contact_rules(session, vaults={vault.customer_id: vault}, business_id=other.id)
    assert not any(plain[vault.customer_id].contact.get("web", {}).values())
    assert plain[vault.customer_id].contact["email"] == BEFORE_WEB["email"]


def test_saving_old_rules_keeps_every_choice_and_can_allow_the_web(
    session: Session, keyring: KeyRing
) -> None:
    _, vault = factories.customer(session, keyring)
    store_old_contact_rules(session, vault)
    saved = update_preferences(session, vault=vault, changes={"contact": {"web": {"marketing": True}}})
    assert saved.contact["web"] == {purpose: purpose == "marketing" for purpose in PURPOSES}
    assert saved.contact["email"] == BEFORE_WEB["email"]


def test_the_preferred_language_is_no_longer_a_preference(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(ValidationError) as raised:
        update_preferences(session, vault=vault, changes={"preferred_language": "fr"})
    assert "preferred_language" in raised.value.errors  # it is the profile's language now


def test_preferences_count_as_saved_once_the_customer_saves_them(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    assert not preferences_saved(session, vault=vault)
    update_preferences(session, vault=vault, changes={})  # saved as they are: the defaults, looked at
    assert preferences_saved(session, vault=vault)
