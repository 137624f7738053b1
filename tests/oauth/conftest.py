"""OAuth fixtures: the app served live on a local port, a registered client, and a customer's browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from tests import factories
from tests.conftest import Database
from tests.web.browser import free_port, live_server
from tests.web.conftest import PASSWORD
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.oauth.clients import create_client

REDIRECT_URI = "https://client.example/callback"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass(frozen=True)
class Registered:
    client_id: str
    client_secret: str
    business_id: object


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app(database: Database, tmp_path: Path, port: int) -> Iterator[Flask]:
    """The app with its issuer at the address the live server will listen on (clients check `iss`)."""
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    settings = Settings.from_env(
        {
            "VRM_INSTANCE_DIR": str(tmp_path),
            "VRM_DATABASE_URL": database.url,
            "VRM_ISSUER": f"http://127.0.0.1:{port}",
        }
    )
    app = create_app(settings)
    yield app
    app.extensions["vrm"].engine.dispose()


@pytest.fixture
def server(app: Flask, port: int) -> Iterator[str]:
    with live_server(app, port) as base:
        yield base


@pytest.fixture
def registered(database: Database) -> Registered:
    return register(database, "northwind-energy")


def register(
    database: Database, business: str, scopes: str | None = None, redirect_uri: str = REDIRECT_URI
) -> Registered:
    with database.sessions.begin() as session:
        shop = factories.business(session, business)
        client, secret = create_client(
            session,
            business_id=shop.id,
            name=f"{shop.display_name} app",
            redirect_uris=[redirect_uri],
            scopes=scopes,
        )
        return Registered(client.client_id, secret, shop.id)


def token_request(
    server: str, registered: Registered, secret: str | None = None, **data: str
) -> requests.Response:
    """POST to the token endpoint as the registered client (with another secret if given)."""
    return requests.post(
        server + "/oauth/token",
        data=data,
        auth=(registered.client_id, secret or registered.client_secret),
        timeout=10,
    )


def business_token(server: str, registered: Registered) -> str:
    """The business's own access token (client credentials)."""
    token: str = token_request(server, registered, grant_type="client_credentials").json()["access_token"]
    return token


class Browser:
    """A customer's browser: a cookie jar that signs up and answers consent screens."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def sign_up(self, email: str) -> None:
        token = self.csrf("/signup")
        response = self.http.post(
            self.base + "/signup",
            data={"email": email, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:500]

    def csrf(self, path: str) -> str:
        match = CSRF.search(self.http.get(self.base + path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def open(self, url: str) -> requests.Response:
        return self.http.get(url, allow_redirects=False)

    def decide(self, url: str, decision: str = "allow", **fields: object) -> requests.Response:
        """Answer the consent screen at `url`; return the server's answer (a redirect to the client)."""
        page = self.http.get(url, allow_redirects=False)
        assert page.status_code == 200, page.text[:500]
        match = CSRF.search(page.text)
        assert match
        ticked = fields.pop("allow_scope", re.findall(r'name="allow_scope" value="([^"]+)"', page.text))
        data = {
            "csrf_token": match.group(1),
            "decision": decision,
            "allow_scope": ticked,
            "duration": "365",
            **fields,
        }
        return self.http.post(url, data=data, allow_redirects=False)


@pytest.fixture
def browser(server: str) -> Browser:
    customer = Browser(server)
    customer.sign_up("oauth.customer@example.org")
    return customer


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
