"""Web helpers: CSRF tokens, posting forms as a browser does, and signing up."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "a long and unguessable passphrase"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, token_from: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or path)})


def sign_up(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post_form(client, "/signup", {"email": email, "password": password, "confirm": password})
