"""Taking one's data away (export) and destroying it (account deletion with crypto-shredding)."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import Database
from tests.web.conftest import PASSWORD, post_form, sign_up
from tests.web.test_history import seed_history
from vrm.accounts.customers import find_customer
from vrm.models import DataKey, Interaction, WebSession


def test_export_is_one_json_file_with_everything(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "leaver@example.org")
    seed_history(app, database, "leaver@example.org")
    response = client.get("/account/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="vrm-vault-export-')
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    assert document["format"] == "vrm-export/1" and document["account"] == {"email": "leaver@example.org"}
    assert document["profile"]["emails"] == [{"address": "leaver@example.org", "label": "", "primary": True}]
    assert [i["subject"] for i in document["interactions"]] == [
        "Boiler broke",
        "Engineer booked",
        "Statement ready",
    ]
    assert document["interactions"][0]["business"] == "northwind-energy"
    assert document["journeys"][0]["title"] == "Broken boiler"
    assert set(document["preferences"]) == {
        "contact",
        "quiet_hours",
        "frequency_caps",
        "preferred_channel",
        "data_sharing",
    }
    # The one preferred language, and the time zone the browser reported at sign-up (none in a test client).
    assert {"language", "locale", "time_zone"} <= set(document["profile"])


def test_export_holds_only_the_signed_in_customers_data(app: Flask, database: Database) -> None:
    owner, other = app.test_client(), app.test_client()
    sign_up(owner, "owner@example.org")
    seed_history(app, database, "owner@example.org")
    sign_up(other, "other@example.org")
    document = json.loads(other.get("/account/export").get_data(as_text=True))
    assert document["account"]["email"] == "other@example.org" and document["interactions"] == []


def test_deleting_needs_the_password(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "unsure@example.org")
    response = post_form(client, "/account/delete", {"password": "not my password at all"})
    assert response.status_code == 422 and 'id="password-error"' in response.get_data(as_text=True)
    with database.sessions() as session:
        assert find_customer(session, keyring=app.extensions["vrm"].keyring, email="unsure@example.org")


def test_deleting_shreds_the_vault_and_signs_out_everywhere(app: Flask, database: Database) -> None:
    leaving, elsewhere, staying = app.test_client(), app.test_client(), app.test_client()
    sign_up(leaving, "gone@example.org")
    post_form(elsewhere, "/signin", {"email": "gone@example.org", "password": PASSWORD})
    sign_up(staying, "stays@example.org")
    seed_history(app, database, "gone@example.org")
    page = post_form(leaving, "/account/delete", {"password": PASSWORD})
    assert page.status_code == 200 and "Your vault is deleted" in page.get_data(as_text=True)
    assert leaving.get("/account").status_code == 302 and elsewhere.get("/account").status_code == 302
    with database.sessions() as session:
        assert find_customer(session, keyring=app.extensions["vrm"].keyring, email="gone@example.org") is None
        assert session.scalar(select(func.count()).select_from(DataKey)) == 1  # only the other customer's
        assert session.scalar(select(func.count()).select_from(Interaction)) == 0
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1
    assert staying.get("/account").status_code == 200
    signin = post_form(leaving, "/signin", {"email": "gone@example.org", "password": PASSWORD})
    assert "The email or password is not right." in signin.get_data(as_text=True)
