"""Contact decisions: before contacting customers, a business asks, in bulk, and must respect the answer.

Items are checked by hand rather than by a marshmallow schema: a batch holds up to 10,000 of them and the
check must cost microseconds each. Every problem is still named by its place (`items[3].channel`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from flask import Blueprint, Response, request

from vrm.api.bearer import current_bearer, requires
from vrm.consent import events
from vrm.consent.policy import ContactQuestion, decide_contacts
from vrm.db import utcnow, write_transaction
from vrm.errors import ValidationError
from vrm.metrics import CONTACT_DECISIONS
from vrm.serving.request_scope import db_session, reads_only, runtime
from vrm.vault.vocabulary import CHANNELS, PURPOSES

contact_api = Blueprint("contact_api", __name__, url_prefix="/api/v1")
MAX_ITEMS = 10_000
MAX_BODY = 4 * 1024 * 1024  # 10,000 questions of up to ~400 bytes each
MAX_REPORTED = 20  # problems listed before the rest are summed up
ITEM_FIELDS = {"customer", "channel", "purpose", "at"}


@contact_api.post("/contact-decisions")
@reads_only  # the batch is read without the write lock; its log entry is written in a transaction of its own
@requires(customer=False)
def contact_decisions() -> Response:
    """Answer each question in order; a deny always says why."""
    items = _items()
    now = utcnow()
    questions = _parse(items, now)
    client, keyring = current_bearer().client, runtime().keyring
    decided = decide_contacts(
        db_session(), keyring=keyring, business_id=client.business_id, questions=questions, now=now
    )
    # The batch was read in one transaction; its log entry is written in another, which waits for the
    # write lock rather than failing because another writer committed while the batch was read. No answer
    # leaves unlogged: if the entry cannot be written, the call fails.
    db_session().commit()
    with write_transaction(runtime().sessions) as session:
        events.contact_decided(
            session,
            keyring=keyring,
            business_id=client.business_id,
            client_id=client.client_id,
            questions=questions,
            decisions=decided.answers,
            customers=decided.denied,
        )
    allowed = sum(1 for allowed, _reason in decided.answers if allowed)
    CONTACT_DECISIONS.labels("allow").inc(allowed)
    CONTACT_DECISIONS.labels("deny").inc(len(decided.answers) - allowed)
    answer = [
        {"customer": q.customer, "allowed": True}
        if allowed
        else {"customer": q.customer, "allowed": False, "reason": reason}
        for q, (allowed, reason) in zip(questions, decided.answers, strict=True)
    ]
    response = Response(orjson.dumps({"decisions": answer}), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _items() -> list[Any]:
    # A full batch with times runs past the app-wide body limit; parsed with orjson, as it is 10,000 items.
    request.max_content_length = MAX_BODY
    try:
        body = orjson.loads(request.get_data(cache=False)) if request.is_json else None
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object (Content-Type: application/json)"})
    unknown = sorted(set(body) - {"items"})
    items = body.get("items")
    if unknown or not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError({"items": f"must be a list of 1 to {MAX_ITEMS} questions, and the only field"})
    return items


def _parse(items: list[Any], now: datetime) -> list[ContactQuestion]:
    parsed: list[ContactQuestion] = []
    problems: dict[str, str] = {}
    moments: dict[str | None, datetime | None] = {None: now}  # a batch mostly asks about one time
    for index, item in enumerate(items):
        if type(item) is dict:
            sub, channel, purpose, at = (
                item.get("customer"),
                item.get("channel"),
                item.get("purpose"),
                item.get("at"),
            )
            if at is None or type(at) is str:  # anything else is unhashable or wrong anyway
                when = moments[at] if at in moments else moments.setdefault(at, _moment(at, now))
            else:
                when = None
            if (
                type(sub) is str
                and 0 < len(sub) <= 64
                and "\x00" not in sub  # PostgreSQL text cannot hold NUL: refused, not a failed query
                and channel in CHANNELS
                and purpose in PURPOSES
                and when is not None
                and item.keys() <= ITEM_FIELDS
            ):
                parsed.append(ContactQuestion(sub, channel, purpose, when))
                continue
            problems.update(_problems(f"items[{index}]", item, when))
        else:
            problems[f"items[{index}]"] = "must be an object with customer, channel and purpose"
        if len(problems) >= MAX_REPORTED:
            problems["items"] = f"stopped checking at item {index}: fix these first"
            break
    if problems:
        raise ValidationError(problems)
    return parsed


def _problems(where: str, item: dict[str, Any], when: datetime | None) -> dict[str, str]:
    """Everything wrong with one question, each named by its place (`items[3].channel`)."""
    problems = {}
    sub = item.get("customer")
    if not isinstance(sub, str) or not 0 < len(sub) <= 64 or "\x00" in sub:
        problems[f"{where}.customer"] = "must be the customer's id as this API gave it"
    if item.get("channel") not in CHANNELS:
        problems[f"{where}.channel"] = f"must be one of: {', '.join(CHANNELS)}"
    if item.get("purpose") not in PURPOSES:
        problems[f"{where}.purpose"] = f"must be one of: {', '.join(PURPOSES)}"
    if when is None:
        problems[f"{where}.at"] = "must be an RFC 3339 date-time with a time zone, within a year from now"
    if unknown := sorted(map(str, set(item) - ITEM_FIELDS)):
        problems[where] = f"has unknown fields: {', '.join(unknown)[:100]}"
    return problems


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
