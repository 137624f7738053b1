"""Contact decisions: the business asks before it contacts anyone, and every answer follows the customer's
rules as they are at that moment, with the reason for every deny."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.metrics import samples
from tests.oauth.conftest import Browser, Registered, business_token, token_request
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_business_api import api

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def known(server: str, browser: Browser, registered: Registered) -> tuple[str, str]:
    """A customer who granted the business access: their pairwise id, and the business's own token."""
    client, _ = authorize(server, browser, registered, "profile:read interactions:write")
    sub = api(server, client, "/customer").json()["sub"]
    return sub, business_token(server, registered)


def ask(server: str, token: str, items: list[dict[str, object]]) -> requests.Response:
    return requests.post(
        server + "/api/v1/contact-decisions",
        json={"items": items},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def decisions(server: str, token: str, items: list[dict[str, object]]) -> list[dict[str, object]]:
    answer = ask(server, token, items)
    assert answer.status_code == 200, answer.text
    result: list[dict[str, object]] = answer.json()["decisions"]
    return result


def preferences(browser: Browser, **fields: str) -> None:
    data = {"share-profile": "on", "share-contact": "on", "contact-email-service": "on", **fields}
    data["csrf_token"] = browser.csrf("/preferences")
    assert (
        browser.http.post(browser.base + "/preferences", data=data, allow_redirects=False).status_code == 302
    )


def test_each_question_gets_its_answer_in_order_with_a_reason_for_each_deny(
    server: str, known: tuple[str, str]
) -> None:
    sub, token = known
    answers = decisions(
        server,
        token,
        [
            {"customer": sub, "channel": "email", "purpose": "service"},
            {"customer": sub, "channel": "email", "purpose": "marketing"},
            {"customer": sub, "channel": "social", "purpose": "service"},
            {"customer": "someone-else", "channel": "email", "purpose": "service"},
        ],
    )
    assert answers == [
        {"customer": sub, "allowed": True},
        {"customer": sub, "allowed": False, "reason": "purpose_not_allowed"},
        {"customer": sub, "allowed": False, "reason": "channel_not_allowed"},
        {"customer": "someone-else", "allowed": False, "reason": "no_relationship"},
    ]


def test_a_preference_change_reaches_the_very_next_decision(
    server: str, browser: Browser, known: tuple[str, str]
) -> None:
    sub, token = known
    question = [{"customer": sub, "channel": "email", "purpose": "marketing"}]
    assert decisions(server, token, question)[0]["allowed"] is False
    preferences(browser, **{"contact-email-marketing": "on"})
    assert decisions(server, token, question)[0] == {"customer": sub, "allowed": True}


def test_quiet_hours_in_the_customers_time_zone(
    server: str, browser: Browser, known: tuple[str, str]
) -> None:
    sub, token = known
    preferences(
        browser, quiet_hours="on", quiet_start="21:00", quiet_end="08:00", quiet_time_zone="Europe/Paris"
    )
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    late = datetime.combine(tomorrow, datetime.min.time(), PARIS).replace(hour=22, minute=30)
    noon = late.replace(hour=12, minute=0)
    early = late.replace(hour=7, minute=59) + timedelta(days=1)
    answers = decisions(
        server,
        token,
        [
            {"customer": sub, "channel": "email", "purpose": "service", "at": moment.isoformat()}
            for moment in (late, noon, early, late.astimezone(UTC))
        ],
    )
    assert [a.get("reason") for a in answers] == ["quiet_hours", None, "quiet_hours", "quiet_hours"]


def test_a_frequency_cap_counts_what_the_business_recorded_as_sent(
    server: str, browser: Browser, registered: Registered, known: tuple[str, str]
) -> None:
    sub, token = known
    preferences(browser, **{"cap-email-limit": "2", "cap-email-period": "week"})
    question = [{"customer": sub, "channel": "email", "purpose": "service"}]
    client, _ = authorize(server, browser, registered, "interactions:write")
    for n in range(2):
        assert decisions(server, token, question)[0]["allowed"] is True
        sent = {
            "channel": "email",
            "direction": "outbound",
            "subject": f"Bill {n}",
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        }
        assert api(server, client, "/customer/interactions", method="POST", json=sent).status_code == 201
    assert decisions(server, token, question)[0] == {
        "customer": sub,
        "allowed": False,
        "reason": "frequency_cap",
    }


def test_rules_for_one_company_apply_to_it(server: str, browser: Browser, known: tuple[str, str]) -> None:
    sub, token = known
    data = {"csrf_token": browser.csrf("/preferences/companies/northwind-energy"), "share-profile": "on"}
    # Every box unticked for this company: email service, allowed in general, is refused to it alone.
    assert (
        browser.http.post(
            browser.base + "/preferences/companies/northwind-energy", data=data, allow_redirects=False
        ).status_code
        == 302
    )
    answer = decisions(server, token, [{"customer": sub, "channel": "email", "purpose": "service"}])
    assert answer[0]["reason"] == "channel_not_allowed"


def test_a_withdrawn_consent_is_said_so(server: str, browser: Browser, known: tuple[str, str]) -> None:
    sub, token = known
    page = browser.http.get(browser.base + "/connections").text
    for grant_id in set(re.findall(r"/connections/([0-9a-f-]{36})/withdraw", page)):
        browser.http.post(
            f"{browser.base}/connections/{grant_id}/withdraw",
            data={"csrf_token": browser.csrf("/connections")},
        )
    answer = decisions(server, token, [{"customer": sub, "channel": "email", "purpose": "service"}])
    assert answer[0] == {"customer": sub, "allowed": False, "reason": "consent_withdrawn"}


def test_ten_thousand_questions_in_one_batch_and_not_one_more(server: str, known: tuple[str, str]) -> None:
    sub, token = known
    batch = [
        {"customer": sub if n % 2 else f"unknown-{n}", "channel": "email", "purpose": "service"}
        for n in range(10_000)
    ]
    answers = decisions(server, token, batch)
    assert len(answers) == 10_000 and answers[1] == {"customer": sub, "allowed": True}
    assert answers[0] == {"customer": "unknown-0", "allowed": False, "reason": "no_relationship"}
    too_many = ask(server, token, batch + batch[:1])
    assert too_many.status_code == 422 and "items" in too_many.json()["errors"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"customer": "x", "channel": "fax", "purpose": "service"}, "items[0].channel"),
        ({"customer": "x", "channel": "email", "purpose": "spam"}, "items[0].purpose"),
        ({"customer": 7, "channel": "email", "purpose": "service"}, "items[0].customer"),
        ({"customer": "x\u0000y", "channel": "email", "purpose": "service"}, "items[0].customer"),
        ({"customer": "x", "channel": "email", "purpose": "service", "at": "tomorrow"}, "items[0].at"),
        (
            {"customer": "x", "channel": "email", "purpose": "service", "at": "2026-01-01T10:00:00"},
            "items[0].at",
        ),
        (
            {"customer": "x", "channel": "email", "purpose": "service", "at": "0001-01-01T00:00:00+00:00"},
            "items[0].at",
        ),
        ({"customer": "x", "channel": "email", "purpose": "service", "extra": 1}, "items[0]"),
        ("not an object", "items[0]"),
    ],
)
def test_a_bad_question_is_named_by_its_place(
    server: str, known: tuple[str, str], item: object, field: str
) -> None:
    _, token = known
    answer = ask(server, token, [item])  # type: ignore[list-item]
    assert answer.status_code == 422 and field in answer.json()["errors"]


def test_only_a_business_token_may_ask(server: str, browser: Browser, registered: Registered) -> None:
    client, _ = authorize(server, browser, registered, "profile:read")
    answer = client.post(server + "/api/v1/contact-decisions", json={"items": []}, timeout=10)
    assert answer.status_code == 403
    assert (
        requests.post(server + "/api/v1/contact-decisions", json={"items": []}, timeout=10).status_code == 401
    )


def counted(server: str, name: str, **labels: str) -> float:
    text = requests.get(server + "/metrics", timeout=10).text  # development: open without a token
    return sum(samples(text, name, **labels))


def test_tokens_and_contact_decisions_are_counted_by_kind(
    server: str, registered: Registered, known: tuple[str, str]
) -> None:
    sub, _ = known
    tokens = counted(server, "vrm_oauth_tokens_issued_total", grant_type="client_credentials")
    allowed = counted(server, "vrm_contact_decisions_total", answer="allow")
    denied = counted(server, "vrm_contact_decisions_total", answer="deny")
    refused = token_request(server, registered, "not-the-secret", grant_type="client_credentials")
    assert refused.status_code == 401
    token = business_token(server, registered)
    decisions(
        server,
        token,
        [
            {"customer": sub, "channel": "email", "purpose": "service"},
            {"customer": sub, "channel": "email", "purpose": "marketing"},
            {"customer": "nobody", "channel": "email", "purpose": "service"},
        ],
    )
    assert counted(server, "vrm_oauth_tokens_issued_total", grant_type="client_credentials") == tokens + 1
    assert counted(server, "vrm_contact_decisions_total", answer="allow") == allowed + 1
    assert counted(server, "vrm_contact_decisions_total", answer="deny") == denied + 2
    text = requests.get(server + "/metrics", timeout=10).text
    assert sub not in text and registered.client_id not in text
