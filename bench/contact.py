"""Contact decisions for one 10,000-question batch: through the service, and through the HTTP endpoint.

10,000 distinct customers, each with a live grant to the asking business and sealed preferences (quiet
hours and a frequency cap included, so every check runs). The baseline is the floor of the same work
without the policy: reading the same customers' contact standing rows from SQLite, opening nothing.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import orjson
import requests
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bench.api import load, start
from bench.report import interleaved
from vrm import schema
from vrm.accounts.businesses import create_business
from vrm.accounts.customers import create_customer
from vrm.app import create_app
from vrm.config import Settings
from vrm.consent.grants import grant_access
from vrm.consent.models import ContactStanding
from vrm.consent.policy import ContactQuestion, decide_contacts
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker, utcnow
from vrm.oauth.clients import create_client
from vrm.oauth.models import OAuthClient
from vrm.oauth.pairwise import subject_for
from vrm.oauth.tokens import issue_tokens
from vrm.vault.interactions import add_interaction
from vrm.vault.keys import open_vault
from vrm.vault.preferences import update_preferences

CUSTOMERS = 10_000
ROUNDS = 7
SERVED_SECONDS = 10
GOAL = 50_000  # decisions per second (issue 4)
RULES = {
    "contact": {"email": {"marketing": True}},
    "quiet_hours": {"start": "21:00", "end": "08:00", "time_zone": "Europe/Paris"},
    "frequency_caps": {"email": {"limit": 3, "period": "week"}},
}


def _populate(session: Session, ring: KeyRing) -> tuple[uuid.UUID, list[str]]:
    business = create_business(session, name="bench-energy").id
    subjects = []
    for number in range(CUSTOMERS):
        customer = create_customer(session, keyring=ring, email=f"c{number}@bench.example").id
        vault = open_vault(session, keyring=ring, customer_id=customer)
        update_preferences(session, vault=vault, changes=RULES)
        # A business's own history with its customers: one in four was sent as much as its cap allows.
        for days_ago in range(3 if number % 4 == 0 else 0):
            add_interaction(
                session,
                vault=vault,
                business_id=business,
                channel="email",
                direction="outbound",
                subject="Your monthly statement",
                occurred_at=utcnow() - timedelta(days=days_ago + 1),
            )
        grant_access(
            session,
            keyring=ring,
            customer_id=customer,
            business_id=business,
            purpose="service",
            scopes="profile:read",
        )
        subjects.append(subject_for(session, keyring=ring, business_id=business, customer_id=customer))
        if number % 1000 == 999:
            session.flush()
            print(f"  setting up: {number + 1:,} of {CUSTOMERS:,} customers", flush=True)
    return business, subjects


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        schema.upgrade(engine)
        ring = KeyRing.generate("development")
        ring.save(Path(folder) / "keyring.json")
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            business, subjects = _populate(session, ring)
            client_id = create_client(
                session, business_id=business, name="Bench", redirect_uris=["https://b.example/cb"]
            )[0].id
        # Asked for noon UTC tomorrow, outside the quiet hours: every check runs, whenever the bench does.
        noon = datetime.combine(utcnow().date() + timedelta(days=1), time(12), UTC)
        items = [
            {"customer": sub, "channel": "email", "purpose": "marketing", "at": noon.isoformat()}
            for sub in subjects
        ]

        def cleared() -> None:
            # What a change to every customer's rules leaves: each must be opened from the vault and resealed.
            with sessions.begin() as session:
                session.execute(
                    update(ContactStanding).values(rules=None, version=ContactStanding.version + 1)
                )

        def service() -> None:
            with sessions.begin() as session:
                now = utcnow()
                questions = [ContactQuestion(sub, "email", "marketing", noon) for sub in subjects]
                _check(
                    decide_contacts(
                        session, keyring=ring, business_id=business, questions=questions, now=now
                    ).answers
                )

        def floor() -> None:
            with sessions() as session:
                for start in range(0, len(subjects), 500):
                    session.execute(
                        select(
                            ContactStanding.customer_id, ContactStanding.consent_until, ContactStanding.rules
                        )
                        .where(ContactStanding.business_id == business)
                        .where(ContactStanding.subject.in_(subjects[start : start + 500]))
                    ).all()

        app = _app(folder, url)
        http = app.test_client()

        body = orjson.dumps({"items": items})

        def endpoint() -> None:
            # The server's work only: the body is encoded once, and the answer checked once (below).
            answer = http.post(
                "/api/v1/contact-decisions",
                data=body,
                content_type="application/json",
                headers={"Authorization": "Bearer bench-business-token"},
            )
            assert answer.status_code == 200, answer.get_data(as_text=True)[:300]

        with sessions.begin() as session:  # issued last: access tokens live ten minutes
            client = session.get(OAuthClient, client_id)
            assert client is not None
            issue_tokens(session, client=client, scope="", access_token="bench-business-token")
        answer = http.post(
            "/api/v1/contact-decisions",
            data=body,
            content_type="application/json",
            headers={"Authorization": "Bearer bench-business-token"},
        )
        _check([(d["allowed"], d.get("reason")) for d in answer.get_json()["decisions"]])
        results = []
        runs = (
            ("service, rules stored", service, lambda: None),
            ("service, every customer's rules changed since the last batch", service, cleared),
            ("HTTP endpoint, rules stored", endpoint, lambda: None),
        )
        for name, subject, before in runs:
            seconds, baseline = interleaved(subject, floor, rounds=ROUNDS, warmup=1, before=before)
            rate = CUSTOMERS / seconds
            verdict = f"goal >= {GOAL:,}/s: {'met' if rate >= GOAL else 'MISSED'}"
            results.append(
                f"contact decisions, 10,000-question batch, {name}: {rate:,.0f} decisions/s "
                f"({seconds * 1000:.0f} ms; baseline, the same rows read unopened: {baseline * 1000:.0f} ms, "
                f"ratio {seconds / baseline:.2f}x)  {verdict}"
            )
        engine.dispose()
        app.extensions["vrm"].engine.dispose()
        results.append(_served(folder, body))
        return results


def _served(folder: str, body: bytes) -> str:
    """Batches answered a second by gunicorn on both cores (2 sync workers), with wrk posting the batch."""
    if shutil.which("wrk") is None:
        return "contact decisions served by gunicorn: skipped, wrk is not installed (apt-get install wrk)"
    (Path(folder) / "batch.json").write_bytes(body)
    script = Path(folder) / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.body = io.open("{Path(folder) / "batch.json"}", "rb"):read("*a")\n'
    )
    server, port = start("vault", folder, "sync")
    try:
        url = f"http://127.0.0.1:{port}/api/v1/contact-decisions"
        check = requests.post(
            url,
            data=body,
            headers={"Authorization": "Bearer bench-business-token", "Content-Type": "application/json"},
            timeout=60,
        )
        _check([(d["allowed"], d.get("reason")) for d in check.json()["decisions"]])
        batches = statistics.median(
            load(url, token="bench-business-token", connections=2, seconds=SERVED_SECONDS, script=script)
            for _ in range(3)
        )
    finally:
        server.terminate()
        server.wait(10)
    rate = batches * CUSTOMERS
    return (
        f"contact decisions served by gunicorn (2 sync workers, wrk posting 10,000-question batches on 2 "
        f"connections): {rate:,.0f} decisions/s ({batches:.2f} batches/s, median of 3 runs of "
        f"{SERVED_SECONDS} s)  goal >= {GOAL:,}/s: {'met' if rate >= GOAL else 'MISSED'}"
    )


def _check(decisions: list[Any]) -> None:
    """A fast wrong answer is no answer: the customers sent their cap's worth are denied, the rest allowed."""
    expected = [(False, "frequency_cap") if number % 4 == 0 else (True, None) for number in range(CUSTOMERS)]
    assert [(allowed, reason) for allowed, reason in decisions] == expected


def _app(folder: str, url: str) -> Flask:
    settings = Settings.from_env({"VRM_INSTANCE_DIR": folder, "VRM_DATABASE_URL": url})
    return create_app(settings)
