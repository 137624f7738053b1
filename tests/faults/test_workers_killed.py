"""Drill: gunicorn workers SIGKILLed in the middle of writes (interactions posted by a business, a customer
changing preferences and granting consent again). Afterwards nothing acknowledged is missing, no record is
half-written, the log has no gap or fork, and a request that got no answer can be retried safely."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import Database
from tests.faults.drill import Writers, assert_nothing_lost_or_half_written, customer_token, retries_are_safe
from tests.oauth.conftest import register
from tests.oauth.test_authorization_code import authorize
from tests.oauth.test_contact_decisions import preferences
from tests.processes import node, vrm_env
from vrm.crypto.keyring import KeyRing

pytestmark = pytest.mark.slow
KILLS = 4


def test_workers_killed_mid_write_lose_and_break_nothing(database: Database, tmp_path: Path) -> None:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    env = vrm_env(tmp_path, database.url, VRM_API_RATE_LIMIT="1000000 per minute")  # load, not limits
    with node(env, workers=2, threads=4) as served:
        browser, token = customer_token(database, served.base)
        other = register(database, "drill-telecom")
        writers = Writers(served.base, token)
        stop = threading.Event()
        customer_changes = {"preferences": 0, "grants": 0}

        def customer_keeps_changing_things() -> None:
            while not stop.is_set():
                try:
                    preferences(
                        browser,
                        **{"contact-sms-service": "on"} if customer_changes["preferences"] % 2 else {},
                    )
                    customer_changes["preferences"] += 1
                    authorize(served.base, browser, other, "interactions:read")  # a new consent each time
                    customer_changes["grants"] += 1
                except (AssertionError, requests.RequestException, KeyError):
                    pass  # this request's worker was killed under it

        customer = threading.Thread(target=customer_keeps_changing_things, daemon=True)
        writers.start(4)
        customer.start()
        killed = []
        for _ in range(KILLS):
            time.sleep(0.8)
            victim = served.workers()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(1.5)  # gunicorn replaces them; writes go on
        writers.stop()
        stop.set()
        customer.join(60)
        assert requests.get(served.base + "/readyz", timeout=10).status_code == 200
        assert not set(killed) & set(served.workers()) and len(served.workers()) == 2
        assert len(writers.acknowledged) > 50 and customer_changes["grants"] > 0
        assert set(writers.statuses) <= {201, 503}, (writers.statuses, served.errors())  # never a 500
        print(
            f"drill: {len(killed)} workers killed; {len(writers.acknowledged)} interactions acknowledged, "
            f"{len(writers.unanswered)} unanswered (retried); {customer_changes} customer changes"
        )
        retries_are_safe(writers)
    assert_nothing_lost_or_half_written(database, writers)
