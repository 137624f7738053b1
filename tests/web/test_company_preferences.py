"""Rules for one company: only the differences are kept, so general changes still reach everything else."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from tests.web.conftest import post_form, sign_up
from tests.web.test_preferences import CHOICES
from vrm.accounts.customers import find_customer
from vrm.vault.keys import open_vault
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.preferences import get_override, preferences_for_business
from vrm.vault.rows import only_row


def company(database: Database) -> object:
    with database.sessions.begin() as session:
        return factories.business(session, "fabrikam-bank").id


def effective(app: Flask, database: Database, business_id: object) -> tuple[dict, dict]:  # type: ignore[type-arg]
    ring = app.extensions["vrm"].keyring
    with database.sessions() as session:
        customer = find_customer(session, keyring=ring, email="prefers@example.org")
        assert customer is not None
        vault = open_vault(session, keyring=ring, customer_id=customer.id)
        return (
            get_override(session, vault=vault, business_id=business_id),  # type: ignore[arg-type]
            preferences_for_business(session, vault=vault, business_id=business_id).contact,
        )  # type: ignore[arg-type]


def test_only_what_differs_is_kept_for_the_company(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    bank = company(database)
    sign_up(client, "prefers@example.org")
    page = client.get("/preferences").get_data(as_text=True)
    assert 'href="/preferences/companies/fabrikam-bank"' in page
    general = {k: v for k, v in CHOICES.items() if k.startswith("contact-")}
    post_form(client, "/preferences", CHOICES)
    # For the bank: no marketing email, but research by email allowed.
    bank_choices = {
        **{k: v for k, v in general.items() if k != "contact-email-marketing"},
        "contact-email-research": "on",
        "share-profile": "on",
        "share-contact": "on",
        "share-interactions": "on",
        # As the page sends them: prefilled with the general cap, the quiet-hours box unticked.
        "cap-email-limit": "3",
        "cap-email-period": "week",
    }
    response = post_form(client, "/preferences/companies/fabrikam-bank", bank_choices)
    assert response.status_code == 302
    override, contact = effective(app, database, bank)
    assert override == {"contact": {"email": {"marketing": False, "research": True}}}
    assert contact["email"]["service"] and not contact["email"]["marketing"] and contact["email"]["research"]
    post_form(client, "/preferences", {**CHOICES, "contact-chat-surveys": "on"})  # a later general change...
    assert effective(app, database, bank)[1]["chat"]["surveys"]  # ...still reaches the bank
    assert "Own rules" in client.get("/preferences").get_data(as_text=True)


def test_reset_brings_the_company_back_to_the_general_rules(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    bank = company(database)
    sign_up(client, "prefers@example.org")
    post_form(client, "/preferences/companies/fabrikam-bank", {"contact-social-marketing": "on"})
    assert effective(app, database, bank)[0]
    post_form(
        client,
        "/preferences/companies/fabrikam-bank/reset",
        {},
        token_from="/preferences/companies/fabrikam-bank",
    )
    assert effective(app, database, bank)[0] == {}


def test_an_unknown_company_is_not_found(client: FlaskClient) -> None:
    sign_up(client, "prefers@example.org")
    assert client.get("/preferences/companies/no-such-company").status_code == 404


def test_a_company_can_have_its_own_quiet_hours_and_caps(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    bank = company(database)
    sign_up(client, "prefers@example.org")
    post_form(client, "/preferences", CHOICES)  # quiet 22:00-07:30 Paris, at most 3 emails a week
    own = {
        **{k: v for k, v in CHOICES.items() if k.startswith(("contact-", "share-"))},
        "quiet_hours": "on",
        "quiet_start": "18:00",
        "quiet_end": "09:00",
        "quiet_time_zone": "Europe/Paris",
        "cap-email-limit": "",  # no limit for the bank
        "cap-email-period": "week",
        "cap-sms-limit": "1",
        "cap-sms-period": "month",
    }
    assert post_form(client, "/preferences/companies/fabrikam-bank", own).status_code == 302
    override, _ = effective(app, database, bank)
    assert override == {
        "quiet_hours": {"start": "18:00", "end": "09:00", "time_zone": "Europe/Paris"},
        "frequency_caps": {"email": None, "sms": {"limit": 1, "period": "month"}},
    }
    page = client.get("/preferences/companies/fabrikam-bank").get_data(as_text=True)
    assert 'id="quiet_hours" checked' in page and 'value="18:00"' in page


def test_invalid_company_rules_are_explained_and_kept(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    bank = company(database)
    sign_up(client, "prefers@example.org")
    bad = {
        "quiet_hours": "on",
        "quiet_start": "25:99",
        "quiet_end": "09:00",
        "quiet_time_zone": "UTC",
        "cap-sms-limit": "lots",
        "cap-sms-period": "week",
        "contact-post-marketing": "on",
    }
    response = post_form(client, "/preferences/companies/fabrikam-bank", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please correct these" in page
    assert 'id="quiet_start-error"' in page and 'value="25:99"' in page
    assert 'id="cap-sms-limit-error"' in page and 'value="lots"' in page
    assert re.search(r'id="contact-post-marketing"\s+aria-label="[^"]+" checked', page)  # ticks kept
    assert effective(app, database, bank)[0] == {}  # nothing stored


def test_a_company_page_over_rules_stored_before_the_web_channel_saves(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    bank = company(database)
    sign_up(client, "prefers@example.org")
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email="prefers@example.org")
        assert customer is not None
        vault = open_vault(session, keyring=ring, customer_id=customer.id)
        old = {"email": {"service": True, "marketing": False}, "sms": {"service": True}}
        vault.seal_into(only_row(session, PreferencesRow, vault), contact=old)
    page = " ".join(client.get("/preferences/companies/fabrikam-bank").get_data(as_text=True).split())
    assert 'id="contact-web-service" aria-label="Web self-service: Service messages">' in page  # unticked
    response = post_form(
        client,
        "/preferences/companies/fabrikam-bank",
        {"contact-email-service": "on", "contact-sms-service": "on", "contact-web-service": "on"},
    )
    assert response.status_code == 302
    override, contact = effective(app, database, bank)
    assert override["contact"] == {"web": {"service": True}}  # the one difference from the general rules
    assert contact["web"]["service"] and not contact["web"]["marketing"]
