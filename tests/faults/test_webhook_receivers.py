"""Drills for webhook delivery against a real receiver that is slow, or outlives the sender: each event
arrives at least once, always under the same idempotency id, and is never lost."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import Database
from tests.processes import VRM, run_vrm, vrm_env
from tests.services.test_webhooks import Receiver, relationship
from vrm.consent.models import WebhookDelivery
from vrm.consent.webhooks import announce
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.delay = 0.0
    started.close()


@pytest.fixture
def ring_and_env(database: Database, tmp_path: Path) -> tuple[KeyRing, dict[str, str]]:
    ring = KeyRing.generate("development")
    ring.save(tmp_path / "keyring.json")
    return KeyRing.load(tmp_path / "keyring.json"), vrm_env(tmp_path, database.url)


def one_event(database: Database, keyring: KeyRing, url: str) -> None:
    customer, shop, _, _ = relationship(database, keyring, url)
    with database.sessions.begin() as session:
        announce(session, keyring=keyring, customer_id=customer, business_ids={shop}, event="consent.changed")


def delivery(database: Database) -> WebhookDelivery:
    with database.sessions() as session:
        return session.scalars(select(WebhookDelivery)).one()


def make_due(database: Database) -> None:
    with database.sessions.begin() as session:
        session.scalars(select(WebhookDelivery)).one().next_attempt_at = utcnow()


def test_a_slow_receiver_gets_the_event_again_under_the_same_id(
    database: Database, ring_and_env: tuple[KeyRing, dict[str, str]], receiver: Receiver
) -> None:
    keyring, env = ring_and_env
    one_event(database, keyring, receiver.url)
    receiver.delay = 2.0  # slower than the sender waits
    slow = run_vrm(env, "webhooks", "deliver", "--once", "--timeout", "0.5")
    assert slow.returncode == 0 and "0 delivered, 1 to retry" in slow.stderr, slow.stderr
    row = delivery(database)
    assert row.delivered_at is None and row.attempts == 1 and row.last_status.startswith("unreachable")
    assert row.next_attempt_at > utcnow()  # backing off, not hammering a struggling receiver
    receiver.delay = 0.0
    make_due(database)
    assert "1 delivered" in run_vrm(env, "webhooks", "deliver", "--once").stderr
    first, second = receiver.received
    assert first[0]["webhook-id"] == second[0]["webhook-id"] == str(row.id) and first[1] == second[1]
    run_vrm(env, "webhooks", "deliver", "--once")
    assert len(receiver.received) == 2  # delivered: never sent again


def test_a_sender_killed_while_the_receiver_holds_the_event_sends_it_again(
    database: Database, ring_and_env: tuple[KeyRing, dict[str, str]], receiver: Receiver
) -> None:
    keyring, env = ring_and_env
    one_event(database, keyring, receiver.url)
    receiver.delay = 30.0
    sender = subprocess.Popen(
        [str(VRM), "webhooks", "deliver", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.arrived.wait(20), "the sender never reached the receiver"
        sender.send_signal(signal.SIGKILL)  # mid-send: the attempt was never recorded
        sender.communicate(timeout=10)
    finally:
        if sender.poll() is None:
            sender.kill()
    row = delivery(database)
    assert row.delivered_at is None and row.failed_at is None and row.attempts == 0  # nothing half-written
    receiver.delay = 0.0
    assert "1 delivered" in run_vrm(env, "webhooks", "deliver", "--once").stderr
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert ids == [str(row.id), str(row.id)]  # at least once, one idempotency id
