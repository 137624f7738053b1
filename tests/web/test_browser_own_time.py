"""A customer's own time zone and a phone's width, in a real headless Chromium (CSP on, axe-clean): times
shown in the zone the browser is in, pickers starting there, the preferences grid whole at 375 px, and the
profile's empty rows shown on demand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.conftest import Database
from tests.web.browser import (
    PHONE,
    axe_violations,
    chromium,
    has_horizontal_scroll,
    live_server,
    new_context,
    require_browser,
)
from tests.web.conftest import PASSWORD
from tests.web.test_browser import check_page, sign_up_in

# Where each header cell, checkbox and the table itself are, and whether anything clips or scrolls.
GRID = """() => {
  const table = document.querySelector("table.matrix");
  const edges = (element) => {
    const box = element.getBoundingClientRect();
    return {left: box.left, right: box.right};
  };
  const scrollers = [];
  for (let node = table.parentElement; node && node !== document.body; node = node.parentElement) {
    if (node.scrollWidth > node.clientWidth) scrollers.push(node.tagName);
  }
  const container = table.parentElement;
  const padding = parseFloat(getComputedStyle(container).paddingRight);
  const inner = container.getBoundingClientRect().right - padding;
  return {
    viewport: document.documentElement.clientWidth,
    table: {...edges(table), width: table.getBoundingClientRect().width},
    containerRight: inner,
    headers: [...table.querySelectorAll("th")].map((th) => ({
      ...edges(th), text: th.textContent.trim(), clipped: th.scrollWidth > th.clientWidth
        || th.scrollHeight > th.clientHeight,
    })),
    boxes: [...table.querySelectorAll("input[type=checkbox]")].map((box) => ({...edges(box), id: box.id})),
    scrollers,
  };
}"""


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    require_browser()
    with live_server(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_a_customer_in_auckland_reads_times_there_and_finds_the_zone_chosen(
    server: str, browser: Any
) -> None:
    context = new_context(browser, timezone_id="Pacific/Auckland")
    page = context.new_page()
    sign_up_in(page, server, "kiwi@example.org")
    assert page.get_by_text("Welcome! Your vault is ready.").is_visible()
    assert page.get_by_text("Times are in your time zone, Auckland (New Zealand).").is_visible()
    stamps = page.locator("ul.sessions time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert stamps and all(stamp.endswith(("+12:00", "+13:00")) for stamp in stamps), stamps
    assert page.locator("ul.sessions").get_by_text("NZDT").or_(page.get_by_text("NZST")).first.is_visible()
    steps = page.get_by_role("region", name="Next steps")
    assert steps.get_by_text("0 of 3 done").is_visible()
    check_page(page, "account")

    steps.get_by_role("link", name="Go to your profile").click()
    assert page.get_by_label("Time zone", exact=True).input_value() == "Pacific/Auckland"
    page.get_by_label("Given name").fill("Aroha")
    page.get_by_label("Preferred language").select_option("mi")  # Māori, by name in the list
    page.get_by_label("Region format").select_option("en-NZ")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your profile is saved.").is_visible()
    language = page.get_by_label("Preferred language")
    assert language.input_value() == "mi" and "Māori" in language.locator("option:checked").inner_text()
    check_page(page, "profile")
    context.close()


def test_the_empty_profile_rows_open_on_demand(server: str, browser: Any) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_up_in(page, server, "rows@example.org")
    page.goto(server + "/profile")
    number = page.locator("#phones-0-number")
    assert not number.is_visible() and not page.locator("#addresses-0-locality").is_visible()
    page.get_by_text("Add a phone number").click()
    number.fill("+64 21 123 4567")
    page.get_by_text("Add an address").click()
    page.locator("#addresses-0-lines").fill("1 Queen Street")  # no town: the save fails
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    # Both rows come back open, with what was typed and the error where it belongs.
    assert number.is_visible() and number.input_value() == "+64 21 123 4567"
    assert page.locator("#addresses-0-locality-error").is_visible()
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    assert not has_horizontal_scroll(page)
    page.locator("#addresses-0-locality").fill("Auckland")
    page.locator("#addresses-0-country").fill("NZ")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your profile is saved.").is_visible()
    assert number.is_visible() and number.input_value() == "+64211234567"
    assert page.get_by_text("Add another phone number").is_visible()
    context.close()


def test_a_picker_with_no_zone_chosen_starts_at_the_browsers_own(
    app: Flask, database: Database, server: str, browser: Any
) -> None:
    with database.sessions.begin() as session:  # a customer from before zones were kept: none stored
        factories.customer(session, app.extensions["vrm"].keyring, "mumbai@example.org", PASSWORD)
    # Chromium names this zone Asia/Calcutta, an old name the pickers do not list: it still finds Kolkata.
    context = new_context(browser, timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.goto(server + "/signin")
    page.get_by_label("Email").fill("mumbai@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server + "/account")
    assert page.get_by_text("Times are in UTC.").is_visible()
    page.goto(server + "/profile")
    assert page.get_by_label("Time zone", exact=True).input_value() == "Asia/Kolkata"
    assert page.get_by_text("Not chosen yet: times show in UTC").is_visible()
    page.goto(server + "/preferences")
    assert page.get_by_label("Time zone", exact=True).input_value() == "Asia/Kolkata"  # for quiet hours too
    context.close()


def assert_grid_fits(page: Any, name: str) -> None:
    grid = page.evaluate(GRID)
    width = grid["viewport"]
    assert width == PHONE["width"]
    assert len(grid["headers"]) == 1 + 5 + 8 and len(grid["boxes"]) == 8 * 5
    for cell in grid["headers"]:
        assert cell["left"] >= 0 and cell["right"] <= width, f"{name}: header {cell['text']} is cut off"
        assert not cell["clipped"], f"{name}: header {cell['text']} is clipped"
    for box in grid["boxes"]:
        assert box["left"] >= 0 and box["right"] <= width, f"{name}: {box['id']} is off screen"
    assert grid["table"]["right"] <= grid["containerRight"] + 0.5, f"{name}: the table is wider than its card"
    assert grid["scrollers"] == [], f"{name}: a container scrolls sideways: {grid['scrollers']}"


def test_the_preferences_grid_fits_a_phone_whole(
    app: Flask, database: Database, server: str, browser: Any
) -> None:
    with database.sessions.begin() as session:
        factories.business(session, "fabrikam-bank")
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    sign_up_in(page, server, "phone@example.org")
    page.goto(server + "/preferences")
    assert_grid_fits(page, "preferences")
    page.get_by_label("Web self-service: Marketing").check()
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    assert page.get_by_label("Web self-service: Marketing").is_checked()
    assert page.get_by_role("link", name="change it in your profile").is_visible()
    check_page(page, "preferences")
    page.goto(server + "/preferences/companies/fabrikam-bank")
    page.set_viewport_size(PHONE)
    assert_grid_fits(page, "company-preferences")
    check_page(page, "company-preferences")
    context.close()
