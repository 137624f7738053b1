"""The customer's consent records as their export carries them (`vrm-export/1`, docs/export-format.md): every
consent they gave, every consent receipt, and every read of their data the consent log recorded.

They are the records of the instance that wrote them: an import elsewhere does not recreate them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent import events
from vrm.consent.access import Read, every_read
from vrm.consent.models import Grant
from vrm.consent.receipts import Receipt, customer_receipts
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow

SECTIONS = ("consents", "receipts", "access")


def consent_records(
    session: Session, *, keyring: KeyRing, issuer: str, customer_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    """The export's `consents`, `receipts` and `access` sections for the customer, each oldest first."""
    grants = session.scalars(
        select(Grant).where(Grant.customer_id == customer_id).order_by(Grant.granted_at, Grant.id)
    ).all()
    # Every company a record names has a grant of the customer (reads and receipts are under grants).
    companies = select(Business.id, Business.name).where(Business.id.in_({g.business_id for g in grants}))
    handles = {business_id: handle for business_id, handle in session.execute(companies)}
    receipts = customer_receipts(session, keyring=keyring, issuer=issuer, customer_id=customer_id)[::-1]
    changed = {
        receipt.payload["consent"]["grant_id"]
        for receipt in receipts
        if receipt.payload["log"]["event_type"] == events.CHANGED
    }
    now = utcnow()
    reads = every_read(session, keyring=keyring, customer_id=customer_id)
    return {
        "consents": [
            _consent(grant, handles, _state(grant, now, str(grant.id) in changed)) for grant in grants
        ],
        "receipts": [_receipt(receipt) for receipt in receipts],
        "access": _access(reads, handles),
    }


def _state(grant: Grant, now: datetime, changed: bool) -> str:
    if grant.withdrawn_at is not None:
        return "withdrawn"
    if not grant.is_live(now):
        return "expired"
    return "changed" if changed else "given"


def _consent(grant: Grant, handles: dict[uuid.UUID, str], state: str) -> dict[str, Any]:
    return {
        "id": str(grant.id),
        "business": handles.get(grant.business_id),
        "purpose": grant.purpose,
        "requested_scopes": grant.requested_scopes.split(),
        "scopes": grant.scopes.split(),
        "state": state,
        "granted_at": _time(grant.granted_at),
        "expires_at": _time(grant.expires_at),
        "withdrawn_at": _time(grant.withdrawn_at),
    }


def _receipt(receipt: Receipt) -> dict[str, Any]:
    return {
        "seq": receipt.seq,
        "event_type": receipt.payload["log"]["event_type"],
        "jws": receipt.jws,
        "payload": receipt.payload,
    }


def _access(reads: Iterable[Read], handles: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    return [
        {
            "seq": read.seq,
            "at": _time(read.at),
            "business": handles.get(read.business_id),
            "application": {"client_id": read.client_id, "name": read.application},
            "categories": sorted(read.categories),
            "grant_id": str(read.grant_id),
            "receipt_seq": read.consent.seq if read.consent is not None else None,
        }
        for read in reads
    ]


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
