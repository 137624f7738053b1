"""A business connects as it would in production: its website sends the customer to the consent screen with
a real OAuth client (Authlib, PKCE S256), and the customer's answer reaches the business's callback on
another origin. In Chromium with every control of the pages on: the CSP, CSRF, rate limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import Database
from tests.oauth.conftest import register
from tests.web.browser import (
    DESKTOP,
    PHONE,
    Callback,
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
from vrm.consent.models import Grant, LogEvent

SCOPES = "profile:read contact:read interactions:write"
SIZES = {"desktop": DESKTOP, "phone": PHONE}


class Business:
    """The business's side: its registered application, its OAuth client and the callback it serves."""

    def __init__(self, base: str, database: Database, callback: Callback) -> None:
        self.base, self.callback = base, callback
        registered = register(database, "northwind-energy", scopes=SCOPES, redirect_uri=callback.uri)
        self.client = OAuth2Session(
            registered.client_id,
            registered.client_secret,
            scope=SCOPES,
            redirect_uri=callback.uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )
        self.verifier = generate_token(64)
        self.url, self.state = self.client.create_authorization_url(
            base + "/authorize", code_verifier=self.verifier
        )

    def redeem(self) -> dict[str, Any]:
        """Exchange the code the callback received for tokens, proving the PKCE verifier."""
        token: dict[str, Any] = self.client.fetch_token(
            self.base + "/oauth/token",
            authorization_response=self.callback.urls[-1],
            code_verifier=self.verifier,
        )
        return token


@pytest.fixture
def served(app: Flask, database: Database) -> Iterator[tuple[Any, Business]]:
    require_browser()
    with live_server(app) as base, callback_server() as callback, chromium() as browser:
        context = new_context(browser)
        yield context.new_page(), Business(base, database, callback)
        context.close()


def create_vault_on_the_way(page: Any, business: Business, email: str) -> None:
    """Arrive from the business signed out, read who asks, and create a vault without losing the way."""
    page.goto(business.url)
    page.wait_for_url("**/signin?next=*")
    notice = page.get_by_role("status")
    assert "Northwind Energy asks to see some of your data, for service messages" in notice.inner_text()
    assert "notice info" in notice.get_attribute("class")  # informs; it is not a success message
    page.get_by_role("main").get_by_role("link", name="Create your vault").click()
    assert "Northwind Energy asks" in page.get_by_role("status").inner_text()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my vault").click()
    page.get_by_role("heading", name="Northwind Energy asks to see some of your data").wait_for()


def grants_and_receipts(database: Database) -> tuple[int, int]:
    with database.sessions() as session:
        grants = session.scalar(select(func.count()).select_from(Grant))
        given = session.scalar(select(func.count()).where(LogEvent.type == "consent.granted"))
        return int(grants or 0), int(given or 0)


@pytest.mark.parametrize("size", SIZES)
def test_allow_sends_the_customer_back_to_the_business_with_its_code(
    served: tuple[Any, Business], database: Database, size: str
) -> None:
    page, business = served
    page.set_viewport_size(SIZES[size])
    create_vault_on_the_way(page, business, f"allowing-{size}@example.org")
    assert not has_horizontal_scroll(page)
    assert axe_violations(page) == []
    boxes = page.get_by_role("checkbox")
    assert boxes.count() == 3 and not any(boxes.nth(i).is_checked() for i in range(3))  # nothing pre-ticked
    assert page.get_by_label("For how long").input_value() == "30"  # a short default
    assert page.get_by_text(f"you go back to {business.callback.uri.split('/')[2]}").is_visible()
    if size == "phone":
        screenshot(page, "consent")
    page.get_by_label("See your name, language, region format and time zone").check()
    page.get_by_label("Add what happens between you to your history").check()
    page.get_by_role("button", name="Allow").click()

    page.wait_for_url(business.callback.uri + "?*")
    assert page.get_by_role("heading", name="Back at the business").is_visible()
    [arrived] = business.callback.received
    assert arrived["state"] == business.state and arrived["code"] and arrived["iss"]
    token = business.redeem()
    assert set(token["scope"].split()) == {"profile:read", "interactions:write"}
    assert grants_and_receipts(database) == (1, 1)


@pytest.mark.parametrize("size", SIZES)
def test_deny_sends_the_customer_back_with_access_denied(
    served: tuple[Any, Business], database: Database, size: str
) -> None:
    page, business = served
    page.set_viewport_size(SIZES[size])
    create_vault_on_the_way(page, business, f"denying-{size}@example.org")
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(business.callback.uri + "?*")
    [arrived] = business.callback.received
    assert arrived["error"] == "access_denied" and arrived["state"] == business.state and arrived["iss"]
    assert "code" not in arrived
    assert grants_and_receipts(database) == (0, 0)


def test_pressing_twice_and_coming_back_consent_once(
    served: tuple[Any, Business], database: Database
) -> None:
    page, business = served
    create_vault_on_the_way(page, business, "impatient@example.org")
    page.get_by_label("See your name, language, region format and time zone").check()
    page.get_by_role("button", name="Allow").dblclick()
    page.wait_for_url(business.callback.uri + "?*")
    assert len(business.callback.received) == 1 and business.redeem()["access_token"]

    page.go_back()  # to the form again, as it was or fetched anew: either way it counts once
    allow = page.get_by_role("button", name="Allow")
    if allow.count():
        allow.click()
    answered = page.get_by_role("heading", name="You already answered Northwind Energy")
    answered.wait_for()
    assert page.get_by_text("see your name, language, region format and time zone").is_visible()
    assert axe_violations(page) == []
    page.reload()  # reloading the answer (a post, if the form was sent again) changes nothing
    answered.wait_for()
    assert grants_and_receipts(database) == (1, 1)
    assert len(business.callback.received) == 1

    page.get_by_role("link", name="See your connections").click()
    assert page.get_by_role("region", name="Northwind Energy").is_visible()
    assert not page.get_by_text("withdrawn").count()
