"""Web fixtures: an app on a fresh database, a test client, and a signed-up customer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing

PASSWORD = "a long and unguessable passphrase"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(database: Database, tmp_path: Path) -> Iterator[Flask]:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    settings = Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path), "VRM_DATABASE_URL": database.url})
    app = create_app(settings)
    yield app
    app.extensions["vrm"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, token_from: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or path)})


def sign_up(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post_form(client, "/signup", {"email": email, "password": password, "confirm": password})
