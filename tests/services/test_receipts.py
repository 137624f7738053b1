"""Consent receipts: one per consent given, changed or withdrawn, signed (compact JWS, Ed25519), the same
whenever asked for, the business's copy identical to the customer's, and provably in the log."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests import factories
from vrm.consent.checkpoints import public_keys, sign_checkpoint
from vrm.consent.grants import change_grant, withdraw_grant
from vrm.consent.receipts import (
    ReceiptError,
    business_receipts,
    customer_receipts,
    receipt_bundle,
    verify_receipt,
)
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound
from vrm.oauth.pairwise import subject_for

ISSUER = "https://vault.example"


@pytest.fixture
def history(session: Session, keyring: KeyRing) -> dict[str, Any]:
    """A customer who gave a business access, narrowed it, then withdrew it."""
    customer, _ = factories.customer(session, keyring)
    shop = factories.business(session, "northwind-energy")
    grant = factories.grant(
        session,
        keyring,
        customer,
        shop,
        "profile:read contact:read",
        expires_at=datetime.now(UTC) + timedelta(days=90),
    )
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    change_grant(
        session, keyring=keyring, customer_id=customer.id, grant_id=grant.id, scopes=["profile:read"]
    )
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id)
    return {"customer": customer, "shop": shop, "grant": grant, "sub": sub}


def test_each_consent_step_has_a_signed_receipt(
    session: Session, keyring: KeyRing, history: dict[str, Any]
) -> None:
    found = customer_receipts(session, keyring=keyring, issuer=ISSUER, customer_id=history["customer"].id)
    assert [r.payload["consent"]["state"] for r in found] == ["withdrawn", "changed", "given"]  # newest first
    given = verify_receipt(found[-1].jws, public_keys(keyring))
    assert given["controller"] == {"id": str(history["shop"].id), "name": "Northwind Energy", "url": None}
    assert given["principal"] == {"pairwise_id": history["sub"]}
    assert given["consent"]["purposes"] == ["service"] and given["consent"]["duration_days"] in (89, 90)
    assert given["consent"]["data_categories"] == ["contact", "profile"]
    assert given["withdrawal"]["url"] == f"{ISSUER}/connections" and given["iss"] == ISSUER
    assert found[1].payload["consent"]["data_categories"] == ["profile"]  # as narrowed
    assert found[0].payload["consent"]["withdrawal_reason"] == "withdrawn"
    header = json.loads(base64.urlsafe_b64decode(found[0].jws.split(".")[0] + "=="))
    assert header == {
        "alg": "Ed25519",
        "kid": public_keys(keyring)["keys"][0]["kid"],
        "typ": "vrm-receipt+jws",
    }


def test_a_receipt_is_the_same_whenever_and_by_whomever_it_is_asked_for(
    session: Session, keyring: KeyRing, history: dict[str, Any]
) -> None:
    mine = customer_receipts(session, keyring=keyring, issuer=ISSUER, customer_id=history["customer"].id)
    again = customer_receipts(session, keyring=keyring, issuer=ISSUER, customer_id=history["customer"].id)
    theirs = business_receipts(
        session, keyring=keyring, issuer=ISSUER, business_id=history["shop"].id, subject=history["sub"]
    )
    assert [r.jws for r in mine] == [r.jws for r in again] == [r.jws for r in theirs]
    other = factories.business(session)
    with pytest.raises(NotFound):  # another business cannot ask about this customer by their id
        business_receipts(
            session, keyring=keyring, issuer=ISSUER, business_id=other.id, subject=history["sub"]
        )


def test_a_downloaded_receipt_proves_its_consent_is_in_the_log(
    session: Session, keyring: KeyRing, history: dict[str, Any]
) -> None:
    [withdrawn, _, given] = customer_receipts(
        session, keyring=keyring, issuer=ISSUER, customer_id=history["customer"].id
    )
    checkpoint = sign_checkpoint(session, keyring=keyring, origin=ISSUER).document()
    bundle = receipt_bundle(
        session,
        keyring=keyring,
        issuer=ISSUER,
        customer_id=history["customer"].id,
        seq=given.seq,
        checkpoint=checkpoint,
    )
    assert verify_receipt(json.loads(json.dumps(bundle)), public_keys(keyring))["log"]["seq"] == given.seq

    swapped = {**bundle, "receipt": withdrawn.jws}  # another receipt on this event's proof
    with pytest.raises(ReceiptError, match="does not match its event"):
        verify_receipt(swapped, public_keys(keyring))
    bent = json.loads(json.dumps(bundle))
    bent["inclusion"]["proof"][0] = "00" * 32
    with pytest.raises(ReceiptError, match="not in the log"):
        verify_receipt(bent, public_keys(keyring))
    with pytest.raises(ReceiptError, match="checkpoint"):
        verify_receipt({**bundle, "checkpoint": {**checkpoint, "signature": "AAAA"}}, public_keys(keyring))


def test_an_altered_or_foreign_receipt_does_not_verify(
    session: Session, keyring: KeyRing, history: dict[str, Any]
) -> None:
    receipt = customer_receipts(session, keyring=keyring, issuer=ISSUER, customer_id=history["customer"].id)[
        0
    ].jws
    header, payload, signature = receipt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["consent"]["state"] = "given"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    bent = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]  # one signature byte off
    for bad in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{bent}", "not.a.receipt", 42):
        with pytest.raises(ReceiptError):
            verify_receipt(bad, public_keys(keyring))
    with pytest.raises(ReceiptError):
        verify_receipt(receipt, public_keys(KeyRing.generate("development")))


def test_another_customers_receipt_cannot_be_downloaded(
    session: Session, keyring: KeyRing, history: dict[str, Any]
) -> None:
    stranger, _ = factories.customer(session, keyring)
    seq = customer_receipts(session, keyring=keyring, issuer=ISSUER, customer_id=history["customer"].id)[
        0
    ].seq
    checkpoint = sign_checkpoint(session, keyring=keyring, origin=ISSUER).document()
    with pytest.raises(NotFound):
        receipt_bundle(
            session, keyring=keyring, issuer=ISSUER, customer_id=stranger.id, seq=seq, checkpoint=checkpoint
        )
