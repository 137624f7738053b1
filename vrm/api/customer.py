"""The business API about one customer: what the customer lets this business read, and their history with it.

Every answer is decided by `vrm.consent.policy` at the moment of the request: a category the customer
withholds is absent, never stale, and a withdrawn grant ends access on the very next call.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from marshmallow import ValidationError as SchemaError

from vrm.api.bearer import current_bearer, requires
from vrm.api.schemas import NewInteraction, field_errors
from vrm.consent import events
from vrm.consent.grants import record_read
from vrm.consent.policy import readable_by_token
from vrm.errors import NotFound, ValidationError
from vrm.oauth.idempotency import claim_key
from vrm.oauth.pairwise import subject_for
from vrm.oauth.tokens import BearerGrant
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.interactions import Interaction, add_interaction, get_interaction, list_interactions
from vrm.vault.preferences import preferences_for_business
from vrm.vault.reading import Reading, read_for_business

customer_api = Blueprint("customer_api", __name__, url_prefix="/api/v1")
PROFILE_FIELDS = ("given_name", "family_name", "display_name", "language", "locale", "time_zone")
CONTACT_FIELDS = ("emails", "phones", "addresses")
EMPTY: dict[str, Any] = {"emails": [], "phones": [], "addresses": []}  # absent lists read as empty
PAGE = 50


@customer_api.get("/customer")
@requires("profile:read", "contact:read")
def customer() -> Response:
    reading, grant, readable = _context()
    shown = (PROFILE_FIELDS if "profile" in readable else ()) + (
        CONTACT_FIELDS if "contact" in readable else ()
    )
    opened = reading.profile_fields(shown)
    body: dict[str, Any] = {"sub": _subject(grant)}
    body.update({name: opened[name] if opened[name] is not None else EMPTY.get(name) for name in shown})
    _note_read(grant, readable & {"profile", "contact"})
    return _private(jsonify(body))


@customer_api.get("/customer/preferences")
@requires("preferences:read")
def preferences() -> Response:
    reading, grant, readable = _context()
    vault = reading.vault
    if "preferences" not in readable:
        raise NotFound("the customer shares no preferences with this business")
    current = preferences_for_business(db_session(), vault=vault, business_id=grant.business_id)
    _note_read(grant, {"preferences"})
    return _private(
        jsonify(
            sub=_subject(grant),
            contact=current.contact,
            quiet_hours=current.quiet_hours,
            frequency_caps=current.frequency_caps,
            preferred_channel=current.preferred_channel,
            # The customer's one preferred language is their profile's; shared here as it always was.
            preferred_language=reading.profile_fields(("language",))["language"],
        )
    )


@customer_api.get("/customer/interactions")
@requires("interactions:read")
def interactions() -> Response:
    reading, grant, readable = _context()
    vault = reading.vault
    if "interactions" not in readable:
        raise NotFound("the customer shares no history with this business")
    page = list_interactions(
        db_session(),
        vault=vault,
        business_id=grant.business_id,
        include_hidden=True,  # hiding is for the customer's own timeline; the record stays the business's
        limit=PAGE + 1,
        before=_cursor(request.args.get("cursor")),
    )
    more, items = len(page) > PAGE, page[:PAGE]
    with_feedback = "feedback" in readable
    _note_read(grant, {"interactions"} | ({"feedback"} if with_feedback else set()))
    body: dict[str, Any] = {
        "items": [_interaction(item, with_feedback) for item in items],
        "next_cursor": None,
    }
    if more:
        body["next_cursor"] = _encode_cursor(items[-1])
    return _private(jsonify(body))


@customer_api.post("/customer/interactions")
@requires("interactions:write")
def record() -> tuple[Response, int]:
    reading, grant, _ = _context()
    vault = reading.vault
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object (Content-Type: application/json)"})
    try:
        values = NewInteraction().load(body)
    except SchemaError as error:
        raise ValidationError(field_errors(error)) from None
    key = request.headers.get("Idempotency-Key")
    interaction_id, repeated = None, False
    if key is not None:
        interaction_id, repeated = claim_key(
            db_session(),
            client_id=current_bearer().client.id,
            key=key,
            customer_id=vault.customer_id,
            body=request.get_data(),
        )
    if repeated:
        assert interaction_id is not None
        created = get_interaction(db_session(), vault=vault, interaction_id=interaction_id)
    else:
        created = add_interaction(
            db_session(), vault=vault, business_id=grant.business_id, interaction_id=interaction_id, **values
        )
        events.interaction_recorded(
            db_session(),
            vault=vault,
            grant_id=grant.id,
            business_id=grant.business_id,
            client_id=current_bearer().client.client_id,
            interaction_id=created.id,
            channel=created.channel,
            direction=created.direction,
        )
    response = _private(jsonify(_interaction(created, with_feedback=False)))
    response.headers["Location"] = url_for("customer_api.interactions") + f"#{created.id}"
    return response, 200 if repeated else 201


def _context() -> tuple[Reading, BearerGrant, frozenset[str]]:
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


def _subject(grant: BearerGrant) -> str:
    known = current_bearer().subject
    if known is not None:
        return known
    return subject_for(
        db_session(), keyring=runtime().keyring, business_id=grant.business_id, customer_id=grant.customer_id
    )


def _note_read(grant: BearerGrant, categories: set[str] | frozenset[str]) -> None:
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


def _interaction(item: Interaction, with_feedback: bool) -> dict[str, Any]:
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


def _encode_cursor(item: Interaction) -> str:
    raw = json.dumps([item.occurred_at.isoformat(), str(item.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(value: str | None) -> tuple[datetime, uuid.UUID] | None:
    if value is None:
        return None
    try:
        when, ident = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        return datetime.fromisoformat(when), uuid.UUID(ident)
    except (ValueError, TypeError):
        raise ValidationError({"cursor": "is not a cursor this API gave out"}) from None


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
