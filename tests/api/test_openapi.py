"""The OpenAPI document is valid, describes what the API really answers (schemathesis fuzzes every
operation with a real token), and reads as a page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import delete

from tests import factories
from tests.conftest import Database
from vrm.consent.grants import grant_access
from vrm.consent.scopes import SCOPES
from vrm.oauth.clients import create_client
from vrm.oauth.models import IdempotentRequest
from vrm.oauth.pairwise import subject_for
from vrm.oauth.tokens import issue_tokens
from vrm.vault.models import Interaction, Journey

CUSTOMER_TOKEN, BUSINESS_TOKEN = "customer-token-for-the-fuzzer", "business-token-for-the-fuzzer"


@pytest.fixture
def tokens(app: Flask, database: Database) -> None:
    """A customer who granted every scope to a business; both kinds of token, as the server issues them."""
    ring = app.extensions["vrm"].keyring
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, ring)
        shop = factories.business(session, "fuzzed-energy")
        client, _ = create_client(
            session, business_id=shop.id, name="Fuzzer", redirect_uris=["https://f.example/cb"]
        )
        grant = grant_access(
            session,
            keyring=ring,
            customer_id=customer.id,
            business_id=shop.id,
            purpose="service",
            scopes=list(SCOPES),
        )
        subject_for(session, keyring=ring, business_id=shop.id, customer_id=customer.id)
        everything = " ".join(SCOPES)
        issue_tokens(
            session,
            client=client,
            scope=everything,
            access_token=CUSTOMER_TOKEN,
            customer_id=customer.id,
            grant=grant,
        )
        issue_tokens(session, client=client, scope="", access_token=BUSINESS_TOKEN)


@pytest.fixture
def api_schema(app: Flask, tokens: None) -> Iterator[schemathesis.BaseSchema]:
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_document_is_valid_openapi_3_1(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/v1/customer",
        "/api/v1/customer/preferences",
        "/api/v1/customer/interactions",
        "/api/v1/customer/journeys",
        "/api/v1/customer/journeys/{journey_id}",
        "/api/v1/contact-decisions",
        "/api/v1/receipts",
    }


def test_the_docs_page_lists_every_operation(app: Flask) -> None:
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    for operation in (
        "GET /api/v1/customer",
        "POST /api/v1/customer/interactions",
        "POST /api/v1/customer/journeys",
        "GET /api/v1/customer/journeys/{journey_id}",
        "POST /api/v1/contact-decisions",
        "GET /api/v1/receipts",
    ):
        assert operation in page
    assert "code_challenge_method=S256" in page


def test_no_operation_answers_500_or_breaks_its_schema(api_schema: schemathesis.BaseSchema) -> None:
    """Every operation, fuzzed from the document with a valid token: no 500, every answer as documented."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 9
    for operation in operations:
        business_call = operation.path in ("/api/v1/contact-decisions", "/api/v1/receipts")
        token = BUSINESS_TOKEN if business_call else CUSTOMER_TOKEN
        fuzz(operation, token)()


def fuzz(operation: schemathesis.APIOperation, token: str) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            # Rules the schema cannot express (a journey that exists, a time within a year) rightly refuse
            # some schema-valid data with 422; every other check stays on.
            excluded_checks=[positive_data_acceptance],
        )

    return check  # type: ignore[no-any-return]


def test_linked_calls_in_any_order_never_answer_500_or_break_their_schema(
    api_schema: schemathesis.BaseSchema, database: Database
) -> None:
    """Stateful: schemathesis follows the document's links (customer -> receipts, a recorded interaction ->
    the history -> its next page), feeding each call what the previous one answered."""
    links = [
        (operation.method.upper(), operation.path, name)
        for result in api_schema.get_all_operations()
        for operation in [result.ok()]
        for response in operation.definition.raw["responses"].values()
        for name in response.get("links", {})
    ]
    assert {name for _, _, name in links} == {
        "CustomersReceipts",
        "NextPage",
        "History",
        "Journey",
    }

    calls: list[tuple[str, str, int]] = []

    class Linked(api_schema.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            calls.append((case.method, case.path, response.status_code))

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            business_call = case.path in ("/api/v1/contact-decisions", "/api/v1/receipts")
            return {
                "headers": {"Authorization": f"Bearer {BUSINESS_TOKEN if business_call else CUSTOMER_TOKEN}"}
            }

        def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        def teardown(self) -> None:
            # Each scenario starts from the same vault: what one recorded (a journey's reference above all,
            # which turns the next opening's 201 into 200) must not change what the next one is answered,
            # nor what a replay of the same one is, when hypothesis checks a failure.
            with database.sessions.begin() as session:
                for recorded in (IdempotentRequest, Interaction, Journey):
                    session.execute(delete(recorded))

    Linked.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,  # the same scenarios every run: CI fails only when the code changed
        )
    )
    # A receipt list answers 200 only for a customer the business knows: the `sub` the link carried over.
    assert ("GET", "/api/v1/receipts", 200) in calls, calls
