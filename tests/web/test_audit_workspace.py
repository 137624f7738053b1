"""The auditor's workspace over HTTP: sign in with the token, search and export the log, report on a
business, verify the whole log; signed out or revoked, nothing of it is shown."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Database
from tests.web.conftest import csrf_token, post_form, sign_up
from tests.web.test_connections import seed_grant
from vrm.accounts.auditors import create_auditor, revoke_auditor
from vrm.consent.log import verify


@pytest.fixture
def auditor(app: Flask, database: Database, client: FlaskClient) -> FlaskClient:
    """An auditor's browser, signed in, on a log with one customer's consent to Northwind Energy."""
    sign_up(app.test_client(), "audited@example.org")
    seed_grant(app, database, "audited@example.org")
    with database.sessions.begin() as session:
        _, token = create_auditor(session, name="acme-audit")
    answer = post_form(client, "/audit/signin", {"token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/audit")
    return client


def test_the_workspace_needs_a_live_auditors_token(client: FlaskClient, database: Database) -> None:
    for path in ("/audit", "/audit/integrity", "/audit/export.csv", "/audit/businesses/northwind-energy"):
        assert client.get(path).headers["Location"].endswith("/audit/signin"), path
    refused = post_form(client, "/audit/signin", {"token": "vrm_audit_guessed"})
    assert refused.status_code == 422 and "not a live auditor" in refused.get_data(as_text=True)


def test_an_auditor_searches_and_exports_the_log(auditor: FlaskClient) -> None:
    page = auditor.get("/audit?business=northwind-energy&type=consent.granted").get_data(as_text=True)
    assert "consent.granted" in page and "audited@example.org" not in page  # a pseudonym, never the email
    exported = auditor.get("/audit/export.jsonl").get_data()
    events = exported.splitlines()
    assert verify(events).intact and len(events) >= 1  # the exact events: they verify as an export does
    rows = list(
        csv.reader(io.StringIO(auditor.get("/audit/export.csv?type=consent.granted").get_data(as_text=True)))
    )
    assert rows[0][:3] == ["seq", "at", "type"] and {row[2] for row in rows[1:]} == {"consent.granted"}
    bad = auditor.get("/audit?business=nobody-here&since=yesterday")
    assert bad.status_code == 422 and "names no business" in bad.get_data(as_text=True)


def test_the_business_report_replays_its_consent(auditor: FlaskClient) -> None:
    page = auditor.get("/audit/businesses/northwind-energy").get_data(as_text=True)
    assert "No read outside a granted scope" in page
    assert re.search(r"<dt>Active now</dt><dd>1</dd>", page)
    assert auditor.get("/audit/businesses/no-such-business").status_code == 404


def test_verify_now_checks_the_whole_log_and_keeps_the_result(auditor: FlaskClient) -> None:
    started = post_form(auditor, "/audit/integrity/runs", {}, token_from="/audit/integrity")
    run = started.headers["Location"]
    while "Continue" in (page := auditor.get(run).get_data(as_text=True)):
        post_form(auditor, run + "/step", {}, token_from=run)
    assert "Intact:" in page
    assert "Intact" in auditor.get("/audit/integrity").get_data(as_text=True)  # the result history


def test_a_revoked_auditor_is_signed_out(auditor: FlaskClient, database: Database) -> None:
    with database.sessions.begin() as session:
        revoke_auditor(session, name="acme-audit")
    assert auditor.get("/audit").headers["Location"].endswith("/audit/signin")


def test_signing_out_ends_the_session(auditor: FlaskClient) -> None:
    auditor.post("/audit/signout", data={"csrf_token": csrf_token(auditor, "/audit")})
    assert auditor.get("/audit").headers["Location"].endswith("/audit/signin")
