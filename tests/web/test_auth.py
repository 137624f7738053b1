"""Signing up, in and out, as a browser does it over HTTP (the browser walk is in test_browser.py)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up


def test_sign_up_opens_a_vault_and_signs_in(client: FlaskClient) -> None:
    response = sign_up(client, "new.person@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "Signed in as new.person@example.org" in page and "This browser" in page


def test_sign_up_errors_keep_what_was_typed(client: FlaskClient) -> None:
    response = post_form(
        client, "/signup", {"email": "kept@example.org", "password": "short", "confirm": "other"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="kept@example.org"' in page
    assert 'aria-invalid="true"' in page and "Please correct these" in page
    assert "short" not in page  # passwords are never echoed back


def test_sign_up_with_an_invalid_email_names_the_field(client: FlaskClient) -> None:
    page = sign_up(client, "not-an-email").get_data(as_text=True)
    assert 'id="email-error"' in page and 'value="not-an-email"' in page


def test_sign_in_failure_never_says_whether_the_email_exists(client: FlaskClient) -> None:
    sign_up(client, "exists@example.org")
    client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})
    wrong_password = post_form(
        client, "/signin", {"email": "exists@example.org", "password": "not the password"}
    )
    unknown_email = post_form(
        client, "/signin", {"email": "nobody@example.org", "password": "not the password"}
    )
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert "The email or password is not right." in response.get_data(as_text=True)
    strip = lambda page: page.replace("exists@example.org", "").replace("nobody@example.org", "")  # noqa: E731
    assert (
        strip(wrong_password.get_data(as_text=True)).split('name="csrf_token"')[0]
        == strip(unknown_email.get_data(as_text=True)).split('name="csrf_token"')[0]
    )


def test_signed_out_browser_cannot_reach_the_account(client: FlaskClient) -> None:
    sign_up(client, "leaving@example.org")
    response = client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302


def test_sign_in_follows_only_local_next_addresses(client: FlaskClient) -> None:
    sign_up(client, "next@example.org")
    client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})
    for target, expected in (
        ("/account", "/account"),
        ("https://evil.example/", "/account"),
        ("//evil.example/x", "/account"),
    ):
        token = csrf_token(client, "/signin")
        response = client.post(
            f"/signin?next={target}",
            data={"email": "next@example.org", "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == expected
        client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})


def test_sign_in_refuses_a_next_address_a_browser_reads_as_another_site(client: FlaskClient) -> None:
    sign_up(client, "slash@example.org")
    client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})
    for target in ("/\\evil.example", "/%5Cevil.example", "/\t/evil.example"):
        token = csrf_token(client, "/signin")
        response = client.post(
            "/signin",
            query_string={"next": target},
            data={"email": "slash@example.org", "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == "/account", target
        client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})


def test_password_change_signs_out_every_other_session(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    sign_up(first, "two.browsers@example.org")
    post_form(second, "/signin", {"email": "two.browsers@example.org", "password": PASSWORD})
    assert second.get("/account").status_code == 200
    new_password = "an even longer new passphrase"
    response = post_form(
        first,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new_password, "confirm": new_password},
        token_from="/account",
    )
    assert response.status_code == 302
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302


def test_wrong_current_password_is_refused_by_field(client: FlaskClient) -> None:
    sign_up(client, "careful@example.org")
    response = post_form(
        client,
        "/account/password",
        {"current_password": "wrong wrong wrong", "new_password": "x" * 20, "confirm": "x" * 20},
        token_from="/account",
    )
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.get_data(as_text=True)
