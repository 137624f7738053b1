"""Interaction history: every contact with every business, across channels, with the customer's feedback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class Journey:
    id: uuid.UUID
    title: str | None
    created_at: datetime


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
    interaction_id: uuid.UUID | None = None,
) -> Interaction:
    """Record one interaction in the customer's history (under `interaction_id` when the caller chose one).

    Raises:
        ValidationError: naming each invalid field (unknown business or journey included).
    """
    problems = v.Problems()
    clean = {
        "channel": v.choice(channel, "channel", problems, CHANNELS),
        "direction": v.choice(direction, "direction", problems, DIRECTIONS),
        "occurred_at": v.moment(occurred_at, "occurred_at", problems),
        "recorded_by": v.choice(recorded_by, "recorded_by", problems, RECORDERS),
        "business_id": _known_business(session, business_id, problems),
        "journey_id": _own_journey(session, vault, journey_id, problems),
    }
    sealed = {
        name: v.text(value, name, problems, max_length=LIMITS[name], required=name == "subject")
        for name, value in (("subject", subject), ("summary", summary), ("outcome", outcome))
    }
    problems.check()
    row = InteractionRow(id=interaction_id or uuid.uuid4(), customer_id=vault.customer_id, **clean)
    vault.seal_into(row, **sealed)
    session.add(row)
    session.flush()
    return _to_interaction(vault, row)


def _known_business(session: Session, business_id: Any, problems: v.Problems) -> uuid.UUID | None:
    business = v.reference(business_id, "business", problems)
    if business is not None and not business_exists(session, business):
        problems.add("business", "is not a known business")
    return business


def _own_journey(
    session: Session, vault: CustomerVault, journey_id: Any, problems: v.Problems
) -> uuid.UUID | None:
    if journey_id is None:
        return None
    journey = owned_row(session, JourneyRow, journey_id, vault)
    if journey is None:
        problems.add("journey_id", "is not one of this customer's journeys")
        return None
    return journey.id


def get_interaction(session: Session, *, vault: CustomerVault, interaction_id: uuid.UUID) -> Interaction:
    """Raises: NotFound: not one of this customer's interactions."""
    return _to_interaction(vault, _row(session, vault, interaction_id))


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
    limit: int = 50,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[Interaction]:
    """Return interactions newest first; pass the last one's (occurred_at, id) as `before` for the next page.

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
    )
    v.integer(limit, "limit", problems, low=1, high=MAX_PAGE)
    problems.check()
    query = select(InteractionRow).where(InteractionRow.customer_id == vault.customer_id, *filters)
    if not include_hidden:
        query = query.where(InteractionRow.hidden_at.is_(None))
    newest_first = query.order_by(InteractionRow.occurred_at.desc(), InteractionRow.id.desc()).limit(limit)
    return [_to_interaction(vault, row) for row in session.scalars(newest_first)]


def _timeline_filters(
    problems: v.Problems,
    *,
    business_id: Any,
    channel: Any,
    journey_id: Any,
    since: Any,
    until: Any,
    before: Any,
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
    if before is not None:
        checked.append(
            (
                _cursor(before, problems),
                lambda value: or_(
                    row.occurred_at < value[0], (row.occurred_at == value[0]) & (row.id < value[1])
                ),
            )
        )
    # A filter that failed its check is None; problems.check() refuses the query before it runs.
    return [condition(value) for value, condition in checked if value is not None]


def _cursor(before: Any, problems: v.Problems) -> tuple[datetime, uuid.UUID] | None:
    """Check a page cursor: the (occurred_at, id) of the last interaction of the previous page."""
    at, last_id = before if isinstance(before, tuple) and len(before) == 2 else (None, None)
    at, last_id = v.instant(at, "before", problems), v.reference(last_id, "before", problems)
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
    row = _row(session, vault, interaction_id)
    vault.seal_into(row, rating=clean_rating, feedback_comment=clean_comment)
    row.feedback_at = utcnow()
    session.flush()
    return _to_interaction(vault, row)


def update_interaction(
    session: Session, *, vault: CustomerVault, interaction_id: uuid.UUID, changes: Mapping[str, Any]
) -> Interaction:
    """Change the customer's own note or hide/unhide an interaction (`customer_note`, `hidden`).

    Raises:
        NotFound: not one of this customer's interactions.
        ValidationError: naming each unknown or invalid field.
    """
    problems = v.Problems()
    v.reject_unknown(changes, ("customer_note", "hidden"), problems)
    note = v.text(changes.get("customer_note"), "customer_note", problems, max_length=LIMITS["customer_note"])
    hidden = v.boolean(changes["hidden"], "hidden", problems) if "hidden" in changes else None
    problems.check()
    row = _row(session, vault, interaction_id)
    if "customer_note" in changes:
        vault.seal_into(row, customer_note=note)
    if hidden is not None:
        row.hidden_at = (row.hidden_at or utcnow()) if hidden else None
    session.flush()
    return _to_interaction(vault, row)


def delete_interaction(session: Session, *, vault: CustomerVault, interaction_id: uuid.UUID) -> None:
    """Raises: NotFound: not one of this customer's interactions."""
    session.delete(_row(session, vault, interaction_id))
    session.flush()


def start_journey(session: Session, *, vault: CustomerVault, title: str | None = None) -> Journey:
    """Open a journey: the thread that ties interactions about one issue together across channels.

    Raises:
        ValidationError: the title is too long.
    """
    problems = v.Problems()
    clean_title = v.text(title, "title", problems, max_length=200)
    problems.check()
    row = JourneyRow(id=uuid.uuid4(), customer_id=vault.customer_id, created_at=utcnow())
    vault.seal_into(row, title=clean_title)
    session.add(row)
    session.flush()
    return Journey(id=row.id, title=clean_title, created_at=row.created_at)


def list_journeys(session: Session, *, vault: CustomerVault) -> list[Journey]:
    rows = session.scalars(
        select(JourneyRow)
        .where(JourneyRow.customer_id == vault.customer_id)
        .order_by(JourneyRow.created_at.desc())
    )
    return [
        Journey(id=row.id, title=vault.open_from(row, ["title"])["title"], created_at=row.created_at)
        for row in rows
    ]


def journey_timeline(
    session: Session, *, vault: CustomerVault, journey_id: uuid.UUID
) -> Sequence[Interaction]:
    """Return a journey's interactions in the order they happened, across every channel.

    Raises:
        NotFound: not one of this customer's journeys.
    """
    journey = owned_row(session, JourneyRow, journey_id, vault)
    if journey is None:
        raise NotFound("no such journey")
    steps: list[Interaction] = []
    while page := list_interactions(
        session,
        vault=vault,
        journey_id=journey.id,
        include_hidden=True,
        limit=MAX_PAGE,
        before=(steps[-1].occurred_at, steps[-1].id) if steps else None,
    ):
        steps += page
    return steps[::-1]


def _row(session: Session, vault: CustomerVault, interaction_id: Any) -> InteractionRow:
    row = owned_row(session, InteractionRow, interaction_id, vault)
    if row is None:
        raise NotFound("no such interaction")
    return row


def _to_interaction(vault: CustomerVault, row: InteractionRow) -> Interaction:
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
        **opened,
    )
