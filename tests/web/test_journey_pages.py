"""The customer shapes their journeys and records their own interactions; every action on the history lands
back on the same filtered view, at the item."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from tests.web.conftest import csrf_token, post_form, sign_up
from tests.web.test_history import seed_history, subjects
from vrm.accounts.customers import find_customer
from vrm.vault.interactions import get_interaction, list_interactions
from vrm.vault.journeys import get_journey
from vrm.vault.keys import open_vault


@pytest.fixture
def ids(app: Flask, database: Database, client: FlaskClient) -> dict[str, uuid.UUID]:
    sign_up(client, "shaper@example.org")
    return seed_history(app, database, "shaper@example.org")


def vault_of(app: Flask, session: object, email: str = "shaper@example.org"):  # type: ignore[no-untyped-def]
    ring = app.extensions["vrm"].keyring
    customer = find_customer(session, keyring=ring, email=email)  # type: ignore[arg-type]
    assert customer is not None
    return open_vault(session, keyring=ring, customer_id=customer.id)  # type: ignore[arg-type]


def test_a_card_in_a_journey_shows_its_thread_across_channels(
    client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    page = client.get("/history").get_data(as_text=True)
    assert "Broken boiler" in page and "Started on chat, continued by phone call." in page
    assert f'href="/history/journeys/{ids["journey"]}"' in page
    assert "Add to a journey with Fabrikam Bank" in page  # the bank's email is in none yet


def test_an_interaction_joins_a_new_journey_then_moves_out(
    app: Flask, database: Database, client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    mail = ids["mail"]
    untitled = post_form(
        client, f"/history/{mail}/journey", {"journey": "new", "title": ""}, token_from="/history"
    )
    assert untitled.status_code == 422 and "Give the new journey a title." in untitled.get_data(as_text=True)
    joined = post_form(
        client, f"/history/{mail}/journey", {"journey": "new", "title": "Fees query"}, token_from="/history"
    )
    assert joined.status_code == 302
    with database.sessions() as session:
        vault = vault_of(app, session)
        journey_id = get_interaction(session, vault=vault, interaction_id=mail).journey_id
        assert journey_id is not None
        journey = get_journey(session, vault=vault, journey_id=journey_id)
        assert (journey.title, journey.business_id, journey.opened_by) == (
            "Fees query",
            ids["bank"],
            "customer",
        )
    page = client.get(f"/history/journeys/{journey_id}").get_data(as_text=True)
    assert "Fees query" in page and subjects(page) == ["Statement ready"]
    out = post_form(
        client,
        f"/history/{mail}/journey",
        {"journey": "none", "back": f"/history/journeys/{journey_id}"},
        token_from="/history",
    )
    # The item left this page: the customer lands on the journey itself, which no longer shows it.
    assert out.headers["Location"] == f"/history/journeys/{journey_id}"
    landed = client.get(out.headers["Location"]).get_data(as_text=True)
    assert subjects(landed) == [] and "Moved out of this journey. It stays in your history." in landed


def test_only_a_journey_with_the_same_company_can_take_an_interaction(
    app: Flask, database: Database, client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    refused = post_form(
        client, f"/history/{ids['mail']}/journey", {"journey": str(ids["journey"])}, token_from="/history"
    )
    assert refused.status_code == 422
    assert "Choose one of your journeys with this company." in refused.get_data(as_text=True)
    post_form(client, f"/history/{ids['call']}/journey", {"journey": "none"}, token_from="/history")
    back_in = post_form(
        client, f"/history/{ids['call']}/journey", {"journey": str(ids["journey"])}, token_from="/history"
    )
    assert back_in.status_code == 302
    with database.sessions() as session:
        vault = vault_of(app, session)
        assert get_interaction(session, vault=vault, interaction_id=ids["mail"]).journey_id is None
        assert get_interaction(session, vault=vault, interaction_id=ids["call"]).journey_id == ids["journey"]


def test_the_customer_retitles_a_journey(client: FlaskClient, ids: dict[str, uuid.UUID]) -> None:
    path = f"/history/journeys/{ids['journey']}"
    too_long = post_form(client, path + "/title", {"title": "x" * 201}, token_from=path)
    assert too_long.status_code == 422 and "Field cannot be longer than 200 characters." in too_long.get_data(
        as_text=True
    )
    assert (
        post_form(client, path + "/title", {"title": "Boiler, fixed at last"}, token_from=path).status_code
        == 302
    )
    assert "Boiler, fixed at last" in client.get(path).get_data(as_text=True)


def test_an_own_record_is_private_until_the_customer_shares_it(
    app: Flask, database: Database, client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    form = {
        "business": str(ids["energy"]),
        "channel": "voice",
        "direction": "inbound",
        "occurred_at": "2026-01-05T09:30",
        "subject": "I called about the boiler",
        "summary": "They promised an engineer by Friday.",
        "journey": str(ids["journey"]),
    }
    missing = post_form(client, "/history/new", {**form, "subject": "", "channel": ""})
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Say what it was about." in page and "Choose the channel." in page
    assert "They promised an engineer by Friday." in page  # nothing typed is lost
    saved = post_form(client, "/history/new", form)
    assert saved.status_code == 302
    with database.sessions() as session:
        [own] = [
            i for i in list_interactions(session, vault=vault_of(app, session)) if i.recorded_by == "customer"
        ]
    assert (own.shared, own.journey_id, own.direction) == (False, ids["journey"], "inbound")
    history = client.get("/history").get_data(as_text=True)
    assert "Recorded by you · only you can see it" in history and "Share with Northwind Energy" in history
    post_form(client, f"/history/{own.id}/sharing", {"shared": "true"}, token_from="/history")
    assert "Recorded by you · shared with Northwind Energy" in client.get("/history").get_data(as_text=True)
    refused = post_form(client, f"/history/{ids['call']}/sharing", {"shared": "false"}, token_from="/history")
    assert refused.status_code == 302  # a company's own record cannot be taken back from it
    with database.sessions() as session:
        assert get_interaction(session, vault=vault_of(app, session), interaction_id=ids["call"]).shared


def test_the_time_typed_is_read_in_the_readers_zone_and_a_future_one_refused(
    app: Flask, database: Database, client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    path = f"/history/journeys/{ids['journey']}"
    base = {"channel": "post", "direction": "outbound", "subject": "Letter about the visit"}
    future = post_form(client, path + "/record", {**base, "occurred_at": "2999-01-01T10:00"}, token_from=path)
    assert future.status_code == 422 and "Occurred_at" not in future.get_data(as_text=True)
    assert "Must not be in the future." in future.get_data(as_text=True)
    saved = post_form(
        client, path + "/record", {**base, "occurred_at": "2026-01-06T10:15", "shared": "y"}, token_from=path
    )
    assert saved.status_code == 302 and saved.headers["Location"].startswith(path + "#interaction-")
    with database.sessions() as session:
        [own] = [
            i for i in list_interactions(session, vault=vault_of(app, session)) if i.recorded_by == "customer"
        ]
    assert (
        own.occurred_at.isoformat() == "2026-01-06T10:15:00+00:00" and own.shared
    )  # viewer_zone() is UTC today
    assert "Letter about the visit" in client.get(path).get_data(as_text=True)


def test_rating_lands_back_on_the_same_filtered_page_at_the_item(
    client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    view = "/history?channel=voice&show=all"
    page = client.get(view).get_data(as_text=True)
    assert 'value="/history?channel=voice&amp;show=all"' in page  # every form carries where it came from
    rated = post_form(
        client, f"/history/{ids['call']}/feedback", {"rating": "4", "back": view}, token_from=view
    )
    assert rated.headers["Location"] == f"{view}#interaction-{ids['call']}"
    # A failed rating is shown on the same filtered view.
    failed = post_form(
        client, f"/history/{ids['call']}/feedback", {"comment": "Kept", "back": view}, token_from=view
    )
    assert failed.status_code == 422 and subjects(failed.get_data(as_text=True)) == ["Engineer booked"]
    for action, data in (("note", {"note": "Tuesday"}), ("visibility", {"hidden": "true"})):
        answer = post_form(
            client, f"/history/{ids['call']}/{action}", {**data, "back": view}, token_from=view
        )
        assert answer.headers["Location"] == f"{view}#interaction-{ids['call']}", action


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/history",
        "//evil.example/history",
        "/signin",
        "/history/../signin",
        "/history\\x",
        "/historyx",
        "/journeys/0b6e9d8c-3c2f-4d53-9a4f-0e8f2b1c7d11",  # a journey page's path without the history's
        "/\\evil.example",
        "/%5Cevil.example",
        "/history/%2e%2e/signin",
        "/history\t/x",
    ],
)
def test_a_back_address_outside_the_history_is_ignored(
    client: FlaskClient, ids: dict[str, uuid.UUID], back: str
) -> None:
    rated = post_form(
        client, f"/history/{ids['call']}/feedback", {"rating": "3", "back": back}, token_from="/history"
    )
    assert rated.headers["Location"] == f"/history#interaction-{ids['call']}"


def test_an_empty_history_says_how_interactions_get_there(client: FlaskClient) -> None:
    sign_up(client, "newcomer@example.org")
    page = client.get("/history").get_data(as_text=True)
    assert "Companies you" in page and "record one yourself" in page
    assert "Nothing matches these filters." in client.get("/history?channel=post").get_data(as_text=True)


def test_another_customer_reaches_none_of_the_journey_actions(
    app: Flask, client: FlaskClient, ids: dict[str, uuid.UUID]
) -> None:
    intruder = app.test_client()
    sign_up(intruder, "intruder@example.org")
    token = csrf_token(intruder, "/history")
    journey, call = ids["journey"], ids["call"]
    for path, data in (
        (f"/history/journeys/{journey}/title", {"title": "Mine"}),
        (f"/history/journeys/{journey}/record", {"channel": "chat", "direction": "inbound", "subject": "x"}),
        (f"/history/{call}/journey", {"journey": "none"}),
        (f"/history/{call}/sharing", {"shared": "true"}),
    ):
        assert intruder.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    # Nor can the intruder file their own record into the owner's journey.
    refused = post_form(
        intruder,
        "/history/new",
        {
            "business": str(ids["energy"]),
            "channel": "chat",
            "direction": "inbound",
            "occurred_at": "2026-01-05T09:30",
            "subject": "Sneaky",
            "journey": str(journey),
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Choose one of your journeys with that company." in page
    assert "Broken boiler" in client.get(f"/history/journeys/{journey}").get_data(as_text=True)
