"""The OpenAPI 3.1 document of the business API (`/api/v1/openapi.json`), built by apispec from the same
marshmallow schemas the API validates with, and a readable page of it (`/api/v1/docs`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, jsonify, render_template

from vrm.api import schemas
from vrm.consent.scopes import SCOPES
from vrm.serving.request_scope import runtime

openapi = Blueprint("openapi", __name__, url_prefix="/api/v1", template_folder="templates")
SCOPE_WORDS = {
    "profile:read": "Read the customer's names, language, region format and time zone",
    "contact:read": "Read the customer's email addresses, phone numbers and postal addresses",
    "preferences:read": "Read what the business may do: channels, purposes, quiet hours, caps",
    "interactions:read": "Read the customer's history with this business",
    "interactions:write": "Record interactions into the customer's history",
    "feedback:read": "Read the customer's ratings and comments on this business's interactions",
}
ERRORS = {
    "401": "No token, or an unknown, expired or revoked one (see WWW-Authenticate)",
    "403": "The token lacks the scope named in WWW-Authenticate, or is of the wrong kind",
    "422": "The request is invalid; `errors` names each field",
    "429": "Too many requests from this client; retry after the RateLimit-Reset seconds",
}


@openapi.get("/openapi.json")
def document() -> Response:
    response = jsonify(build(runtime().settings.issuer))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@openapi.get("/docs")
def docs() -> str:
    return render_template("api_docs.html", spec=build(runtime().settings.issuer))


@cache
def build(issuer: str) -> dict[str, Any]:
    """The whole document for a server at `issuer` (built once per issuer)."""
    spec = APISpec(
        title="VRM vault business API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Read what customers let you read, record your interactions into their history, "
            "and ask before you contact anyone. Customers appear under a pairwise id (`sub`) that is yours "
            "alone.",
        },
        servers=[{"url": issuer}],
    )
    flows = {
        "authorizationCode": {
            "authorizationUrl": f"{issuer}/authorize",
            "tokenUrl": f"{issuer}/oauth/token",
            "refreshUrl": f"{issuer}/oauth/token",
            "scopes": {scope: SCOPE_WORDS[scope] for scope in SCOPES},
        },
        "clientCredentials": {"tokenUrl": f"{issuer}/oauth/token", "scopes": {}},
    }
    spec.components.security_scheme("vrm", {"type": "oauth2", "flows": flows})
    for name in (
        "Problem",
        "Customer",
        "CustomerPreferences",
        "InteractionOut",  # before the page that nests it: apispec registers nested schemas itself
        "InteractionPage",
        "NewInteraction",
        "JourneyOut",  # before the page and the thread that nest it
        "JourneyPage",
        "JourneyThread",
        "NewJourney",
        "ContactQuestions",
        "ContactDecisions",
        "ReceiptCopy",
        "Receipts",
    ):
        spec.components.schema(name, schema=getattr(schemas, name))
    for path, operations in _paths().items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(
    operation_id: str,
    summary: str,
    scopes: list[str],
    ok: list[tuple[str, str, str]],
    *,
    body: str | None = None,
    extra: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    links: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One operation; `links` (OpenAPI links, by status) say which call a response leads to next."""
    responses: dict[str, Any] = {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
        for status, description, schema in ok
    }
    for code, text in ERRORS.items():
        responses[code] = {
            "description": text,
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "security": [{"vrm": scopes}],
        "responses": responses,
    }
    for code, text in (problems or {}).items():
        responses[code] = {
            "description": text,
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    for status, status_links in (links or {}).items():
        responses[status]["links"] = status_links
    operation.update(extra or {})
    return operation


def _paths() -> dict[str, dict[str, Any]]:
    cursor = {
        "name": "cursor",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "`next_cursor` of the previous page",
    }
    key = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
        "description": "Retrying with the same key and body returns the first answer (200) instead of a copy",
    }
    return {**_customer_paths(cursor, key), **_journey_paths(cursor), **_business_paths()}


def _customer_paths(cursor: dict[str, Any], key: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "/api/v1/customer": {
            "get": _operation(
                "getCustomer",
                "The customer as they let you see them now",
                ["profile:read", "contact:read"],
                [("200", "Only the fields the token's scopes and the customer's choices allow", "Customer")],
                links={
                    "200": {
                        "CustomersReceipts": {
                            "operationId": "listReceipts",
                            "parameters": {"customer": "$response.body#/sub"},
                            "description": "This customer's consent receipts (client credentials)",
                        }
                    }
                },
            )
        },
        "/api/v1/customer/preferences": {
            "get": _operation(
                "getCustomerPreferences",
                "What you may do: channels and purposes, quiet hours, caps, preferences",
                ["preferences:read"],
                [("200", "The rules that apply to your business now", "CustomerPreferences")],
                problems={"404": "The customer shares no preferences with you now"},
            )
        },
        "/api/v1/customer/interactions": {
            "get": _operation(
                "listInteractions",
                "Your interactions with the customer, newest first, 50 a page",
                ["interactions:read"],
                [("200", "A page of interactions", "InteractionPage")],
                links={
                    "200": {
                        "NextPage": {
                            "operationId": "listInteractions",
                            "parameters": {"cursor": "$response.body#/next_cursor"},
                            "description": "The next page, while `next_cursor` is not null",
                        }
                    }
                },
                extra={"parameters": [cursor]},
                problems={"404": "The customer shares no history with you now"},
            ),
            "post": _operation(
                "recordInteraction",
                "Record an interaction into the customer's history",
                ["interactions:write"],
                [
                    ("201", "Recorded", "InteractionOut"),
                    (
                        "200",
                        "Already recorded by an earlier request with this Idempotency-Key",
                        "InteractionOut",
                    ),
                ],
                body="NewInteraction",
                extra={
                    "parameters": [key],
                    "description": "To continue a case across channels, name its journey: by `journey_id`, "
                    "or by your own reference with `journey` (opened on first use, continued after).",
                },
                links={
                    "201": {
                        "History": {
                            "operationId": "listInteractions",
                            "description": "The customer's history with you, the new interaction first",
                        },
                        # From the recording, whose answer is always 201: a link from an answer whose status
                        # depends on what exists (200 or 201 when opening a journey) makes stateful tests
                        # draw differently on each replay.
                        "Journey": {
                            "operationId": "getJourney",
                            "parameters": {"journey_id": "$response.body#/journey_id"},
                            "description": "The journey the interaction continues, when it names one",
                        },
                    }
                },
                problems={"409": "The Idempotency-Key was already used for a different request"},
            ),
        },
    }


def _journey_paths(cursor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    reference = {
        "name": "reference",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": "Only the journey this reference of yours names (none or one)",
    }
    journey_id = {"name": "journey_id", "in": "path", "required": True, "schema": {"type": "string"}}
    no_history = "The customer shares no history with you now"
    return {
        "/api/v1/customer/journeys": {
            "get": _operation(
                "listJourneys",
                "Your journeys with the customer, newest first, 50 a page",
                ["interactions:read"],
                [("200", "A page of journeys", "JourneyPage")],
                links={
                    "200": {
                        "NextPage": {
                            "operationId": "listJourneys",
                            "parameters": {"cursor": "$response.body#/next_cursor"},
                            "description": "The next page, while `next_cursor` is not null",
                        }
                    }
                },
                extra={
                    "parameters": [reference, cursor],
                    "description": "A journey the customer opened is listed only once it holds an "
                    "interaction you may see (one you recorded, or one the customer shared with you).",
                },
                problems={"404": no_history},
            ),
            "post": _operation(
                "startJourney",
                "Open a journey with the customer, under your own reference",
                ["interactions:write"],
                [
                    ("201", "Opened", "JourneyOut"),
                    (
                        "200",
                        "Your reference already names this journey (its title is unchanged; `title` is null "
                        "unless you may read the customer's history)",
                        "JourneyOut",
                    ),
                ],
                body="NewJourney",
                extra={
                    "description": "An existing journey keeps its title, which the customer may have "
                    "changed: the 200 answer carries it only when this token has `interactions:read` and "
                    "the customer shares their history with you (a read, logged in the consent log like "
                    "any other); otherwise `title` is null. Writing alone never reads."
                },
            ),
        },
        "/api/v1/customer/journeys/{journey_id}": {
            "get": _operation(
                "getJourney",
                "One journey: your interactions in it across channels, oldest first, 50 a page",
                ["interactions:read"],
                [("200", "The journey and a page of its thread", "JourneyThread")],
                extra={"parameters": [journey_id, cursor]},
                problems={
                    "404": "No journey of yours with this customer has this id (a journey the customer "
                    "opened and holds nothing you may see is none of yours), or " + no_history.lower()
                },
            ),
        },
    }


def _business_paths() -> dict[str, dict[str, Any]]:
    return {
        "/api/v1/contact-decisions": {
            "post": _operation(
                "decideContacts",
                "Ask before contacting customers: up to 10,000 questions, answered in order",
                [],
                [
                    (
                        "200",
                        "One decision per question, in order; every deny has its reason",
                        "ContactDecisions",
                    )
                ],
                body="ContactQuestions",
                extra={
                    "description": "Needs a client credentials token. Contacting a customer after a deny "
                    "breaks their rules; every decision is recorded for the consent log."
                },
            )
        },
        "/api/v1/receipts": {
            "get": _operation(
                "listReceipts",
                "Your copies of a customer's consent receipts, newest first",
                [],
                [("200", "Every consent the customer gave you, changed or withdrew, signed", "Receipts")],
                extra={
                    "description": "Needs a client credentials token.",
                    "parameters": [
                        {
                            "name": "customer",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                            "description": "The customer's id as this API gave it (`sub`)",
                        }
                    ],
                },
                problems={"404": "You know no customer under that id"},
            )
        },
    }
