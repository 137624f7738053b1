"""Rules for one company: only the differences are kept, so general changes still reach everything else."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from tests.web.conftest import post_form, sign_up
from tests.web.test_preferences import CHOICES
from vrm.accounts.customers import find_customer
from vrm.vault.keys import open_vault
from vrm.vault.preferences import get_override, preferences_for_business


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
