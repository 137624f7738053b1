from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.customers import create_customer
from vrm.crypto.keyring import KeyRing
from vrm.errors import ValidationError
from vrm.vault.keys import open_vault
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.preferences import legacy_language
from vrm.vault.profile import get_profile, get_time_zone, update_profile
from vrm.vault.rows import only_row
from vrm.vault.seal import CustomerVault

FULL = {
    "given_name": "Grace",
    "family_name": "Hopper",
    "display_name": "Amazing Grace",
    "emails": [
        {"address": "grace@example.org", "label": "home"},
        {"address": "gh@navy.example", "primary": True},
    ],
    "phones": [{"number": "+1 202 555 0143", "label": "mobile"}],
    "addresses": [
        {
            "lines": ["1 Main St", "Apt 2"],
            "locality": "Arlington",
            "region": "VA",
            "postal_code": "22201",
            "country": "us",
        }
    ],
    "language": "EN",
    "locale": "en_us",
    "time_zone": "America/New_York",
    "birth_date": "1906-12-09",
    "attributes": {"rank": "Rear Admiral"},
}


def test_profile_round_trips_every_field(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    update_profile(session, vault=vault, changes=FULL)
    session.expire_all()
    profile = get_profile(session, vault=vault)
    assert (profile.given_name, profile.family_name, profile.display_name) == (
        "Grace",
        "Hopper",
        "Amazing Grace",
    )
    assert profile.primary_email == "gh@navy.example"
    assert profile.phones == [{"number": "+12025550143", "label": "mobile", "primary": True}]
    assert profile.addresses[0]["country"] == "US" and profile.addresses[0]["lines"] == ["1 Main St", "Apt 2"]
    assert (profile.language, profile.locale, profile.birth_date) == ("en", "en-US", "1906-12-09")
    assert profile.time_zone == "America/New_York"
    assert profile.attributes == {"rank": "Rear Admiral"}


def test_partial_update_keeps_the_other_fields(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    update_profile(session, vault=vault, changes=FULL)
    update_profile(session, vault=vault, changes={"given_name": "G."})
    profile = get_profile(session, vault=vault)
    assert profile.given_name == "G." and profile.family_name == "Hopper"


def test_national_phone_number_uses_the_locale_country(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    profile = update_profile(
        session, vault=vault, changes={"locale": "fr-FR", "phones": [{"number": "06 12 34 56 78"}]}
    )
    assert profile.phones[0]["number"] == "+33612345678"


def test_clearing_a_field_removes_it(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    update_profile(session, vault=vault, changes=FULL)
    profile = update_profile(session, vault=vault, changes={"birth_date": None, "phones": []})
    assert profile.birth_date is None and profile.phones == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"emails": [{"address": "not an email"}]}, "emails[0].address"),
        ({"phones": [{"number": "12"}]}, "phones[0].number"),
        ({"phones": [{"number": "+1 555"}]}, "phones[0].number"),
        ({"birth_date": "31/12/1990"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"language": "english!"}, "language"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),  # this machine's zone, whatever it is: not a zone
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": ["Europe/Paris"]}, "time_zone"),
        ({"given_name": "x" * 101}, "given_name"),
        ({"given_name": 42}, "given_name"),
        ({"addresses": [{"lines": [], "locality": "Paris", "country": "FR"}]}, "addresses[0].lines"),
        (
            {"addresses": [{"lines": ["1 rue"], "locality": "Paris", "country": "France"}]},
            "addresses[0].country",
        ),
        (
            {
                "emails": [
                    {"address": "a@example.org", "primary": True},
                    {"address": "b@example.org", "primary": True},
                ]
            },
            "emails",
        ),
        ({"emails": "a@example.org"}, "emails"),
        ({"nickname": "Gigi"}, "nickname"),
    ],
)
def test_invalid_profile_input_names_the_field_and_changes_nothing(
    session: Session, keyring: KeyRing, changes: dict[str, Any], field: str
) -> None:
    _, vault = factories.customer(session, keyring)
    update_profile(session, vault=vault, changes=FULL)
    with pytest.raises(ValidationError) as raised:
        update_profile(session, vault=vault, changes={**changes, "family_name": "Changed"})
    assert field in raised.value.errors
    assert get_profile(session, vault=vault).family_name == "Hopper"


def test_all_invalid_fields_are_reported_together(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    with pytest.raises(ValidationError) as raised:
        update_profile(session, vault=vault, changes={"birth_date": "soon", "language": "?"})
    assert set(raised.value.errors) == {"birth_date", "language"}


@pytest.mark.parametrize(
    ("reported", "kept"),
    [
        ("Pacific/Auckland", "Pacific/Auckland"),
        ("Asia/Calcutta", "Asia/Kolkata"),  # some browsers still report the old names
        ("US/Eastern", "America/New_York"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Etc/UTC", "UTC"),
        ("Mars/Olympus_Mons", None),
        ("localtime", None),
        ("", None),
        (None, None),
        (["Europe/Paris"], None),
    ],
)
def test_sign_up_keeps_the_browsers_zone_under_its_current_name_or_none(
    session: Session, keyring: KeyRing, reported: object, kept: str | None
) -> None:
    customer = create_customer(session, keyring=keyring, email="zoned@example.org", time_zone=reported)
    vault = open_vault(session, keyring=keyring, customer_id=customer.id)
    assert get_time_zone(session, vault=vault) == kept == get_profile(session, vault=vault).time_zone


def test_an_old_zone_name_stays_valid_once_stored(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    profile = update_profile(session, vault=vault, changes={"time_zone": "Asia/Calcutta"})
    assert profile.time_zone == "Asia/Calcutta"  # the customer's choice, not rewritten behind their back
    assert update_profile(session, vault=vault, changes={"given_name": "A"}).time_zone == "Asia/Calcutta"


def store_legacy_language(vault: CustomerVault, session: Session, tag: str) -> None:
    """Seal a preferred language into the preferences, as the preferences page once stored it."""
    vault.seal_into(only_row(session, PreferencesRow, vault), preferred_language=tag)
    session.flush()


def test_a_language_once_chosen_in_the_preferences_is_the_profiles_until_one_is_saved(
    session: Session, keyring: KeyRing
) -> None:
    _, vault = factories.customer(session, keyring)
    store_legacy_language(vault, session, "pt-BR")
    assert get_profile(session, vault=vault).language == "pt-BR"
    update_profile(session, vault=vault, changes={"given_name": "Ana"})  # no language saved: still there
    assert get_profile(session, vault=vault).language == "pt-BR"
    assert update_profile(session, vault=vault, changes={"language": "fr"}).language == "fr"
    assert legacy_language(session, vault=vault) is None  # moved for good
    assert update_profile(session, vault=vault, changes={"language": None}).language is None  # not back


def test_the_profiles_language_wins_over_one_left_in_the_preferences(
    session: Session, keyring: KeyRing
) -> None:
    _, vault = factories.customer(session, keyring)
    update_profile(session, vault=vault, changes={"language": "de"})
    store_legacy_language(vault, session, "pt-BR")
    assert get_profile(session, vault=vault).language == "de"
