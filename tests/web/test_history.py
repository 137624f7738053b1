"""The history pages: timeline and filters, journeys, feedback, notes, hiding and deleting; owners only."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from tests.web.conftest import csrf_token, post_form, sign_up
from vrm.accounts.customers import find_customer
from vrm.vault.interactions import get_interaction
from vrm.vault.keys import open_vault

NOW = datetime.now(UTC).replace(microsecond=0)


def seed_history(app: Flask, database: Database, email: str) -> dict[str, uuid.UUID]:
    """Give the customer a journey across chat and phone with one company, and an email from another."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer = find_customer(session, keyring=ring, email=email)
        assert customer is not None
        vault = open_vault(session, keyring=ring, customer_id=customer.id)
        energy, bank = (
            factories.business(session, "northwind-energy"),
            factories.business(session, "fabrikam-bank"),
        )
        journey = factories.journey(session, ring, vault, energy, title="Broken boiler").id
        chat = factories.interaction(
            session,
            vault,
            energy,
            channel="chat",
            subject="Boiler broke",
            summary="The boiler stopped heating; the agent ran through a reset.",
            outcome="Engineer visit needed",
            journey_id=journey,
            occurred_at=NOW - timedelta(days=3),
        )
        call = factories.interaction(
            session,
            vault,
            energy,
            channel="voice",
            direction="outbound",
            subject="Engineer booked",
            summary="Call to book an engineer's visit.",
            outcome="Visit on Thursday morning",
            journey_id=journey,
            occurred_at=NOW - timedelta(days=2),
        )
        mail = factories.interaction(
            session,
            vault,
            bank,
            channel="email",
            direction="outbound",
            subject="Statement ready",
            summary="Your monthly statement is available.",
            outcome=None,
            occurred_at=NOW - timedelta(days=1),
        )
        return {
            "journey": journey,
            "chat": chat.id,
            "call": call.id,
            "mail": mail.id,
            "bank": bank.id,
            "energy": energy.id,
        }


@pytest.fixture
def signed_up(app: Flask, database: Database, client: FlaskClient) -> dict[str, uuid.UUID]:
    sign_up(client, "historian@example.org")
    return seed_history(app, database, "historian@example.org")


def subjects(page: str) -> list[str]:
    return re.findall(r'<h[23] class="item-title">([^<]+)</h[23]>', page)


def test_timeline_shows_every_channel_newest_first(
    client: FlaskClient, signed_up: dict[str, uuid.UUID]
) -> None:
    page = client.get("/history").get_data(as_text=True)
    assert subjects(page) == ["Statement ready", "Engineer booked", "Boiler broke"]
    assert "Phone call" in page and "You contacted Northwind Energy" in page


def test_timeline_filters_by_channel_company_and_dates(
    client: FlaskClient, signed_up: dict[str, uuid.UUID]
) -> None:
    assert subjects(client.get("/history?channel=voice").get_data(as_text=True)) == ["Engineer booked"]
    assert subjects(client.get(f"/history?business={signed_up['bank']}").get_data(as_text=True)) == [
        "Statement ready"
    ]
    since, until = (NOW - timedelta(days=2)).date(), (NOW - timedelta(days=2)).date()
    assert subjects(client.get(f"/history?since={since}&until={until}").get_data(as_text=True)) == [
        "Engineer booked"
    ]


@pytest.mark.parametrize("query", ["channel=fax", "since=yesterday", "business=not-a-company", "before=junk"])
def test_invalid_filters_are_explained_not_crashed(
    client: FlaskClient, signed_up: dict[str, uuid.UUID], query: str
) -> None:
    response = client.get(f"/history?{query}")
    assert response.status_code == 422 and "Please correct" in response.get_data(as_text=True)


def test_journey_tells_the_story_across_channels(
    client: FlaskClient, signed_up: dict[str, uuid.UUID]
) -> None:
    page = client.get(f"/history/journeys/{signed_up['journey']}").get_data(as_text=True)
    assert "Broken boiler" in page and "Started on chat, continued by phone call." in page
    assert subjects(page) == ["Boiler broke", "Engineer booked"]


def test_rating_is_saved_and_shown(client: FlaskClient, signed_up: dict[str, uuid.UUID]) -> None:
    response = post_form(
        client,
        f"/history/{signed_up['call']}/feedback",
        {"rating": "5", "comment": "On time!"},
        token_from="/history",
    )
    assert response.status_code == 302
    assert "5 out of 5 — “On time!”" in client.get("/history").get_data(as_text=True)


def test_rating_without_a_choice_keeps_the_comment_and_names_the_field(
    client: FlaskClient, signed_up: dict[str, uuid.UUID]
) -> None:
    response = post_form(
        client, f"/history/{signed_up['call']}/feedback", {"comment": "Kept words"}, token_from="/history"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose a rating from 1 to 5." in page and "Kept words" in page


def test_note_hide_and_show(client: FlaskClient, signed_up: dict[str, uuid.UUID]) -> None:
    post_form(client, f"/history/{signed_up['mail']}/note", {"note": "Check the fees"}, token_from="/history")
    assert "Check the fees" in client.get("/history").get_data(as_text=True)
    post_form(client, f"/history/{signed_up['mail']}/visibility", {"hidden": "true"}, token_from="/history")
    assert "Statement ready" not in subjects(client.get("/history").get_data(as_text=True))
    assert "Statement ready" in subjects(client.get("/history?show=all").get_data(as_text=True))
    post_form(client, f"/history/{signed_up['mail']}/visibility", {"hidden": "false"}, token_from="/history")
    assert "Statement ready" in subjects(client.get("/history").get_data(as_text=True))


def test_delete_asks_first_then_deletes(
    app: Flask, database: Database, client: FlaskClient, signed_up: dict[str, uuid.UUID]
) -> None:
    confirm = client.get(f"/history/{signed_up['mail']}/delete")
    assert confirm.status_code == 200 and "This cannot be undone." in confirm.get_data(as_text=True)
    assert "Statement ready" in subjects(client.get("/history").get_data(as_text=True))
    post_form(client, f"/history/{signed_up['mail']}/delete", {})
    assert "Statement ready" not in subjects(client.get("/history").get_data(as_text=True))


def test_another_customer_can_reach_none_of_it(
    app: Flask, database: Database, client: FlaskClient, signed_up: dict[str, uuid.UUID]
) -> None:
    intruder = app.test_client()
    sign_up(intruder, "intruder@example.org")
    token = csrf_token(intruder, "/history")
    item = signed_up["mail"]
    assert intruder.get(f"/history/journeys/{signed_up['journey']}").status_code == 404
    assert intruder.get(f"/history/{item}/delete").status_code == 404
    for action, data in (
        ("feedback", {"rating": "1"}),
        ("note", {"note": "mine now"}),
        ("visibility", {"hidden": "true"}),
        ("delete", {}),
    ):
        assert (
            intruder.post(f"/history/{item}/{action}", data={**data, "csrf_token": token}).status_code == 404
        )
    assert subjects(intruder.get("/history").get_data(as_text=True)) == []
    ring = app.extensions["vrm"].keyring
    with database.sessions() as session:  # the owner's interaction is untouched
        customer = find_customer(session, keyring=ring, email="historian@example.org")
        assert customer is not None
        vault = open_vault(session, keyring=ring, customer_id=customer.id)
        kept = get_interaction(session, vault=vault, interaction_id=item)
        assert (kept.rating, kept.customer_note, kept.hidden) == (None, None, False)


def test_history_needs_signing_in(client: FlaskClient) -> None:
    response = client.get("/history")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
