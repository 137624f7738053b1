"""Journeys through the business API: a business opens one under its own reference (a ticket or case number),
continues it on every channel, and reads the thread back, so the agent on the phone sees what happened on
chat. A business sees only its own journeys, and in them only the interactions it may see; a journey the
customer opened is the business's to see only once it holds something the business may see
(`vrm.vault.journeys.shown_to_business`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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
from vrm.api.schemas import NewJourney
from vrm.consent import events
from vrm.errors import NotFound, ValidationError
from vrm.oauth.tokens import BearerGrant
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.interactions import NOT_A_JOURNEY, list_interactions
from vrm.vault.journeys import Journey, find_journey, get_journey, list_journeys, open_journey, start_journey
from vrm.vault.seal import CustomerVault


@customer_api.post("/customer/journeys")
@requires("interactions:write")
def start() -> tuple[Response, int]:
    """Open a journey, or answer 200 with the one this reference already names (its title unchanged).

    The title of an existing journey is the customer's history (they may have renamed it): it is answered
    only when this token and the customer's choices let the business read interactions, as a logged read.
    """
    reading, grant, readable = context()
    values = json_body(NewJourney())
    if values.get("reference") is None:
        journey, opened = _start(reading.vault, grant, values.get("title")), True
    else:
        journey, opened = _open(reading.vault, grant, values["reference"], values.get("title"))
    body = _journey_body(journey)
    if not opened:
        if "interactions" in readable:
            note_read(grant, {"interactions"})
        else:
            body["title"] = None
    response = private(jsonify(body))
    response.headers["Location"] = url_for("customer_api.journey", journey_id=journey.id)
    return response, 201 if opened else 200


@customer_api.get("/customer/journeys")
@requires("interactions:read")
def journeys() -> Response:
    """This business's journeys with the customer, newest first (`?reference=` finds the one it names)."""
    reading, grant, _ = context_reading("interactions")
    vault, reference = reading.vault, request.args.get("reference")
    if reference is not None:
        keyring = runtime().keyring
        found = find_journey(
            db_session(),
            keyring=keyring,
            vault=vault,
            business_id=grant.business_id,
            reference=reference,
            seen_by_business=True,
        )
        page = [found] if found is not None else []
    else:
        page = list_journeys(
            db_session(),
            vault=vault,
            business_id=grant.business_id,
            seen_by_business=True,
            limit=PAGE + 1,
            before=cursor_arg(),
        )
    more, items = len(page) > PAGE, page[:PAGE]
    note_read(grant, {"interactions"})
    return private(
        jsonify(
            items=[_journey_body(item) for item in items],
            next_cursor=encode_cursor(items[-1].created_at, items[-1].id) if more else None,
        )
    )


@customer_api.get("/customer/journeys/<journey_id>")
@requires("interactions:read")
def journey(journey_id: str) -> Response:
    """One journey and its thread across channels, oldest first, 50 interactions a page."""
    reading, grant, readable = context_reading("interactions")
    vault = reading.vault
    found = get_journey(
        db_session(), vault=vault, journey_id=journey_id, business_id=grant.business_id, seen_by_business=True
    )
    page = list_interactions(
        db_session(),
        vault=vault,
        business_id=grant.business_id,
        journey_id=found.id,
        include_hidden=True,
        shared_only=True,
        oldest_first=True,
        limit=PAGE + 1,
        after=cursor_arg(),
    )
    more, items = len(page) > PAGE, page[:PAGE]
    with_feedback = "feedback" in readable
    note_read(grant, {"interactions"} | ({"feedback"} if with_feedback else set()))
    body = _journey_body(found)
    body["interactions"] = [interaction_body(item, with_feedback) for item in items]
    body["next_cursor"] = encode_cursor(items[-1].occurred_at, items[-1].id) if more else None
    return private(jsonify(body))


def journey_for_interaction(
    vault: CustomerVault, grant: BearerGrant, journey: Mapping[str, Any]
) -> uuid.UUID:
    """The journey an interaction names by reference (`journey` of its body), opened on first use.

    Raises:
        ValidationError: an invalid reference or title, named under `journey`.
    """
    try:
        found, _ = _open(vault, grant, journey["reference"], journey.get("title"))
    except ValidationError as error:
        raise ValidationError({f"journey.{name}": text for name, text in error.errors.items()}) from None
    return found.id


def check_journey_id(vault: CustomerVault, grant: BearerGrant, journey_id: uuid.UUID) -> None:
    """Check that an interaction's `journey_id` names a journey this business may see: one hidden from it
    is refused exactly like one that does not exist.

    Raises:
        ValidationError: naming `journey_id`.
    """
    try:
        get_journey(
            db_session(),
            vault=vault,
            journey_id=journey_id,
            business_id=grant.business_id,
            seen_by_business=True,
        )
    except NotFound:
        raise ValidationError({"journey_id": NOT_A_JOURNEY}) from None


def _open(
    vault: CustomerVault, grant: BearerGrant, reference: str, title: str | None
) -> tuple[Journey, bool]:
    found, opened = open_journey(
        db_session(),
        keyring=runtime().keyring,
        vault=vault,
        business_id=grant.business_id,
        reference=reference,
        title=title,
    )
    if opened:
        _log_opened(vault, grant, found)
    return found, opened


def _start(vault: CustomerVault, grant: BearerGrant, title: str | None) -> Journey:
    started = start_journey(
        db_session(),
        keyring=runtime().keyring,
        vault=vault,
        business_id=grant.business_id,
        title=title,
        opened_by="business",
    )
    _log_opened(vault, grant, started)
    return started


def _log_opened(vault: CustomerVault, grant: BearerGrant, journey: Journey) -> None:
    events.journey_opened(
        db_session(),
        vault=vault,
        grant_id=grant.id,
        business_id=grant.business_id,
        client_id=current_bearer().client.client_id,
        journey_id=journey.id,
    )


def _journey_body(journey: Journey) -> dict[str, Any]:
    return {
        "id": str(journey.id),
        "title": journey.title,
        "reference": journey.reference,
        "opened_by": journey.opened_by,
        "created_at": journey.created_at.isoformat(),
    }
