"""Journeys through the business API, with tokens from the real flow: a business opens one under its case
number, continues it on another channel, and reads the thread back; another business can neither read nor
join it; what the customer records reaches the business only once shared."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.conftest import Database
from tests.oauth.conftest import Browser, Registered, register
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_business_api import EVERYTHING, api
from tests.oauth.test_logged_events import of_type

NOW = datetime.now(UTC)


def post(server: str, client: OAuth2Session, path: str, body: object, **headers: str) -> requests.Response:
    return api(server, client, path, method="POST", json=body, headers=headers)


def call(channel: str, hours_ago: int, **extra: object) -> dict[str, Any]:
    return {
        "channel": channel,
        "direction": "inbound",
        "occurred_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
        "subject": f"About the bill, by {channel}",
        **extra,
    }


def test_a_case_started_on_chat_continues_by_phone_and_reads_back_in_order(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    client, _ = authorize(server, browser, registered, EVERYTHING)
    opened = post(server, client, "/customer/journeys", {"title": "Bill doubled", "reference": "CASE-1234"})
    assert opened.status_code == 201 and opened.headers["Content-Type"] == "application/json"
    journey = opened.json()
    assert opened.headers["Location"].endswith(f"/api/v1/customer/journeys/{journey['id']}")
    assert (journey["title"], journey["reference"], journey["opened_by"]) == (
        "Bill doubled",
        "CASE-1234",
        "business",
    )
    again = post(server, client, "/customer/journeys", {"title": "Another title", "reference": "CASE-1234"})
    assert again.status_code == 200 and again.json() == journey  # the reference names it: title unchanged

    chat = post(server, client, "/customer/interactions", call("chat", 3, journey={"reference": "CASE-1234"}))
    voice = post(
        server, client, "/customer/interactions", call("voice", 1, journey={"reference": " CASE-1234"})
    )
    assert chat.status_code == voice.status_code == 201
    assert chat.json()["journey_id"] == voice.json()["journey_id"] == journey["id"]

    thread = api(server, client, f"/customer/journeys/{journey['id']}")
    assert thread.status_code == 200 and thread.headers["Cache-Control"] == "no-store"
    body = thread.json()
    assert [item["channel"] for item in body["interactions"]] == ["chat", "voice"] and body[
        "next_cursor"
    ] is None
    assert body["reference"] == "CASE-1234" and "feedback" in body["interactions"][0]
    found = api(server, client, "/customer/journeys?reference=CASE-1234").json()
    assert [item["id"] for item in found["items"]] == [journey["id"]]
    assert api(server, client, "/customer/journeys?reference=CASE-9999").json()["items"] == []
    assert len(of_type(database, "journey.opened")) == 1  # opened once, continued twice
    [event] = of_type(database, "journey.opened")
    assert event["details"]["journey"] == journey["id"] and "CASE-1234" not in str(event)
    assert "Bill doubled" not in str(event) and event["actors"]["client"] == registered.client_id
    page = browser.http.get(server + "/history").text
    assert "Bill doubled" in page and "Started on chat, continued by phone call." in page


def test_an_interaction_opens_the_journey_its_reference_names_on_first_use(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    client, _ = authorize(server, browser, registered, "interactions:read interactions:write")
    first = post(
        server,
        client,
        "/customer/interactions",
        call("email", 2, journey={"reference": "T-77", "title": "Moving house"}),
        **{"Idempotency-Key": "mail-1"},
    )
    retry = post(
        server,
        client,
        "/customer/interactions",
        call("email", 2, journey={"reference": "T-77", "title": "Moving house"}),
        **{"Idempotency-Key": "mail-1"},
    )
    assert first.status_code == 201 and retry.status_code == 200 and retry.json() == first.json()
    [journey] = api(server, client, "/customer/journeys").json()["items"]
    assert (journey["id"], journey["title"], journey["reference"]) == (
        first.json()["journey_id"],
        "Moving house",
        "T-77",
    )
    assert len(of_type(database, "journey.opened")) == 1


def test_another_business_cannot_read_or_join_it_and_its_same_reference_is_its_own(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    ours, _ = authorize(server, browser, registered, EVERYTHING)
    journey = post(server, ours, "/customer/journeys", {"reference": "CASE-1234"}).json()
    post(server, ours, "/customer/interactions", call("chat", 2, journey_id=journey["id"]))
    rival = register(database, "contoso-mobile")
    theirs, _ = authorize(server, browser, rival, EVERYTHING)
    hidden = api(server, theirs, f"/customer/journeys/{journey['id']}")
    assert hidden.status_code == 404 and hidden.headers["Content-Type"] == "application/problem+json"
    missing = api(server, theirs, f"/customer/journeys/{uuid.uuid4()}")
    assert missing.json()["detail"] == hidden.json()["detail"]  # exactly like a journey that does not exist
    joined = post(server, theirs, "/customer/interactions", call("sms", 1, journey_id=journey["id"]))
    assert joined.status_code == 422 and "journey_id" in joined.json()["errors"]
    assert api(server, theirs, "/customer/journeys?reference=CASE-1234").json()["items"] == []
    own = post(server, theirs, "/customer/journeys", {"reference": "CASE-1234"})
    assert own.status_code == 201 and own.json()["id"] != journey["id"]
    assert [item["id"] for item in api(server, theirs, "/customer/journeys").json()["items"]] == [
        own.json()["id"]
    ]
    assert [
        item["channel"]
        for item in api(server, ours, f"/customer/journeys/{journey['id']}").json()["interactions"]
    ] == ["chat"]


def test_what_the_customer_records_reaches_the_business_only_once_shared(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, _ = authorize(server, browser, registered, EVERYTHING)
    journey = post(server, client, "/customer/journeys", {"reference": "CASE-5"}).json()
    post(server, client, "/customer/interactions", call("chat", 5, journey={"reference": "CASE-5"}))
    path = f"/history/journeys/{journey['id']}"
    answer = browser.http.post(
        server + path + "/record",
        data={
            "csrf_token": browser.csrf(path),
            "channel": "voice",
            "direction": "inbound",
            "occurred_at": (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "subject": "I called; they promised a refund by Friday",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302
    thread = path.replace("/history", "/customer")

    def seen() -> list[str]:
        return [item["subject"] for item in api(server, client, thread).json()["interactions"]]

    assert seen() == ["About the bill, by chat"]
    assert len(api(server, client, "/customer/interactions").json()["items"]) == 1
    own_id = answer.headers["Location"].rsplit("#interaction-", 1)[1]
    shared = browser.http.post(
        f"{server}/history/{own_id}/sharing",
        data={"csrf_token": browser.csrf(path), "shared": "true"},
        allow_redirects=False,
    )
    assert shared.status_code == 302
    assert seen() == ["About the bill, by chat", "I called; they promised a refund by Friday"]
    listed = api(server, client, "/customer/interactions").json()["items"]
    assert [item["recorded_by"] for item in listed] == ["customer", "business"]


def test_bad_journey_input_is_explained_never_a_500(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, _ = authorize(server, browser, registered, EVERYTHING)
    for body, field in (
        ({"reference": "x" * 101}, "reference"),
        ({"reference": "CASE\u00071"}, "reference"),
        ({"reference": ""}, "reference"),
        ({"title": "t" * 201}, "title"),
        ({"colour": "red"}, "colour"),
    ):
        refused = post(server, client, "/customer/journeys", body)
        assert refused.status_code == 422, (body, refused.text)
        assert (
            refused.headers["Content-Type"] == "application/problem+json"
            and field in refused.json()["errors"]
        )
    journey = post(server, client, "/customer/journeys", {"title": "Mine"}).json()
    for body, field in (
        (call("chat", 1, journey={"reference": "y" * 101}), "journey.reference"),
        (call("chat", 1, journey={"reference": "CASE\n1"}), "journey.reference"),
        (call("chat", 1, journey={"title": "no reference"}), "journey.reference"),
        (call("chat", 1, journey="CASE-1"), "journey._schema"),
        (call("chat", 1, journey_id=journey["id"], journey={"reference": "CASE-1"}), "journey"),
        (call("chat", 1, journey_id=str(uuid.uuid4())), "journey_id"),
    ):
        refused = post(server, client, "/customer/interactions", body)
        assert refused.status_code == 422 and field in refused.json()["errors"], (body, refused.text)
    malformed = api(
        server,
        client,
        "/customer/journeys",
        method="POST",
        data='{"reference": ',
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 422 and "body" in malformed.json()["errors"]
    for path, status in (
        ("/customer/journeys/not-a-uuid", 404),
        ("/customer/journeys?cursor=junk", 422),
        (f"/customer/journeys/{journey['id']}?cursor=junk", 422),
        ("/customer/journeys?reference=%07", 422),
    ):
        answer = api(server, client, path)
        assert (
            answer.status_code == status and answer.headers["Content-Type"] == "application/problem+json"
        ), path
    assert (
        api(server, client, "/customer/journeys").json()["items"][0]["id"] == journey["id"]
    )  # nothing else made


def test_journeys_page_with_a_cursor(server: str, browser: Browser, registered: Registered) -> None:
    client, _ = authorize(server, browser, registered, "interactions:read interactions:write")
    made = [
        post(server, client, "/customer/journeys", {"reference": f"P-{n}"}).json()["id"] for n in range(52)
    ]
    first = api(server, client, "/customer/journeys").json()
    second = api(server, client, f"/customer/journeys?cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 50 and second["next_cursor"] is None
    assert {item["id"] for item in first["items"] + second["items"]} == set(made)
