"""The customer's whole vault as one JSON document (format `vrm-export/1`, see docs/export-format.md)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vrm.accounts.businesses import list_businesses
from vrm.consent import events
from vrm.consent.records import consent_records
from vrm.crypto.keyring import KeyRing
from vrm.vault.interactions import Interaction, list_interactions
from vrm.vault.journeys import Journey, list_journeys
from vrm.vault.preferences import get_preferences, list_overrides
from vrm.vault.profile import get_profile
from vrm.vault.seal import CustomerVault

FORMAT = "vrm-export/1"
PAGE = 500


def export_vault(
    session: Session, *, vault: CustomerVault, login_email: str, keyring: KeyRing, issuer: str
) -> dict[str, Any]:
    """Everything the vault holds for the customer, with companies named by their stable handle, and their
    consent records: consents, receipts (signed as `issuer`), reads. The consent log records the export."""
    names = {business.id: business.name for business in list_businesses(session)}
    journeys = _all_journeys(session, vault)
    events.data_exported(session, vault=vault)
    return {
        "format": FORMAT,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "account": {"email": login_email},
        "profile": asdict(get_profile(session, vault=vault)),
        "preferences": asdict(get_preferences(session, vault=vault)),
        "business_preferences": {
            names[business_id]: settings
            for business_id, settings in list_overrides(session, vault=vault).items()
        },
        "journeys": [_journey(journey, names) for journey in journeys],
        "interactions": [_interaction(item, names) for item in _all_interactions(session, vault)],
        **consent_records(session, keyring=keyring, issuer=issuer, customer_id=vault.customer_id),
    }


def _all_journeys(session: Session, vault: CustomerVault) -> list[Journey]:
    """Every journey, oldest first."""
    collected: list[Journey] = []
    while page := list_journeys(
        session,
        vault=vault,
        limit=PAGE,
        before=(collected[-1].created_at, collected[-1].id) if collected else None,
    ):
        collected += page
    return collected[::-1]


def _journey(journey: Journey, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(journey.id),
        "business": names.get(journey.business_id),
        "title": journey.title,
        "reference": journey.reference,
        "opened_by": journey.opened_by,
        "created_at": journey.created_at.isoformat(),
    }


def _all_interactions(session: Session, vault: CustomerVault) -> list[Interaction]:
    """Every interaction, hidden ones included, oldest first."""
    collected: list[Interaction] = []
    while page := list_interactions(
        session,
        vault=vault,
        include_hidden=True,
        limit=PAGE,
        before=(collected[-1].occurred_at, collected[-1].id) if collected else None,
    ):
        collected += page
    return collected[::-1]


def _interaction(item: Interaction, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "business": names.get(item.business_id),
        "journey_id": str(item.journey_id) if item.journey_id else None,
        "channel": item.channel,
        "direction": item.direction,
        "occurred_at": item.occurred_at.isoformat(),
        "recorded_by": item.recorded_by,
        "shared": item.shared,
        "subject": item.subject,
        "summary": item.summary,
        "outcome": item.outcome,
        "feedback": None
        if item.rating is None
        else {
            "rating": item.rating,
            "comment": item.feedback_comment,
            "at": item.feedback_at.isoformat() if item.feedback_at else None,
        },
        "customer_note": item.customer_note,
        "hidden": item.hidden,
    }
