"""Journeys as the customer's pages read them: the journeys of the interactions on a page (by id), a short
list of the newest journeys with each company to choose from, a journey's thread a page at a time, and the
channels each journey went through. Every read is bounded, however many journeys the customer keeps."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.vault.interactions import MAX_PAGE, Interaction, list_interactions
from vrm.vault.journeys import Journey, get_journey, to_journey
from vrm.vault.models import Interaction as InteractionRow
from vrm.vault.models import Journey as JourneyRow
from vrm.vault.seal import CustomerVault


@dataclass(frozen=True)
class Shortlist:
    """The newest journeys with one company, newest first; `more` when older ones were left out."""

    journeys: list[Journey]
    more: bool


def journeys_by_id(
    session: Session, *, vault: CustomerVault, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Journey]:
    """The customer's journeys among these ids, by id, in one query (another customer's ids find none)."""
    wanted = set(journey_ids)
    if not wanted:
        return {}
    row = JourneyRow
    found = session.scalars(select(row).where(row.customer_id == vault.customer_id, row.id.in_(wanted)))
    return {journey.id: to_journey(vault, journey) for journey in found}


def newest_journeys(
    session: Session,
    *,
    vault: CustomerVault,
    per_business: int,
    business_ids: Iterable[uuid.UUID] | None = None,
) -> dict[uuid.UUID, Shortlist]:
    """The `per_business` newest journeys with each company (with these companies only, if given), in one
    query; a company without journeys is absent.

    Raises:
        ValidationError: `per_business` outside 1..500.
    """
    problems = v.Problems()
    v.integer(per_business, "per_business", problems, low=1, high=MAX_PAGE)
    problems.check()
    row = JourneyRow
    newest = (row.created_at.desc(), row.id.desc())
    rank = func.row_number().over(partition_by=row.business_id, order_by=newest).label("rank")
    ranked = select(row.id, rank).where(row.customer_id == vault.customer_id)
    if business_ids is not None:
        ranked = ranked.where(row.business_id.in_(set(business_ids)))
    ranks = ranked.subquery()
    # One more than asked for each company tells whether any were left out.
    query = select(row).join(ranks, ranks.c.id == row.id).where(ranks.c.rank <= per_business + 1)
    grouped: dict[uuid.UUID, list[Journey]] = {}
    for found in session.scalars(query.order_by(row.business_id, *newest)):
        grouped.setdefault(found.business_id, []).append(to_journey(vault, found))
    return {
        business: Shortlist(journeys[:per_business], len(journeys) > per_business)
        for business, journeys in grouped.items()
    }


def journey_timeline(
    session: Session,
    *,
    vault: CustomerVault,
    journey_id: Any,
    limit: int = MAX_PAGE,
    after: Any = None,
) -> list[Interaction]:
    """Return a page of a journey's interactions in the order they happened, across every channel; pass
    the last one's (occurred_at, id) as `after` for the next page.

    Raises:
        NotFound: not one of this customer's journeys.
        ValidationError: a limit outside 1..500, or an `after` that is no (aware datetime, id) pair.
    """
    journey = get_journey(session, vault=vault, journey_id=journey_id)
    return list_interactions(
        session,
        vault=vault,
        journey_id=journey.id,
        include_hidden=True,
        limit=limit,
        oldest_first=True,
        after=after,
    )


def steps_before(session: Session, *, vault: CustomerVault, step: Interaction) -> int:
    """How many interactions of `step`'s journey come before it in the thread (0 outside a journey)."""
    row = InteractionRow
    earlier = or_(
        row.occurred_at < step.occurred_at, (row.occurred_at == step.occurred_at) & (row.id < step.id)
    )
    count = select(func.count()).where(
        row.customer_id == vault.customer_id, row.journey_id == step.journey_id, earlier
    )
    return 0 if step.journey_id is None else int(session.scalar(count) or 0)


def journey_channels(
    session: Session, *, vault: CustomerVault, journey_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The channels of each journey's interactions, in the order they happened (nothing to unseal)."""
    wanted = set(journey_ids)
    if not wanted:
        return {}
    row = InteractionRow
    steps = session.execute(
        select(row.journey_id, row.channel)
        .where(row.customer_id == vault.customer_id, row.journey_id.in_(wanted))
        .order_by(row.occurred_at, row.id)
    )
    paths: dict[uuid.UUID, list[str]] = {}
    for journey_id, channel in steps:
        if journey_id is not None:  # always, as the query asks for these journeys only
            paths.setdefault(journey_id, []).append(channel)
    return paths
