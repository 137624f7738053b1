"""Interaction history: every contact with every business, across channels, with the customer's feedback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.db import utcnow
from vrm.errors import NotFound
from vrm.vault.models import Interaction as InteractionRow
from vrm.vault.models import Journey as JourneyRow
from vrm.vault.rows import business_exists, owned_row
from vrm.vault.seal import CustomerVault
from vrm.vault.vocabulary import CHANNELS, DIRECTIONS

SEALED = ("subject", "summary", "outcome", "rating", "feedback_comment", "customer_note")
LIMITS = {
    "subject": 200,
    "summary": 10_000,
    "outcome": 2_000,
    "feedback_comment": 2_000,
    "customer_note": 5_000,
}
RECORDERS = ("business", "customer")
MAX_PAGE = 500
NOT_A_JOURNEY = "is not one of this customer's journeys with this company"


@dataclass(frozen=True)
class Interaction:
    id: uuid.UUID
    business_id: uuid.UUID
    journey_id: uuid.UUID | None
    channel: str
    direction: str
    occurred_at: datetime
    recorded_by: str
    subject: str | None
    summary: str | None
    outcome: str | None
    rating: int | None
    feedback_comment: str | None
    feedback_at: datetime | None
    customer_note: str | None
    hidden: bool
    shared: bool


def add_interaction(
    session: Session,
    *,
    vault: CustomerVault,
    business_id: uuid.UUID,
    channel: str,
    direction: str,
    occurred_at: datetime | str,
    subject: str | None,
    summary: str | None = None,
    outcome: str | None = None,
    journey_id: uuid.UUID | None = None,
    recorded_by: str = "business",
    shared: bool | None = None,
    interaction_id: uuid.UUID | None = None,
) -> Interaction:
    """Record one interaction in the customer's history (under `interaction_id` when the caller chose one).

    What a business records is shared with it; what the customer records is private unless `shared`.

    Raises:
        ValidationError: naming each invalid field (unknown business, a journey of another business).
    """
    problems = v.Problems()
    clean = {
        "channel": v.choice(channel, "channel", problems, CHANNELS),
        "direction": v.choice(direction, "direction", problems, DIRECTIONS),
        "occurred_at": v.moment(occurred_at, "occurred_at", problems),
        "recorded_by": v.choice(recorded_by, "recorded_by", problems, RECORDERS),
        "shared": _sharing(recorded_by, shared, problems),
        "business_id": known_business(session, business_id, problems),
    }
    clean["journey_id"] = journey_of_business(session, vault, journey_id, clean["business_id"], problems)
    sealed = {
        name: v.text(value, name, problems, max_length=LIMITS[name], required=name == "subject")
        for name, value in (("subject", subject), ("summary", summary), ("outcome", outcome))
    }
    problems.check()
    row = InteractionRow(id=interaction_id or uuid.uuid4(), customer_id=vault.customer_id, **clean)
    vault.seal_into(row, **sealed)
    session.add(row)
    session.flush()
    return to_interaction(vault, row)


def known_business(session: Session, business_id: Any, problems: v.Problems) -> uuid.UUID | None:
    business = v.reference(business_id, "business", problems)
    if business is not None and not business_exists(session, business):
        problems.add("business", "is not a known business")
    return business


def journey_of_business(
    session: Session, vault: CustomerVault, journey_id: Any, business_id: Any, problems: v.Problems
) -> uuid.UUID | None:
    """Check that a journey is the customer's and with this business: a journey follows one company."""
    if journey_id is None:
        return None
    journey = owned_row(session, JourneyRow, journey_id, vault)
    if journey is None or (business_id is not None and journey.business_id != business_id):
        problems.add("journey_id", NOT_A_JOURNEY)
        return None
    return journey.id


def _sharing(recorded_by: Any, shared: Any, problems: v.Problems) -> bool:
    """Whether the business sees the interaction: always what it recorded itself."""
    if recorded_by != "customer":
        if shared is False:
            problems.add("shared", "is always on for what a company recorded")
        return True
    return bool(v.boolean(shared, "shared", problems)) if shared is not None else False


def get_interaction(session: Session, *, vault: CustomerVault, interaction_id: uuid.UUID) -> Interaction:
    """Raises: NotFound: not one of this customer's interactions."""
    return to_interaction(vault, own_row(session, vault, interaction_id))


def list_interactions(
    session: Session,
    *,
    vault: CustomerVault,
    business_id: uuid.UUID | None = None,
    channel: str | None = None,
    journey_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_hidden: bool = False,
    shared_only: bool = False,
    limit: int = 50,
    before: tuple[datetime, uuid.UUID] | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
    oldest_first: bool = False,
) -> list[Interaction]:
    """Return interactions newest first (or `oldest_first`); pass the last one's (occurred_at, id) as
    `before` (or `after`, oldest first) for the next page.

    Raises:
        ValidationError: an unknown channel or a limit outside 1..500.
    """
    problems = v.Problems()
    filters = _timeline_filters(
        problems,
        business_id=business_id,
        channel=channel,
        journey_id=journey_id,
        since=since,
        until=until,
        before=before,
        after=after,
    )
    v.integer(limit, "limit", problems, low=1, high=MAX_PAGE)
    problems.check()
    row = InteractionRow
    query = select(row).where(row.customer_id == vault.customer_id, *filters)
    if not include_hidden:
        query = query.where(row.hidden_at.is_(None))
    if shared_only:
        query = query.where(row.shared.is_(True))
    order = (row.occurred_at, row.id) if oldest_first else (row.occurred_at.desc(), row.id.desc())
    return [to_interaction(vault, found) for found in session.scalars(query.order_by(*order).limit(limit))]


def _timeline_filters(
    problems: v.Problems,
    *,
    business_id: Any,
    channel: Any,
    journey_id: Any,
    since: Any,
    until: Any,
    before: Any,
    after: Any = None,
) -> list[ColumnElement[bool]]:
    """Check the timeline's filters and turn the given ones into SQL conditions."""
    row = InteractionRow
    checked: list[tuple[Any, Callable[[Any], ColumnElement[bool]]]] = []
    if business_id is not None:
        checked.append(
            (v.reference(business_id, "business", problems), lambda value: row.business_id == value)
        )
    if channel is not None:
        checked.append((v.choice(channel, "channel", problems, CHANNELS), lambda value: row.channel == value))
    if journey_id is not None:
        checked.append(
            (v.reference(journey_id, "journey_id", problems), lambda value: row.journey_id == value)
        )
    if since is not None:
        checked.append((v.instant(since, "since", problems), lambda value: row.occurred_at >= value))
    if until is not None:
        checked.append((v.instant(until, "until", problems), lambda value: row.occurred_at < value))
    for cursor, field, newer in ((before, "before", False), (after, "after", True)):
        if cursor is not None:
            checked.append((page_cursor(cursor, problems, field), partial(_beyond, newer=newer)))
    # A filter that failed its check is None; problems.check() refuses the query before it runs.
    return [condition(value) for value, condition in checked if value is not None]


def _beyond(last: tuple[datetime, uuid.UUID], *, newer: bool) -> ColumnElement[bool]:
    """The rows past a page's last (occurred_at, id): older ones, or `newer` ones for pages oldest first."""
    row, (at, last_id) = InteractionRow, last
    if newer:
        return or_(row.occurred_at > at, (row.occurred_at == at) & (row.id > last_id))
    return or_(row.occurred_at < at, (row.occurred_at == at) & (row.id < last_id))


def page_cursor(
    cursor: Any, problems: v.Problems, field: str = "before"
) -> tuple[datetime, uuid.UUID] | None:
    """Check a page cursor: the (moment, id) of the last row of the previous page, such as an interaction's
    (occurred_at, id) or a journey's (created_at, id); the moment aware and from 1900 on."""
    at, last_id = cursor if isinstance(cursor, tuple) and len(cursor) == 2 else (None, None)
    at, last_id = v.instant(at, field, problems), v.reference(last_id, field, problems)
    return None if at is None or last_id is None else (at, last_id)


def record_feedback(
    session: Session,
    *,
    vault: CustomerVault,
    interaction_id: uuid.UUID,
    rating: int,
    comment: str | None = None,
) -> Interaction:
    """Store the customer's rating (1-5) and comment on an interaction, replacing earlier feedback.

    Raises:
        NotFound: not one of this customer's interactions.
        ValidationError: the rating is not 1-5 or the comment too long.
    """
    problems = v.Problems()
    clean_rating = v.integer(rating, "rating", problems, low=1, high=5)
    clean_comment = v.text(comment, "feedback_comment", problems, max_length=LIMITS["feedback_comment"])
    problems.check()
    row = own_row(session, vault, interaction_id)
    vault.seal_into(row, rating=clean_rating, feedback_comment=clean_comment)
    row.feedback_at = utcnow()
    session.flush()
    return to_interaction(vault, row)


def update_interaction(
    session: Session, *, vault: CustomerVault, interaction_id: uuid.UUID, changes: Mapping[str, Any]
) -> Interaction:
    """Change the customer's own note, hide/unhide an interaction, or share/unshare one the customer
    recorded (`customer_note`, `hidden`, `shared`).

    Raises:
        NotFound: not one of this customer's interactions.
        ValidationError: naming each unknown or invalid field.
    """
    problems = v.Problems()
    v.reject_unknown(changes, ("customer_note", "hidden", "shared"), problems)
    note = v.text(changes.get("customer_note"), "customer_note", problems, max_length=LIMITS["customer_note"])
    hidden = v.boolean(changes["hidden"], "hidden", problems) if "hidden" in changes else None
    shared = v.boolean(changes["shared"], "shared", problems) if "shared" in changes else None
    problems.check()
    row = own_row(session, vault, interaction_id)
    if shared is not None:
        _sharing(row.recorded_by, shared, problems)
        problems.check()
        row.shared = shared
    if "customer_note" in changes:
        vault.seal_into(row, customer_note=note)
    if hidden is not None:
        row.hidden_at = (row.hidden_at or utcnow()) if hidden else None
    session.flush()
    return to_interaction(vault, row)


def delete_interaction(session: Session, *, vault: CustomerVault, interaction_id: uuid.UUID) -> None:
    """Raises: NotFound: not one of this customer's interactions."""
    session.delete(own_row(session, vault, interaction_id))
    session.flush()


def own_row(session: Session, vault: CustomerVault, interaction_id: Any) -> InteractionRow:
    """Raises: NotFound: not one of this customer's interactions."""
    row = owned_row(session, InteractionRow, interaction_id, vault)
    if row is None:
        raise NotFound("no such interaction")
    return row


def to_interaction(vault: CustomerVault, row: InteractionRow) -> Interaction:
    """Open an interaction row into what the services hand out."""
    opened = vault.open_from(row, SEALED)
    return Interaction(
        id=row.id,
        business_id=row.business_id,
        journey_id=row.journey_id,
        channel=row.channel,
        direction=row.direction,
        occurred_at=row.occurred_at,
        recorded_by=row.recorded_by,
        feedback_at=row.feedback_at,
        hidden=row.hidden_at is not None,
        shared=row.shared,
        **opened,
    )
