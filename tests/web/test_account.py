"""The account page after sign-up: the next steps until done or put away, and which zone times are in."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up
from vrm.accounts.customers import find_customer
from vrm.consent.grants import withdraw_grant

EMAIL = "newcomer@example.org"


def page(client: FlaskClient) -> str:
    return " ".join(client.get("/account").get_data(as_text=True).split())


def connect(app: Flask, database: Database) -> object:
    """A company the customer lets in, as the consent screen records it."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email=EMAIL)
        assert customer is not None
        return factories.grant(session, ring, customer, factories.business(session)).id


def test_sign_up_lands_on_the_next_steps_with_a_welcome(client: FlaskClient) -> None:
    landing = sign_up(client, EMAIL)
    assert landing.status_code == 302 and landing.headers["Location"] == "/account"
    shown = " ".join(client.get("/account").get_data(as_text=True).split())
    assert '<div class="notice success" role="status"><p>Welcome! Your vault is ready.</p></div>' in shown
    assert "Next steps" in shown and "0 of 3 done" in shown
    for link in ('href="/profile"', 'href="/preferences"', 'href="/connections"'):
        assert link in shown.split("next-steps-heading", 1)[1], link


def test_each_step_is_marked_done_and_all_done_puts_them_away(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, EMAIL)
    post_form(client, "/profile", {"given_name": "Ada", "emails-0-address": EMAIL, "primary_email": "0"})
    assert "1 of 3 done" in page(client)
    post_form(client, "/preferences", {"contact-email-service": "on"})
    assert "2 of 3 done" in page(client)
    grant = connect(app, database)
    assert "Next steps" not in page(client)
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email=EMAIL)
        assert customer is not None
        withdraw_grant(session, keyring=ring, customer_id=customer.id, grant_id=grant)
    assert "Next steps" not in page(client)  # done once is done: they do not come back


def test_the_steps_can_be_put_away_before_they_are_done(client: FlaskClient) -> None:
    sign_up(client, EMAIL)
    answer = post_form(client, "/account/next-steps/close", {}, token_from="/account")
    assert answer.status_code == 302
    shown = page(client)
    assert "Next steps" not in shown and "The next steps are put away." in shown


def test_putting_the_steps_away_needs_the_forms_token(client: FlaskClient) -> None:
    sign_up(client, EMAIL)
    assert client.post("/account/next-steps/close").status_code == 400
    assert "Next steps" in page(client)


def test_the_page_says_which_time_zone_times_are_in(client: FlaskClient) -> None:
    token = csrf_token(client, "/signup")
    fields = {"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    client.post("/signup", data={**fields, "time_zone": "Pacific/Auckland"})
    shown = page(client)
    assert "Times are in your time zone, Auckland (New Zealand)." in shown
    assert '<time datetime="' in shown and "+00:00" not in shown.split("sessions-heading", 1)[1]


def test_without_a_time_zone_times_are_in_utc_and_the_page_says_so(client: FlaskClient) -> None:
    sign_up(client, EMAIL)
    shown = page(client)
    assert "Times are in UTC." in shown and "Choose your time zone" in shown
    assert " UTC</time>" in shown
