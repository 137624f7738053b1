"""A new customer's first visit, walked in a real headless Chromium: sign up, turn on two-step sign-in,
look around, sign out, back in with a code.

Every page on the way is scanned with axe-core (no serious or critical violation) and checked at a phone's
375 px width; screenshots land in docs/screenshots.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.conftest import Database
from tests.web.browser import (
    DESKTOP,
    PHONE,
    axe_violations,
    chromium,
    has_horizontal_scroll,
    live_server,
    new_context,
    require_browser,
    screenshot,
)
from tests.web.conftest import PASSWORD
from tests.web.test_connections import seed_grant
from tests.web.test_history import seed_history
from vrm.accounts.auditors import create_auditor
from vrm.consent.checkpoints import public_keys
from vrm.consent.receipts import verify_receipt


@pytest.fixture
def browser_page(app: Flask) -> Iterator[tuple[Any, str]]:
    require_browser()
    with live_server(app) as base, chromium() as browser:
        context = new_context(browser)
        yield context.new_page(), base
        context.close()


def sign_up_in(page: Any, base: str, email: str) -> None:
    """Create a vault through the sign-up page, as a new customer does, and land on the account page."""
    page.goto(base + "/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my vault").click()
    page.wait_for_url(base + "/account")


def check_page(page: Any, name: str) -> None:
    assert axe_violations(page) == [], f"accessibility violations on {name}"
    page.set_viewport_size(PHONE)
    assert not has_horizontal_scroll(page), f"{name} scrolls sideways at 375 px"
    screenshot(page, name)


def test_a_new_customer_signs_up_signs_out_and_back_in(browser_page: tuple[Any, str]) -> None:
    page, base = browser_page
    page.goto(base + "/")
    check_page(page, "home")
    page.get_by_role("main").get_by_role("link", name="Create your vault").click()
    page.get_by_label("Email").fill("first.visit@example.org")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create my vault").click()
    assert page.get_by_role("alert").is_visible()  # the error summary is announced
    assert page.get_by_label("Email").input_value() == "first.visit@example.org"  # nothing typed is lost
    check_page(page, "signup-errors")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my vault").click()
    page.wait_for_url(base + "/account")
    assert page.get_by_role("heading", name="Your account").is_visible()
    assert page.get_by_text("This browser").is_visible()
    check_page(page, "account")

    page.get_by_role("link", name="Set up two-step sign-in").click()
    page.get_by_role("button", name="Set up two-step sign-in").click()
    qr_code = page.get_by_role("img", name="QR code that adds your VRM vault to an authenticator app")
    assert qr_code.is_visible()
    check_page(page, "two-step-setup")
    phone = pyotp.TOTP(page.locator("#secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill(phone.at(time.time() - 30))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    assert page.get_by_role("heading", name="Two-step sign-in is on").is_visible()
    assert page.get_by_role("list", name="Recovery codes").get_by_role("listitem").count() == 10
    check_page(page, "recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    assert page.get_by_text("10 of 10 recovery codes left").is_visible()

    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Family name").fill("Lovelace")
    page.get_by_text("Add a phone number").click()  # the empty row shows on demand
    page.locator("#phones-0-number").fill("+44 20 7946 0958")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your profile is saved.").is_visible()
    assert page.get_by_label("Given name").input_value() == "Ada"
    assert page.locator("#phones-0-number").input_value() == "+442079460958"
    check_page(page, "profile")

    page.get_by_role("link", name="Preferences", exact=True).click()
    page.get_by_label("Email: Marketing").check()
    page.get_by_label("No contact at all during these hours").check()
    page.get_by_label("Time zone", exact=True).select_option("Europe/London")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    assert page.get_by_label("Email: Marketing").is_checked()
    check_page(page, "preferences")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/signin")
    check_page(page, "signin")
    page.get_by_label("Email").fill("first.visit@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/signin/code")
    check_page(page, "signin-code")
    page.get_by_label("Code").fill(phone.now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/account")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download everything (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["format"] == "vrm-export/1" and exported["profile"]["given_name"] == "Ada"

    page.get_by_role("link", name="Delete my vault…").click()
    check_page(page, "delete-account")
    page.get_by_label("Your password").fill(PASSWORD)
    # Two-step sign-in is on, so deleting asks for a code too; the next one, as this one was used to sign in.
    page.get_by_label("Code from your authenticator app").fill(phone.at(time.time() + 30))
    page.get_by_role("button", name="Delete my vault for good").click()
    assert page.get_by_role("heading", name="Your vault is deleted").is_visible()


def test_keyboard_alone_reaches_and_submits_sign_in(browser_page: tuple[Any, str]) -> None:
    page, base = browser_page
    page.goto(base + "/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("Email").focus()
    page.keyboard.type("nobody@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong but long password")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().count("The email or password is not right.") == 1


def test_a_customer_sets_rules_for_one_company(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    """(The history and its journeys are walked in test_browser_journeys.py.)"""
    page, base = browser_page
    sign_up_in(page, base, "reviewer@example.org")
    seed_history(app, database, "reviewer@example.org")

    page.get_by_role("link", name="Preferences", exact=True).click()
    page.get_by_role("link", name="Fabrikam Bank").click()
    page.get_by_label("Phone call: Service messages").uncheck()
    page.get_by_role("button", name="Save rules for Fabrikam Bank").click()
    assert page.get_by_text("Your rules for Fabrikam Bank are saved.").is_visible()
    assert not page.get_by_label("Phone call: Service messages").is_checked()
    check_page(page, "company-preferences")


def test_a_customer_narrows_then_withdraws_a_companys_access(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    page, base = browser_page
    sign_up_in(page, base, "connected@example.org")
    seed_grant(app, database, "connected@example.org")

    page.get_by_role("link", name="Profile", exact=True).click()  # the menu's, not a next step's
    assert page.get_by_text("Seen by Northwind Energy").first.is_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    connection = page.get_by_role("region", name="Northwind Energy")
    assert connection.get_by_text("How to reach you", exact=True).is_visible()
    connection.get_by_text("Change what Northwind Energy may see").click()
    check_page(page, "connections")
    connection.get_by_label("See your email addresses, phone numbers and postal addresses").uncheck()
    connection.get_by_role("button", name="Save changes").click()
    assert page.get_by_text("Saved. Northwind Energy sees only what you ticked").is_visible()
    connection = page.get_by_role("region", name="Northwind Energy")
    assert not connection.get_by_text("How to reach you", exact=True).is_visible()

    connection.get_by_role("button", name="Withdraw access").click()
    assert page.get_by_text("Northwind Energy no longer has access.").is_visible()
    assert page.get_by_text("Northwind Energy: withdrawn").is_visible()

    page.get_by_role("link", name="consent receipt").click()
    rows = page.get_by_role("row")
    assert rows.count() == 4  # the header, then withdrawn, changed and given, newest first
    assert rows.nth(1).get_by_text("Access ended").is_visible()
    assert rows.nth(3).get_by_text("You allowed access").is_visible()
    check_page(page, "receipts")
    with page.expect_download() as download:
        rows.nth(3).get_by_role("link", name="Download").click()
    bundle = json.loads(Path(download.value.path()).read_text())
    checked = verify_receipt(bundle, public_keys(app.extensions["vrm"].keyring))
    assert checked["consent"]["state"] == "given" and checked["controller"]["name"] == "Northwind Energy"


def test_a_customer_answers_a_consent_screen(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    from urllib.parse import parse_qs, urlencode, urlsplit

    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    from tests.oauth.conftest import REDIRECT_URI, register

    page, base = browser_page
    registered = register(database, "northwind-energy", scopes="profile:read contact:read interactions:write")
    sign_up_in(page, base, "consenting@example.org")
    landed: list[str] = []
    page.route(REDIRECT_URI + "*", lambda route: (landed.append(route.request.url), route.fulfill(body="ok")))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": registered.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "profile:read contact:read interactions:write",
            "state": "s1",
            "code_challenge": create_s256_code_challenge("v" * 50),
            "code_challenge_method": "S256",
        }
    )
    page.goto(f"{base}/authorize?{query}")
    assert page.get_by_role("heading", name="Northwind Energy asks to see some of your data").is_visible()
    check_page(page, "consent")
    page.get_by_label("See your name, language, region format and time zone").check()  # nothing comes ticked
    page.get_by_label("Add what happens between you to your history").check()
    page.get_by_label("For how long").select_option(label="3 months")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(REDIRECT_URI + "*")
    params = parse_qs(urlsplit(landed[0]).query)
    assert params["state"] == ["s1"] and params["code"] and params["iss"]
    page.goto(base + "/connections")
    connection = page.get_by_role("region", name="Northwind Energy")
    assert connection.get_by_text("Your name, language and time zone", exact=True).is_visible()
    assert not connection.get_by_text("How to reach you", exact=True).is_visible()


def test_a_business_registers_and_creates_its_first_application(browser_page: tuple[Any, str]) -> None:
    page, base = browser_page
    page.goto(base + "/business/signup")
    check_page(page, "business-signup")
    page.get_by_label("Business name").fill("Northwind Energy")
    page.get_by_label("Handle").fill("northwind-energy")
    page.get_by_label("Email").fill("it@northwind.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(base + "/business")
    page.get_by_label("Application name").fill("Northwind self-service")
    page.get_by_label("Redirect URIs").fill("https://app.northwind.example/vrm/callback")
    page.get_by_label("feedback:read", exact=False).uncheck()
    check_page(page, "business-portal")
    page.get_by_role("button", name="Create application").click()
    assert page.get_by_role("heading", name="Northwind self-service is ready").is_visible()
    assert page.locator("#secret").inner_text()
    check_page(page, "business-secret")
    page.get_by_role("link", name="I have stored it").click()
    application = page.get_by_role("article", name="Northwind self-service")
    assert application.get_by_text("https://app.northwind.example/vrm/callback").is_visible()
    assert not application.get_by_text("feedback:read").is_visible()


def test_an_auditor_searches_reports_and_verifies_the_log(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    page, base = browser_page
    sign_up_in(page, base, "audited@example.org")
    seed_grant(app, database, "audited@example.org")
    with database.sessions.begin() as session:
        _, token = create_auditor(session, name="acme-audit")
    page.goto(base + "/audit")
    check_page(page, "audit-signin")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Auditor token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Business").fill("northwind-energy")
    page.get_by_label("Event type").select_option("consent.granted")
    page.get_by_role("button", name="Show events").click()
    assert page.get_by_role("cell", name="consent.granted").count() == 1
    check_page(page, "audit-search")
    page.get_by_role("link", name="Report on northwind-energy").click()
    assert page.get_by_text("No read outside a granted scope").is_visible()
    check_page(page, "audit-report")
    page.get_by_role("link", name="Integrity").click()
    page.get_by_role("button", name="Verify now").click()
    page.get_by_text("Intact:").wait_for()  # the page went on by itself, step after step
    check_page(page, "audit-verified")
