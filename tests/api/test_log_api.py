"""The log API for auditors: signed checkpoints, exact entries and proofs, each checked here the way an
auditor's own code would, with only the published key and RFC 9162."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories
from tests.conftest import Database
from vrm.accounts.auditors import create_auditor, revoke_auditor
from vrm.api import log as log_api
from vrm.consent import merkle
from vrm.consent.checkpoints import verify_checkpoint
from vrm.consent.log import append, verify
from vrm.consent.models import LogEvent
from vrm.oauth.clients import create_client
from vrm.oauth.tokens import issue_tokens


@pytest.fixture
def auditor(app: Flask, database: Database) -> dict[str, str]:
    """Headers of an auditor's calls, on a log of 40 events."""
    with database.sessions.begin() as session:
        for number in range(40):
            append(session, kind="data.read", actors={"business": "b"}, details={"n": number})
        _, token = create_auditor(session, name="acme-audit")
    return {"Authorization": f"Bearer {token}"}


def test_the_public_key_is_published_for_anyone(client: FlaskClient) -> None:
    answer = client.get("/.well-known/vrm-log-key")
    assert answer.status_code == 200 and answer.headers["Cache-Control"].startswith("public")
    [key] = answer.get_json()["keys"]
    assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "Ed25519") and "d" not in key


def test_an_auditor_gets_a_signed_checkpoint_and_checks_every_proof(
    client: FlaskClient, auditor: dict[str, str]
) -> None:
    keys = client.get("/.well-known/vrm-log-key").get_json()
    signed = client.get("/api/v1/log/checkpoint", headers=auditor)
    assert signed.status_code == 200 and signed.headers["Cache-Control"] == "no-store"
    checkpoint = verify_checkpoint(signed.get_json(), keys)
    assert checkpoint["tree_size"] == 40
    root = bytes.fromhex(checkpoint["root_hash"])

    page = client.get("/api/v1/log/entries?start=0&end=40", headers=auditor).get_json()
    events = [entry["event"].encode() for entry in page["entries"]]
    assert [entry["seq"] for entry in page["entries"]] == list(range(40)) and page["end"] == 40
    assert verify(events, at=40).root_at == root  # the entries are exactly what was signed

    for seq in (0, 17, 39):
        proof = client.get(f"/api/v1/log/proof/inclusion?seq={seq}&size=40", headers=auditor).get_json()
        leaf = merkle.leaf_hash(events[seq])
        assert proof["leaf_hash"] == leaf.hex()
        assert merkle.verify_inclusion(seq, 40, leaf, [bytes.fromhex(h) for h in proof["proof"]], root)

    older = merkle.root(merkle.leaf_hash(event) for event in events[:25])
    proof = client.get("/api/v1/log/proof/consistency?from=25&to=40", headers=auditor).get_json()
    assert merkle.verify_consistency(25, 40, older, root, [bytes.fromhex(h) for h in proof["proof"]])


def test_a_checkpoint_is_signed_afresh_once_the_log_grew_and_a_minute_passed(
    client: FlaskClient, auditor: dict[str, str], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get("/api/v1/log/checkpoint", headers=auditor).get_json()
    with database.sessions.begin() as session:
        append(session, kind="data.read", actors={"business": "b"}, details={"n": 40})
    assert client.get("/api/v1/log/checkpoint", headers=auditor).get_json() == first  # within the minute
    monkeypatch.setattr(log_api, "FRESH_FOR", timedelta(0))  # as if the minute had passed
    later = client.get("/api/v1/log/checkpoint", headers=auditor).get_json()
    assert later["checkpoint"]["tree_size"] == 41


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/log/entries?start=5&end=5", "end"),
        ("/api/v1/log/entries?start=0&end=5000", "end"),
        ("/api/v1/log/entries?start=-1&end=5", "start"),
        ("/api/v1/log/entries?start=x", "start"),
        ("/api/v1/log/proof/inclusion?seq=40&size=40", "seq"),
        ("/api/v1/log/proof/consistency?from=0&to=40", "from"),
        ("/api/v1/log/proof/consistency?from=99999999999999999999&to=4", "from"),
    ],
)
def test_bad_ranges_are_named(client: FlaskClient, auditor: dict[str, str], path: str, field: str) -> None:
    answer = client.get(path, headers=auditor)
    assert answer.status_code == 422 and answer.headers["Content-Type"] == "application/problem+json"
    assert field in answer.get_json()["errors"]


def test_proofs_beyond_the_log_are_not_found(client: FlaskClient, auditor: dict[str, str]) -> None:
    answer = client.get("/api/v1/log/proof/inclusion?seq=3&size=41", headers=auditor)
    assert answer.status_code == 404 and answer.get_json()["detail"]


def test_only_a_live_auditor_may_read_the_log(
    client: FlaskClient, auditor: dict[str, str], database: Database
) -> None:
    with database.sessions.begin() as session:
        shop = factories.business(session, "curious-shop")
        business, _ = create_client(
            session, business_id=shop.id, name="Shop", redirect_uris=["https://s.example/cb"]
        )
        issue_tokens(session, client=business, scope="", access_token="a-business-token")
    for headers in ({}, {"Authorization": "Bearer a-business-token"}, {"Authorization": "Basic eDp5"}):
        refused = client.get("/api/v1/log/entries?start=0&end=5", headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    with database.sessions.begin() as session:
        revoke_auditor(session, name="acme-audit")
    assert client.get("/api/v1/log/checkpoint", headers=auditor).status_code == 401


def test_entries_are_the_exact_logged_bytes(
    client: FlaskClient, auditor: dict[str, str], database: Database
) -> None:
    with database.sessions() as session:
        stored = session.scalar(select(LogEvent.event).where(LogEvent.seq == 7))
    [entry] = client.get("/api/v1/log/entries?start=7&end=8", headers=auditor).get_json()["entries"]
    assert entry["event"].encode() == stored
