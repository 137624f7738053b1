"""Every way an authorization or token request can be wrong, and the RFC answer each one gets."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select, update

from tests.conftest import Database
from tests.oauth.conftest import REDIRECT_URI, Browser, Registered, query_of, register, token_request
from tests.oauth.test_authorization_code import introspect
from vrm.consent.models import Grant
from vrm.db import utcnow
from vrm.oauth.models import AuthorizationCode

VERIFIER = generate_token(64)


def authorize_url(server: str, registered: Registered, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "profile:read",
        "state": "the-state",
        "code_challenge": create_s256_code_challenge(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return server + "/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def code_for(server: str, browser: Browser, registered: Registered) -> str:
    return query_of(browser.decide(authorize_url(server, registered)).headers["Location"])["code"]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # no PKCE
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # would default to plain
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "profile:read admin:everything"}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),  # no implicit grant
    ],
)
def test_a_bad_request_from_a_known_client_goes_back_with_its_error(
    server: str, browser: Browser, registered: Registered, overrides: dict[str, str | None], error: str
) -> None:
    answer = browser.open(authorize_url(server, registered, **overrides))
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT_URI + "?")
    params = query_of(answer.headers["Location"])
    assert params["error"] == error and params["state"] == "the-state" and params["iss"] == server
    assert "code" not in params


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "vrm_unknown"},
        {"client_id": None},
        {"redirect_uri": None},  # always required, never guessed
        {"redirect_uri": REDIRECT_URI + "/"},
        {"redirect_uri": REDIRECT_URI + "?next=https://evil.example"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": REDIRECT_URI.upper()},
    ],
)
def test_an_unknown_client_or_redirect_uri_is_never_redirected_to(
    server: str, browser: Browser, registered: Registered, overrides: dict[str, str | None]
) -> None:
    answer = browser.open(authorize_url(server, registered, **overrides))
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "This link does not work" in answer.text


def test_a_visitor_signs_in_first_and_comes_back_to_the_consent_screen(
    server: str, registered: Registered
) -> None:
    visitor = Browser(server)
    url = authorize_url(server, registered)
    answer = visitor.open(url)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/signin?next=")
    visitor.sign_up("latecomer@example.org")
    page = visitor.open(url)
    assert page.status_code == 200 and "Northwind Energy asks to see some of your data" in page.text
    assert (
        "See your name, language, region format and time zone" in page.text
        and "profile:read" not in page.text.replace('value="profile:read"', "")
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"code_verifier": ""}, "invalid_request"),
        ({"code_verifier": generate_token(64)}, "invalid_grant"),  # not the one the challenge was made from
        ({"redirect_uri": "https://client.example/other"}, "invalid_grant"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
    ],
)
def test_a_bad_token_request_is_refused(
    server: str, browser: Browser, registered: Registered, data: dict[str, str], error: str
) -> None:
    code = code_for(server, browser, registered)
    request = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    answer = token_request(server, registered, **{**request, **data})
    assert answer.status_code == 400 and answer.json()["error"] == error


def test_a_wrong_client_secret_is_refused(server: str, browser: Browser, registered: Registered) -> None:
    code = code_for(server, browser, registered)
    answer = token_request(
        server,
        registered,
        secret="not-the-secret",
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_a_client_id_no_database_could_hold_is_refused_not_failed(server: str) -> None:
    for client_id in ("vrm_\x00forged", "x" * 300):
        answer = requests.post(
            server + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, "any-secret"),
            timeout=10,
        )
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", client_id


def test_another_clients_code_is_refused(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    code = code_for(server, browser, registered)
    other = register(database, "contoso-mobile")
    answer = token_request(
        server,
        other,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_code_dies_after_sixty_seconds(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    code = code_for(server, browser, registered)
    with database.sessions.begin() as session:
        session.execute(update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = token_request(
        server,
        registered,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_client_credentials_give_a_business_token_without_customer_scopes(
    server: str, registered: Registered
) -> None:
    answer = token_request(server, registered, grant_type="client_credentials")
    assert answer.status_code == 200 and "refresh_token" not in answer.json()
    assert introspect(server, registered, answer.json()["access_token"])["active"] is True
    scoped = token_request(server, registered, grant_type="client_credentials", scope="profile:read")
    assert scoped.status_code == 400 and scoped.json()["error"] == "invalid_scope"


def test_withdrawing_consent_ends_tokens_in_flight_at_once(
    server: str, browser: Browser, registered: Registered, database: Database
) -> None:
    code = code_for(server, browser, registered)
    token = token_request(
        server,
        registered,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    ).json()
    assert introspect(server, registered, token["access_token"])["active"] is True
    with database.sessions() as session:
        grant_id = session.scalars(select(Grant.id)).one()
    page = browser.http.get(server + "/connections").text
    csrf = browser.csrf("/connections")
    withdrawn = browser.http.post(
        f"{server}/connections/{grant_id}/withdraw", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert withdrawn.status_code == 302 and "Northwind Energy" in page
    assert introspect(server, registered, token["access_token"])["active"] is False
    refreshed = token_request(
        server, registered, grant_type="refresh_token", refresh_token=token["refresh_token"]
    )
    assert refreshed.status_code == 400
