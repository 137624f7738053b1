"""Fuzzing redirect-URI validation, at registration and at the authorization endpoint: whatever a client
sends, the server never answers 500 and never redirects anywhere but to the exact URI registered."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.oauth.conftest import REDIRECT_URI, Browser, Registered
from tests.oauth.test_authorization_errors import authorize_url
from vrm.oauth.clients import LOOPBACK_HOSTS, redirect_uri_problem
from vrm.serving.csp import content_security_policy

ALMOST = st.sampled_from(
    [
        REDIRECT_URI,
        REDIRECT_URI + "/",
        REDIRECT_URI + "?x=1",
        REDIRECT_URI + "#frag",
        REDIRECT_URI.upper(),
        REDIRECT_URI.replace("https", "http"),
        "https://client.example.evil.example/callback",
        "https://client.example@evil.example/callback",
        "https://evil.example/?https://client.example/callback",
        "//evil.example/callback",
        "/callback",
        "javascript:alert(1)",
        "https://client.example/callback\x00",
        "https://client.example/callback/../callback",
        "https://client.example:443/callback",
        "https://xn--clent-7ya.example/callback",
        "http://[::1]:8080/callback",
        "https://client.example;sandbox/callback",
        "https://client.example,evil.example/callback",
        "https://client.example'/callback",
    ]
)
URIS = ALMOST | st.text(max_size=120) | st.builds(lambda a, b: a + b, ALMOST, st.text(max_size=20))


@given(URIS | st.integers() | st.none() | st.lists(st.text(max_size=5), max_size=2))
@settings(max_examples=500, database=None)
def test_registration_refuses_every_uri_that_is_not_a_plain_https_or_loopback_one(uri: object) -> None:
    reason = redirect_uri_problem(uri)
    if reason is None:
        assert isinstance(uri, str) and uri.isascii() and uri.isprintable() and " " not in uri
        assert "#" not in uri and "*" not in uri and "@" not in uri.split("/")[2]
        scheme, _, rest = uri.partition("://")
        host = rest.split("/")[0].split("?")[0].rsplit(":", 1)[0]
        assert scheme.lower() == "https" or (scheme.lower() == "http" and host in LOOPBACK_HOSTS)
        parts = urlsplit(uri)  # and a consent form may be told to lead there (CSP form-action)
        origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port is not None else "")
        assert origin in content_security_policy([origin])
    else:
        assert isinstance(reason, str) and reason


@pytest.mark.slow
def test_the_authorization_endpoint_redirects_only_to_the_registered_uri(
    server: str, browser: Browser, registered: Registered
) -> None:
    """A signed-in customer's browser, so every request reaches the client and redirect-URI checks."""
    keys = st.sampled_from(["redirect_uri", "client_id", "scope", "state", "response_type", "code_challenge"])

    @given(uri=URIS, extra=st.dictionaries(keys | st.text(max_size=10), st.text(max_size=40), max_size=3))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(uri: str, extra: dict[str, str]) -> None:
        url = authorize_url(server, registered, redirect_uri=uri)
        if extra:
            url += "&" + urlencode(extra)
        answer = browser.http.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code < 500, (uri, extra, answer.status_code)
        if answer.is_redirect:
            location = answer.headers["Location"]
            local = location.startswith("/") and not location.startswith("//")
            assert local or location.startswith(REDIRECT_URI + "?"), (uri, extra, location)

    check()


@pytest.mark.slow
def test_the_token_revocation_and_introspection_endpoints_survive_any_form(
    server: str, registered: Registered
) -> None:
    names = st.sampled_from(
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
            "scope",
            "token",
            "token_type_hint",
        ]
    )
    values = URIS | st.sampled_from(["authorization_code", "refresh_token", "client_credentials", "password"])

    @given(
        endpoint=st.sampled_from(["/oauth/token", "/oauth/revoke", "/oauth/introspect"]),
        form=st.dictionaries(names | st.text(max_size=10), values, max_size=5),
        authenticated=st.booleans(),
    )
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(endpoint: str, form: dict[str, str], authenticated: bool) -> None:
        auth = (registered.client_id, registered.client_secret) if authenticated else None
        answer = requests.post(server + endpoint, data=form, auth=auth, timeout=10)
        assert answer.status_code < 500, (endpoint, form, answer.status_code, answer.text[:200])
        assert answer.headers["Content-Type"].startswith("application/json"), answer.headers["Content-Type"]

    check()
