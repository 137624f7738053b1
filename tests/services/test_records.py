"""The customer's consent records in their export: every consent with its state, every receipt (which
verifies with the published key alone), every read the log holds; an import elsewhere leaves them out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from tests.services.test_access import ASKED, application, read
from vrm.consent import events, receipts
from vrm.consent.checkpoints import public_keys
from vrm.consent.grants import change_grant, withdraw_grant
from vrm.consent.models import Grant, LogEvent
from vrm.crypto.keyring import KeyRing
from vrm.models import Customer
from vrm.vault.export import export_vault
from vrm.vault.importer import import_vault
from vrm.vault.keys import open_vault

ISSUER = "https://vault.example.com"


def utc(moment: str) -> datetime:
    parsed = datetime.fromisoformat(moment)
    assert parsed.utcoffset() == timedelta(0)  # RFC 3339, in UTC like the rest of the file
    return parsed


def exported(session: Session, keyring: KeyRing) -> tuple[dict[str, Any], dict[str, Grant]]:
    """A customer with a changed, a withdrawn, an expired and a plain consent, and reads under the first
    three; their export."""
    customer, vault = factories.customer(session, keyring, email="records@example.org")
    shops = {
        name: factories.business(session, f"{name}-shop") for name in ("changed", "withdrawn", "expired")
    }
    shops["given"] = factories.business(session, "given-shop")
    grants = {name: factories.grant(session, keyring, customer, shop, ASKED) for name, shop in shops.items()}
    for name in ("changed", "withdrawn", "expired"):
        read(session, keyring, grants[name], application(session, shops[name]), "profile:read contact:read")
    change_grant(
        session,
        keyring=keyring,
        customer_id=customer.id,
        grant_id=grants["changed"].id,
        scopes=["profile:read"],
    )
    read(session, keyring, grants["changed"], application(session, shops["changed"], "Kiosk"), "profile:read")
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grants["withdrawn"].id)
    grants["expired"].expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    document = export_vault(
        session, vault=vault, login_email="records@example.org", keyring=keyring, issuer=ISSUER
    )
    return document, grants


def test_the_export_holds_every_consent_with_its_state(session: Session, keyring: KeyRing) -> None:
    document, grants = exported(session, keyring)
    consents = {item["id"]: item for item in document["consents"]}
    assert [consents[str(grants[name].id)]["state"] for name in grants] == list(grants)
    changed = consents[str(grants["changed"].id)]
    assert changed["business"] == "changed-shop" and changed["purpose"] == "service"
    assert changed["requested_scopes"] == ASKED.split() and changed["scopes"] == ["profile:read"]
    assert utc(changed["expires_at"]) > utc(changed["granted_at"]) and changed["withdrawn_at"] is None
    assert utc(consents[str(grants["withdrawn"].id)]["withdrawn_at"]) == grants["withdrawn"].withdrawn_at


def test_every_receipt_in_the_export_verifies_with_the_published_key(
    session: Session, keyring: KeyRing
) -> None:
    document, grants = exported(session, keyring)
    logged = session.scalars(
        select(LogEvent.seq).where(LogEvent.type.in_(receipts.TYPES)).order_by(LogEvent.seq)
    ).all()
    signed = document["receipts"]
    assert [receipt["seq"] for receipt in signed] == list(logged)  # every consent event, oldest first
    keys = public_keys(keyring)
    for receipt in signed:
        assert receipts.verify_receipt(receipt["jws"], keys) == receipt["payload"]
        assert receipt["payload"]["log"] == {"seq": receipt["seq"], "event_type": receipt["event_type"]}
    states = [(r["payload"]["consent"]["grant_id"], r["payload"]["consent"]["state"]) for r in signed]
    assert (str(grants["changed"].id), "changed") in states and (
        str(grants["withdrawn"].id),
        "withdrawn",
    ) in states


def test_the_exports_access_records_are_the_reads_the_log_holds(session: Session, keyring: KeyRing) -> None:
    document, grants = exported(session, keyring)
    logged = session.execute(
        select(LogEvent.seq, LogEvent.at).where(LogEvent.type == events.READ).order_by(LogEvent.seq)
    ).all()
    access = document["access"]
    assert [(item["seq"], utc(item["at"])) for item in access] == [(seq, at) for seq, at in logged]
    assert [item["business"] for item in access] == [
        "changed-shop",
        "withdrawn-shop",
        "expired-shop",
        "changed-shop",
    ]
    assert [item["application"]["name"] for item in access] == ["Self-service app"] * 3 + ["Kiosk"]
    assert access[0]["categories"] == ["contact", "profile"] and access[-1]["categories"] == ["profile"]
    receipts = {receipt["seq"]: receipt["payload"]["consent"] for receipt in document["receipts"]}
    for item in access:
        consent = receipts[item["receipt_seq"]]  # each read points at the receipt it was made under
        assert consent["grant_id"] == item["grant_id"] and set(item["categories"]) <= set(
            consent["data_categories"]
        )
    assert receipts[access[-1]["receipt_seq"]]["state"] == "changed"
    assert access[-1]["grant_id"] == str(grants["changed"].id)


def test_an_export_with_consent_records_imports_elsewhere_without_them(database: Database) -> None:
    ring = KeyRing.generate("development")
    with database.sessions.begin() as session:
        document, _ = exported(session, ring)
        session.execute(Customer.__table__.delete())  # the target starts without this customer
    assert document["consents"] and document["receipts"] and document["access"]
    document["access"].append({"seq": "not even a number"})  # not read, so not refused
    other = KeyRing.generate("development")
    with database.sessions.begin() as session:
        customer = import_vault(session, keyring=other, document=document)
    with database.sessions() as session:
        assert (
            session.scalar(select(func.count()).select_from(Grant).where(Grant.customer_id == customer.id))
            == 0
        )
        again = export_vault(
            session,
            vault=open_vault(session, keyring=other, customer_id=customer.id),
            login_email="records@example.org",
            keyring=other,
            issuer=ISSUER,
        )
    assert again["consents"] == again["receipts"] == again["access"] == []
    assert again["account"] == document["account"]
