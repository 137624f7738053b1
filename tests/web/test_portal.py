"""The business portal: register, create applications, see redirect URIs, rotate secrets, set a webhook."""

from __future__ import annotations

import re

import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up

SECRET = re.compile(r'<code class="secret" id="secret">([^<]+)</code>')
CLIENT_ID = re.compile(r"Client id: <code>([^<]+)</code>")


def register(client: FlaskClient, name: str = "northwind-energy", email: str = "it@northwind.example"):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        "/business/signup",
        {
            "name": name,
            "display_name": "Northwind Energy",
            "website": "https://northwind.example",
            "email": email,
            "password": PASSWORD,
        },
    )


def new_application(client: FlaskClient, uris: str = "https://app.northwind.example/cb", **extra: object):  # type: ignore[no-untyped-def]
    data = {
        "name": "Northwind app",
        "redirect_uris": uris,
        "purpose": "service",
        "scope": ["profile:read", "contact:read"],
        **extra,
    }
    return client.post("/business/clients", data={**data, "csrf_token": csrf_token(client, "/business")})


def test_a_business_registers_and_creates_an_application_whose_secret_shows_once(client: FlaskClient) -> None:
    assert register(client).headers["Location"] == "/business"
    answer = new_application(client, "https://app.northwind.example/cb\nhttp://127.0.0.1:8080/cb")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    secret, client_id = SECRET.search(page), CLIENT_ID.search(page)
    assert secret and client_id
    overview = client.get("/business").get_data(as_text=True)
    assert client_id.group(1) in overview and "https://app.northwind.example/cb" in overview
    assert "http://127.0.0.1:8080/cb" in overview and secret.group(1) not in overview


def test_a_bad_redirect_uri_is_explained_and_what_was_typed_kept(client: FlaskClient) -> None:
    register(client)
    answer = new_application(client, "https://good.example/cb\nhttp://evil.example/cb")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "redirect_uris[1]" in page and "http://evil.example/cb" in page
    assert "No application yet." in page


def test_rotating_a_secret_retires_the_old_one_at_once(app: Flask, client: FlaskClient) -> None:
    from tests.web.browser import live_server

    register(client)
    page = new_application(client).get_data(as_text=True)
    client_id, old = CLIENT_ID.search(page).group(1), SECRET.search(page).group(1)  # type: ignore[union-attr]
    rotated = post_form(client, f"/business/clients/{client_id}/rotate", {}, token_from="/business")
    new = SECRET.search(rotated.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert new != old
    with live_server(app) as base:

        def token_with(secret: str) -> int:
            return requests.post(
                base + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret),
                timeout=10,
            ).status_code

        assert token_with(old) == 401 and token_with(new) == 200


def test_another_business_cannot_rotate_my_secret(app: Flask, client: FlaskClient) -> None:
    register(client)
    client_id = CLIENT_ID.search(new_application(client).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    other = app.test_client()
    register(other, "contoso-mobile", "it@contoso.example")
    answer = post_form(other, f"/business/clients/{client_id}/rotate", {}, token_from="/business")
    assert answer.status_code == 404
    assert client_id not in other.get("/business").get_data(as_text=True)


def test_the_webhook_is_set_with_its_signing_secret(client: FlaskClient) -> None:
    register(client)
    bad = post_form(client, "/business/webhook", {"url": "http://hooks.example/x"}, token_from="/business")
    assert bad.status_code == 422 and 'value="http://hooks.example/x"' in bad.get_data(as_text=True)
    good = post_form(
        client, "/business/webhook", {"url": "https://hooks.northwind.example/vrm"}, token_from="/business"
    )
    assert SECRET.search(good.get_data(as_text=True)).group(1).startswith("whsec_")  # type: ignore[union-attr]
    assert "Events go to <code>https://hooks.northwind.example/vrm</code>" in client.get(
        "/business"
    ).get_data(as_text=True)


def test_portal_pages_need_a_business_sign_in_and_a_customer_is_not_one(client: FlaskClient) -> None:
    assert client.get("/business").headers["Location"] == "/business/signin"
    sign_up(client, "just.a.customer@example.org")
    assert client.get("/business").headers["Location"] == "/business/signin"


def test_business_sign_in_says_nothing_about_which_part_was_wrong(
    client: FlaskClient, database: Database
) -> None:
    register(client)
    client.post("/business/signout", data={"csrf_token": csrf_token(client, "/business")})
    assert client.get("/business").status_code == 302
    wrong = post_form(
        client, "/business/signin", {"email": "it@northwind.example", "password": "not the password"}
    )
    unknown = post_form(
        client, "/business/signin", {"email": "nobody@northwind.example", "password": "not the password"}
    )
    for answer in (wrong, unknown):
        assert "The email or password is not right." in answer.get_data(as_text=True)
    right = post_form(client, "/business/signin", {"email": "it@northwind.example", "password": PASSWORD})
    assert right.headers["Location"] == "/business"


def test_a_taken_handle_or_email_is_refused_by_name(app: Flask, client: FlaskClient) -> None:
    register(client)
    again = register(app.test_client())
    assert again.status_code == 200 and "already exists" in again.get_data(as_text=True)
    handle = register(app.test_client(), "Not A Handle!", "x@y.example")
    assert 'id="name-error"' in handle.get_data(as_text=True)
