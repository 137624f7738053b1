"""A company's reads of the customer's data over HTTP: listed a page at a time from its connection, each with
its application and consent receipt, still there once the access has ended, and nobody else's."""

from __future__ import annotations

import re
import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from tests.services.test_access import application, read
from tests.web.conftest import post_form, sign_up
from tests.web.test_connections import seed_grant
from vrm.accounts.models import Business
from vrm.consent.models import Grant

ROW = re.compile(r'<tr id="read-(\d+)">')
CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


def seed_reads(app: Flask, database: Database, grant_id: uuid.UUID, count: int) -> list[int]:
    """The company reads the customer's data `count` times through its application; the reads' seqs."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        shop = session.get(Business, grant.business_id)
        assert shop is not None
        client = application(session, shop)
        return [read(session, ring, grant, client, "contact:read") for _ in range(count)]


def reads_on(page: str) -> list[int]:
    return [int(seq) for seq in ROW.findall(page)]


def test_a_connection_leads_to_every_read_with_its_application_and_receipt(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "watched@example.org")
    grant_id = seed_grant(app, database, "watched@example.org")
    made = seed_reads(app, database, grant_id, 3)
    connections = client.get("/connections").get_data(as_text=True)
    assert "Last read your data" in connections
    assert 'href="/connections/northwind-energy/reads">See every read' in connections and "(3)" in connections
    response = client.get("/connections/northwind-energy/reads")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and reads_on(page) == made[::-1]
    assert "What Northwind Energy read of your data" in page and "3 reads noted in all" in page
    assert "at most once a minute for the same data" in page
    assert page.count("How to reach you") == 3 and page.count("Self-service app") == 3
    receipt = re.search(r'href="/receipts#receipt-(\d+)">Given ', page)
    assert receipt and f'href="/receipts/{receipt.group(1)}.json" download' in page
    receipts = client.get("/receipts").get_data(as_text=True)
    assert f'<tr id="receipt-{receipt.group(1)}">' in receipts  # the link lands on its row
    assert client.get(f"/receipts/{receipt.group(1)}.json").status_code == 200


def test_reads_come_fifty_a_page_with_a_way_to_older_ones_and_back(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "busy@example.org")
    made = seed_reads(app, database, seed_grant(app, database, "busy@example.org"), 53)
    first = client.get("/connections/northwind-energy/reads").get_data(as_text=True)
    assert reads_on(first) == made[:2:-1] and "Newest reads" not in first
    older = re.search(r'href="(/connections/northwind-energy/reads\?before=\d+)">Older reads', first)
    assert older
    second = client.get(older.group(1)).get_data(as_text=True)
    assert reads_on(second) == made[2::-1] and "Older reads" not in second and "Newest reads" in second
    for cursor in (
        "abc",
        "-1",
        "99999999999999999999999999",
        "9" * 5000,
        "\uff11\uff12",
    ):  # shown the newest page, never a 500
        assert reads_on(
            client.get(f"/connections/northwind-energy/reads?before={cursor}").get_data(as_text=True)
        )
    assert "No older reads." in client.get("/connections/northwind-energy/reads?before=0").get_data(
        as_text=True
    )


def test_an_ended_connection_still_shows_what_it_read_while_it_had_access(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "ended@example.org")
    grant_id = seed_grant(app, database, "ended@example.org")
    made = seed_reads(app, database, grant_id, 2)
    post_form(client, f"/connections/{grant_id}/withdraw", {}, token_from="/connections")
    connections = client.get("/connections").get_data(as_text=True)
    assert "Northwind Energy: withdrawn" in connections
    assert 'href="/connections/northwind-energy/reads">What it read while it had access' in connections
    page = client.get("/connections/northwind-energy/reads").get_data(as_text=True)
    assert reads_on(page) == made[::-1] and "access ended" in page and "it can read nothing more" in page


def test_a_company_without_reads_says_so(app: Flask, database: Database, client: FlaskClient) -> None:
    sign_up(client, "quiet@example.org")
    grant_id = seed_grant(app, database, "quiet@example.org")
    assert "See every read" not in client.get("/connections").get_data(as_text=True)
    assert "has not read any of your data" in client.get("/connections/northwind-energy/reads").get_data(
        as_text=True
    )
    post_form(client, f"/connections/{grant_id}/withdraw", {}, token_from="/connections")
    assert "It read none of your data." in client.get("/connections").get_data(as_text=True)


def test_another_customers_company_and_an_unknown_one_are_not_found_alike(
    app: Flask, database: Database, client: FlaskClient
) -> None:
    sign_up(client, "owner.reads@example.org")
    seed_reads(app, database, seed_grant(app, database, "owner.reads@example.org"), 1)
    intruder = app.test_client()
    sign_up(intruder, "intruder.reads@example.org")
    seed_grant(app, database, "intruder.reads@example.org", business="contoso-mobile")
    assert "See every read" not in intruder.get("/connections").get_data(as_text=True)
    answers = [
        intruder.get(path)
        for path in (
            "/connections/northwind-energy/reads",  # a company the intruder never gave access to
            "/connections/no-such-company/reads",
            "/connections/%00%27/reads",
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({CSRF.sub("", answer.get_data(as_text=True)) for answer in answers}) == 1  # nothing differs
    assert client.get("/connections/contoso-mobile/reads").status_code == 404
    assert app.test_client().get("/connections/northwind-energy/reads").status_code == 302  # sign in first
