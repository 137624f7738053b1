"""Contact decisions for one 10,000-question batch: through the service, and through the HTTP endpoint.

10,000 distinct customers, each with a live grant to the asking business and sealed preferences (quiet
hours and a frequency cap included, so every check runs). The baseline is the floor of the same work
without the policy: reading the same customers' sealed preference rows and relationships from SQLite,
without opening anything.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.report import interleaved
from vrm import schema
from vrm.accounts.businesses import create_business
from vrm.accounts.customers import create_customer
from vrm.app import create_app
from vrm.config import Settings
from vrm.consent.grants import grant_access
from vrm.consent.policy import ContactQuestion, decide_contacts
from vrm.consent.rules_cache import RULES as RULES_CACHE
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker, utcnow
from vrm.oauth.clients import create_client
from vrm.oauth.models import Relationship
from vrm.oauth.pairwise import customers_for, subject_for
from vrm.oauth.tokens import issue_tokens
from vrm.vault.keys import open_vault
from vrm.vault.models import Preferences
from vrm.vault.preferences import update_preferences

CUSTOMERS = 10_000
ROUNDS = 7
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
        update_preferences(
            session, vault=open_vault(session, keyring=ring, customer_id=customer), changes=RULES
        )
        grant_access(
            session, customer_id=customer, business_id=business, purpose="service", scopes="profile:read"
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
            client, _ = create_client(
                session, business_id=business, name="Bench", redirect_uris=["https://b.example/cb"]
            )
            issue_tokens(session, client=client, scope="", access_token="bench-business-token")
        items = [{"customer": sub, "channel": "email", "purpose": "marketing"} for sub in subjects]

        def service_cold() -> None:
            RULES_CACHE.clear()  # every customer's rules opened from the vault
            service()

        def service() -> None:
            with sessions() as session:
                known = customers_for(session, business_id=business, subjects=subjects)
                now = utcnow()
                questions = [ContactQuestion(known.get(s), "email", "marketing", now) for s in subjects]
                decide_contacts(session, keyring=ring, business_id=business, questions=questions, now=now)

        def floor() -> None:
            with sessions() as session:
                customers_for(session, business_id=business, subjects=subjects)
                ids = list(
                    session.scalars(
                        select(Relationship.customer_id).where(Relationship.business_id == business)
                    )
                )
                for start in range(0, len(ids), 500):
                    session.execute(
                        select(
                            Preferences.contact, Preferences.quiet_hours, Preferences.frequency_caps
                        ).where(Preferences.customer_id.in_(ids[start : start + 500]))
                    ).all()

        app = _app(folder, url)
        http = app.test_client()

        def endpoint() -> None:
            answer = http.post(
                "/api/v1/contact-decisions",
                json={"items": items},
                headers={"Authorization": "Bearer bench-business-token"},
            )
            assert answer.status_code == 200, answer.get_data(as_text=True)[:300]

        results = []
        runs = (
            ("service, rules opened from the vault", service_cold),
            ("service, rules cached in the worker", service),
            ("HTTP endpoint, rules cached", endpoint),
        )
        for name, subject in runs:
            seconds, baseline = interleaved(subject, floor, rounds=ROUNDS, warmup=1)
            rate = CUSTOMERS / seconds
            verdict = f"goal >= {GOAL:,}/s: {'met' if rate >= GOAL else 'MISSED'}"
            results.append(
                f"contact decisions, 10,000-question batch, {name}: {rate:,.0f} decisions/s "
                f"({seconds * 1000:.0f} ms; baseline, the same rows read unopened: {baseline * 1000:.0f} ms, "
                f"ratio {seconds / baseline:.2f}x)  {verdict}"
            )
        engine.dispose()
        app.extensions["vrm"].engine.dispose()
        return results


def _app(folder: str, url: str) -> Flask:
    settings = Settings.from_env({"VRM_INSTANCE_DIR": folder, "VRM_DATABASE_URL": url})
    return create_app(settings)
