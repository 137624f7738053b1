"""The business API as a business calls it, with a token from the real flow: what it may read, what it may
write, and how the customer's choices change the very next answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.conftest import Database
from tests.oauth.conftest import Browser, Registered, business_token, register
from tests.oauth.test_authorization_code import authorize

EVERYTHING = "profile:read contact:read preferences:read interactions:read interactions:write feedback:read"


def api(server: str, client: OAuth2Session, path: str, **kwargs: object) -> requests.Response:
    method = str(kwargs.pop("method", "GET"))
    return client.request(method, server + "/api/v1" + path, timeout=10, **kwargs)  # type: ignore[no-any-return]


def fill_profile(browser: Browser) -> None:
    token = browser.csrf("/profile")
    answer = browser.http.post(
        browser.base + "/profile",
        data={
            "csrf_token": token,
            "given_name": "Grace",
            "family_name": "Hopper",
            "language": "en",
            "emails-0-address": "oauth.customer@example.org",
            "phones-0-number": "+44 20 7946 0958",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302


def set_sharing(browser: Browser, **shared: bool) -> None:
    categories = {
        "profile": True,
        "contact": True,
        "preferences": True,
        "interactions": True,
        "feedback": True,
        **shared,
    }
    data = {f"share-{c}": "on" for c, on in categories.items() if on}
    data.update({"contact-email-service": "on", "csrf_token": browser.csrf("/preferences")})
    assert (
        browser.http.post(browser.base + "/preferences", data=data, allow_redirects=False).status_code == 302
    )


def test_the_business_reads_what_was_granted_under_a_pairwise_id(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    fill_profile(browser)
    client, _ = authorize(server, browser, registered, EVERYTHING)
    me = api(server, client, "/customer")
    assert me.status_code == 200 and me.headers["Cache-Control"] == "no-store"
    body = me.json()
    assert body["given_name"] == "Grace" and body["emails"][0]["address"] == "oauth.customer@example.org"
    assert "birth_date" not in body and "attributes" not in body  # no scope covers these
    other = register(database, "contoso-mobile")
    other_client, _ = authorize(server, browser, other, "profile:read")
    other_body = api(server, other_client, "/customer").json()
    assert other_body["sub"] != body["sub"] and len(body["sub"]) >= 32  # two businesses cannot join on it
    assert "emails" not in other_body  # contact:read was not granted to this one
    again, _ = authorize(server, browser, registered, "profile:read")
    assert api(server, again, "/customer").json()["sub"] == body["sub"]  # stable for one business


def test_a_withheld_category_is_absent_on_the_very_next_call(
    server: str, browser: Browser, registered: Registered
) -> None:
    fill_profile(browser)
    client, _ = authorize(server, browser, registered, EVERYTHING)
    assert "emails" in api(server, client, "/customer").json()
    set_sharing(browser, contact=False)
    body = api(server, client, "/customer").json()
    assert "emails" not in body and "phones" not in body and body["given_name"] == "Grace"
    assert api(server, client, "/customer/interactions").status_code == 200


def test_narrowing_the_grant_narrows_tokens_already_issued(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    from sqlalchemy import select

    from vrm.consent.models import Grant

    fill_profile(browser)
    client, _ = authorize(server, browser, registered, EVERYTHING)
    with database.sessions() as session:
        grant_id = session.scalars(select(Grant.id)).one()
    answer = browser.http.post(
        f"{server}/connections/{grant_id}",
        data={"csrf_token": browser.csrf("/connections"), "scope": ["profile:read"]},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    assert "emails" not in api(server, client, "/customer").json()
    refused = api(server, client, "/customer/preferences")
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]


def test_a_withdrawal_answers_the_next_call_with_401(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    from sqlalchemy import select

    from vrm.consent.models import Grant

    client, _ = authorize(server, browser, registered, EVERYTHING)
    assert api(server, client, "/customer").status_code == 200
    with database.sessions() as session:
        grant_id = session.scalars(select(Grant.id)).one()
    browser.http.post(
        f"{server}/connections/{grant_id}/withdraw", data={"csrf_token": browser.csrf("/connections")}
    )
    refused = api(server, client, "/customer")
    assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_calls_without_a_fitting_token_are_refused_with_a_challenge(
    server: str, browser: Browser, registered: Registered
) -> None:
    bare = requests.get(server + "/api/v1/customer", timeout=10)
    assert bare.status_code == 401 and bare.headers["WWW-Authenticate"].startswith('Bearer realm="vrm"')
    assert bare.json()["detail"]
    forged = requests.get(server + "/api/v1/customer", headers={"Authorization": "Bearer forged"}, timeout=10)
    assert forged.status_code == 401
    client, _ = authorize(server, browser, registered, "profile:read")
    missing = api(server, client, "/customer/interactions")
    assert missing.status_code == 403 and 'scope="interactions:read"' in missing.headers["WWW-Authenticate"]
    assert "interactions:read" in missing.json()["detail"]
    business = business_token(server, registered)
    no_customer = requests.get(
        server + "/api/v1/customer", headers={"Authorization": f"Bearer {business}"}, timeout=10
    )
    assert no_customer.status_code == 403


def test_preferences_tell_the_business_what_it_may_do(
    server: str, browser: Browser, registered: Registered
) -> None:
    set_sharing(browser)
    client, _ = authorize(server, browser, registered, EVERYTHING)
    body = api(server, client, "/customer/preferences").json()
    assert body["contact"]["email"]["service"] is True and body["contact"]["email"]["marketing"] is False


def test_a_business_records_interactions_into_the_customers_history(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, _ = authorize(server, browser, registered, EVERYTHING)
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    sent = {
        "channel": "voice",
        "direction": "inbound",
        "occurred_at": when,
        "subject": "Meter reading",
        "summary": "Read out the meter.",
    }
    created = api(
        server,
        client,
        "/customer/interactions",
        method="POST",
        json=sent,
        headers={"Idempotency-Key": "call-1"},
    )
    assert created.status_code == 201, created.text
    retry = api(
        server,
        client,
        "/customer/interactions",
        method="POST",
        json=sent,
        headers={"Idempotency-Key": "call-1"},
    )
    assert retry.status_code == 200 and retry.json()["id"] == created.json()["id"]
    changed = api(
        server,
        client,
        "/customer/interactions",
        method="POST",
        json={**sent, "subject": "Other"},
        headers={"Idempotency-Key": "call-1"},
    )
    assert changed.status_code == 409
    listed = api(server, client, "/customer/interactions").json()
    assert [item["subject"] for item in listed["items"]] == ["Meter reading"]
    assert "Meter reading" in browser.http.get(server + "/history").text  # the customer sees it too


def test_bad_interactions_are_explained_field_by_field(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, _ = authorize(server, browser, registered, "interactions:write")
    bad = api(
        server,
        client,
        "/customer/interactions",
        method="POST",
        json={"channel": "fax", "direction": "sideways", "occurred_at": "yesterday", "extra": 1},
    )
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
    errors = bad.json()["errors"]
    assert {"channel", "direction", "occurred_at", "subject", "extra"} <= set(errors)
    not_json = api(server, client, "/customer/interactions", method="POST", data="channel=email")
    assert not_json.status_code == 422
    future = api(
        server,
        client,
        "/customer/interactions",
        method="POST",
        json={
            "channel": "email",
            "direction": "outbound",
            "subject": "x",
            "occurred_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        },
    )
    assert future.status_code == 422 and "occurred_at" in future.json()["errors"]
    journey = api(
        server,
        client,
        "/customer/interactions",
        method="POST",
        json={
            "channel": "email",
            "direction": "outbound",
            "subject": "x",
            "journey_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
        },
    )
    assert journey.status_code == 422 and "journey_id" in journey.json()["errors"]


def test_the_history_pages_with_a_cursor(server: str, browser: Browser, registered: Registered) -> None:
    client, _ = authorize(server, browser, registered, "interactions:read interactions:write")
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(55):
        sent = {
            "channel": "email",
            "direction": "outbound",
            "subject": f"Letter {n}",
            "occurred_at": (start + timedelta(minutes=n)).isoformat(),
        }
        assert api(server, client, "/customer/interactions", method="POST", json=sent).status_code == 201
    first = api(server, client, "/customer/interactions").json()
    assert len(first["items"]) == 50 and first["items"][0]["subject"] == "Letter 54" and first["next_cursor"]
    second = api(server, client, f"/customer/interactions?cursor={first['next_cursor']}").json()
    assert [item["subject"] for item in second["items"]] == [f"Letter {n}" for n in range(4, -1, -1)]
    assert second["next_cursor"] is None
    assert api(server, client, "/customer/interactions?cursor=junk").status_code == 422


def test_the_customer_sees_when_the_business_last_read_and_what(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, _ = authorize(server, browser, registered, EVERYTHING)
    api(server, client, "/customer")
    page = browser.http.get(server + "/connections").text
    assert "Last read your data" in page and "your name, language and time zone, how to reach you" in page
