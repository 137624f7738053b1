"""Demo data for development: three businesses and one customer with a full, realistic vault."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from vrm.accounts.businesses import create_business
from vrm.accounts.customers import create_customer, find_customer
from vrm.consent.grants import grant_access, record_read
from vrm.crypto.keyring import KeyRing
from vrm.oauth.clients import create_client
from vrm.oauth.tokens import issue_tokens
from vrm.vault.interactions import add_interaction, record_feedback
from vrm.vault.journeys import start_journey
from vrm.vault.keys import open_vault
from vrm.vault.preferences import set_override, update_preferences
from vrm.vault.profile import update_profile
from vrm.vault.seal import CustomerVault

DEMO_EMAIL = "demo@vrm.example"
# Development only: `vrm demo` refuses to run in production.
DEMO_PASSWORD = "demo-vault-password"  # noqa: S105  # nosec B105
BUSINESSES = [
    ("northwind-energy", "Northwind Energy", "https://northwind.example"),
    ("contoso-mobile", "Contoso Mobile", "https://contoso.example"),
    ("fabrikam-bank", "Fabrikam Bank", "https://fabrikam.example"),
]
PROFILE = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "display_name": "Ada Lovelace",
    "emails": [
        {"address": DEMO_EMAIL, "label": "personal", "primary": True},
        {"address": "ada.work@vrm.example", "label": "work"},
    ],
    "phones": [{"number": "+44 20 7946 0958", "label": "mobile", "primary": True}],
    "addresses": [
        {
            "lines": ["12 St James's Square"],
            "locality": "London",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
            "label": "home",
        }
    ],
    "language": "en-GB",
    "locale": "en-GB",
    "time_zone": "Europe/London",
    "birth_date": "1985-12-10",
    "attributes": {"loyalty tier": "gold"},
}
PREFERENCES = {
    "contact": {"email": {"marketing": True, "surveys": True}, "sms": {"service": True}},
    "quiet_hours": {"start": "21:00", "end": "08:00", "time_zone": "Europe/London"},
    "frequency_caps": {"email": {"limit": 2, "period": "week"}, "sms": {"limit": 1, "period": "day"}},
    "preferred_channel": "email",
    "data_sharing": {"feedback": False},
}
JOURNEY = "Billing error after the smart meter install"
JOURNEY_REFERENCE = "NW-CASE-20417"  # Northwind's own case number: it opened the journey through the API
# (business, channel, direction, subject, summary, outcome, part of the journey, day, rating)
HISTORY = [
    (
        "northwind-energy",
        "chat",
        "inbound",
        "Bill doubled after meter install",
        "Customer reports a bill twice the usual.",
        "Escalated to billing",
        True,
        0,
        2,
    ),
    (
        "northwind-energy",
        "voice",
        "outbound",
        "Billing callback",
        "Agent confirmed a meter read error; refund promised.",
        "Refund of £84.20 agreed",
        True,
        2,
        4,
    ),
    (
        "northwind-energy",
        "email",
        "outbound",
        "Refund confirmation",
        "Written confirmation of the refund.",
        "Resolved",
        True,
        3,
        5,
    ),
    (
        "contoso-mobile",
        "chat",
        "inbound",
        "Roaming add-on",
        "Customer added the EU roaming pack.",
        "Activated",
        False,
        10,
        None,
    ),
    ("contoso-mobile", "sms", "outbound", "Roaming pack active", "Confirmation text.", None, False, 10, None),
    (
        "fabrikam-bank",
        "chat",
        "inbound",
        "Card not arriving",
        "New card not delivered after 10 days.",
        "Replacement ordered",
        False,
        20,
        3,
    ),
    (
        "fabrikam-bank",
        "post",
        "outbound",
        "Your new card",
        "Replacement card sent by post.",
        "Delivered",
        False,
        24,
        None,
    ),
    (
        "contoso-mobile",
        "voice",
        "inbound",
        "Contract renewal",
        "Asked about renewal offers.",
        "Renewed 24 months",
        False,
        40,
        4,
    ),
]


def load_demo(session: Session, *, keyring: KeyRing) -> bool:
    """Load the demo once; return False when it was already there."""
    if find_customer(session, keyring=keyring, email=DEMO_EMAIL) is not None:
        return False
    businesses = {
        name: create_business(session, name=name, display_name=shown, website=site).id
        for name, shown, site in BUSINESSES
    }
    customer = create_customer(session, keyring=keyring, email=DEMO_EMAIL, password=DEMO_PASSWORD)
    vault = open_vault(session, keyring=keyring, customer_id=customer.id)
    update_profile(session, vault=vault, changes=PROFILE)
    update_preferences(session, vault=vault, changes=PREFERENCES)
    set_override(
        session,
        vault=vault,
        business_id=businesses["fabrikam-bank"],
        settings={"contact": {"voice": {"service": False}}},
    )
    _history(session, keyring, vault, businesses)
    _connections(session, keyring, customer.id, businesses)
    return True


# (business, purpose, scopes asked for, scopes the customer left ticked, what its application read)
CONNECTIONS = [
    (
        "northwind-energy",
        "service",
        "profile:read contact:read preferences:read interactions:read interactions:write",
        "profile:read contact:read preferences:read interactions:read interactions:write",
        "profile:read contact:read interactions:read",
    ),
    (
        "contoso-mobile",
        "marketing",
        "profile:read contact:read feedback:read",
        "profile:read feedback:read",
        None,
    ),
]


def _connections(
    session: Session, keyring: KeyRing, customer_id: uuid.UUID, businesses: dict[str, uuid.UUID]
) -> None:
    for business, purpose, requested, granted, read in CONNECTIONS:
        grant = grant_access(
            session,
            keyring=keyring,
            customer_id=customer_id,
            business_id=businesses[business],
            purpose=purpose,
            requested_scopes=requested,
            scopes=granted,
        )
        if read:  # noted as the business API notes a read, with a token of the company's application
            application, _ = create_client(
                session,
                business_id=businesses[business],
                name=f"{business.replace('-', ' ').title()} app",
                redirect_uris=[f"https://{business}.example/vrm/callback"],
            )
            token = issue_tokens(
                session,
                client=application,
                scope=granted,
                access_token=secrets.token_urlsafe(32),  # not kept: nobody can use it
                customer_id=customer_id,
                grant=grant,
            )
            record_read(
                session,
                keyring=keyring,
                grant=grant,
                client_id=application.client_id,
                token_id=token.id,
                scopes=read.split(),
            )
    session.flush()


def _history(
    session: Session, keyring: KeyRing, vault: CustomerVault, businesses: dict[str, uuid.UUID]
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    journey = start_journey(
        session,
        keyring=keyring,
        vault=vault,
        business_id=businesses["northwind-energy"],
        title=JOURNEY,
        reference=JOURNEY_REFERENCE,
        opened_by="business",
    ).id
    for business, channel, direction, subject, summary, outcome, in_journey, day, rating in HISTORY:
        interaction = add_interaction(
            session,
            vault=vault,
            business_id=businesses[business],
            channel=channel,
            direction=direction,
            occurred_at=start + timedelta(days=day, hours=9 + day % 7),
            subject=subject,
            summary=summary,
            outcome=outcome,
            journey_id=journey if in_journey else None,
        )
        if rating is not None:
            comment = "Quick and friendly." if rating >= 4 else "Took too long."
            record_feedback(
                session, vault=vault, interaction_id=interaction.id, rating=rating, comment=comment
            )
    # The customer's own record of the call, kept to themselves: Northwind does not see it.
    add_interaction(
        session,
        vault=vault,
        business_id=businesses["northwind-energy"],
        channel="voice",
        direction="inbound",
        occurred_at=start + timedelta(days=1, hours=17),
        subject="I called about the bill",
        summary="They promised a callback from billing by Friday.",
        journey_id=journey,
        recorded_by="customer",
    )
