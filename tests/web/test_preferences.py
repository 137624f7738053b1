"""The preferences page: the whole matrix saved at once, errors named with the input kept, owners only."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up
from vrm.accounts.customers import find_customer
from vrm.vault.keys import open_vault
from vrm.vault.preferences import Preferences, get_preferences

CHOICES = {
    "contact-email-service": "on",
    "contact-email-marketing": "on",
    "contact-sms-service": "on",
    "quiet_hours": "on",
    "quiet_start": "22:00",
    "quiet_end": "07:30",
    "quiet_time_zone": "Europe/Paris",
    "cap-email-limit": "3",
    "cap-email-period": "week",
    "cap-sms-limit": "",
    "cap-sms-period": "day",
    "preferred_channel": "email",
    "share-profile": "on",
    "share-contact": "on",
    "share-interactions": "on",
}


def stored(app: Flask, database: Database) -> Preferences:
    ring = app.extensions["vrm"].keyring
    with database.sessions() as session:
        customer = find_customer(session, keyring=ring, email="prefers@example.org")
        assert customer is not None
        return get_preferences(session, vault=open_vault(session, keyring=ring, customer_id=customer.id))


def save(client: FlaskClient, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return post_form(client, "/preferences", data)


def test_the_page_shows_what_is_stored(client: FlaskClient) -> None:
    sign_up(client, "prefers@example.org")
    page = client.get("/preferences").get_data(as_text=True)
    assert 'id="contact-email-service" aria-label="Email: Service messages" checked' in " ".join(page.split())
    assert 'id="contact-email-marketing" aria-label="Email: Marketing">' in " ".join(page.split())


def test_every_choice_is_saved_at_once(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "prefers@example.org")
    assert save(client, CHOICES).status_code == 302
    prefs = stored(app, database)
    assert prefs.contact["email"] == {
        "service": True,
        "marketing": True,
        "surveys": False,
        "research": False,
        "partners": False,
    }
    assert not prefs.contact["voice"]["service"]  # unticked: refused
    assert prefs.quiet_hours == {"start": "22:00", "end": "07:30", "time_zone": "Europe/Paris"}
    assert prefs.frequency_caps == {"email": {"limit": 3, "period": "week"}}
    assert prefs.preferred_channel == "email"
    assert prefs.data_sharing == {
        "profile": True,
        "contact": True,
        "preferences": False,
        "interactions": True,
        "feedback": False,
    }


def test_turning_quiet_hours_off_clears_them(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "prefers@example.org")
    save(client, CHOICES)
    save(client, {k: v for k, v in CHOICES.items() if k != "quiet_hours"})
    assert stored(app, database).quiet_hours is None


def test_invalid_choices_are_named_and_the_input_is_kept(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "prefers@example.org")
    response = save(
        client,
        {
            **CHOICES,
            "quiet_time_zone": "Mars/Olympus",
            "cap-email-limit": "0",
            "cap-sms-limit": "lots",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for error_id in (
        "quiet_time_zone-error",
        "cap-email-limit-error",
        "cap-sms-limit-error",
    ):
        assert f'id="{error_id}"' in page, error_id
    assert 'value="Mars/Olympus" selected' in page and 'value="lots"' in page
    assert stored(app, database).quiet_hours is None  # nothing half-saved


def test_preferences_need_signing_in(client: FlaskClient) -> None:
    assert client.get("/preferences").status_code == 302


def test_the_preferred_language_is_shown_from_the_profile_with_a_way_there(client: FlaskClient) -> None:
    sign_up(client, "prefers@example.org")
    post_form(client, "/profile", {"language": "fr"})
    page = " ".join(client.get("/preferences").get_data(as_text=True).split())
    assert 'name="preferred_language"' not in page  # no second place to type one
    assert "<dt>Preferred language</dt><dd>Français — French</dd>" in page
    assert 'href="/profile#locale-heading">change it in your profile</a>' in page


def test_quiet_hours_start_in_the_customers_own_time_zone(client: FlaskClient) -> None:
    token = csrf_token(client, "/signup")
    fields = {"email": "prefers@example.org", "password": PASSWORD, "confirm": PASSWORD}
    client.post("/signup", data={**fields, "time_zone": "America/Sao_Paulo", "csrf_token": token})
    page = " ".join(client.get("/preferences").get_data(as_text=True).split())
    assert '<option value="America/Sao_Paulo" selected>São Paulo (Brazil)' in page
    assert "data-browser-time-zone" not in page


def test_the_grid_is_one_table_with_every_channel_and_purpose(client: FlaskClient) -> None:
    sign_up(client, "prefers@example.org")
    page = client.get("/preferences").get_data(as_text=True)
    assert "table-scroll" not in page and page.count('<table class="matrix"') == 1
    assert 'aria-label="Web self-service: Offers from partners"' in page
    assert page.count('type="checkbox" name="contact-') == 8 * 5
