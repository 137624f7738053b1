"""In Chromium: a company's application reads the customer's data through the business API; the customer
opens that connection's list of reads, follows a read to its consent receipt, withdraws the access, and still
finds what the company read under Ended. Every page is axe-clean and fits a 375 px phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.oauth import conftest as oauth
from tests.oauth.conftest import Browser, Registered
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_business_api import api, fill_profile
from tests.web.browser import (
    PHONE,
    axe_violations,
    chromium,
    has_horizontal_scroll,
    new_context,
    require_browser,
)
from tests.web.conftest import PASSWORD
from tests.web.test_browser import check_page

# The OAuth tests' fixtures: the app live at the issuer its clients check, a business, a signed-up customer.
app, port, server, registered, browser = oauth.app, oauth.port, oauth.server, oauth.registered, oauth.browser


@pytest.fixture
def chrome_page() -> Iterator[Any]:
    require_browser()
    with chromium() as chrome:
        context = new_context(chrome)
        yield context.new_page()
        context.close()


def test_a_customer_sees_what_a_company_read_follows_its_receipt_and_keeps_it_after_withdrawing(
    server: str,
    browser: Browser,
    registered: Registered,
    chrome_page: Any,
) -> None:
    fill_profile(browser)  # the customer, on another device, lets the company's app see their details
    client, _ = authorize(server, browser, registered, "profile:read contact:read")
    assert api(server, client, "/customer").status_code == 200  # the company reads them

    page = chrome_page
    page.goto(server + "/signin")
    page.get_by_label("Email").fill("oauth.customer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server + "/account")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    connection = page.get_by_role("region", name="Northwind Energy")
    assert connection.get_by_text("Last read your data").is_visible()
    check_page(page, "connections")
    connection.get_by_role("link", name=re.compile(r"^See every read by Northwind Energy \(1\)$")).click()

    assert page.get_by_role("heading", name="What Northwind Energy read of your data").is_visible()
    rows = page.get_by_role("row")
    assert rows.count() == 2  # the header, then the one read
    read = rows.nth(1)
    assert read.get_by_text("Your name, language and time zone, how to reach you").is_visible()
    assert read.get_by_text("Northwind Energy app").is_visible()
    assert page.get_by_text("at most once a minute for the same data").is_visible()
    check_page(page, "access-list")

    read.get_by_role("link", name=re.compile(r"^Given ")).click()
    page.wait_for_url(re.compile(r"/receipts#receipt-\d+$"))
    target = page.locator("tr:target")
    assert target.get_by_text("You allowed access").is_visible()
    assert target.get_by_text("Northwind Energy").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    page.get_by_role("region", name="Northwind Energy").get_by_role("button", name="Withdraw access").click()
    assert page.get_by_text("Northwind Energy no longer has access.").is_visible()
    assert api(server, client, "/customer").status_code == 401
    page.get_by_role("link", name=re.compile(r"^What it read while it had access")).click()
    assert page.get_by_text("Northwind Energy's access ended").is_visible()
    assert page.get_by_role("row").count() == 2  # the read made while it had access, still there
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    assert not has_horizontal_scroll(page)
