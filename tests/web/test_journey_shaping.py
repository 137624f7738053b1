"""Shaping journeys on the customer's pages, whatever their number and length: every card names its journey,
choices are the newest journeys with the card's company, a long journey reads a page at a time, what the
vault refuses is shown on the form as typed, and the customer is told who sees a journey's title."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from tests.web.conftest import PASSWORD, post_form
from tests.web.test_history import seed_history, subjects
from tests.web.test_journey_pages import vault_of
from vrm.accounts.models import Business
from vrm.vault.interactions import get_interaction, list_interactions
from vrm.vault.journeys import get_journey
from vrm.vault.models import Journey as JourneyRow

EMAIL = "shaper@example.org"
NOW = datetime.now(UTC).replace(microsecond=0)


def signed_up(app: Flask, database: Database, client: FlaskClient, zone: str = "UTC") -> dict[str, uuid.UUID]:
    answer = post_form(
        client, "/signup", {"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD, "time_zone": zone}
    )
    assert answer.status_code == 302
    return seed_history(app, database, EMAIL)


def company(session: Session, business_id: uuid.UUID) -> Business:
    found = session.get(Business, business_id)
    assert found is not None
    return found


def test_a_card_names_its_journey_however_many_newer_journeys_there_are(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        vault, energy = vault_of(app, session, EMAIL), company(session, ids["energy"])
        first = factories.journey(session, ring, vault, energy, title="The very first journey")
        session.get(JourneyRow, first.id).created_at = NOW - timedelta(days=400)  # type: ignore[union-attr]
        for n in range(501):
            factories.journey(session, ring, vault, energy, title=f"Journey {n}")
        factories.interaction(
            session, vault, energy, subject="An old letter", journey_id=first.id, occurred_at=NOW
        )
    card = card_of(client.get("/history").get_data(as_text=True), "An old letter")
    assert "The very first journey" in card and "Add to a journey" not in card


def card_of(page: str, subject: str) -> str:
    """The timeline card (or journey step) of the interaction with this subject."""
    [card] = [part for part in page.split('<li class="card"')[1:] if f">{subject}</h" in part]
    return card


def test_a_card_offers_the_newest_journeys_with_its_company_and_says_when_there_are_more(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        vault, bank = vault_of(app, session, EMAIL), company(session, ids["bank"])
        for n in range(25):
            journey = factories.journey(session, ring, vault, bank, title=f"Bank matter {n}")
            row = session.get(JourneyRow, journey.id)
            assert row is not None
            row.created_at = NOW - timedelta(days=30 - n)  # Bank matter 24 is the newest
    card = card_of(client.get("/history").get_data(as_text=True), "Statement ready")
    offered = re.findall(r"> (Bank matter \d+) <span", card)
    assert offered == [f"Bank matter {n}" for n in range(24, 4, -1)]
    assert "Your 20 newest journeys with Fabrikam Bank are listed here." in card
    assert "Broken boiler" not in card  # a journey with another company is never offered
    # The boiler card (in a journey already) offers nothing, and the bank's card says nothing of more when
    # there is none.
    with database.sessions.begin() as session:
        session.execute(
            delete(JourneyRow).where(
                JourneyRow.business_id == ids["bank"], JourneyRow.created_at < NOW - timedelta(days=10)
            )
        )
    card = card_of(client.get("/history").get_data(as_text=True), "Statement ready")
    assert "newest journeys" not in card and len(re.findall(r"> (Bank matter \d+) <span", card)) == 5


def test_the_record_form_groups_journeys_under_their_company(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        vault = vault_of(app, session, EMAIL)
        factories.journey(session, ring, vault, company(session, ids["bank"]), title="Card fees")
    page = client.get("/history/new").get_data(as_text=True)
    assert 'data-follows="business"' in page and "journey-picker.js" in page
    bank_group = page.split('<optgroup label="Fabrikam Bank">', 1)[1].split("</optgroup>", 1)[0]
    energy_group = page.split('<optgroup label="Northwind Energy">', 1)[1].split("</optgroup>", 1)[0]
    assert "Card fees" in bank_group and f'data-business="{ids["bank"]}"' in bank_group
    assert "Broken boiler" in energy_group and "Card fees" not in energy_group
    assert "that company can see the journey and its title too" in page
    # Whatever the browser sends, a journey with another company is refused on the field.
    mismatch = post_form(
        client,
        "/history/new",
        {
            "business": str(ids["bank"]),
            "channel": "voice",
            "direction": "inbound",
            "occurred_at": "2026-01-05T09:30",
            "subject": "About the boiler?",
            "journey": str(ids["journey"]),
        },
    )
    assert mismatch.status_code == 422
    assert 'id="journey-error"' in mismatch.get_data(as_text=True)
    assert "Choose one of your journeys with that company." in mismatch.get_data(as_text=True)


def test_a_long_journey_reads_a_page_at_a_time(app: Flask, database: Database, client: FlaskClient) -> None:
    ids = signed_up(app, database, client)
    with database.sessions.begin() as session:
        vault, energy = vault_of(app, session, EMAIL), company(session, ids["energy"])
        start = NOW - timedelta(days=200)
        for n in range(1, 102):
            factories.interaction(
                session,
                vault,
                energy,
                subject=f"Step {n:03}",
                journey_id=ids["journey"],
                occurred_at=start + timedelta(hours=n),
            )
    path = f"/history/journeys/{ids['journey']}"
    first = client.get(path).get_data(as_text=True)
    assert subjects(first) == [f"Step {n:03}" for n in range(1, 101)]
    later = re.search(r'href="([^"]+)">Later in this journey', first)
    assert later is not None and "From the start of this journey" not in first
    second = client.get(later.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert subjects(second) == ["Step 101", "Boiler broke", "Engineer booked"]
    assert "Later in this journey" not in second and "From the start of this journey" in second
    assert "Started on chat, continued by phone call." not in first  # the summary is of the whole journey
    assert client.get(path + "?after=junk").status_code == 200  # a broken cursor shows the start
    # A record added far into the journey lands on the page that shows it.
    saved = post_form(
        client,
        path + "/record",
        {
            "channel": "post",
            "direction": "inbound",
            "occurred_at": NOW.strftime("%Y-%m-%dT%H:%M"),
            "subject": "My letter",
        },
        token_from=path,
    )
    location = saved.headers["Location"]
    assert "?after=" in location and "#interaction-" in location
    address, saved_id = location.split("#interaction-", 1)
    landed = client.get(address).get_data(as_text=True)
    assert subjects(landed)[-1] == "My letter" and f'id="interaction-{saved_id}"' in landed


def test_a_refused_title_or_note_is_shown_again_as_typed(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    path = f"/history/journeys/{ids['journey']}"
    refused = post_form(client, path + "/title", {"title": "Boiler\x00 saga"}, token_from=path)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Must be text, without NUL characters." in page
    assert 'value="Boiler\x00 saga"' in page  # what was typed is not lost
    note = post_form(
        client, f"/history/{ids['mail']}/note", {"note": "Check\x00 the fees"}, token_from="/history"
    )
    page = note.get_data(as_text=True)
    assert note.status_code == 422 and "Must be text, without NUL characters." in page
    assert "Check\x00 the fees</textarea>" in page
    with database.sessions() as session:
        vault = vault_of(app, session, EMAIL)
        assert get_journey(session, vault=vault, journey_id=ids["journey"]).title == "Broken boiler"
        assert get_interaction(session, vault=vault, interaction_id=ids["mail"]).customer_note is None


def test_the_time_of_an_own_record_is_read_in_the_named_zone_and_explained_in_plain_words(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client, zone="Pacific/Auckland")
    form = client.get("/history/new").get_data(as_text=True)
    assert "In your time zone, Auckland" in form
    journey_form = client.get(f"/history/journeys/{ids['journey']}").get_data(as_text=True)
    assert "In your time zone, Auckland" in journey_form
    base = {"business": str(ids["energy"]), "channel": "voice", "direction": "inbound", "subject": "A call"}
    for typed in ("2026-02-30T10:00", "yesterday", "0999-06-01T10:00", "0001-01-01T00:30"):
        answer = post_form(client, "/history/new", {**base, "occurred_at": typed})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "Enter the day and time it happened." in page, typed
        assert "RFC 3339" not in page and "Not a valid datetime value" not in page, typed
    saved = post_form(client, "/history/new", {**base, "occurred_at": "2026-01-05T09:30"})
    assert saved.status_code == 302
    with database.sessions() as session:
        [own] = [
            i
            for i in list_interactions(session, vault=vault_of(app, session, EMAIL))
            if i.recorded_by == "customer"
        ]
    assert own.occurred_at == datetime(2026, 1, 4, 20, 30, tzinfo=UTC)  # 09:30 in Auckland (UTC+13)


def test_an_own_record_offers_no_rating_and_refuses_one(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    post_form(
        client,
        "/history/new",
        {
            "business": str(ids["energy"]),
            "channel": "voice",
            "direction": "inbound",
            "occurred_at": "2026-01-05T09:30",
            "subject": "I called them",
            "shared": "y",
        },
    )
    page = client.get("/history").get_data(as_text=True)
    assert "Rate this" not in card_of(page, "I called them") and "Rate this" in card_of(
        page, "Engineer booked"
    )
    with database.sessions() as session:
        [own] = [
            i
            for i in list_interactions(session, vault=vault_of(app, session, EMAIL))
            if i.recorded_by == "customer"
        ]
    refused = post_form(client, f"/history/{own.id}/feedback", {"rating": "5"}, token_from="/history")
    assert refused.status_code == 422
    assert "This is your own record, so it cannot be rated" in card_of(
        refused.get_data(as_text=True), "I called them"
    )
    with database.sessions() as session:
        assert (
            get_interaction(session, vault=vault_of(app, session, EMAIL), interaction_id=own.id).rating
            is None
        )


def test_an_untitled_journey_is_named_by_its_company(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        vault = vault_of(app, session, EMAIL)
        untitled = factories.journey(session, ring, vault, company(session, ids["bank"]))
    moved = post_form(
        client, f"/history/{ids['mail']}/journey", {"journey": str(untitled.id)}, token_from="/history"
    )
    assert moved.status_code == 302
    assert "Added to the journey with Fabrikam Bank." in client.get("/history").get_data(as_text=True)


def test_the_customer_is_told_who_sees_a_journey_and_its_title(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    ids = signed_up(app, database, client)
    timeline = client.get("/history").get_data(as_text=True)
    hint = "Fabrikam Bank can see the title once it can see the journey"
    assert hint in card_of(timeline, "Statement ready")
    assert "Fabrikam Bank can see this interaction, so it will see the journey you put it in" in card_of(
        timeline, "Statement ready"
    )
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        vault = vault_of(app, session, EMAIL)
        private = factories.journey(
            session, ring, vault, company(session, ids["bank"]), title="Switching banks"
        )
    path = f"/history/journeys/{private.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Only you can see this journey and its title" in page
    assert hint in page  # on the rename form
    assert "Shared, it also lets Fabrikam Bank see this journey and its title." in page
    boiler = client.get(f"/history/journeys/{ids['journey']}").get_data(as_text=True)
    assert "Northwind Energy can see this journey and its title" in boiler  # it holds what Northwind recorded
