"""Rate limits per client, whatever address its calls come from, announced in RateLimit header fields."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from flask import Flask

from tests import factories
from tests.conftest import Database
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.oauth.clients import create_client
from vrm.oauth.tokens import issue_tokens


def business_token(database: Database, name: str) -> str:
    with database.sessions.begin() as session:
        shop = factories.business(session, name)
        client, _ = create_client(
            session, business_id=shop.id, name=name, redirect_uris=["https://r.example/cb"]
        )
        issue_tokens(session, client=client, scope="", access_token=f"token-of-{name}")
    return f"token-of-{name}"


@pytest.mark.usefixtures("one_minute_window")
def test_each_client_has_its_own_budget_and_is_told_what_is_left(app: Flask, database: Database) -> None:
    http = app.test_client()
    first, second = business_token(database, "first-shop"), business_token(database, "second-shop")
    limit = int(app.extensions["vrm"].settings.decisions_rate_limit.split()[0])
    question = {"items": [{"customer": "nobody", "channel": "email", "purpose": "service"}]}

    def ask(token: str, address: str):  # type: ignore[no-untyped-def]
        return http.post(
            "/api/v1/contact-decisions",
            json=question,
            headers={"Authorization": f"Bearer {token}"},
            environ_base={"REMOTE_ADDR": address},
        )

    answers = [ask(first, f"10.0.0.{n % 200}") for n in range(limit)]  # spread over addresses: one budget
    assert all(a.status_code == 200 for a in answers)
    assert answers[0].headers["RateLimit-Limit"] == str(limit)
    assert answers[0].headers["RateLimit-Remaining"] == str(limit - 1)
    assert (
        0 <= int(answers[0].headers["RateLimit-Reset"]) <= 61
    )  # seconds (a minute, rounded up), not an epoch
    refused = ask(first, "10.0.1.1")
    assert refused.status_code == 429 and refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["RateLimit-Remaining"] == "0" and refused.get_json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert ask(second, "10.0.1.1").status_code == 200  # another client is not held back


REDIS_URL = os.environ.get("VRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.usefixtures("one_minute_window")
def test_processes_sharing_redis_share_one_budget(database: Database, tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (set VRM_TEST_REDIS_URL): shared limits not tested")
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    settings = Settings.from_env(
        {
            "VRM_INSTANCE_DIR": str(tmp_path),
            "VRM_DATABASE_URL": database.url,
            "VRM_REDIS_URL": REDIS_URL,
            "VRM_DECISIONS_RATE_LIMIT": "3 per minute",
        }
    )
    # Two apps stand for two worker processes behind one load balancer.
    apps = [create_app(settings) for _ in range(2)]
    first, second = (app.test_client() for app in apps)
    token = business_token(database, "shared-shop")
    question = {"items": [{"customer": "nobody", "channel": "email", "purpose": "service"}]}
    headers = {"Authorization": f"Bearer {token}"}
    answers = [
        process.post("/api/v1/contact-decisions", json=question, headers=headers)
        for process in (first, second, first, second)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    # Counted in one Redis round trip per call, the window each hit left is the one announced.
    assert [answer.headers["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert all(0 < int(answer.headers["RateLimit-Reset"]) <= 61 for answer in answers)
    assert 0 < int(answers[3].headers["Retry-After"]) <= 61
    for app in apps:
        app.extensions["vrm"].engine.dispose()
