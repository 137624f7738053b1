"""The authorization code flow, driven by real OAuth client libraries (Authlib and requests-oauthlib)
against the app served live: discovery, PKCE, consent, tokens, refresh rotation, revocation, introspection."""

from __future__ import annotations

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from requests_oauthlib import OAuth2Session as OAuthlibSession

from tests.oauth.conftest import REDIRECT_URI, Browser, Registered, query_of

SCOPES = "profile:read contact:read interactions:read"


def discover(base: str) -> dict[str, object]:
    response = requests.get(base + "/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == 200
    metadata: dict[str, object] = response.json()
    return metadata


def client_for(registered: Registered, scope: str = SCOPES) -> OAuth2Session:
    return OAuth2Session(
        registered.client_id,
        registered.client_secret,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def authorize(
    base: str, browser: Browser, registered: Registered, scope: str = SCOPES
) -> tuple[OAuth2Session, dict]:  # type: ignore[type-arg]
    """Walk the whole flow as a business's website and its customer would; return the client and token."""
    metadata = discover(base)
    client = client_for(registered, scope)
    verifier = generate_token(64)
    url, state = client.create_authorization_url(
        str(metadata["authorization_endpoint"]), code_verifier=verifier
    )
    answer = browser.decide(url)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = query_of(location)
    assert params["state"] == state and params["iss"] == metadata["issuer"]  # RFC 9207
    token = client.fetch_token(
        str(metadata["token_endpoint"]), authorization_response=location, code_verifier=verifier
    )
    return client, token


def test_metadata_tells_clients_everything_they_need(server: str) -> None:
    metadata = discover(server)
    assert metadata["issuer"] and metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert set(metadata["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }  # type: ignore[arg-type]
    assert "implicit" not in str(metadata) and "password" not in metadata["grant_types_supported"]  # type: ignore[operator]
    assert "profile:read" in metadata["scopes_supported"]  # type: ignore[operator]


def test_a_customer_allows_and_the_business_gets_opaque_short_lived_tokens(
    server: str, browser: Browser, registered: Registered
) -> None:
    _, token = authorize(server, browser, registered)
    assert token["token_type"].lower() == "bearer" and token["expires_in"] == 600
    assert token["scope"] == SCOPES and token["refresh_token"]
    assert token["access_token"].count(".") == 0  # opaque, not a JWT


def test_unticked_categories_are_left_out_of_the_token(
    server: str, browser: Browser, registered: Registered
) -> None:
    client = client_for(registered)
    verifier = generate_token(64)
    url, _ = client.create_authorization_url(server + "/authorize", code_verifier=verifier)
    answer = browser.decide(url, allow_scope=["profile:read"])
    token = client.fetch_token(
        server + "/oauth/token", authorization_response=answer.headers["Location"], code_verifier=verifier
    )
    assert token["scope"] == "profile:read"


def test_denying_sends_access_denied_back_with_state_and_issuer(
    server: str, browser: Browser, registered: Registered
) -> None:
    client = client_for(registered)
    url, state = client.create_authorization_url(server + "/authorize", code_verifier=generate_token(64))
    answer = browser.decide(url, decision="deny")
    params = query_of(answer.headers["Location"])
    assert answer.headers["Location"].startswith(REDIRECT_URI)
    assert (
        params["error"] == "access_denied"
        and params["state"] == state
        and params["iss"] == discover(server)["issuer"]
    )
    assert "code" not in params


def test_refresh_tokens_rotate_and_a_replay_revokes_the_family(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, first = authorize(server, browser, registered)
    second = client.refresh_token(server + "/oauth/token", refresh_token=first["refresh_token"])
    assert (
        second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    )
    assert introspect(server, registered, first["access_token"])["active"] is False  # the old pair is dead
    replay = requests.post(
        server + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(registered.client_id, registered.client_secret),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The replay revoked the whole family: the newest pair, which the attacker or the business holds, too.
    assert introspect(server, registered, second["access_token"])["active"] is False
    assert introspect(server, registered, second["refresh_token"])["active"] is False


def test_an_authorization_code_works_once_and_a_reuse_revokes_its_tokens(
    server: str, browser: Browser, registered: Registered
) -> None:
    client = client_for(registered)
    verifier = generate_token(64)
    url, _ = client.create_authorization_url(server + "/authorize", code_verifier=verifier)
    location = browser.decide(url).headers["Location"]
    token = client.fetch_token(
        server + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    again = requests.post(
        server + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(location)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(registered.client_id, registered.client_secret),
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert introspect(server, registered, token["access_token"])["active"] is False


def test_revoking_a_refresh_token_ends_its_access_tokens(
    server: str, browser: Browser, registered: Registered
) -> None:
    client, token = authorize(server, browser, registered)
    client.revoke_token(
        server + "/oauth/revoke", token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert introspect(server, registered, token["access_token"])["active"] is False
    refused = requests.post(
        server + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(registered.client_id, registered.client_secret),
        timeout=10,
    )
    assert refused.status_code == 400


def test_introspection_answers_a_client_only_about_its_own_tokens(
    server: str, browser: Browser, registered: Registered, database: object
) -> None:
    from tests.oauth.conftest import register

    _, token = authorize(server, browser, registered)
    described = introspect(server, registered, token["access_token"])
    assert (
        described["active"] is True
        and described["scope"] == SCOPES
        and described["client_id"] == registered.client_id
    )
    other = register(database, "contoso-mobile")  # type: ignore[arg-type]
    assert introspect(server, other, token["access_token"]) == {"active": False}
    unauthenticated = requests.post(
        server + "/oauth/introspect", data={"token": token["access_token"]}, timeout=10
    )
    assert unauthenticated.status_code == 401


def test_requests_oauthlib_completes_the_same_flow(
    server: str, browser: Browser, registered: Registered, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "OAUTHLIB_INSECURE_TRANSPORT", "1"
    )  # the live test server speaks plain http on 127.0.0.1
    session = OAuthlibSession(
        registered.client_id, scope=SCOPES.split(), redirect_uri=REDIRECT_URI, pkce="S256"
    )
    url, state = session.authorization_url(server + "/authorize")
    location = browser.decide(url).headers["Location"]
    assert query_of(location)["state"] == state
    token = session.fetch_token(
        server + "/oauth/token", authorization_response=location, client_secret=registered.client_secret
    )
    assert token["access_token"] and set(token["scope"]) == set(SCOPES.split())


def introspect(server: str, registered: Registered, token: str) -> dict[str, object]:
    response = requests.post(
        server + "/oauth/introspect",
        data={"token": token},
        auth=(registered.client_id, registered.client_secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
