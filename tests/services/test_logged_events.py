"""Every change an auditor or the customer may need to reconstruct is logged, in the change's own
transaction, under the customer's log pseudonym: consent given, changed, replaced and withdrawn, preference
changes, exports, erasure, and key rotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from vrm.accounts.customers import erase_customer
from vrm.consent.grants import change_grant, record_expirations, withdraw_grant
from vrm.consent.log import verify
from vrm.consent.models import LogEvent
from vrm.crypto.derive import pseudonym
from vrm.crypto.keyring import KeyRing
from vrm.errors import ValidationError
from vrm.vault.export import export_vault
from vrm.vault.keys import retire_key, rotate_keys
from vrm.vault.preferences import set_override, update_preferences

ASKED = "profile:read contact:read"
ISSUER = "https://vault.example.com"


def logged(session: Session) -> list[dict[str, Any]]:
    events = list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))
    assert verify(events).intact
    return [json.loads(event) for event in events]


def kinds(session: Session) -> list[str]:
    return [event["type"] for event in logged(session)]


def test_consent_given_changed_replaced_and_withdrawn(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    first = factories.grant(session, keyring, customer, shop, ASKED)
    day = datetime.now(UTC).date() + timedelta(days=30)
    change_grant(
        session,
        keyring=keyring,
        customer_id=customer.id,
        grant_id=first.id,
        scopes=["profile:read"],
        last_day=day,
    )
    second = factories.grant(session, keyring, customer, shop, ASKED, supersede=True)
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=second.id)
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=second.id)  # changes nothing
    events = logged(session)
    assert [e["type"] for e in events] == [
        "consent.granted",
        "consent.changed",
        "consent.withdrawn",
        "consent.granted",
        "consent.withdrawn",
    ]
    assert all(e["actors"] == {"customer": vault.log_id, "business": str(shop.id)} for e in events)
    changed, replaced, withdrawn = events[1]["details"], events[2]["details"], events[4]["details"]
    assert changed == {
        "grant": str(first.id),
        "scopes": ["profile:read"],
        "expires_at": changed["expires_at"],
    }
    assert changed["expires_at"].startswith(day.isoformat())
    assert (replaced["grant"], replaced["reason"]) == (str(first.id), "replaced")
    assert (withdrawn["grant"], withdrawn["reason"]) == (str(second.id), "withdrawn")


def test_a_refused_change_logs_nothing(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    shop = factories.business(session)
    grant = factories.grant(session, keyring, customer, shop, ASKED)
    with pytest.raises(ValidationError):
        change_grant(
            session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=["feedback:read"]
        )
    assert kinds(session) == ["consent.granted"]


def test_preference_changes_name_the_parts_never_the_values(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    update_preferences(
        session,
        vault=vault,
        changes={"quiet_hours": {"start": "21:00", "end": "08:00", "time_zone": "Europe/Paris"}},
    )
    update_preferences(
        session,
        vault=vault,
        changes={"quiet_hours": {"start": "21:00", "end": "08:00", "time_zone": "Europe/Paris"}},
    )
    set_override(
        session, vault=vault, business_id=shop.id, settings={"contact": {"email": {"marketing": True}}}
    )
    set_override(session, vault=vault, business_id=shop.id, settings={})
    set_override(session, vault=vault, business_id=shop.id, settings={})  # nothing left to remove
    events = logged(session)
    assert [e["type"] for e in events] == ["preferences.changed"] * 3  # the repeated change changed nothing
    assert [e["details"] for e in events] == [
        {"parts": ["quiet_hours"]},
        {"parts": ["contact"], "business": str(shop.id)},
        {"parts": [], "business": str(shop.id)},
    ]
    assert all(e["actors"] == {"customer": vault.log_id} for e in events)
    assert b"Europe/Paris" not in b"".join(session.scalars(select(LogEvent.event)))


def test_export_and_erasure_are_logged_and_erasure_leaves_the_log_whole(
    database: Database, keyring: KeyRing
) -> None:
    with database.sessions.begin() as session:
        customer, vault = factories.customer(session, keyring, email="leaving@example.org")
        shop = factories.business(session)
        factories.grant(session, keyring, customer, shop, ASKED)
        export_vault(session, vault=vault, login_email="leaving@example.org", keyring=keyring, issuer=ISSUER)
    with database.sessions.begin() as session:
        erase_customer(session, keyring=keyring, customer_id=customer.id)
    with database.sessions() as session:
        events = logged(session)
    assert [e["type"] for e in events] == ["consent.granted", "data.exported", "account.erased"]
    assert {e["actors"]["customer"] for e in events} == {
        vault.log_id
    }  # the same pseudonym, now leading nowhere


def test_another_customer_has_another_pseudonym_that_never_changes(
    session: Session, keyring: KeyRing
) -> None:
    first, first_vault = factories.customer(session, keyring)
    _, second_vault = factories.customer(session, keyring)
    assert first_vault.log_id != second_vault.log_id and len(first_vault.log_id) == 32
    assert str(first.id) not in first_vault.log_id
    other_ring = KeyRing.generate("development")  # another ring: another, unrelated pseudonym
    assert pseudonym(keyring.log_pseudonym_key, first.id) == first_vault.log_id
    assert pseudonym(other_ring.log_pseudonym_key, first.id) != first_vault.log_id


def test_key_rotation_and_retirement_are_logged(database: Database, tmp_path: Path) -> None:
    ring = KeyRing.generate("development")
    ring.save(tmp_path / "keyring.json")
    with database.sessions.begin() as session:
        factories.customer(session, ring)
    report, _ = rotate_keys(database.sessions, keyring=ring)
    with database.sessions.begin() as session:
        retire_key(session, keyring=ring, key_id=1)
    with database.sessions() as session:
        events = logged(session)
    assert [e["type"] for e in events] == ["keys.rotated", "keys.retired"]
    assert events[0]["details"] == {"primary": report.target, "rewrapped": 1, "resumed": False}
    assert events[1]["details"] == {"key": 1}


def test_a_grant_that_ran_out_is_logged_once_as_expired(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    ran_out = factories.grant(session, keyring, customer, shop, ASKED)
    withdrawn = factories.grant(session, keyring, customer, factories.business(session), ASKED)
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=withdrawn.id)
    live = factories.grant(session, keyring, customer, factories.business(session), ASKED)
    past = datetime.now(UTC) - timedelta(minutes=1)
    ran_out.expires_at = withdrawn.expires_at = past  # as if a year had gone by
    session.flush()
    assert record_expirations(session, keyring=keyring) == 1
    assert record_expirations(session, keyring=keyring) == 0  # logged once
    [expired] = [e for e in logged(session) if e["type"] == "consent.expired"]
    assert expired["actors"] == {"customer": vault.log_id, "business": str(shop.id)}
    assert expired["details"]["grant"] == str(ran_out.id) and live.expiry_logged_at is None
