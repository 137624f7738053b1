"""Contact decisions: before contacting customers, a business asks, in bulk, and must respect the answer.

Items are checked by hand rather than by a marshmallow schema: a batch holds up to 10,000 of them and the
check must cost microseconds each. Every problem is still named by its place (`items[3].channel`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request

from vrm.api.bearer import current_bearer, requires
from vrm.consent.policy import ContactQuestion, decide_contacts
from vrm.db import utcnow
from vrm.errors import ValidationError
from vrm.oauth.pairwise import customers_for
from vrm.serving.request_scope import db_session, runtime
from vrm.vault.vocabulary import CHANNELS, PURPOSES

contact_api = Blueprint("contact_api", __name__, url_prefix="/api/v1")
MAX_ITEMS = 10_000
MAX_REPORTED = 20  # problems listed before the rest are summed up
ITEM_FIELDS = {"customer", "channel", "purpose", "at"}


@contact_api.post("/contact-decisions")
@requires(customer=False)
def contact_decisions() -> Response:
    """Answer each question in order; a deny always says why."""
    items = _items()
    now = utcnow()
    parsed = _parse(items, now)
    business_id = current_bearer().client.business_id
    known = customers_for(db_session(), business_id=business_id, subjects=[sub for sub, *_ in parsed])
    questions = [
        ContactQuestion(known.get(sub), channel, purpose, at) for sub, channel, purpose, at in parsed
    ]
    decisions = decide_contacts(
        db_session(), keyring=runtime().keyring, business_id=business_id, questions=questions, now=now
    )
    answer = [
        {"customer": sub, "allowed": True}
        if d.allowed
        else {"customer": sub, "allowed": False, "reason": d.reason}
        for (sub, *_), d in zip(parsed, decisions, strict=True)
    ]
    response = jsonify(decisions=answer)
    response.headers["Cache-Control"] = "no-store"
    return response


def _items() -> list[Any]:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object (Content-Type: application/json)"})
    unknown = sorted(set(body) - {"items"})
    items = body.get("items")
    if unknown or not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError({"items": f"must be a list of 1 to {MAX_ITEMS} questions, and the only field"})
    return items


def _parse(items: list[Any], now: datetime) -> list[tuple[str, str, str, datetime]]:
    parsed: list[tuple[str, str, str, datetime]] = []
    problems: dict[str, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems[f"items[{index}]"] = "must be an object with customer, channel and purpose"
            continue
        sub, channel, purpose, at = (
            item.get("customer"),
            item.get("channel"),
            item.get("purpose"),
            item.get("at"),
        )
        where = f"items[{index}]"
        if not isinstance(sub, str) or not 0 < len(sub) <= 64:
            problems[f"{where}.customer"] = "must be the customer's id as this API gave it"
        if channel not in CHANNELS:
            problems[f"{where}.channel"] = f"must be one of: {', '.join(CHANNELS)}"
        if purpose not in PURPOSES:
            problems[f"{where}.purpose"] = f"must be one of: {', '.join(PURPOSES)}"
        when = now if at is None else _moment(at, now)
        if when is None:
            problems[f"{where}.at"] = "must be an RFC 3339 date-time with a time zone, within a year from now"
        if set(item) - ITEM_FIELDS:
            problems[f"{where}"] = (
                f"has unknown fields: {', '.join(sorted(map(str, set(item) - ITEM_FIELDS)))[:100]}"
            )
        if len(problems) >= MAX_REPORTED:
            problems["items"] = f"stopped checking at item {index}: fix these first"
            break
        if not problems:
            parsed.append((sub, channel, purpose, when))  # type: ignore[arg-type]
    if problems:
        raise ValidationError(problems)
    return parsed


def _moment(value: Any, now: datetime) -> datetime | None:
    """An RFC 3339 date-time with its zone, from a day ago to a year ahead (decisions are about now)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed if now - timedelta(days=1) <= parsed <= now + timedelta(days=366) else None
