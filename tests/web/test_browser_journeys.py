"""A case followed across channels, in a real headless Chromium (CSP on): a business records a chat and then a
phone call under its case number through the API; the customer sees one thread in their history, adds their
own record to it for the company to see, and rates a call without losing the filtered view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Flask

from tests import factories
from tests.conftest import Database
from tests.web.browser import PHONE, axe_violations, has_horizontal_scroll
from tests.web.test_browser import browser_page, check_page, sign_up_in
from vrm.accounts.customers import find_customer
from vrm.consent.scopes import SCOPES
from vrm.oauth.clients import create_client
from vrm.oauth.tokens import issue_tokens
from vrm.vault.keys import open_vault

__all__ = ["browser_page"]  # the fixture, shared with the other browser tests
TOKEN = "northwind-agent-token"


def business_records(app: Flask, database: Database, base: str, email: str) -> requests.Session:
    """Northwind Energy, connected by the customer, records a chat and then a call under CASE-1234."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email=email)
        assert customer is not None
        shop = factories.business(session, "northwind-energy")
        grant = factories.grant(session, ring, customer, shop, " ".join(SCOPES))
        client, _ = create_client(
            session, business_id=shop.id, name="Northwind desk", redirect_uris=["https://n.example/cb"]
        )
        issue_tokens(
            session,
            client=client,
            scope=" ".join(SCOPES),
            access_token=TOKEN,
            customer_id=customer.id,
            grant=grant,
        )
    agent = requests.Session()
    agent.headers["Authorization"] = f"Bearer {TOKEN}"
    now = datetime.now(UTC)
    for channel, hours, subject in (("chat", 5, "Bill doubled"), ("voice", 2, "Callback about the bill")):
        answer = agent.post(
            base + "/api/v1/customer/interactions",
            json={
                "channel": channel,
                "direction": "inbound" if channel == "chat" else "outbound",
                "occurred_at": (now - timedelta(hours=hours)).isoformat(),
                "subject": subject,
                "journey": {"reference": "CASE-1234", "title": "Billing error after the meter install"},
            },
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
    return agent


def test_a_case_is_one_thread_across_channels_that_the_customer_adds_to(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    page, base = browser_page
    sign_up_in(page, base, "followed@example.org")
    agent = business_records(app, database, base, "followed@example.org")

    page.get_by_role("link", name="History").click()
    page.wait_for_url(base + "/history")
    chat = page.locator("li.card", has_text="Bill doubled")
    assert chat.get_by_text("Started on chat, continued by phone call.").is_visible()
    assert chat.get_by_text("Northwind Energy\u2019s reference CASE-1234").is_visible()
    assert chat.get_by_role("group", name="Rate this").is_visible()  # rating is on the card, not folded away
    check_page(page, "history")

    chat.get_by_role("link", name="See the whole journey").click()
    assert page.get_by_role("heading", name="Billing error after the meter install").is_visible()
    page.get_by_label("Channel").select_option(label="Phone call")
    page.get_by_label("I contacted them").check()
    page.get_by_label("What it was about").fill("I called; they promised a refund by Friday")
    page.get_by_label("Share with Northwind Energy").check()
    page.get_by_role("button", name="Add to this journey").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your record is saved in this journey.").is_visible()
    assert page.get_by_text("Recorded by you · shared with Northwind Energy").is_visible()
    check_page(page, "journey")
    journey_id = page.url.split("/journeys/", 1)[1].split("#", 1)[0]
    thread = agent.get(f"{base}/api/v1/customer/journeys/{journey_id}", timeout=10).json()
    assert [item["channel"] for item in thread["interactions"]] == ["chat", "voice", "voice"]

    page.get_by_role("link", name="← Your history").click()
    page.get_by_label("Channel").select_option(label="Phone call")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/history?*channel=voice*")
    filtered = page.url
    call = page.locator("li.card", has_text="Callback about the bill")
    call.get_by_label("4: good").check()
    call.get_by_role("button", name="Save rating").click()
    page.wait_for_load_state()
    assert page.get_by_text("Thank you: your rating is saved.").is_visible()
    assert page.url.split("#", 1)[0] == filtered  # the same filtered view, at the item
    assert page.locator("li.card", has_text="Callback about the bill").get_by_text("4 out of 5").is_visible()
    assert page.locator("li.card", has_text="Bill doubled").count() == 0  # still only phone calls


def test_recording_an_interaction_yourself_explains_what_is_missing(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    page, base = browser_page
    sign_up_in(page, base, "recorder@example.org")
    business_records(app, database, base, "recorder@example.org")
    page.get_by_role("link", name="History").click()
    page.get_by_role("link", name="Record an interaction yourself").click()
    page.get_by_label("Company", exact=True).select_option(label="Northwind Energy")
    page.get_by_label("They contacted me").check()
    page.get_by_label("What happened").fill("A letter saying the meter will be read again.")
    page.get_by_role("button", name="Save it in my history").click()
    assert page.get_by_role("alert").is_visible()  # the channel and the subject are missing
    assert page.get_by_label("What happened").input_value() == "A letter saying the meter will be read again."
    assert axe_violations(page) == [], "accessibility violations on the record page"
    page.set_viewport_size(PHONE)
    assert not has_horizontal_scroll(page), "the record page scrolls sideways at 375 px"
    page.get_by_label("Channel").select_option(label="Post")
    page.get_by_label("What it was about").fill("Meter to be read again")
    page.get_by_role("button", name="Save it in my history").click()
    page.wait_for_load_state()
    card = page.locator("li.card", has_text="Meter to be read again")
    assert card.get_by_text("Recorded by you · only you can see it").is_visible()
    card.get_by_role("button", name="Share with Northwind Energy").click()
    page.wait_for_load_state()
    assert page.get_by_text("Recorded by you · shared with Northwind Energy").is_visible()


def test_the_record_forms_journey_picker_offers_only_the_chosen_companys_journeys(
    app: Flask, database: Database, browser_page: tuple[Any, str]
) -> None:
    page, base = browser_page
    sign_up_in(page, base, "picker@example.org")
    business_records(app, database, base, "picker@example.org")
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email="picker@example.org")
        assert customer is not None
        vault = open_vault(session, keyring=ring, customer_id=customer.id)
        factories.journey(
            session, ring, vault, factories.business(session, "fabrikam-bank"), title="Card fees"
        )
    page.goto(base + "/history/new")
    picker = page.get_by_label("Journey (optional)")

    def offered() -> list[str]:
        return picker.locator("option:not([disabled])").all_inner_texts()  # type: ignore[no-any-return]

    assert offered() == ["None"]  # no company chosen yet
    page.get_by_label("Company", exact=True).select_option(label="Fabrikam Bank")
    assert [text.split(" (started")[0] for text in offered()] == ["None", "Card fees"]
    picker.select_option(label=offered()[1])
    page.get_by_label("Company", exact=True).select_option(label="Northwind Energy")
    assert picker.input_value() == ""  # the bank's journey cannot take a Northwind record
    assert [text.split(" (started")[0] for text in offered()] == [
        "None",
        "Billing error after the meter install",
    ]
    assert axe_violations(page) == [], "accessibility violations on the record page"
    page.set_viewport_size(PHONE)
    assert not has_horizontal_scroll(page), "the record page scrolls sideways at 375 px"
