"""Every route of the web pages, walked by a second customer with the first one's ids: nothing is seen,
nothing changes. The routes come from the URL map, so a new route is in this test the day it is added."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import Database
from tests.web.conftest import csrf_token, post_form, sign_up
from tests.web.test_connections import seed_grant
from tests.web.test_history import seed_history
from vrm.accounts.models import WebSession
from vrm.consent.models import Grant, LogEvent
from vrm.serving.paths import is_json_path
from vrm.vault.models import Interaction, Journey

OWNER, INTRUDER = "owner.matrix@example.org", "intruder.matrix@example.org"
MARKERS = ("Ariadne", "Boiler broke", "Engineer booked", "Statement ready", "owner-only note", OWNER)
# Arguments that name something of the owner's: the intruder must get 404 whatever the method.
OWNED = {"session_id", "interaction_id", "journey_id", "grant_id", "seq"}
# Plausible form data, so a refused request is refused for whose it is, not for being empty.
PAYLOAD = {
    "rating": "1",
    "comment": "intruder",
    "note": "intruder",
    "hidden": "true",
    "scope": "profile:read",
}
# Files; signing the intruder out proves nothing.
SKIPPED = {"static", "pages.static", "pages.favicon", "auth.signout"}


def owner_world(app: Flask, database: Database, owner: FlaskClient) -> dict[str, str]:
    """The owner's vault with a profile, history, a note, a rating and a connection; their ids by argument."""
    sign_up(owner, OWNER)
    post_form(owner, "/profile", {"given_name": "Ariadne", "emails-0-address": OWNER})
    ids = seed_history(app, database, OWNER)
    post_form(owner, f"/history/{ids['call']}/note", {"note": "owner-only note"}, token_from="/history")
    post_form(owner, f"/history/{ids['call']}/feedback", {"rating": "5"}, token_from="/history")
    grant = seed_grant(app, database, OWNER, business="contoso-mobile")
    with database.sessions() as session:
        web_session = session.scalars(select(WebSession)).one()
        receipt = session.scalars(select(LogEvent.seq).where(LogEvent.type == "consent.granted")).one()
    return {
        "session_id": str(web_session.id),
        "interaction_id": str(ids["call"]),
        "journey_id": str(ids["journey"]),
        "grant_id": str(grant),
        "name": "northwind-energy",
        "token": "not-a-reset-token",
        "client_id": "vrm_someone_elses",  # portal routes: a customer is no business user (see test_portal)
        "seq": str(receipt),  # the owner's consent receipt
        "handle": "northwind-energy",  # audit routes: a customer is no auditor (see test_audit_workspace)
        "run_id": str(uuid.uuid4()),
        "kind": "jsonl",
    }


def snapshot(database: Database, owner_session: str) -> list[object]:
    """Everything of the owner's that a request could change, as stored."""
    with database.sessions() as session:
        owner = session.get(WebSession, uuid.UUID(owner_session))
        assert owner is not None, "the owner's session is gone"
        rows: list[object] = []
        for model in (WebSession, Interaction, Journey, Grant):
            query = select(model).where(model.customer_id == owner.customer_id).order_by(model.id)
            for row in session.scalars(query):
                rows.append(
                    {c.name: getattr(row, c.key) for c in model.__table__.columns if c.name != "last_seen_at"}
                )
        return rows


def test_a_second_customer_reaches_nothing_of_the_first_through_any_route(
    app: Flask, database: Database
) -> None:
    owner, intruder = app.test_client(), app.test_client()
    ids = owner_world(app, database, owner)
    before = snapshot(database, ids["session_id"])
    sign_up(intruder, INTRUDER)
    token = csrf_token(intruder, "/account")
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED or is_json_path(rule.rule):
            continue
        missing = set(rule.arguments) - set(ids)
        assert not missing, f"{rule.rule}: give the matrix an owner's value for {missing}"
        path = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            if method == "POST" and not rule.arguments:
                continue  # the intruder's own forms (profile, preferences...) change only the intruder's data
            data = {**PAYLOAD, "csrf_token": token} if method == "POST" else None
            response = intruder.open(path, method=method, data=data)
            page = response.get_data(as_text=True)
            assert not [m for m in MARKERS if m in page], f"{method} {path} shows the owner's data"
            if OWNED & set(rule.arguments):
                assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            walked += 1
    assert walked >= 25  # every page route, each owned id by GET and POST
    assert snapshot(database, ids["session_id"]) == before  # nothing of the owner's changed
    assert owner.get("/account").status_code == 200  # and the owner is still signed in


def test_the_owners_ids_do_reach_the_owners_data(app: Flask, database: Database) -> None:
    """The matrix's 404s mean 'not yours', not 'no such id': the same URLs work for the owner."""
    owner = app.test_client()
    ids = owner_world(app, database, owner)
    assert "Engineer booked" in owner.get(f"/history/journeys/{ids['journey_id']}").get_data(as_text=True)
    assert "Engineer booked" in owner.get(f"/history/{ids['interaction_id']}/delete").get_data(as_text=True)
    response = owner.post(
        f"/connections/{ids['grant_id']}",
        data={"scope": "profile:read", "csrf_token": csrf_token(owner, "/account")},
    )
    assert response.status_code == 302
    assert owner.get(f"/receipts/{ids['seq']}.json").status_code == 200
