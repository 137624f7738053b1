"""Connections over HTTP: who has access to what, narrowing and withdrawing it, and the profile's notes."""

from __future__ import annotations

import json
import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from tests.web.conftest import csrf_token, post_form, sign_up
from vrm.accounts.customers import find_customer
from vrm.accounts.models import Business
from vrm.consent.grants import grant_access
from vrm.consent.models import Grant
from vrm.db import utcnow

ASKED = "profile:read contact:read interactions:read interactions:write"


def seed_grant(app: Flask, database: Database, email: str, business: str = "northwind-energy") -> uuid.UUID:
    """Let a business see the customer's data, as the consent screen will (the OAuth issue)."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email=email)
        assert customer is not None
        grant = grant_access(
            session,
            keyring=ring,
            customer_id=customer.id,
            business_id=factories.business(session, business).id,
            purpose="service",
            requested_scopes=ASKED,
            scopes=ASKED,
        )
        grant.last_read_at, grant.last_read_scopes = utcnow(), "contact:read"  # as the API notes a read
        return grant.id


def stored(database: Database, grant_id: uuid.UUID) -> Grant:
    with database.sessions() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        return grant


def test_connections_say_in_plain_words_who_sees_what(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "connected@example.org")
    assert "No company has access to your data" in client.get("/connections").get_data(as_text=True)
    seed_grant(app, database, "connected@example.org")
    page = client.get("/connections").get_data(as_text=True)
    assert "Northwind Energy" in page and "For service messages" in page
    assert "How to reach you</strong>: Email addresses, phone numbers and postal addresses." in page
    assert "May add what happens between you to your history." in page
    assert "Last read your data" in page and "how to reach you." in page
    assert "contact:read" not in page.replace('value="contact:read"', "")  # no scope strings shown


def test_the_profile_names_who_may_see_each_part(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "seen@example.org")
    assert client.get("/profile").get_data(as_text=True).count("No company sees this") == 6
    seed_grant(app, database, "seen@example.org")
    page = client.get("/profile").get_data(as_text=True)
    assert page.count("Seen by Northwind Energy") == 5  # names, emails, phones, addresses, language
    assert page.count("No company sees this") == 1  # the birthday: no scope covers it
    # The customer stops sharing contact details (every other category stays shared).
    post_form(
        client, "/preferences", {f"share-{c}": "on" for c in ("profile", "preferences", "interactions")}
    )
    assert client.get("/profile").get_data(as_text=True).count("Seen by Northwind Energy") == 2


def test_narrowing_access_keeps_the_rest(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "narrow@example.org")
    grant_id = seed_grant(app, database, "narrow@example.org")
    response = post_form(
        client, f"/connections/{grant_id}", {"scope": "profile:read"}, token_from="/connections"
    )
    assert response.status_code == 302
    assert stored(database, grant_id).scopes == "profile:read"
    assert "Held back" not in client.get("/connections").get_data(as_text=True)


def test_unticking_everything_is_refused_and_keeps_the_ticks(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "nothing@example.org")
    grant_id = seed_grant(app, database, "nothing@example.org")
    response = client.post(
        f"/connections/{grant_id}",
        data={"csrf_token": _token(client), "until": "not a date"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Until: choose a day" in page
    assert stored(database, grant_id).scopes == ASKED
    response = client.post(f"/connections/{grant_id}", data={"csrf_token": _token(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tick at least one" in page and "<details open>" in page
    assert 'value="profile:read" id' in page and 'value="profile:read" id="grant-' in page
    assert f'id="grant-{grant_id}-profile-read" checked' not in page  # shows what was sent: nothing ticked


def test_withdrawing_is_one_click_and_lists_the_connection_as_ended(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "withdraw@example.org")
    grant_id = seed_grant(app, database, "withdraw@example.org")
    response = post_form(client, f"/connections/{grant_id}/withdraw", {}, token_from="/connections")
    assert response.status_code == 302 and stored(database, grant_id).withdrawn_at is not None
    page = client.get("/connections").get_data(as_text=True)
    assert "No company has access" in page and "Northwind Energy: withdrawn" in page
    assert "No company sees this" in client.get("/profile").get_data(as_text=True)


def test_another_customers_connection_is_not_found(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "owner@example.org")
    grant_id = seed_grant(app, database, "owner@example.org")
    intruder = app.test_client()
    sign_up(intruder, "intruder@example.org")
    token = _token(intruder)
    assert "Northwind" not in intruder.get("/connections").get_data(as_text=True)
    for path, data in (
        (f"/connections/{grant_id}/withdraw", {}),
        (f"/connections/{grant_id}", {"scope": "profile:read"}),
    ):
        assert intruder.post(path, data={**data, "csrf_token": token}).status_code == 404
    grant = stored(database, grant_id)
    assert grant.withdrawn_at is None and grant.scopes == ASKED


def _token(client: FlaskClient) -> str:
    return csrf_token(client, "/account")


def test_changes_are_announced_to_the_companies_concerned(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    from sqlalchemy import select

    from vrm.consent.models import WebhookDelivery
    from vrm.consent.webhooks import set_webhook

    sign_up(client, "announced@example.org")
    grant_id = seed_grant(app, database, "announced@example.org")
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        for name in ("northwind-energy", "unrelated-shop"):
            shop = session.scalar(select(Business).where(Business.name == name)) or factories.business(
                session, name
            )
            set_webhook(session, keyring=ring, business_id=shop.id, url=f"https://{name}.example/hooks")
    post_form(client, "/preferences", {"share-profile": "on", "contact-email-service": "on"})
    post_form(client, f"/connections/{grant_id}/withdraw", {}, token_from="/connections")
    with database.sessions() as session:
        events = [
            (row.event, json.loads(row.payload)["type"]) for row in session.scalars(select(WebhookDelivery))
        ]
    # Only the company with access hears of it; the unrelated one, with a webhook too, hears nothing.
    assert sorted(event for event, _ in events) == ["consent.withdrawn", "preferences.changed"]
