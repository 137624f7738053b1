"""Fuzzing the web front's form and query parsers: every route of the URL map, signed in as the owner of
the ids in its path (so the request reaches the parser, not a 404), gets hypothesis-made form fields and
query strings with a valid CSRF token. Whatever arrives, the answer is a page, a redirect or a refusal:
never a 500, and the owner's data stays readable."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Database
from tests.web.conftest import csrf_token
from tests.web.test_owner_matrix import owner_world
from vrm.serving.paths import is_json_path

pytestmark = pytest.mark.slow
# Routes that end what the fuzzer stands on: signing out, ending sessions, deleting the account.
LEAVES = {
    "static",
    "pages.static",
    "auth.signout",
    "account.end",
    "mydata.delete",
    "portal.signout",
    "audit.signout",
}
NAME = re.compile(r'name="([^"]+)"')
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e309",
        "NaN",
        "true",
        "on",
        "\x00",
        "a\x00b",
        "../../etc/passwd",
        "%00",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "=cmd|' /C calc'!A0",
        "\u202e",
        "9" * 400,
        "x" * 5000,
        "2024-02-30",
        "25:61",
        "Europe/Nowhere",
        "https://evil.example/",
        "javascript:alert(1)",
    ]
)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80) | HOSTILE


def vocabulary(client: FlaskClient) -> list[str]:
    """Every form field name the owner's pages offer, so fuzzed forms hit the parsers' real branches."""
    names: set[str] = set()
    for page in ("/profile", "/preferences", "/connections", "/history", "/account", "/account/delete"):
        names |= set(NAME.findall(client.get(page).get_data(as_text=True)))
    return sorted(names - {"csrf_token"})


def routes(app: Flask, ids: dict[str, str]) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) of every page route, with the owner's ids in the path."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LEAVES or is_json_path(rule.rule):
            continue
        path = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule.endpoint, method, path))
    return found


def fuzz(client: FlaskClient, method: str, path: str, fields: list[str], token: str) -> Callable[[], None]:
    forms = st.dictionaries(st.sampled_from(fields) | TEXT, TEXT | st.lists(TEXT, max_size=3), max_size=8)

    @given(
        form=forms,
        query=st.dictionaries(
            st.sampled_from(["before", "page", "cursor", "next", "q"]) | TEXT, TEXT, max_size=3
        ),
    )
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(form: dict[str, object], query: dict[str, str]) -> None:
        data = {**form, "csrf_token": token} if method == "POST" else None
        response = client.open(path, method=method, data=data, query_string=query)
        assert response.status_code < 500, f"{method} {path} {form} {query}: {response.status_code}"

    return check  # type: ignore[no-any-return]


def test_no_form_or_query_makes_a_page_fail(app: Flask, database: Database, client: FlaskClient) -> None:
    ids = owner_world(app, database, client)
    fields = vocabulary(client)
    assert {"given_name", "note", "rating"} <= set(fields)
    token = csrf_token(client, "/account")
    walked = routes(app, ids)
    assert len(walked) >= 30
    for _endpoint, method, path in walked:
        fuzz(client, method, path, fields, token)()
    # Still signed in, and whatever the fuzzer got accepted and stored still renders.
    for page in (
        "/account",
        "/profile",
        "/preferences",
        "/history",
        "/connections",
        "/receipts",
        "/account/export",
    ):
        assert client.get(page).status_code == 200, page
