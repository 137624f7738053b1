"""Journeys: one issue with one business, followed across channels, so no one restarts the story.

A business opens one under its own reference (a ticket or case number) and continues it on every channel;
the customer opens their own, groups interactions with that company into it, moves them out and titles it.
A reference is sealed like any text and found through a keyed HMAC of business, customer and reference
(`reference_index`): the same reference of two businesses, or for two customers, names two journeys.

A business sees a journey (`business_sees`) only if it opened it, or if the journey holds an interaction
the business may see (its own, or one the customer shared): a journey the customer opened and keeps to
themselves, and its title, stay the customer's.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, exists, or_, select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.crypto.derive import journey_reference_index
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.errors import NotFound, ValidationError
from vrm.vault.interactions import (
    MAX_PAGE,
    Interaction,
    journey_of_business,
    known_business,
    own_row,
    page_cursor,
    to_interaction,
)
from vrm.vault.models import Interaction as InteractionRow
from vrm.vault.models import Journey as JourneyRow
from vrm.vault.rows import owned_row
from vrm.vault.seal import CustomerVault

TITLE_LIMIT = 200
REFERENCE_LIMIT = 100
OPENERS = ("business", "customer")
TAKEN = "already names another journey with this company"


@dataclass(frozen=True)
class Journey:
    id: uuid.UUID
    business_id: uuid.UUID
    title: str | None
    reference: str | None
    opened_by: str
    created_at: datetime


def clean_reference(value: Any, field: str, problems: v.Problems) -> str | None:
    """Return a reference NFC-normalized and trimmed: 1 to 100 printable characters, no control ones."""
    cleaned = unicodedata.normalize("NFC", value).strip() if v.is_text(value) else ""
    if not 0 < len(cleaned) <= REFERENCE_LIMIT or not cleaned.isprintable():
        problems.add(
            field, f"must be 1 to {REFERENCE_LIMIT} printable characters, without control characters"
        )
        return None
    return cleaned


def start_journey(
    session: Session,
    *,
    keyring: KeyRing,
    vault: CustomerVault,
    business_id: uuid.UUID,
    title: str | None = None,
    reference: str | None = None,
    opened_by: str = "customer",
) -> Journey:
    """Open a journey with one business, named by the business's `reference` when it has one.

    Raises:
        ValidationError: an unknown business, a title over 200 characters, an invalid reference or one
            that already names another journey of this business with this customer.
    """
    problems = v.Problems()
    row = _new_row(session, vault, problems, business_id=business_id, title=title, opened_by=opened_by)
    clean = None if reference is None else clean_reference(reference, "reference", problems)
    problems.check()
    if clean is not None:
        _name(row, keyring, vault, clean)
    try:
        with session.begin_nested():
            session.add(row)
    except DatabaseIntegrityError:
        raise ValidationError({"reference": TAKEN}) from None
    return to_journey(vault, row)


def open_journey(
    session: Session,
    *,
    keyring: KeyRing,
    vault: CustomerVault,
    business_id: uuid.UUID,
    reference: Any,
    title: str | None = None,
) -> tuple[Journey, bool]:
    """Return the business's journey with the customer under `reference`, opening it on first use (then
    True); an existing journey keeps its title.

    Raises:
        ValidationError: an invalid reference, or a title over 200 characters.
    """
    problems = v.Problems()
    clean = clean_reference(reference, "reference", problems)
    v.text(title, "title", problems, max_length=TITLE_LIMIT)
    problems.check()
    assert clean is not None
    found = find_journey(session, keyring=keyring, vault=vault, business_id=business_id, reference=clean)
    if found is not None:
        return found, False
    try:
        opened = start_journey(
            session,
            keyring=keyring,
            vault=vault,
            business_id=business_id,
            title=title,
            reference=clean,
            opened_by="business",
        )
    except ValidationError as error:
        # Another request opened it between the lookup and the insert (the unique index held): use theirs.
        again = find_journey(session, keyring=keyring, vault=vault, business_id=business_id, reference=clean)
        if again is None:
            raise error from None
        return again, False
    return opened, True


def find_journey(
    session: Session,
    *,
    keyring: KeyRing,
    vault: CustomerVault,
    business_id: uuid.UUID,
    reference: Any,
    seen_by_business: bool = False,
) -> Journey | None:
    """The business's journey with the customer under `reference`, if there is one (and, with
    `seen_by_business`, if the business may see it).

    Raises:
        ValidationError: the reference is not 1 to 100 printable characters.
    """
    problems = v.Problems()
    clean = clean_reference(reference, "reference", problems)
    problems.check()
    assert clean is not None
    index = journey_reference_index(keyring.journey_reference_key, business_id, vault.customer_id, clean)
    query = select(JourneyRow).where(
        JourneyRow.customer_id == vault.customer_id,
        JourneyRow.business_id == business_id,
        JourneyRow.reference_index == index,
    )
    row = session.scalar(query.where(shown_to_business()) if seen_by_business else query)
    return None if row is None else to_journey(vault, row)


def get_journey(
    session: Session,
    *,
    vault: CustomerVault,
    journey_id: Any,
    business_id: uuid.UUID | None = None,
    seen_by_business: bool = False,
) -> Journey:
    """Return one of the customer's journeys (with `business_id`, only one with that business; with
    `seen_by_business` too, only one that business may see).

    Raises:
        NotFound: not one of this customer's journeys, not of that business, or hidden from it.
    """
    row = _own(session, vault, journey_id, business_id)
    if seen_by_business and not _seen(session, row):
        raise NotFound("no such journey")  # exactly like a journey that does not exist
    return to_journey(vault, row)


def business_sees(session: Session, *, vault: CustomerVault, journey_id: Any) -> bool:
    """Whether the journey's business may see it (and its title): it opened it, or may see something in it.

    Raises:
        NotFound: not one of this customer's journeys.
    """
    return _seen(session, _own(session, vault, journey_id, None))


def shown_to_business() -> ColumnElement[bool]:
    """The journeys their business may see: opened by it, or holding an interaction it may see (what it
    recorded, or what the customer shared with it)."""
    row = JourneyRow
    return or_(row.opened_by == "business", _holds_visible_step(row.id, row.business_id))


def _holds_visible_step(journey_id: Any, business_id: Any) -> Exists:
    """Whether the journey holds an interaction its business may see (the SQL test, for a row or a value)."""
    step = InteractionRow
    return exists().where(
        step.journey_id == journey_id, step.business_id == business_id, step.shared.is_(True)
    )


def list_journeys(
    session: Session,
    *,
    vault: CustomerVault,
    business_id: uuid.UUID | None = None,
    seen_by_business: bool = False,
    limit: int = MAX_PAGE,
    before: Any = None,
) -> list[Journey]:
    """Return the customer's journeys (with one business, if given; with `seen_by_business`, only those
    their business may see) newest first; pass the last one's (created_at, id) as `before` for the next page.

    Raises:
        ValidationError: a limit outside 1..500, or a `before` that is no (aware datetime, id) pair.
    """
    problems = v.Problems()
    v.integer(limit, "limit", problems, low=1, high=MAX_PAGE)
    last_seen = None if before is None else page_cursor(before, problems)
    problems.check()
    row = JourneyRow
    query = select(row).where(row.customer_id == vault.customer_id)
    if business_id is not None:
        query = query.where(row.business_id == business_id)
    if seen_by_business:
        query = query.where(shown_to_business())
    if last_seen is not None:
        at, last = last_seen
        query = query.where(or_(row.created_at < at, (row.created_at == at) & (row.id < last)))
    newest_first = query.order_by(row.created_at.desc(), row.id.desc()).limit(limit)
    return [to_journey(vault, found) for found in session.scalars(newest_first)]


def rename_journey(session: Session, *, vault: CustomerVault, journey_id: Any, title: Any) -> Journey:
    """Give a journey the customer's title (blank removes it).

    Raises:
        NotFound: not one of this customer's journeys.
        ValidationError: the title is over 200 characters.
    """
    problems = v.Problems()
    clean = v.text(title, "title", problems, max_length=TITLE_LIMIT)
    problems.check()
    row = _own(session, vault, journey_id, None)
    vault.seal_into(row, title=clean)
    session.flush()
    return to_journey(vault, row)


def move_interaction(
    session: Session, *, vault: CustomerVault, interaction_id: Any, journey_id: Any
) -> Interaction:
    """Put an interaction into one of the customer's journeys with the same company, or out (None).

    Raises:
        NotFound: not one of this customer's interactions.
        ValidationError: the journey is not the customer's, or is with another company.
    """
    row = own_row(session, vault, interaction_id)
    problems = v.Problems()
    target = journey_of_business(session, vault, journey_id, row.business_id, problems)
    problems.check()
    row.journey_id = target
    session.flush()
    return to_interaction(vault, row)


def _new_row(
    session: Session,
    vault: CustomerVault,
    problems: v.Problems,
    *,
    business_id: Any,
    title: Any,
    opened_by: Any,
) -> JourneyRow:
    row = JourneyRow(
        id=uuid.uuid4(),
        customer_id=vault.customer_id,
        business_id=known_business(session, business_id, problems),
        opened_by=v.choice(opened_by, "opened_by", problems, OPENERS),
        created_at=utcnow(),
    )
    vault.seal_into(row, title=v.text(title, "title", problems, max_length=TITLE_LIMIT))
    return row


def _name(row: JourneyRow, keyring: KeyRing, vault: CustomerVault, reference: str) -> None:
    key = keyring.journey_reference_key
    row.reference_index = journey_reference_index(key, row.business_id, vault.customer_id, reference)
    vault.seal_into(row, reference=reference)


def _own(
    session: Session, vault: CustomerVault, journey_id: Any, business_id: uuid.UUID | None
) -> JourneyRow:
    row = owned_row(session, JourneyRow, journey_id, vault)
    if row is None or (business_id is not None and row.business_id != business_id):
        raise NotFound("no such journey")
    return row


def _seen(session: Session, row: JourneyRow) -> bool:
    return row.opened_by == "business" or bool(
        session.scalar(select(_holds_visible_step(row.id, row.business_id)))
    )


def to_journey(vault: CustomerVault, row: JourneyRow) -> Journey:
    opened = vault.open_from(row, ("title", "reference"))
    return Journey(
        id=row.id,
        business_id=row.business_id,
        opened_by=row.opened_by,
        created_at=row.created_at,
        **opened,
    )
