"""What a business learns of the customer's journeys: one the customer opened is the business's to see only
once it holds something the business may see, and an existing journey's title (the customer may have
renamed it) is answered only to a business that may read the customer's history, as a logged read."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.api.conftest import Relationship
from tests.oauth.test_logged_events import of_type
from vrm.accounts.models import Business
from vrm.vault.interactions import Interaction, update_interaction
from vrm.vault.journeys import Journey, move_interaction, rename_journey
from vrm.vault.preferences import update_preferences


def journey_of_the_customers_own(relationship: Relationship) -> tuple[Journey, Interaction]:
    """A journey the customer opened with the business, holding one record of their own, kept private."""
    ring = relationship.app.extensions["vrm"].keyring
    with relationship.database.sessions.begin() as session:
        vault, shop = relationship.vault(session), company(session, relationship)
        journey = factories.journey(session, ring, vault, shop, title="Thinking of leaving Northwind")
        own = factories.interaction(
            session, vault, shop, recorded_by="customer", subject="Called a rival", journey_id=journey.id
        )
    return journey, own


def company(session: Session, relationship: Relationship) -> Business:
    found = session.get(Business, relationship.business_id)
    assert found is not None
    return found


def listed(client: FlaskClient, relationship: Relationship, token: str) -> list[str]:
    answer = relationship.call(client, "/customer/journeys", token)
    assert answer.status_code == 200
    return [item["id"] for item in answer.get_json()["items"]]


def test_a_journey_the_customer_keeps_to_themselves_is_hidden_from_the_company(
    client: FlaskClient, relationship: Relationship
) -> None:
    journey, own = journey_of_the_customers_own(relationship)
    token = relationship.token("interactions:read interactions:write")
    assert listed(client, relationship, token) == []
    hidden = relationship.call(client, f"/customer/journeys/{journey.id}", token)
    missing = relationship.call(client, f"/customer/journeys/{uuid.uuid4()}", token)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()  # exactly like a journey that does not exist
    assert "Thinking of leaving" not in hidden.get_data(as_text=True)
    # Nor can the company record into it (which would show it the journey): refused like an unknown one.
    call = {
        "channel": "voice",
        "direction": "outbound",
        "occurred_at": "2026-01-05T10:00:00Z",
        "subject": "Retention call",
    }
    into_hidden = relationship.call(
        client, "/customer/interactions", token, method="POST", json={**call, "journey_id": str(journey.id)}
    )
    into_unknown = relationship.call(
        client, "/customer/interactions", token, method="POST", json={**call, "journey_id": str(uuid.uuid4())}
    )
    assert into_hidden.status_code == into_unknown.status_code == 422
    assert into_hidden.get_json()["errors"] == into_unknown.get_json()["errors"]

    # Once the customer shares the record in it, the company sees the journey, its title and that record.
    with relationship.database.sessions.begin() as session:
        vault = relationship.vault(session)
        update_interaction(session, vault=vault, interaction_id=own.id, changes={"shared": True})
    assert listed(client, relationship, token) == [str(journey.id)]
    seen = relationship.call(client, f"/customer/journeys/{journey.id}", token).get_json()
    assert seen["title"] == "Thinking of leaving Northwind"
    assert [item["subject"] for item in seen["interactions"]] == ["Called a rival"]
    # Shared no more: hidden again.
    with relationship.database.sessions.begin() as session:
        vault = relationship.vault(session)
        update_interaction(session, vault=vault, interaction_id=own.id, changes={"shared": False})
    assert listed(client, relationship, token) == []
    assert relationship.call(client, f"/customer/journeys/{journey.id}", token).status_code == 404


def test_a_customers_journey_holding_what_the_company_recorded_is_the_companys_to_see(
    client: FlaskClient, relationship: Relationship
) -> None:
    journey, _ = journey_of_the_customers_own(relationship)
    with relationship.database.sessions.begin() as session:
        vault = relationship.vault(session)
        theirs = factories.interaction(session, vault, company(session, relationship), subject="Agent call")
        move_interaction(session, vault=vault, interaction_id=theirs.id, journey_id=journey.id)
    token = relationship.token("interactions:read")
    assert listed(client, relationship, token) == [str(journey.id)]
    seen = relationship.call(client, f"/customer/journeys/{journey.id}", token).get_json()
    assert [item["subject"] for item in seen["interactions"]] == ["Agent call"]  # never the private one


def test_an_existing_reference_answers_the_title_only_to_a_business_that_may_read_the_history(
    client: FlaskClient, relationship: Relationship
) -> None:
    everything = relationship.token()
    opened = relationship.call(
        client, "/customer/journeys", everything, method="POST", json={"reference": "CASE-7", "title": "Bill"}
    )
    assert opened.status_code == 201 and opened.get_json()["title"] == "Bill"
    with relationship.database.sessions.begin() as session:
        vault = relationship.vault(session)
        rename_journey(
            session, vault=vault, journey_id=opened.get_json()["id"], title="Overcharged again, third time"
        )
    reads = len(of_type(relationship.database, "data.read"))

    def again(token: str) -> dict[str, object]:
        answer = relationship.call(
            client, "/customer/journeys", token, method="POST", json={"reference": "CASE-7"}
        )
        assert answer.status_code == 200
        body: dict[str, object] = answer.get_json()
        assert body["id"] == opened.get_json()["id"] and body["reference"] == "CASE-7"
        return body

    assert again(relationship.token("interactions:write"))["title"] is None  # writing is not reading
    assert len(of_type(relationship.database, "data.read")) == reads
    with relationship.database.sessions.begin() as session:
        vault = relationship.vault(session)
        update_preferences(session, vault=vault, changes={"data_sharing": {"interactions": False}})
    assert again(everything)["title"] is None  # the customer shares no history with the company now
    assert len(of_type(relationship.database, "data.read")) == reads
    with relationship.database.sessions.begin() as session:
        vault = relationship.vault(session)
        update_preferences(session, vault=vault, changes={"data_sharing": {"interactions": True}})
    assert again(everything)["title"] == "Overcharged again, third time"
    [read] = of_type(relationship.database, "data.read")[reads:]
    assert read["details"]["categories"] == ["interactions"]  # the title was read, and the log says so
