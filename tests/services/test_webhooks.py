"""Webhooks: events are queued with the change, signed, sent to a real local receiver, retried with backoff
while it is down, and carry pairwise ids only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from vrm.consent.grants import withdraw_grant
from vrm.consent.models import WebhookDelivery
from vrm.consent.webhooks import (
    MAX_ATTEMPTS,
    announce,
    deliver_due,
    http_send,
    rotate_webhook_secret,
    set_webhook,
)
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.errors import ValidationError

LOCAL = partial(http_send, allow_private=True)  # the test receiver listens on 127.0.0.1


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records what it receives and answers a chosen status."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.delay = 0.0  # seconds to wait before answering: a slow receiver
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                receiver.arrived.set()
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.close()


def relationship(database: Database, keyring: KeyRing, url: str) -> tuple[object, object, str, object]:
    """A customer with a live grant to a business that has a webhook; return their ids, secret and grant."""
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, keyring, email="hooked@example.org")
        shop = factories.business(session, "hooked-energy")
        grant = factories.grant(session, keyring, customer, shop)
        _, secret = set_webhook(session, keyring=keyring, business_id=shop.id, url=url)
        return customer.id, shop.id, secret, grant.id


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (Standard Webhooks), written from the documented algorithm, not from our code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["webhook-signature"])


def test_an_event_is_signed_and_carries_no_personal_data(
    database: Database, keyring: KeyRing, receiver: Receiver
) -> None:
    customer, shop, secret, _ = relationship(database, keyring, receiver.url)
    with database.sessions.begin() as session:
        assert (
            announce(
                session,
                keyring=keyring,
                customer_id=customer,
                business_ids={shop},
                event="preferences.changed",
            )
            == 1
        )
    assert deliver_due(database.sessions, keyring=keyring, send=LOCAL).delivered == 1
    headers, body = receiver.received[0]
    assert verify(secret, headers, body)
    event = json.loads(body)
    assert (
        event["type"] == "preferences.changed"
        and event["id"] == headers["webhook-id"]
        and len(event["sub"]) >= 32
    )
    assert b"hooked@example.org" not in body and str(customer).encode() not in body  # a pairwise id only
    assert deliver_due(database.sessions, keyring=keyring, send=LOCAL).delivered == 0  # sent once


def test_a_receiver_that_is_down_gets_the_event_later_with_the_same_id(
    database: Database, keyring: KeyRing, receiver: Receiver
) -> None:
    customer, shop, secret, grant = relationship(database, keyring, receiver.url)
    with database.sessions.begin() as session:
        withdraw_grant(session, keyring=keyring, customer_id=customer, grant_id=grant)  # type: ignore[arg-type]
        announce(
            session, keyring=keyring, customer_id=customer, business_ids={shop}, event="consent.withdrawn"
        )
    receiver.status = 503
    assert deliver_due(database.sessions, keyring=keyring, send=LOCAL).retrying == 1
    with database.sessions() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert row.attempts == 1 and row.next_attempt_at > utcnow() + timedelta(seconds=20)  # backing off
    assert deliver_due(database.sessions, keyring=keyring, send=LOCAL).delivered == 0  # not due yet
    _make_due(database)
    receiver.status = 204
    assert deliver_due(database.sessions, keyring=keyring, send=LOCAL).delivered == 1
    first, second = receiver.received
    assert first[0]["webhook-id"] == second[0]["webhook-id"] and first[1] == second[1]  # one idempotency id
    assert json.loads(second[1])["type"] == "consent.withdrawn" and verify(secret, *second)


def test_an_unreachable_receiver_is_retried_then_given_up_never_lost_silently(
    database: Database, keyring: KeyRing, receiver: Receiver
) -> None:
    customer, shop, _, _ = relationship(database, keyring, receiver.url)
    receiver.close()  # nothing listens there now
    with database.sessions.begin() as session:
        announce(session, keyring=keyring, customer_id=customer, business_ids={shop}, event="consent.changed")
    waits = []
    for _ in range(MAX_ATTEMPTS):
        deliver_due(database.sessions, keyring=keyring, send=LOCAL)
        with database.sessions() as session:
            row = session.scalars(select(WebhookDelivery)).one()
            waits.append(row.next_attempt_at - utcnow())
        _make_due(database)
    assert waits[1] > waits[0] * 1.5  # exponential backoff
    with database.sessions() as session:
        row = session.scalars(select(WebhookDelivery)).one()
        assert (
            row.failed_at is not None
            and row.attempts == MAX_ATTEMPTS
            and row.last_status.startswith("unreachable")
        )


def test_rotating_the_secret_changes_every_signature(
    database: Database, keyring: KeyRing, receiver: Receiver
) -> None:
    customer, shop, old, _ = relationship(database, keyring, receiver.url)
    with database.sessions.begin() as session:
        new = rotate_webhook_secret(session, keyring=keyring, business_id=shop)  # type: ignore[arg-type]
        announce(session, keyring=keyring, customer_id=customer, business_ids={shop}, event="consent.changed")
    deliver_due(database.sessions, keyring=keyring, send=LOCAL)
    headers, body = receiver.received[0]
    assert new != old and verify(new, headers, body) and not verify(old, headers, body)


@pytest.mark.parametrize(
    "url", ["http://hooks.example/x", "ftp://127.0.0.1/x", "https://*.example/x", "not a url"]
)
def test_a_webhook_must_be_https(session: Session, keyring: KeyRing, url: str) -> None:
    shop = factories.business(session)
    with pytest.raises(ValidationError):
        set_webhook(session, keyring=keyring, business_id=shop.id, url=url)


def _make_due(database: Database) -> None:
    with database.sessions.begin() as session:
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
    ],
)
def test_a_webhook_never_makes_this_server_call_inside_its_network(url: str) -> None:
    with pytest.raises(OSError, match="non-public"):
        http_send(url, {}, b"{}")
