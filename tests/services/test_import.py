"""An export re-imports into another instance and exports back the same; a bad document imports nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import Database
from vrm.accounts.customers import authenticate
from vrm.consent.records import SECTIONS
from vrm.crypto.keyring import KeyRing
from vrm.demo import load_demo
from vrm.errors import Conflict, ValidationError
from vrm.models import Customer
from vrm.vault.export import export_vault
from vrm.vault.importer import import_vault
from vrm.vault.keys import open_vault
from vrm.vault.profile import get_profile

DEMO = "demo@vrm.example"
ISSUER = "https://vault.example.com"


def demo_export(database: Database, ring: KeyRing) -> dict[str, Any]:
    with database.sessions.begin() as session:
        load_demo(session, keyring=ring)
    with database.sessions() as session:
        customer = session.scalars(select(Customer)).one()
        return export_vault(
            session,
            vault=open_vault(session, keyring=ring, customer_id=customer.id),
            login_email=DEMO,
            keyring=ring,
            issuer=ISSUER,
        )


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """What must survive the trip: everything but ids, export and feedback times (new on the new instance)."""
    clean = copy.deepcopy(document)
    clean.pop("exported_at")
    for records in SECTIONS:  # the source instance's records of consent: not recreated by an import
        clean.pop(records)
    journeys = {j.pop("id"): j for j in clean["journeys"]}
    for journey in journeys.values():
        journey.pop("created_at")  # a journey is opened anew by the import
    for item in clean["interactions"]:
        item.pop("id")
        item["journey"] = journeys.get(item.pop("journey_id"))
        if item["feedback"]:
            item["feedback"].pop("at")
    # Interactions at the same instant have no order between them (ties fall to random ids).
    clean["interactions"].sort(key=lambda item: (item["occurred_at"], item["subject"]))
    return clean


def test_an_export_reimports_elsewhere_and_exports_back_the_same(database: Database, tmp_path: Any) -> None:
    source = KeyRing.generate("development")
    original = demo_export(database, source)
    other_ring = KeyRing.generate("development")  # another instance: its own keys and database schema
    with database.sessions.begin() as session:
        session.execute(Customer.__table__.delete())  # the target starts without this customer
        customer = import_vault(
            session, keyring=other_ring, document=original, password="imported passphrase"
        )
    with database.sessions() as session:
        vault = open_vault(session, keyring=other_ring, customer_id=customer.id)
        again = export_vault(session, vault=vault, login_email=DEMO, keyring=other_ring, issuer=ISSUER)
        assert authenticate(session, keyring=other_ring, email=DEMO, password="imported passphrase")
    assert comparable(again) == comparable(original)
    assert len(original["interactions"]) == 9 and original["business_preferences"]
    assert original["consents"] and original["receipts"] and original["access"]  # the import took them in
    assert again["consents"] == again["receipts"] == again["access"] == []  # and made none of its own
    [journey] = again["journeys"]
    assert (journey["business"], journey["reference"], journey["opened_by"]) == (
        "northwind-energy",
        "NW-CASE-20417",
        "business",
    )
    own = [item for item in again["interactions"] if item["recorded_by"] == "customer"]
    assert [item["shared"] for item in own] == [False] and own[0]["journey_id"] == journey["id"]


def test_an_export_from_before_journeys_had_a_company_still_imports(database: Database) -> None:
    ring = KeyRing.generate("development")
    document = demo_export(database, ring)
    with database.sessions.begin() as session:
        session.execute(Customer.__table__.delete())
    for journey in document["journeys"]:  # the shape of vrm-export/1 before journeys had a company
        for key in ("business", "reference", "opened_by"):
            journey.pop(key)
    document["journeys"].append(
        {"id": "empty", "title": "Nothing in it", "created_at": "2026-01-01T00:00:00"}
    )
    for item in document["interactions"]:
        item.pop("shared")
    with database.sessions.begin() as session:
        customer = import_vault(session, keyring=ring, document=document)
    with database.sessions() as session:
        vault = open_vault(session, keyring=ring, customer_id=customer.id)
        again = export_vault(session, vault=vault, login_email=DEMO, keyring=ring, issuer=ISSUER)
    [journey] = again["journeys"]  # the one without interactions has no company to follow: left out
    assert (journey["business"], journey["reference"], journey["opened_by"]) == (
        "northwind-energy",
        None,
        "customer",
    )
    assert [item["shared"] for item in again["interactions"] if item["recorded_by"] == "customer"] == [False]


def test_an_old_journey_mixing_companies_is_refused_by_path(database: Database) -> None:
    ring = KeyRing.generate("development")
    document = demo_export(database, ring)
    with database.sessions.begin() as session:
        session.execute(Customer.__table__.delete())
    [journey] = document["journeys"]
    journey.pop("business")
    document["interactions"][-1]["journey_id"] = journey["id"]  # a contoso-mobile call in Northwind's journey
    with pytest.raises(ValidationError) as raised, database.sessions.begin() as session:
        import_vault(session, keyring=ring, document=document)
    message = raised.value.errors["journeys[0].business"]
    assert "contoso-mobile" in message and "northwind-energy" in message


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda d: d.update(format="other/1"), "format"),
        (lambda d: d["interactions"][2].update(channel="pigeon"), "interactions[2].channel"),
        (lambda d: d["interactions"][0].update(feedback={"rating": 9}), "interactions[0].rating"),
        (lambda d: d["profile"].update(birth_date="tomorrow"), "profile.birth_date"),
        (lambda d: d["interactions"][1].update(business="unknown-company"), "business"),
        (lambda d: d.update(interactions="all of them"), "interactions"),
        (lambda d: d.update(account=None), "account"),
        (lambda d: d["journeys"][0].update(reference="CASE\n1"), "journeys[0].reference"),
        (
            lambda d: d["interactions"][4].update(journey_id=d["journeys"][0]["id"]),
            "interactions[4].journey_id",
        ),
        # A company handle must be text: a list or an object cannot name one (nor be looked up).
        (lambda d: d["journeys"][0].update(business=["northwind-energy"]), "journeys[0].business"),
        (lambda d: d["journeys"][0].update(business={"name": "x"}), "journeys[0].business"),
        (lambda d: d["interactions"][3].update(business=["northwind-energy"]), "interactions[3].business"),
        (lambda d: d["interactions"][1].update(business={"a": 1}), "interactions[1].business"),
        (lambda d: d["interactions"][1].update(business=7), "interactions[1].business"),
        (lambda d: d["interactions"][1].update(business=None), "interactions[1].business"),
        (lambda d: d.update(business_preferences=[["northwind-energy"]]), "business_preferences"),
    ],
)
def test_a_bad_document_is_refused_by_path_and_imports_nothing(
    database: Database, damage: Any, field: str
) -> None:
    ring = KeyRing.generate("development")
    document = demo_export(database, ring)
    with database.sessions.begin() as session:
        session.execute(Customer.__table__.delete())
    damage(document)
    with pytest.raises(ValidationError) as raised, database.sessions.begin() as session:
        import_vault(session, keyring=ring, document=document)
    assert field in raised.value.errors, raised.value.errors
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_importing_an_existing_account_is_a_conflict(session: Any, keyring: KeyRing) -> None:
    factories.customer(session, keyring, email="taken@example.org")
    document = {
        "format": "vrm-export/1",
        "account": {"email": "taken@example.org"},
        "profile": {},
        "preferences": {},
    }
    with pytest.raises(Conflict):
        import_vault(session, keyring=keyring, document=document)


def test_unknown_companies_are_created_only_when_asked(session: Any, keyring: KeyRing) -> None:
    document = {
        "format": "vrm-export/1",
        "account": {"email": "new@example.org"},
        "profile": {},
        "preferences": {},
        "interactions": [
            {
                "business": "brand-new-shop",
                "channel": "email",
                "direction": "inbound",
                "occurred_at": "2026-01-05T10:00:00+00:00",
                "subject": "Hello",
            }
        ],
    }
    customer = import_vault(session, keyring=keyring, document=document, create_businesses=True)
    assert customer.id is not None


def older_document(email: str, profile: dict[str, Any], preferred_language: object) -> dict[str, Any]:
    """A document exported before the profile's language became the one preferred language."""
    return {
        "format": "vrm-export/1",
        "account": {"email": email},
        "profile": profile,
        "preferences": {"preferred_channel": "email", "preferred_language": preferred_language},
    }


@pytest.mark.parametrize(
    ("profile", "language"),
    [({}, "pt-BR"), ({"language": None}, "pt-BR"), ({"language": "de"}, "de")],
)
def test_an_older_documents_preferred_language_becomes_the_profiles_when_it_has_none(
    session: Any, keyring: KeyRing, profile: dict[str, Any], language: str
) -> None:
    customer = import_vault(
        session, keyring=keyring, document=older_document("older@example.org", profile, "pt-br")
    )
    vault = open_vault(session, keyring=keyring, customer_id=customer.id)
    assert get_profile(session, vault=vault).language == language


def test_an_older_documents_invalid_preferred_language_is_named_where_it_is(
    session: Any, keyring: KeyRing
) -> None:
    with pytest.raises(ValidationError) as raised:
        import_vault(session, keyring=keyring, document=older_document("odd@example.org", {}, "english!"))
    assert set(raised.value.errors) == {"preferences.preferred_language"}
