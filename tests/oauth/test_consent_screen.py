"""The consent screen as a customer's browser meets it: where its forms may lead (CSP), nothing chosen for
the customer, and each request answered once however often the form is sent."""

from __future__ import annotations

import re
import time

import pyotp
import requests
from authlib.common.security import generate_token
from flask import Flask
from sqlalchemy import func, select, text

from tests import factories
from tests.conftest import Database
from tests.oauth.conftest import CSRF, REDIRECT_URI, Browser, Registered, register
from tests.oauth.test_authorization_code import client_for
from tests.web.conftest import PASSWORD
from vrm.accounts.two_factor import begin_enrolment, confirm_enrolment
from vrm.consent.models import Grant, LogEvent

FORM_ACTION = re.compile(r"form-action ([^;]+)")


def form_action(response: requests.Response) -> str:
    match = FORM_ACTION.search(response.headers["Content-Security-Policy"])
    assert match
    return match.group(1)


def authorization_url(server: str, registered: Registered) -> str:
    url, _ = client_for(registered).create_authorization_url(
        server + "/authorize", code_verifier=generate_token(64)
    )
    return str(url)


def counts(database: Database) -> tuple[int, int, int]:
    """Grants, consent.granted events (each a receipt) and consent.withdrawn events."""
    with database.sessions() as session:
        grants = session.scalar(select(func.count()).select_from(Grant)) or 0
        granted, withdrawn = (
            session.scalar(select(func.count()).where(LogEvent.type == kind)) or 0
            for kind in ("consent.granted", "consent.withdrawn")
        )
        return grants, granted, withdrawn


def post_again(browser: Browser, url: str, **fields: object) -> requests.Response:
    """Send the consent form again as a browser re-sends a post: the same fields, a valid CSRF token."""
    token = CSRF.search(browser.http.get(url).text) or CSRF.search(browser.http.get(browser.base + "/").text)
    assert token
    data = {
        "csrf_token": token.group(1),
        "decision": "allow",
        "allow_scope": ["profile:read"],
        "duration": "30",
    }
    return browser.http.post(url, data={**data, **fields}, allow_redirects=False)


def test_the_consent_screen_may_lead_back_to_the_clients_origin_only(
    server: str, browser: Browser, registered: Registered
) -> None:
    page = browser.open(authorization_url(server, registered))
    assert page.status_code == 200
    assert form_action(page) == "'self' https://client.example"  # the origin, not a path, not a wildcard
    for elsewhere in ("/connections", "/account", "/signin"):
        assert form_action(browser.open(server + elsewhere)) == "'self'"


def test_nothing_is_ticked_for_the_customer_and_the_shortest_sensible_duration_comes_first(
    server: str, browser: Browser, registered: Registered
) -> None:
    page = browser.open(authorization_url(server, registered)).text
    assert re.findall(r'name="allow_scope" value="[^"]+" id="[^"]+"(?: checked)?', page)
    assert " checked" not in " ".join(re.findall(r'name="allow_scope"[^>]*>', page))
    assert '<option value="30" selected>1 month</option>' in page
    assert page.index('value="1"') < page.index('value="365"')


def test_a_sign_in_on_the_way_names_the_company_and_may_lead_back_to_it(
    server: str, registered: Registered
) -> None:
    url = authorization_url(server, registered)
    visitor = requests.Session()
    to_sign_in = visitor.get(url, allow_redirects=False)
    assert to_sign_in.status_code == 302 and "/signin?next=" in to_sign_in.headers["Location"]
    page = visitor.get(server + to_sign_in.headers["Location"], allow_redirects=False)
    assert form_action(page) == "'self' https://client.example"
    assert 'class="notice info" role="status"' in page.text
    assert "<strong>Northwind Energy</strong> asks to see some of your data" in page.text
    assert "Please sign in to see that page" not in page.text  # no generic flash besides it
    assert 'href="/signup?next=/authorize?' in page.text  # creating a vault instead keeps the way


def test_a_next_that_names_no_registered_request_widens_nothing(server: str, registered: Registered) -> None:
    forged = f"/authorize?client_id={registered.client_id}&redirect_uri=https://evil.example/cb"
    for target in (forged, "/authorize?client_id=nobody&redirect_uri=" + REDIRECT_URI, "/account"):
        page = requests.get(server + "/signin", params={"next": target}, timeout=10)
        assert form_action(page) == "'self'"
        assert "asks to see some of your data" not in page.text


def test_allowing_twice_or_reloading_consents_once_and_says_where_the_first_went(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    url = authorization_url(server, registered)
    first = browser.decide(url, allow_scope=["profile:read"])
    assert first.status_code == 302 and first.headers["Location"].startswith(REDIRECT_URI + "?code=")
    again = post_again(browser, url)
    assert again.status_code == 409
    assert "You already answered Northwind Energy" in again.text
    assert (
        "client.example" in again.text
        and "see your name, language, region format and time zone" in again.text
    )
    assert form_action(again) == "'self' https://client.example"
    back = browser.open(url)  # the form reached again by going back
    assert back.status_code == 200 and "You already answered" in back.text and "allow_scope" not in back.text
    assert counts(database) == (1, 1, 0)


def test_a_refused_form_is_not_spent_and_a_deny_counts_once_too(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    url = authorization_url(server, registered)
    nothing_ticked = browser.decide(url, allow_scope=[])
    assert nothing_ticked.status_code == 422 and "Tick at least one thing" in nothing_ticked.text
    denied = browser.decide(url, decision="deny")
    assert denied.status_code == 302 and "error=access_denied" in denied.headers["Location"]
    assert post_again(browser, url).status_code == 409  # an Allow after the Deny changes nothing
    assert "you said no" in browser.open(url).text
    assert counts(database) == (0, 0, 0)


def test_a_new_request_replaces_the_grant_without_showing_a_withdrawal(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    for _ in range(2):  # the business asks again later (a new state and challenge): a new consent
        assert browser.decide(authorization_url(server, registered)).status_code == 302
    assert counts(database) == (2, 2, 1)  # the log says the first was replaced
    connections = browser.open(server + "/connections").text
    assert "Northwind Energy" in connections and "withdrawn" not in connections
    receipts = browser.open(server + "/receipts").text
    assert "replaced by a newer consent" in receipts


def test_another_business_on_the_screen_after_a_sign_in_is_still_its_own_request(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    other = register(database, "fabrikam-bank")
    assert browser.decide(authorization_url(server, registered)).status_code == 302
    assert browser.decide(authorization_url(server, other)).status_code == 302
    assert counts(database) == (2, 2, 0)


def test_the_code_step_of_a_sign_in_on_the_way_names_the_company_and_may_lead_back_to_it(
    server: str, app: Flask, database: Database, registered: Registered
) -> None:
    keyring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        _, vault = factories.customer(session, keyring, "two.step@example.org", PASSWORD)
        phone = pyotp.TOTP(begin_enrolment(session, vault=vault, account_name="two.step@example.org").secret)
        confirm_enrolment(session, vault=vault, code=phone.at(time.time() - 30))
    url = authorization_url(server, registered)
    visitor = Browser(server)
    sign_in = visitor.http.get(url)  # sent to sign in first, the way kept in `next`
    token = CSRF.search(sign_in.text)
    assert token and "/signin?next=" in sign_in.url
    typed = {"csrf_token": token.group(1), "email": "two.step@example.org", "password": PASSWORD}
    code_page = visitor.http.post(sign_in.url, data=typed)
    assert code_page.url == server + "/signin/code"
    assert form_action(code_page) == "'self' https://client.example"
    assert "<strong>Northwind Energy</strong> asks to see some of your data" in code_page.text
    code_token = CSRF.search(code_page.text)
    assert code_token
    consent = visitor.http.post(code_page.url, data={"csrf_token": code_token.group(1), "code": phone.now()})
    assert "Northwind Energy asks to see some of your data" in consent.text and "allow_scope" in consent.text


def test_a_copy_of_the_database_does_not_tell_what_was_answered_nor_to_whom(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    assert browser.decide(authorization_url(server, registered), decision="deny").status_code == 302
    with database.sessions() as session:
        [row] = session.execute(text("SELECT * FROM authorization_answers")).mappings().all()
    assert set(row) == {"id", "request_digest", "customer_id", "outcome", "answered_at"}
    stored = b"".join(bytes(value) for value in (row["request_digest"], row["outcome"]))
    assert b"deny" not in stored and registered.client_id.encode() not in stored
