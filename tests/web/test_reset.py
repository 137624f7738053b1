"""Resetting a forgotten password through the development outbox: once, in time, telling nothing to others."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up

NEW_PASSWORD = "a brand new long passphrase"


def outbox(app: Flask) -> list[dict[str, str]]:
    path = Path(app.instance_path) / "outbox.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def reset_link(app: Flask) -> str:
    match = re.search(r"http://[^ ]+(/reset/\S+?) within", outbox(app)[-1]["body"])
    assert match
    return match.group(1)


def signed_out(client: FlaskClient) -> FlaskClient:
    client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})
    return client


def test_the_link_in_the_outbox_sets_a_new_password_once(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "forgetful@example.org")
    signed_out(client)
    page = post_form(client, "/reset", {"email": "Forgetful@Example.org"}).get_data(as_text=True)
    assert "a link to choose a new password is on its way" in page
    assert outbox(app)[-1]["to"] == "forgetful@example.org"
    link = reset_link(app)
    assert client.get(link).status_code == 200
    response = post_form(client, link, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/signin"
    signin = post_form(client, "/signin", {"email": "forgetful@example.org", "password": NEW_PASSWORD})
    assert signin.status_code == 302
    assert signed_out(client).get(link).status_code == 400  # used once: the link no longer works


def test_an_unknown_email_gets_the_same_answer_and_no_message(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "known@example.org")
    signed_out(client)
    known = post_form(client, "/reset", {"email": "known@example.org"}).get_data(as_text=True)
    unknown = post_form(client, "/reset", {"email": "unknown@example.org"}).get_data(as_text=True)
    assert known.split("<main")[1] == unknown.split("<main")[1]
    assert [message["to"] for message in outbox(app)] == ["known@example.org"]


def test_a_reset_signs_out_every_session(app: Flask) -> None:
    browser, thief = app.test_client(), app.test_client()
    sign_up(browser, "stolen@example.org")
    post_form(thief, "/signin", {"email": "stolen@example.org", "password": PASSWORD})
    post_form(signed_out(browser), "/reset", {"email": "stolen@example.org"})
    post_form(browser, reset_link(app), {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert thief.get("/account").status_code == 302


def test_forged_or_tampered_links_are_refused(app: Flask, client: FlaskClient) -> None:
    sign_up(client, "careful@example.org")
    post_form(signed_out(client), "/reset", {"email": "careful@example.org"})
    link = reset_link(app)
    for bad in ("/reset/forged", link[:-2] + ("aa" if not link.endswith("aa") else "bb")):
        assert client.get(bad).status_code == 400
        data = {
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(client, "/reset"),
        }
        assert client.post(bad, data=data).status_code == 400  # refused for the link, not the form
    assert (
        post_form(client, "/signin", {"email": "careful@example.org", "password": PASSWORD}).status_code
        == 302
    )
