"""The business API about one customer: what the customer lets this business read, and their history with it.

Every answer is decided by `vrm.consent.policy` at the moment of the request: a category the customer
withholds is absent, never stale, and a withdrawn grant ends access on the very next call.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from vrm.api.bearer import current_bearer, requires
from vrm.api.customer_calls import (
    PAGE,
    context,
    context_reading,
    cursor_arg,
    customer_api,
    encode_cursor,
    interaction_body,
    json_body,
    note_read,
    private,
)
from vrm.api.journeys import check_journey_id, journey_for_interaction
from vrm.api.schemas import NewInteraction
from vrm.consent import events
from vrm.oauth.idempotency import claim_key
from vrm.oauth.pairwise import subject_for
from vrm.oauth.tokens import BearerGrant
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.interactions import add_interaction, get_interaction, list_interactions
from vrm.vault.preferences import preferences_for_business

PROFILE_FIELDS = ("given_name", "family_name", "display_name", "language", "locale", "time_zone")
CONTACT_FIELDS = ("emails", "phones", "addresses")
EMPTY: dict[str, Any] = {"emails": [], "phones": [], "addresses": []}  # absent lists read as empty


@customer_api.get("/customer")
@requires("profile:read", "contact:read")
def customer() -> Response:
    reading, grant, readable = context()
    shown = (PROFILE_FIELDS if "profile" in readable else ()) + (
        CONTACT_FIELDS if "contact" in readable else ()
    )
    opened = reading.profile_fields(shown)
    body: dict[str, Any] = {"sub": _subject(grant)}
    body.update({name: opened[name] if opened[name] is not None else EMPTY.get(name) for name in shown})
    note_read(grant, readable & {"profile", "contact"})
    return private(jsonify(body))


@customer_api.get("/customer/preferences")
@requires("preferences:read")
def preferences() -> Response:
    reading, grant, _ = context_reading("preferences")
    current = preferences_for_business(db_session(), vault=reading.vault, business_id=grant.business_id)
    note_read(grant, {"preferences"})
    return private(
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
    reading, grant, readable = context_reading("interactions")
    page = list_interactions(
        db_session(),
        vault=reading.vault,
        business_id=grant.business_id,
        include_hidden=True,  # hiding is for the customer's own timeline; the record stays the business's
        shared_only=True,  # what the customer recorded and keeps to themselves is not the business's
        limit=PAGE + 1,
        before=cursor_arg(),
    )
    more, items = len(page) > PAGE, page[:PAGE]
    with_feedback = "feedback" in readable
    note_read(grant, {"interactions"} | ({"feedback"} if with_feedback else set()))
    body: dict[str, Any] = {
        "items": [interaction_body(item, with_feedback) for item in items],
        "next_cursor": encode_cursor(items[-1].occurred_at, items[-1].id) if more else None,
    }
    return private(jsonify(body))


@customer_api.post("/customer/interactions")
@requires("interactions:write")
def record() -> tuple[Response, int]:
    reading, grant, _ = context()
    vault = reading.vault
    values = json_body(NewInteraction())
    journey = values.pop("journey")
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
        if journey is not None:  # opened (on first use) only by a request that records
            values["journey_id"] = journey_for_interaction(vault, grant, journey)
        elif values.get("journey_id") is not None:
            check_journey_id(vault, grant, values["journey_id"])
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
    response = private(jsonify(interaction_body(created, with_feedback=False)))
    response.headers["Location"] = url_for("customer_api.interactions") + f"#{created.id}"
    return response, 200 if repeated else 201


def _subject(grant: BearerGrant) -> str:
    known = current_bearer().subject
    if known is not None:
        return known
    return subject_for(
        db_session(), keyring=runtime().keyring, business_id=grant.business_id, customer_id=grant.customer_id
    )
