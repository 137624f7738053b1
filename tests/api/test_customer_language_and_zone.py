"""What a business reads of the customer's language and time zone: the profile's, wherever it asks."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from vrm.oauth.clients import create_client
from vrm.oauth.tokens import issue_tokens
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.profile import update_profile
from vrm.vault.rows import only_row
from vrm.vault.vocabulary import CHANNELS, PURPOSES

SCOPES = "profile:read preferences:read"


def business_reading(app: Flask, database: Database, *, profile: dict[str, Any], legacy: str | None) -> str:
    """A customer with this profile (and a language left in the preferences, as they once kept it) who let
    a business read their profile and preferences; return the business's access token."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer, vault = factories.customer(session, ring)
        update_profile(session, vault=vault, changes=profile)
        preferences = only_row(session, PreferencesRow, vault)
        vault.seal_into(
            preferences,
            preferred_language=legacy,
            # Rules stored before the web channel existed.
            contact={"email": {"service": True, "marketing": True}},
        )
        shop = factories.business(session)
        grant = factories.grant(session, ring, customer, shop, SCOPES)
        client, _ = create_client(
            session, business_id=shop.id, name="Shop app", redirect_uris=["https://shop.example/cb"]
        )
        issue_tokens(
            session,
            client=client,
            scope=SCOPES,
            access_token="shop-token",
            customer_id=customer.id,
            grant=grant,
        )
    return "shop-token"


def read(client: FlaskClient, path: str, token: str) -> dict[str, Any]:
    answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def test_the_profile_offers_the_time_zone_and_the_one_preferred_language(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    token = business_reading(
        app, database, profile={"language": "fr", "time_zone": "Europe/Paris"}, legacy="en-GB"
    )
    me = read(client, "/api/v1/customer", token)
    assert (me["language"], me["time_zone"]) == ("fr", "Europe/Paris")
    preferences = read(client, "/api/v1/customer/preferences", token)
    assert preferences["preferred_language"] == "fr"  # the profile's, not the one left behind


def test_a_language_kept_in_the_preferences_answers_until_the_profile_has_one(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    token = business_reading(app, database, profile={}, legacy="pt-BR")
    assert read(client, "/api/v1/customer/preferences", token)["preferred_language"] == "pt-BR"
    me = read(client, "/api/v1/customer", token)
    assert me["language"] == "pt-BR" and me["time_zone"] is None


def test_rules_stored_before_the_web_channel_answer_every_channel(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    token = business_reading(app, database, profile={}, legacy=None)
    contact = read(client, "/api/v1/customer/preferences", token)["contact"]
    assert set(contact) == set(CHANNELS) and all(set(p) == set(PURPOSES) for p in contact.values())
    assert contact["web"] == dict.fromkeys(PURPOSES, False) and contact["email"]["marketing"]
