"""The whole product walked as people meet it, in Chromium with every control of the pages on.

A customer creates a vault and fills it on a phone; a business registers in the portal and its website
connects through the real consent redirect (Authlib, PKCE S256, a callback on its own origin); its agents
continue one case from chat to the phone through the API; the customer follows the journey, reads every
access the business made with its receipt, withdraws, downloads everything and deletes the vault. Nothing
is seeded in the database: every step goes through a page or the API, as in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask

from tests.web.browser import (
    DESKTOP,
    PHONE,
    axe_violations,
    callback_server,
    chromium,
    has_horizontal_scroll,
    live_server,
    new_context,
    require_browser,
    screenshot,
)
from tests.web.conftest import PASSWORD

CUSTOMER = "walker@example.org"
SCOPES = "profile:read contact:read interactions:read interactions:write"


def looks_right(page: Any, name: str | None = None) -> None:
    """Accessible and phone-sized, as every page must be; `name`: also kept for the README."""
    assert axe_violations(page) == [], f"accessibility violations on {page.url}"
    width = page.viewport_size
    page.set_viewport_size(PHONE)
    assert not has_horizontal_scroll(page), f"{page.url} scrolls sideways at 375 px"
    if name:
        screenshot(page, name)
    page.set_viewport_size(width)


@pytest.fixture
def walk(app: Flask) -> Iterator[tuple[Any, Any, str, Any]]:
    require_browser()
    with live_server(app) as base, callback_server() as callback, chromium() as browser:
        customer = new_context(browser, viewport=PHONE, timezone_id="Europe/Paris")
        business = new_context(browser, viewport=DESKTOP)
        yield customer.new_page(), business.new_page(), base, callback
        customer.close()
        business.close()


def register_business(page: Any, base: str, callback_uri: str) -> tuple[str, str]:
    """Northwind registers in the portal and creates the application its website signs customers in with."""
    page.goto(base + "/business/signup")
    page.get_by_label("Business name").fill("Northwind Energy")
    page.get_by_label("Handle").fill("northwind-energy")
    page.get_by_label("Email").fill("it@northwind.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(base + "/business")
    page.get_by_label("Application name").fill("Northwind self-service")
    page.get_by_label("Redirect URIs").fill(callback_uri)
    page.get_by_role("button", name="Create application").click()
    assert page.get_by_role("heading", name="Northwind self-service is ready").is_visible()
    client_id = page.locator("code", has_text="vrm_").first.inner_text()
    return client_id, page.locator("#secret").inner_text()


def test_a_customer_and_a_business_from_first_visit_to_goodbye(
    walk: tuple[Any, Any, str, Any],
) -> None:
    page, portal, base, callback = walk

    # The customer creates a vault on their phone and follows the next steps.
    page.goto(base + "/")
    page.get_by_role("main").get_by_role("link", name="Create your vault").click()
    page.get_by_label("Email").fill(CUSTOMER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my vault").click()
    page.wait_for_url(base + "/account")
    assert page.get_by_role("heading", name="Next steps").is_visible()
    looks_right(page, "next-steps")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Family name").fill("Lovelace")
    assert page.get_by_label("Time zone", exact=True).input_value() == "Europe/Paris"  # the phone's own zone
    page.get_by_role("button", name="Save profile").click()
    assert page.get_by_text("Your profile is saved.").is_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Preferences").click()
    page.get_by_label("Text message: Marketing").check()
    page.get_by_label("Web self-service: Surveys and feedback").check()
    assert not has_horizontal_scroll(page)
    page.get_by_role("button", name="Save preferences").click()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    assert page.get_by_label("Web self-service: Surveys and feedback").is_checked()

    # A business registers, and its website asks the customer to connect.
    client_id, secret = register_business(portal, base, callback.uri)
    website = OAuth2Session(
        client_id, secret, scope=SCOPES, redirect_uri=callback.uri, code_challenge_method="S256"
    )
    verifier = generate_token(64)
    url, state = website.create_authorization_url(base + "/authorize", code_verifier=verifier)
    page.goto(url)
    assert page.get_by_role("heading", name="Northwind Energy asks to see some of your data").is_visible()
    looks_right(page, "consent")
    page.get_by_label("See your name, language, region format and time zone").check()
    page.get_by_label("See your history with them").check()
    page.get_by_label("Add what happens between you to your history").check()
    page.get_by_label("For how long").select_option(label="6 months")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(callback.uri + "?*")
    assert callback.received[-1]["state"] == state
    token = website.fetch_token(
        base + "/oauth/token", authorization_response=callback.urls[-1], code_verifier=verifier
    )
    assert set(token["scope"].split()) == {"profile:read", "interactions:read", "interactions:write"}

    # Its agents continue one case from chat to the phone, each seeing what the other did.
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    now = datetime.now(UTC)
    for channel, direction, hours, subject in (
        ("chat", "inbound", 26, "Bill doubled after the meter install"),
        ("voice", "outbound", 3, "Callback: meter read error, refund agreed"),
    ):
        answer = api.post(
            base + "/api/v1/customer/interactions",
            json={
                "channel": channel,
                "direction": direction,
                "occurred_at": (now - timedelta(hours=hours)).isoformat(),
                "subject": subject,
                "journey": {"reference": "CASE-1234", "title": "Billing error"},
            },
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
    journey_id = answer.json()["journey_id"]
    thread = api.get(f"{base}/api/v1/customer/journeys/{journey_id}", timeout=10).json()
    assert [item["channel"] for item in thread["interactions"]] == ["chat", "voice"]
    me = api.get(base + "/api/v1/customer", timeout=10).json()
    assert me["given_name"] == "Ada" and me["time_zone"] == "Europe/Paris" and "emails" not in me

    # The customer, back in their vault, follows the case across channels and adds what they were promised.
    page.goto(base + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    chat = page.locator("li.card", has_text="Bill doubled after the meter install")
    assert chat.get_by_text("Started on chat, continued by phone call.").is_visible()
    chat.get_by_role("link", name="See the whole journey").click()
    assert page.get_by_role("heading", name="Billing error").is_visible()
    page.get_by_label("Channel").select_option(label="Phone call")
    page.get_by_label("I contacted them").check()
    page.get_by_label("What it was about").fill("I called; they promised the refund by Friday")
    page.get_by_label("Share with Northwind Energy").check()
    page.get_by_role("button", name="Add to this journey").click()
    assert page.get_by_text("Recorded by you · shared with Northwind Energy").is_visible()
    looks_right(page, "journey")
    thread = api.get(f"{base}/api/v1/customer/journeys/{journey_id}", timeout=10).json()
    assert thread["interactions"][-1]["subject"] == "I called; they promised the refund by Friday"

    # They read every access the business made, each with the consent it was made under.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    connection = page.get_by_role("region", name="Northwind Energy")
    connection.get_by_role("link", name=re.compile(r"^See every read by Northwind Energy")).click()
    assert page.get_by_role("heading", name="What Northwind Energy read of your data").is_visible()
    reads = page.get_by_role("row")
    assert reads.count() >= 2 and reads.nth(1).get_by_text("Northwind self-service").is_visible()
    assert page.get_by_text("+01:00").count() == 0  # times are shown in words, in the customer's zone
    assert page.locator("time").first.inner_text().endswith(("CET", "CEST"))
    looks_right(page, "access-list")

    # They withdraw: the business's next call is refused, and what it read stays on record.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    page.get_by_role("region", name="Northwind Energy").get_by_role("button", name="Withdraw access").click()
    assert page.get_by_text("Northwind Energy no longer has access.").is_visible()
    assert api.get(base + "/api/v1/customer", timeout=10).status_code == 401
    page.get_by_role("link", name=re.compile(r"^What it read while it had access")).click()
    assert page.get_by_role("row").count() >= 2

    # They take everything with them, then leave.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download everything (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["profile"]["time_zone"] == "Europe/Paris"
    [journey] = exported["journeys"]
    assert (journey["business"], journey["reference"]) == ("northwind-energy", "CASE-1234")
    assert {consent["state"] for consent in exported["consents"]} == {"withdrawn"}
    assert [r["event_type"] for r in exported["receipts"]] == ["consent.granted", "consent.withdrawn"]
    assert exported["access"] and all(read["business"] == "northwind-energy" for read in exported["access"])
    page.get_by_role("link", name="Delete my vault…").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my vault for good").click()
    assert page.get_by_role("heading", name="Your vault is deleted").is_visible()
    page.goto(base + "/signin")
    page.get_by_label("Email").fill(CUSTOMER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("The email or password is not right.").is_visible()
