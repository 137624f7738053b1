"""Two-step sign-in over HTTP: setting it up, signing in with a code or a recovery code, turning it off."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from flask.testing import FlaskClient

from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_up

SECRET = re.compile(r'<code class="secret" id="secret">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code></li>")


def turn_on(client: FlaskClient) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-step sign-in through the pages; return the 'phone app' and the recovery codes shown."""
    assert post_form(client, "/account/two-step/setup", {}, token_from="/account/two-step").status_code == 302
    match = SECRET.search(client.get("/account/two-step/setup").get_data(as_text=True))
    assert match, "the set-up page shows the key to type in"
    app = pyotp.TOTP(match.group(1).replace(" ", ""))
    page = post_form(
        client,
        "/account/two-step/confirm",
        {"code": app.at(time.time() - 30)},
        token_from="/account/two-step/setup",
    )
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return app, RECOVERY.findall(page.get_data(as_text=True))


def sign_out(client: FlaskClient) -> None:
    client.post("/signout", data={"csrf_token": csrf_token(client, "/account")})


def sign_in_with_password(client: FlaskClient, email: str, path: str = "/signin"):  # type: ignore[no-untyped-def]
    return post_form(client, path, {"email": email, "password": PASSWORD}, token_from="/signin")


def test_set_up_shows_a_qr_code_and_ten_recovery_codes_once(client: FlaskClient) -> None:
    sign_up(client, "qr@example.org")
    assert "Off." in client.get("/account/two-step").get_data(as_text=True)
    _, codes = turn_on(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "On." in page and "10 of 10 recovery codes left" in page
    assert not any(code in page for code in codes)  # never shown again
    assert "Two-step sign-in" in client.get("/account").get_data(as_text=True)


def test_the_set_up_page_carries_a_scannable_qr_code(client: FlaskClient) -> None:
    sign_up(client, "scan@example.org")
    post_form(client, "/account/two-step/setup", {}, token_from="/account/two-step")
    page = client.get("/account/two-step/setup").get_data(as_text=True)
    assert re.search(r'<img class="qr" src="data:image/svg\+xml[^"]+" alt="QR code', page)


def test_a_wrong_code_at_set_up_keeps_the_same_key_and_names_the_field(client: FlaskClient) -> None:
    sign_up(client, "typo@example.org")
    post_form(client, "/account/two-step/setup", {}, token_from="/account/two-step")
    before = SECRET.search(client.get("/account/two-step/setup").get_data(as_text=True))
    assert before
    wrong = "000000" if pyotp.TOTP(before.group(1).replace(" ", "")).now() != "000000" else "111111"
    response = post_form(
        client, "/account/two-step/confirm", {"code": wrong}, token_from="/account/two-step/setup"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="code-error"' in page and f'value="{wrong}"' in page
    after = SECRET.search(page)
    assert after and after.group(1) == before.group(1)
    assert "Off." in client.get("/account/two-step").get_data(as_text=True)


def test_sign_in_asks_for_a_code_after_the_password(client: FlaskClient) -> None:
    sign_up(client, "twostep@example.org")
    app, _ = turn_on(client)
    sign_out(client)
    response = sign_in_with_password(client, "twostep@example.org", "/signin?next=/history")
    assert response.headers["Location"] == "/signin/code"
    assert client.get("/account").status_code == 302  # the password alone signs no one in
    wrong = post_form(client, "/signin/code", {"code": "12345x"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    done = post_form(client, "/signin/code", {"code": app.now()})
    assert done.headers["Location"] == "/history"  # where the customer was going
    assert client.get("/account").status_code == 200


def test_a_recovery_code_signs_in_once(client: FlaskClient) -> None:
    sign_up(client, "lostphone@example.org")
    _, codes = turn_on(client)
    sign_out(client)
    sign_in_with_password(client, "lostphone@example.org")
    assert post_form(client, "/signin/code", {"code": codes[0]}).status_code == 302
    assert "9 left" in client.get("/account").get_data(as_text=True)
    sign_out(client)
    sign_in_with_password(client, "lostphone@example.org")
    again = post_form(client, "/signin/code", {"code": codes[0]})
    assert again.status_code == 200 and "That code is not right" in again.get_data(as_text=True)


def test_the_code_step_without_a_recent_password_goes_back_to_sign_in(client: FlaskClient) -> None:
    assert client.get("/signin/code").headers["Location"] == "/signin"
    sign_up(client, "slow@example.org")
    turn_on(client)
    sign_out(client)
    sign_in_with_password(client, "slow@example.org")
    with client.session_transaction() as cookie:
        pending = cookie["pending_sign_in"]
        cookie["pending_sign_in"] = {**pending, "since": pending["since"] - 301}
    assert client.get("/signin/code").headers["Location"] == "/signin"


@pytest.mark.usefixtures("one_minute_window")
def test_code_guesses_are_limited_per_account(client: FlaskClient) -> None:
    sign_up(client, "guessed@example.org")
    turn_on(client)
    sign_out(client)
    sign_in_with_password(client, "guessed@example.org")
    statuses = [post_form(client, "/signin/code", {"code": f"{n:06d}"}).status_code for n in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429


def test_turning_off_needs_the_password(client: FlaskClient) -> None:
    sign_up(client, "off@example.org")
    turn_on(client)
    wrong = post_form(
        client, "/account/two-step/off", {"off-password": "not my password"}, token_from="/account/two-step"
    )
    assert wrong.status_code == 422 and 'id="off-password-error"' in wrong.get_data(as_text=True)
    right = post_form(
        client, "/account/two-step/off", {"off-password": PASSWORD}, token_from="/account/two-step"
    )
    assert right.status_code == 302
    sign_out(client)
    assert sign_in_with_password(client, "off@example.org").headers["Location"] == "/account"


def test_new_recovery_codes_need_the_password_and_void_the_old(client: FlaskClient) -> None:
    sign_up(client, "renew@example.org")
    _, old = turn_on(client)
    wrong = post_form(
        client, "/account/two-step/recovery-codes", {"codes-password": "nope"}, token_from="/account/two-step"
    )
    assert wrong.status_code == 422
    page = post_form(
        client,
        "/account/two-step/recovery-codes",
        {"codes-password": PASSWORD},
        token_from="/account/two-step",
    )
    new = RECOVERY.findall(page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    sign_out(client)
    sign_in_with_password(client, "renew@example.org")
    assert "That code is not right" in post_form(client, "/signin/code", {"code": old[1]}).get_data(
        as_text=True
    )


def test_deleting_the_vault_also_needs_a_code_when_two_step_is_on(client: FlaskClient) -> None:
    sign_up(client, "delete.twostep@example.org")
    app, _ = turn_on(client)
    assert "Code from your authenticator app" in client.get("/account/delete").get_data(as_text=True)
    without = post_form(client, "/account/delete", {"password": PASSWORD})
    assert without.status_code == 422 and 'id="code-error"' in without.get_data(as_text=True)
    assert client.get("/account").status_code == 200  # nothing was deleted
    done = post_form(client, "/account/delete", {"password": PASSWORD, "code": app.now()})
    assert done.status_code == 200 and "Your vault is deleted" in done.get_data(as_text=True)
