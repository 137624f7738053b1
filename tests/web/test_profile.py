"""The profile page: every field saved, errors on the exact row with the input kept, owners only."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up
from vrm.accounts.customers import find_customer
from vrm.vault.keys import open_vault
from vrm.vault.profile import Profile, get_profile

FULL = {
    "given_name": "Grace",
    "family_name": "Hopper",
    "display_name": "Amazing Grace",
    "emails-0-address": "grace@example.org",
    "emails-0-label": "home",
    "emails-1-address": "gh@navy.example",
    "emails-1-label": "work",
    "primary_email": "1",
    "phones-0-number": "+1 202 555 0143",
    "phones-0-label": "mobile",
    "primary_phone": "0",
    "addresses-0-lines": "1 Main St\nApt 2",
    "addresses-0-locality": "Arlington",
    "addresses-0-region": "VA",
    "addresses-0-postal_code": "22201",
    "addresses-0-country": "us",
    "addresses-0-label": "home",
    "primary_address": "0",
    "language": "en",
    "locale": "en-US",
    "birth_date": "1906-12-09",
}


def stored(app: Flask, database: Database, email: str) -> Profile:
    ring = app.extensions["vrm"].keyring
    with database.sessions() as session:
        customer = find_customer(session, keyring=ring, email=email)
        assert customer is not None
        return get_profile(session, vault=open_vault(session, keyring=ring, customer_id=customer.id))


def save(client: FlaskClient, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return post_form(client, "/profile", data)


def test_every_field_is_saved_and_shown_again(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "grace@example.org")
    assert save(client, FULL).status_code == 302
    profile = stored(app, database, "grace@example.org")
    assert (profile.given_name, profile.primary_email, profile.birth_date) == (
        "Grace",
        "gh@navy.example",
        "1906-12-09",
    )
    assert profile.phones == [{"number": "+12025550143", "label": "mobile", "primary": True}]
    assert profile.addresses[0]["lines"] == ["1 Main St", "Apt 2"] and profile.addresses[0]["country"] == "US"
    page = client.get("/profile").get_data(as_text=True)
    for shown in (
        'value="Grace"',
        'value="gh@navy.example"',
        'value="+12025550143"',
        "1 Main St\nApt 2",
        'value="1906-12-09"',
        'id="primary_email-1" checked',
    ):
        assert shown in page, shown
    assert 'id="emails-2-address"' in page  # a free row to add another


def test_a_cleared_row_is_removed(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "grace@example.org")
    save(client, FULL)
    save(client, {**FULL, "emails-0-address": "", "emails-0-label": "", "primary_email": "1"})
    assert [e["address"] for e in stored(app, database, "grace@example.org").emails] == ["gh@navy.example"]


def test_an_invalid_row_is_named_and_everything_typed_is_kept(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "grace@example.org")
    response = save(
        client,
        {
            **FULL,
            "emails-1-address": "not an email",
            "phones-0-number": "12",
            "addresses-0-country": "France",
            "given_name": "Changed",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for error_id in (
        'id="emails-1-address-error"',
        'id="phones-0-number-error"',
        'id="addresses-0-country-error"',
    ):
        assert error_id in page, error_id
    assert 'value="not an email"' in page and 'value="Changed"' in page and "1 Main St\nApt 2" in page
    assert stored(app, database, "grace@example.org").given_name is None  # nothing half-saved


def test_unknown_or_hostile_values_never_crash(client: FlaskClient) -> None:
    sign_up(client, "odd@example.org")
    for data in (
        {"birth_date": "2999-01-01"},
        {"birth_date": "soon"},
        {"primary_email": "x"},
        {"emails-7-address": "far@example.org"},
        {"language": "\u202e!!"},
        {"given_name": "x" * 500},
    ):
        assert save(client, data).status_code in (302, 422), data


def test_profile_needs_signing_in(client: FlaskClient) -> None:
    assert client.get("/profile").status_code == 302
    assert client.post("/profile").status_code in (302, 400)


def flat(page: str) -> str:
    return " ".join(page.split())


def test_language_region_and_time_zone_are_picked_by_name_and_saved(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "grace@example.org")
    page = flat(client.get("/profile").get_data(as_text=True))
    assert "Language, region and time zone" in page and 'for="language">Preferred language' in page
    assert '<option value="fr">Français — French</option>' in page
    assert '<option value="en-GB">English (United Kingdom)</option>' in page
    assert '<optgroup label="Pacific">' in page and ">Auckland (New Zealand) · UTC+" in page
    answer = save(client, {"language": "fr", "locale": "fr-CA", "time_zone": "Pacific/Auckland"})
    assert answer.status_code == 302
    profile = stored(app, database, "grace@example.org")
    assert (profile.language, profile.locale, profile.time_zone) == ("fr", "fr-CA", "Pacific/Auckland")
    page = flat(client.get("/profile").get_data(as_text=True))
    for chosen in ('value="fr"', 'value="fr-CA"', 'value="Pacific/Auckland"'):
        assert f"<option selected {chosen}>" in page, chosen


def test_an_invalid_time_zone_is_a_field_error_and_nothing_is_saved(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "grace@example.org")
    answer = save(client, {"given_name": "Grace", "time_zone": "Mars/Olympus_Mons"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="time_zone-error"' in page and 'href="#time_zone"' in page
    assert '<option selected value="Mars/Olympus_Mons">' in page  # what was sent stays, to be corrected
    assert stored(app, database, "grace@example.org").given_name is None


def test_sign_up_keeps_the_browsers_time_zone_and_the_profile_shows_it(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    token = csrf_token(client, "/signup")
    client.post(
        "/signup",
        data={
            "email": "kiwi@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "time_zone": "Pacific/Auckland",
            "csrf_token": token,
        },
    )
    assert stored(app, database, "kiwi@example.org").time_zone == "Pacific/Auckland"
    page = client.get("/profile").get_data(as_text=True)
    assert '<option selected value="Pacific/Auckland">' in page
    assert "data-browser-time-zone" not in page  # chosen: the browser's guess no longer applies


def test_without_a_zone_the_picker_starts_at_none_chosen_and_offers_the_browsers(
    client: FlaskClient,
) -> None:
    sign_up(client, "nozone@example.org")  # a browser without JavaScript sends no zone
    page = flat(client.get("/profile").get_data(as_text=True))
    assert '<option selected value="">Not chosen yet (times show in UTC)</option>' in page
    assert "data-browser-time-zone" in page and "time-zone.js" in page
    assert "Not chosen yet: times show in UTC" in page


def test_empty_add_rows_show_only_on_demand(client: FlaskClient) -> None:
    sign_up(client, "grace@example.org")
    page = flat(client.get("/profile").get_data(as_text=True))
    # Closed until asked for; the ids stay those of the rows they were.
    assert '<details class="add"> <summary>Add another email address</summary>' in page
    assert '<details class="add"> <summary>Add a phone number</summary>' in page
    assert '<details class="add"> <summary>Add an address</summary>' in page
    assert 'id="phones-0-number"' in page and 'id="emails-1-address"' in page


def test_a_new_row_with_an_error_or_typed_input_comes_back_open(client: FlaskClient) -> None:
    sign_up(client, "grace@example.org")
    answer = save(
        client,
        {
            "emails-0-address": "grace@example.org",
            "primary_email": "0",
            "phones-0-label": "mobile",  # typed, but no number yet
            "addresses-0-lines": "1 Main St",  # no town: an error
        },
    )
    page = flat(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert '<details class="add" open> <summary>Add a phone number</summary>' in page
    assert 'id="addresses-0-locality-error"' in page
    assert 'value="mobile"' in page and "1 Main St" in page


def test_saving_the_profile_without_a_chosen_zone_does_not_choose_utc(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "no.script@example.org")  # no zone came from the browser
    page = flat(client.get("/profile").get_data(as_text=True))
    assert '<option selected value="">Not chosen yet (times show in UTC)</option>' in page
    assert save(client, {"given_name": "Ada", "time_zone": ""}).status_code == 302  # what it would send
    assert stored(app, database, "no.script@example.org").time_zone is None
