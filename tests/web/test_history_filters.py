"""The timeline's filters: From and To are days where the customer lives, a day out of range is explained
on the form, and the timeline's links carry its filters and nothing else from the address."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database
from tests.web.conftest import PASSWORD, post_form
from tests.web.test_history import subjects
from tests.web.test_journey_pages import vault_of

EMAIL = "kiwi@example.org"


def sign_up_in(client: FlaskClient, zone: str) -> None:
    """Sign up from a browser in `zone` (static/time-zone.js sends it with the form)."""
    answer = post_form(
        client, "/signup", {"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD, "time_zone": zone}
    )
    assert answer.status_code == 302


def seed(app: Flask, database: Database, moments: dict[str, datetime]) -> uuid.UUID:
    """One email from a company at each moment, its subject the moment's name; return the company."""
    with database.sessions.begin() as session:
        vault, shop = vault_of(app, session, EMAIL), factories.business(session, "northwind-energy")
        for subject, moment in moments.items():
            factories.interaction(session, vault, shop, subject=subject, occurred_at=moment)
        return shop.id


def test_from_and_to_are_days_where_the_customer_lives(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up_in(client, "Pacific/Auckland")  # UTC+13 in January
    seed(
        app,
        database,
        {
            "Late on the 4th": datetime(2026, 1, 4, 10, 30, tzinfo=UTC),  # 23:30 on the 4th in Auckland
            "Early on the 5th": datetime(2026, 1, 4, 12, 0, tzinfo=UTC),  # 01:00 on the 5th in Auckland
            "Late on the 5th": datetime(2026, 1, 5, 10, 59, tzinfo=UTC),  # 23:59 on the 5th in Auckland
            "Early on the 6th": datetime(2026, 1, 5, 11, 0, tzinfo=UTC),  # 00:00 on the 6th in Auckland
        },
    )
    page = client.get("/history?since=2026-01-05&until=2026-01-05")
    assert page.status_code == 200
    assert subjects(page.get_data(as_text=True)) == ["Late on the 5th", "Early on the 5th"]
    assert subjects(client.get("/history?since=2026-01-06").get_data(as_text=True)) == ["Early on the 6th"]
    assert subjects(client.get("/history?until=2026-01-04").get_data(as_text=True)) == ["Late on the 4th"]


@pytest.mark.parametrize(
    "query",
    ["until=9999-12-31", "since=9999-12-31", "since=0001-01-01", "until=0001-01-01", "since=1899-12-31"],
)
def test_a_day_out_of_range_is_explained_on_the_filter_form(client: FlaskClient, query: str) -> None:
    sign_up_in(client, "America/Los_Angeles")
    answer = client.get(f"/history?{query}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Enter a day from 1 January 1900 to 31 December 9998." in page
    assert 'aria-invalid="true"' in page  # on the field itself, not only in the summary


def test_the_first_and_last_days_in_range_search(client: FlaskClient) -> None:
    sign_up_in(client, "Pacific/Kiritimati")  # UTC+14: its 1 January 1900 starts in 1899 in UTC
    for query in ("since=1900-01-01", "until=9998-12-31", "since=1900-01-01&until=9998-12-31"):
        assert client.get(f"/history?{query}").status_code == 200, query


def test_older_interactions_carry_the_filters_and_nothing_else(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up_in(client, "Europe/London")
    now = datetime.now(UTC)
    seed(app, database, {f"Letter {n}": now - timedelta(hours=n) for n in range(1, 23)})
    hostile = "/history?channel=email&show=all&_external=1&_host=evil.example&_scheme=https&x=1"
    page = client.get(hostile).get_data(as_text=True)
    [link] = [line for line in page.splitlines() if "Older interactions" in line]
    href = link.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert href.startswith("/history?") and "evil" not in href and "_" not in href.split("?", 1)[1]
    assert "channel=email" in href and "show=all" in href and "before=" in href and "x=1" not in href
    older = client.get(href)
    assert older.status_code == 200 and subjects(older.get_data(as_text=True)) == ["Letter 21", "Letter 22"]
    assert client.get("/history?_scheme=x").status_code == 200  # url_for's own keys are not the page's
