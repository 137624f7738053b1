"""What the routes about one customer share: their blueprint, the call's view of the customer (vault, grant,
what it may read now), noting reads in the consent log, page cursors, and the interaction as answered.

Every answer is decided by `vrm.consent.policy` at the moment of the request: a category the customer
withholds is absent, never stale, and a withdrawn grant ends access on the very next call.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from vrm import validation as v
from vrm.api.bearer import current_bearer
from vrm.api.schemas import field_errors
from vrm.consent.grants import record_read
from vrm.consent.policy import readable_by_token
from vrm.errors import NotFound, ValidationError
from vrm.oauth.tokens import BearerGrant
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.interactions import Interaction, page_cursor
from vrm.vault.reading import Reading, read_for_business

# The routes of customer.py and journeys.py: one blueprint, so one rate limit per client covers them all.
customer_api = Blueprint("customer_api", __name__, url_prefix="/api/v1")
PAGE = 50
NOT_A_CURSOR = "is not a cursor this API gave out"
WITHHELD = {"preferences": "preferences", "interactions": "history"}  # what a refusal names


def context() -> tuple[Reading, BearerGrant, frozenset[str]]:
    """The customer as this call may see them: their vault, the grant, and the categories readable now."""
    bearer = current_bearer()
    assert bearer.grant is not None and bearer.customer_id is not None  # `requires` lets only these in
    reading = read_for_business(
        db_session(),
        keyring=runtime().keyring,
        customer_id=bearer.customer_id,
        business_id=bearer.grant.business_id,
    )
    readable = readable_by_token(
        grant=bearer.grant, token_scopes=bearer.scopes, data_sharing=reading.data_sharing
    )
    return reading, bearer.grant, readable


def context_reading(category: str) -> tuple[Reading, BearerGrant, frozenset[str]]:
    """`context()`, for a call that reads `category` (preferences or interactions).

    Raises:
        NotFound: the customer does not let this business read it now.
    """
    reading, grant, readable = context()
    if category not in readable:
        raise NotFound(f"the customer shares no {WITHHELD[category]} with this business")
    return reading, grant, readable


def note_read(grant: BearerGrant, categories: set[str] | frozenset[str]) -> None:
    """Note the categories this call read, on the grant and in the consent log."""
    if categories:
        bearer = current_bearer()
        record_read(
            db_session(),
            keyring=runtime().keyring,
            grant=grant,
            client_id=bearer.client.client_id,
            token_id=bearer.token_id,
            scopes={f"{category}:read" for category in categories},
        )


def json_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON object, loaded by `schema`.

    Raises:
        ValidationError: no JSON object, or fields the schema refuses (each named).
    """
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object (Content-Type: application/json)"})
    try:
        loaded: dict[str, Any] = schema.load(body)
    except SchemaError as error:
        raise ValidationError(field_errors(error)) from None
    return loaded


def interaction_body(item: Interaction, with_feedback: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(item.id),
        "channel": item.channel,
        "direction": item.direction,
        "occurred_at": item.occurred_at.isoformat(),
        "subject": item.subject,
        "summary": item.summary,
        "outcome": item.outcome,
        "journey_id": str(item.journey_id) if item.journey_id else None,
        "recorded_by": item.recorded_by,
    }
    if with_feedback:
        body["feedback"] = (
            {"rating": item.rating, "comment": item.feedback_comment} if item.rating is not None else None
        )
    return body


def encode_cursor(at: datetime, last_id: uuid.UUID) -> str:
    """An opaque cursor for the page after the item at (`at`, `last_id`)."""
    raw = json.dumps([at.isoformat(), str(last_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_arg() -> tuple[datetime, uuid.UUID] | None:
    """The `cursor` query argument, as `encode_cursor` made it: checked as the services check a page cursor
    (an aware time from 1900 on, and an id), so whatever else it holds is refused here, never by the database.

    Raises:
        ValidationError: a cursor this API did not give out.
    """
    value = request.args.get("cursor")
    if value is None:
        return None
    problems = v.Problems()
    checked = page_cursor(_decoded(value), problems, "cursor")
    if checked is None:
        raise ValidationError({"cursor": NOT_A_CURSOR})
    return checked


def _decoded(value: str) -> Any:
    """The cursor's JSON as a pair, or None when it is not base64url of a JSON array of two."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, RecursionError):  # binascii.Error and bad JSON or UTF-8 are ValueErrors
        return None
    return tuple(decoded) if isinstance(decoded, list) and len(decoded) == 2 else None


def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
