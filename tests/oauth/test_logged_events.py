"""What the consent log records while a business and a customer go about their business: the consent, the
business's reads, writes and contact decisions, the withdrawal; all pseudonymous, and the log verifies."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.conftest import Database
from tests.oauth.conftest import Browser, Registered, business_token
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_business_api import EVERYTHING, api, fill_profile
from tests.oauth.test_contact_decisions import decisions
from vrm.accounts.models import Customer
from vrm.consent.log import verify
from vrm.consent.models import Grant, LogEvent
from vrm.crypto.derive import pseudonym


def logged(database: Database) -> list[dict[str, Any]]:
    with database.sessions() as session:
        events = list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))
    assert verify(events).intact
    return [json.loads(event) for event in events]


def of_type(database: Database, kind: str) -> list[dict[str, Any]]:
    return [event for event in logged(database) if event["type"] == kind]


def test_a_business_relationship_is_logged_step_by_step_under_a_pseudonym(
    server: str, app: Any, browser: Browser, registered: Registered, database: Database
) -> None:
    fill_profile(browser)
    client, _ = authorize(server, browser, registered, EVERYTHING)
    with database.sessions() as session:
        customer_id = session.scalars(select(Customer.id)).one()
        grant = session.scalars(select(Grant)).one()
    me = pseudonym(app.extensions["vrm"].keyring.log_pseudonym_key, customer_id)
    business = str(registered.business_id)

    [granted] = of_type(database, "consent.granted")
    assert granted["actors"] == {"customer": me, "business": business, "client": registered.client_id}
    assert granted["details"]["grant"] == str(grant.id) and granted["details"]["purpose"] == grant.purpose
    assert granted["details"]["scopes"] == sorted(EVERYTHING.split())

    sub = api(server, client, "/customer").json()["sub"]
    api(server, client, "/customer")  # read again within the minute: one entry for both
    api(server, client, "/customer/interactions")  # other categories: an entry of its own
    reads = of_type(database, "data.read")
    assert [read["details"]["categories"] for read in reads] == [
        ["contact", "profile"],
        ["feedback", "interactions"],
    ]
    assert reads[0]["actors"] == {"business": business, "client": registered.client_id}
    assert reads[0]["details"]["customer"] == me and reads[0]["details"]["grant"] == str(grant.id)
    uuid.UUID(reads[0]["details"]["token"])  # the token's id, never the token itself

    sent = {
        "channel": "email",
        "direction": "outbound",
        "occurred_at": datetime.now(UTC).isoformat(),
        "subject": "Bill",
    }
    created = api(
        server, client, "/customer/interactions", method="POST", json=sent, headers={"Idempotency-Key": "k"}
    )
    assert created.status_code == 201, created.text
    api(server, client, "/customer/interactions", method="POST", json=sent, headers={"Idempotency-Key": "k"})
    [recorded] = of_type(database, "interaction.recorded")  # the retry created nothing, and logs nothing
    assert recorded["details"] == {
        "customer": me,
        "grant": str(grant.id),
        "interaction": created.json()["id"],
        "channel": "email",
        "direction": "outbound",
    }

    token = business_token(server, registered)
    asked = [
        {"customer": sub, "channel": "email", "purpose": "service"},
        {"customer": sub, "channel": "email", "purpose": "marketing"},
        {"customer": sub, "channel": "social", "purpose": "marketing"},
        {"customer": "nobody-we-know", "channel": "email", "purpose": "marketing"},
    ]
    assert [answer["allowed"] for answer in decisions(server, token, asked)] == [True, False, False, False]
    [decided] = of_type(database, "contact.decided")
    assert decided["actors"] == {"business": business, "client": registered.client_id}
    assert decided["details"] == {
        "questions": 4,
        "allowed": [{"channel": "email", "purpose": "service", "count": 1}],
        "denied": [
            {
                "reason": "channel_not_allowed",
                "channel": "social",
                "purpose": "marketing",
                "count": 1,
                "customers": [me],
            },
            {
                "reason": "no_relationship",
                "channel": "email",
                "purpose": "marketing",
                "count": 1,
                "customers": [],
            },
            {
                "reason": "purpose_not_allowed",
                "channel": "email",
                "purpose": "marketing",
                "count": 1,
                "customers": [me],
            },
        ],
    }

    browser.http.post(
        f"{server}/connections/{grant.id}/withdraw", data={"csrf_token": browser.csrf("/connections")}
    )
    [withdrawn] = of_type(database, "consent.withdrawn")
    assert withdrawn["actors"] == {"customer": me, "business": business}
    assert withdrawn["details"]["grant"] == str(grant.id) and withdrawn["details"]["reason"] == "withdrawn"

    everything = b"".join(json.dumps(event).encode() for event in logged(database))
    for secret in (
        b"Grace",
        b"Hopper",
        b"oauth.customer@example.org",
        str(customer_id).encode(),
        sub.encode(),
    ):
        assert secret not in everything  # no name, address, customer id or pairwise id in the log


def test_a_batch_of_decisions_is_one_entry_naming_the_customer_of_every_deny(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    client, _ = authorize(server, browser, registered, "profile:read")
    sub = api(server, client, "/customer").json()["sub"]
    token = business_token(server, registered)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    asked = [{"customer": sub, "channel": "sms", "purpose": "marketing", "at": later}] * 3
    asked += [{"customer": f"unknown-{n}", "channel": "sms", "purpose": "marketing"} for n in range(5)]
    answers = decisions(server, token, asked)
    assert not any(answer["allowed"] for answer in answers)
    reason = answers[0]["reason"]  # whichever of the customer's rules said no, the same three times
    [decided] = of_type(database, "contact.decided")
    groups = {group["reason"]: group for group in decided["details"]["denied"]}
    assert set(groups) == {"no_relationship", reason}
    assert groups["no_relationship"]["count"] == 5 and groups["no_relationship"]["customers"] == []
    assert groups[reason]["count"] == 3 and len(set(groups[reason]["customers"])) == 1
    assert len(groups[reason]["customers"]) == 3  # once per question, as asked
    assert decided["details"]["allowed"] == [] and decided["details"]["questions"] == 8
