"""CSRF on every form, a fresh session at sign-in, owners only, and a limit on guessing passwords."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import Database, production_settings
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up
from vrm.accounts.models import WebSession
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.serving.paths import is_json_path

ANY_ID = uuid.uuid4()
FORMS = [
    ("/signup", {"email": "csrf@example.org", "password": PASSWORD, "confirm": PASSWORD}),
    ("/signin", {"email": "csrf@example.org", "password": PASSWORD}),
    ("/signout", {}),
    ("/reset", {"email": "csrf@example.org"}),
    ("/profile", {"given_name": "Forged"}),
    ("/preferences", {"contact-email-marketing": "on"}),
    ("/account/delete", {"password": PASSWORD}),
    ("/account/next-steps/close", {}),
    # The token is checked before any handler runs, so any id shows it on these routes too.
    (f"/account/sessions/{ANY_ID}/end", {}),
    (f"/history/{ANY_ID}/feedback", {"rating": "5"}),
    (f"/history/{ANY_ID}/note", {"note": "forged"}),
    (f"/history/{ANY_ID}/visibility", {"hidden": "true"}),
    (f"/history/{ANY_ID}/delete", {}),
    (f"/history/{ANY_ID}/sharing", {"shared": "true"}),
    (f"/history/{ANY_ID}/journey", {"journey": "none"}),
    (f"/history/journeys/{ANY_ID}/title", {"title": "Forged"}),
    (f"/history/journeys/{ANY_ID}/record", {"channel": "chat", "direction": "inbound", "subject": "Forged"}),
    ("/history/new", {"channel": "chat", "direction": "inbound", "subject": "Forged"}),
    ("/preferences/companies/any-company", {}),
    ("/preferences/companies/any-company/reset", {}),
    ("/account/password", {"current_password": PASSWORD, "new_password": "x" * 20, "confirm": "x" * 20}),
    ("/reset/any-token", {"new_password": "x" * 20, "confirm": "x" * 20}),
    ("/signin/code", {"code": "123456"}),
    ("/account/two-step/setup", {}),
    ("/account/two-step/confirm", {"code": "123456"}),
    ("/account/two-step/recovery-codes", {"codes-password": PASSWORD}),
    ("/account/two-step/off", {"off-password": PASSWORD}),
    (f"/connections/{ANY_ID}", {"scope": "profile:read"}),
    (f"/connections/{ANY_ID}/withdraw", {}),
    ("/authorize", {"decision": "allow", "allow_scope": "profile:read", "duration": "365"}),
    (
        "/business/signup",
        {"name": "csrf-shop", "display_name": "CSRF", "email": "b@example.org", "password": PASSWORD},
    ),
    ("/business/signin", {"email": "b@example.org", "password": PASSWORD}),
    ("/business/signout", {}),
    ("/business/clients", {"name": "App", "redirect_uris": "https://a.example/cb", "purpose": "service"}),
    ("/business/clients/vrm_any/rotate", {}),
    ("/business/webhook", {"url": "https://a.example/hooks"}),
    ("/audit/signin", {"token": "vrm_audit_forged"}),
    ("/audit/signout", {}),
    ("/audit/integrity/runs", {}),
    (f"/audit/integrity/runs/{ANY_ID}/step", {}),
]


def test_the_forms_list_covers_every_page_route_that_takes_a_post(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    listed = {adapter.match(path, method="POST", return_rule=True)[0].rule for path, _ in FORMS}
    posted = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not is_json_path(rule.rule)
    }
    assert posted - listed == set()


def test_every_form_refuses_a_post_without_its_csrf_token(client: FlaskClient) -> None:
    sign_up(client, "csrf-owner@example.org")
    for path, data in FORMS:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "This form expired" in response.get_data(as_text=True), path
    assert client.get("/account").status_code == 200  # still signed in: the sign-out was refused too


def test_a_forged_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/signin", data={"email": "a@example.org", "password": "p", "csrf_token": "forged"}
    )
    assert response.status_code == 400


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


def test_signing_in_replaces_the_session_so_a_planted_one_is_useless(app: Flask) -> None:
    victim, attacker = app.test_client(), app.test_client()
    sign_up(victim, "fixation@example.org")
    victim.post("/signout", data={"csrf_token": csrf_token(victim, "/account")})
    csrf_token(attacker, "/signin")  # the attacker gets a pre-sign-in session...
    planted = session_cookie(attacker)
    assert planted is not None
    victim.set_cookie("session", planted)  # ...and plants it in the victim's browser
    post_form(victim, "/signin", {"email": "fixation@example.org", "password": PASSWORD})
    assert session_cookie(victim) != planted
    assert victim.get("/account").status_code == 200
    assert attacker.get("/account").status_code == 302


def test_a_customer_cannot_end_another_customers_session(app: Flask, database: Database) -> None:
    alice, bob = app.test_client(), app.test_client()
    sign_up(alice, "alice@example.org")
    with database.sessions() as session:
        alice_session = session.scalars(select(WebSession)).one()  # the only session so far
    sign_up(bob, "bob@example.org")
    response = post_form(bob, f"/account/sessions/{alice_session.id}/end", {}, token_from="/account")
    assert response.status_code == 404
    assert alice.get("/account").status_code == 200


def test_ending_a_session_by_a_non_uuid_is_not_found(client: FlaskClient) -> None:
    sign_up(client, "odd@example.org")
    assert post_form(client, "/account/sessions/not-a-uuid/end", {}, token_from="/account").status_code == 404


@pytest.mark.usefixtures("one_minute_window")
def test_sign_in_attempts_are_limited_per_client(client: FlaskClient) -> None:
    statuses = [
        post_form(client, "/signin", {"email": "guess@example.org", "password": f"guess {n}"}).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    page = post_form(client, "/signin", {"email": "guess@example.org", "password": "again"})
    assert "Too many attempts" in page.get_data(as_text=True) and page.headers.get("Retry-After")


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient) -> None:
    response = sign_up(client, "cookie@example.org")
    header = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert re.search(r"HttpOnly", header) and re.search(r"SameSite=Lax", header)


@pytest.mark.usefixtures("one_minute_window")
def test_behind_a_trusted_proxy_each_client_address_has_its_own_sign_in_budget(
    database: Database, tmp_path: Path
) -> None:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    settings = Settings.from_env(
        {"VRM_INSTANCE_DIR": str(tmp_path), "VRM_DATABASE_URL": database.url, "VRM_PROXIES": "1"}
    )
    app = create_app(settings)
    http = app.test_client()

    def attempt(address: str) -> int:
        token = csrf_token(http, "/signin")
        return http.post(
            "/signin",
            data={"email": "x@example.org", "password": "wrong but long enough", "csrf_token": token},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},  # the proxy itself, the same for everyone
        ).status_code

    assert [attempt("203.0.113.7") for _ in range(10)] == [200] * 10
    assert attempt("203.0.113.7") == 429
    assert attempt("198.51.100.3") == 200  # another client behind the same proxy is not held back
    app.extensions["vrm"].engine.dispose()


def test_production_cookies_and_pages_are_locked_down(database: Database, tmp_path: Path) -> None:
    app = create_app(production_settings(database.url, tmp_path))
    try:
        browser = app.test_client()
        page = browser.get("/signin", base_url="https://vault.example.com")
        cookie = page.headers["Set-Cookie"]
        assert cookie.startswith("__Host-vrm-session=") and "Domain" not in cookie
        assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= {
            part.strip() for part in cookie.split(";")
        }
        assert page.headers["Cache-Control"] == "no-store"  # no copy of a page in any cache
        assert page.headers["Strict-Transport-Security"].startswith("max-age=63072000")
        assert (
            browser.get("/static/site.css", base_url="https://vault.example.com").headers.get("Cache-Control")
            != "no-store"
        )
    finally:
        app.extensions["vrm"].engine.dispose()


def test_passwords_longer_than_128_characters_are_refused(app: Flask) -> None:
    longest = "p" * 128
    assert sign_up(app.test_client(), "long.enough@example.org", password=longest).status_code == 302
    refused = sign_up(app.test_client(), "too.long@example.org", password=longest + "p")
    # The form again with the field's error (a sign-up that worked redirects).
    assert refused.status_code == 200 and "Use at least 12 characters (and at most 128)." in refused.get_data(
        as_text=True
    )


@pytest.mark.slow
def test_password_guesses_on_one_account_are_limited_whatever_the_addresses(app: Flask) -> None:
    """ASVS 2.2.1: at most 100 attempts an hour on one account, even spread over as many addresses."""
    sign_up(app.test_client(), "guessed@example.org")
    attacker = app.test_client()
    token = csrf_token(attacker, "/signin")

    def guess(email: str, address: str):  # type: ignore[no-untyped-def]
        form = {"email": email, "password": "not the password", "csrf_token": token}
        return attacker.post("/signin", data=form, environ_base={"REMOTE_ADDR": address})

    answers = [guess("Guessed@example.org ", f"10.1.{n // 200}.{n % 200}") for n in range(100)]
    assert {answer.status_code for answer in answers} == {200}  # refused as wrong, each from its own address
    assert guess("guessed@example.org", "10.9.9.9").status_code == 429  # the 101st, from a fresh address
    assert guess("someone.else@example.org", "10.9.9.10").status_code == 200  # other accounts are not held
