"""Grants: a customer lets a business see some data categories for a purpose, until a date, and may narrow
or withdraw that at any time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import not_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.consent import events
from vrm.consent.models import Grant, GrantTerms
from vrm.consent.scopes import categories_read, scope_names, scope_text
from vrm.crypto.keyring import KeyRing
from vrm.db import claimed, utcnow
from vrm.errors import NotFound
from vrm.vault.rows import business_exists
from vrm.vault.vocabulary import PURPOSES

UTC_ZONE = ZoneInfo("UTC")
LONGEST = timedelta(days=365)  # the default, and the most a customer can be asked for
ENDED_SHOWN = 50
READ_NOTED_EVERY = timedelta(minutes=1)
WITHDRAWN, REPLACED = "withdrawn", "replaced"  # why a grant ended before its time (Grant.end_reason)


def grant_access(
    session: Session,
    *,
    keyring: KeyRing,
    customer_id: uuid.UUID,
    business_id: uuid.UUID,
    purpose: Any,
    scopes: Any,
    requested_scopes: Any = None,
    expires_at: Any = None,
    supersede: bool = False,
    client_id: str | None = None,
) -> Grant:
    """Record consent: `scopes` (a part of `requested_scopes`) for `purpose` until `expires_at`.

    Raises:
        ValidationError: naming each bad field (unknown scope or purpose, an expiry past a year...).

    With `supersede`, the customer's earlier live grants to this business for this purpose end now.
    Each is recorded in the consent log, naming the OAuth client that asked (`client_id`) if one did.
    """
    problems = v.Problems()
    now = utcnow()
    requested = scope_names(
        scopes if requested_scopes is None else requested_scopes, "requested_scopes", problems
    )
    granted = scope_names(scopes, "scopes", problems)
    if granted and requested and not granted <= requested:
        problems.add("scopes", "must be a part of what the business asked for")
    v.choice(purpose, "purpose", problems, PURPOSES)
    until = now + LONGEST if expires_at is None else _expiry(expires_at, now, now + LONGEST, problems)
    if not business_exists(session, business_id):
        problems.add("business_id", "names no business")
    problems.check()
    if supersede:  # a new consent to the same business for the same purpose replaces the earlier one
        for earlier in live_grants(session, customer_id=customer_id):
            if earlier.business_id == business_id and earlier.purpose == purpose:
                earlier.withdrawn_at, earlier.end_reason = now, REPLACED
                session.flush()
                events.consent_withdrawn(session, keyring=keyring, grant=earlier, reason=REPLACED)
    grant = Grant(
        id=uuid.uuid4(),
        customer_id=customer_id,
        business_id=business_id,
        purpose=purpose,
        requested_scopes=scope_text(requested),
        scopes=scope_text(granted),
        granted_at=now,
        expires_at=until,
    )
    session.add(grant)
    session.flush()
    events.consent_granted(session, keyring=keyring, grant=grant, client_id=client_id)
    return grant


def live_grants(session: Session, *, customer_id: uuid.UUID) -> list[Grant]:
    """The customer's grants in force now, oldest first."""
    now = utcnow()
    return list(
        session.scalars(
            select(Grant)
            .where(Grant.customer_id == customer_id, Grant.live_at(now))
            .order_by(Grant.granted_at, Grant.id)
        )
    )


def ended_grants(session: Session, *, customer_id: uuid.UUID) -> list[Grant]:
    """The customer's latest withdrawn or expired grants, most recent first. A grant replaced by a newer
    consent is not among them: nobody withdrew it, and the relationship goes on under the newer one."""
    now = utcnow()
    return list(
        session.scalars(
            select(Grant)
            .where(
                Grant.customer_id == customer_id,
                not_(Grant.live_at(now)),
                Grant.end_reason.is_distinct_from(REPLACED),
            )
            .order_by(Grant.granted_at.desc(), Grant.id)
            .limit(ENDED_SHOWN)
        )
    )


def withdraw_grant(session: Session, *, keyring: KeyRing, customer_id: uuid.UUID, grant_id: object) -> Grant:
    """End a grant now; the business's tokens stop working on their next use. Withdrawing twice is harmless.

    Raises:
        NotFound: not one of this customer's grants.
    """
    grant = _own_grant(session, customer_id, grant_id)
    if grant.withdrawn_at is None:
        grant.withdrawn_at, grant.end_reason = utcnow(), WITHDRAWN
        session.flush()
        events.consent_withdrawn(session, keyring=keyring, grant=grant, reason=WITHDRAWN)
    return grant


def change_grant(
    session: Session,
    *,
    keyring: KeyRing,
    customer_id: uuid.UUID,
    grant_id: object,
    scopes: Any,
    last_day: Any = None,
    zone: ZoneInfo = UTC_ZONE,
) -> Grant:
    """Change what a business may see (within what it asked for) and, optionally, end the grant sooner:
    at the end of `last_day` in the customer's time `zone`. The current last day (the day the grant ends on
    in that zone), or none, keeps the end as it is.

    Raises:
        NotFound: not one of this customer's grants in force.
        ValidationError: `scopes` empty or beyond the request; `last_day` before today or after the end.
    """
    grant = _own_grant(session, customer_id, grant_id)
    now = utcnow()
    if not grant.is_live(now):
        raise NotFound("that access has ended")
    problems = v.Problems()
    granted = scope_names(scopes, "scopes", problems)
    if granted and not granted <= set(grant.requested_scopes.split()):
        problems.add("scopes", "must be a part of what the business asked for")
    until = _last_day(last_day, now, grant.expires_at, zone, problems)
    problems.check()
    grant.scopes, grant.expires_at = scope_text(granted), until
    session.flush()
    events.consent_changed(session, keyring=keyring, grant=grant)
    return grant


def record_expirations(session: Session, *, keyring: KeyRing, limit: int = 1000) -> int:
    """Log `consent.expired` for grants that ran out since the last sweep, oldest first, at most `limit`;
    return how many. Each is claimed by a conditional UPDATE, so two sweeps at once log it once."""
    now = utcnow()
    due = session.scalars(
        select(Grant)
        .where(Grant.expiry_logged_at.is_(None), Grant.withdrawn_at.is_(None), Grant.expires_at <= now)
        .order_by(Grant.expires_at)
        .limit(limit)
    ).all()
    logged = 0
    for grant in due:
        claim = update(Grant).where(Grant.id == grant.id, Grant.expiry_logged_at.is_(None))
        if claimed(session, claim.values(expiry_logged_at=now)):
            events.consent_expired(session, keyring=keyring, grant=grant)
            logged += 1
    return logged


def record_read(
    session: Session,
    *,
    keyring: KeyRing,
    grant: GrantTerms,
    client_id: str,
    token_id: uuid.UUID,
    scopes: Iterable[str],
) -> None:
    """Note that the business just read these categories under this grant: on the grant (shown to the
    customer) and in the consent log (naming the access token).

    Both are written at most once a minute for the same categories: a busy business reads many times a
    second, and a write per read would serialize them all on one row and one log. The log thus holds, for
    each grant, every set of categories read and, within a minute of each other, the first read of it.
    """
    now, read = utcnow(), scope_text(set(scopes))
    fresh = grant.last_read_at is not None and now - grant.last_read_at < READ_NOTED_EVERY
    if fresh and grant.last_read_scopes == read:
        return
    try:
        with session.begin_nested():
            session.execute(
                update(Grant).where(Grant.id == grant.id).values(last_read_at=now, last_read_scopes=read)
            )
            events.data_read(
                session,
                keyring=keyring,
                grant=grant,
                client_id=client_id,
                token_id=token_id,
                categories=categories_read(set(read.split())),
            )
    except OperationalError:
        # SQLite only: a concurrent request is writing, and a transaction that has read cannot wait for it.
        # Neither note is written, so the next read (at once, as the note is not fresh) writes both.
        pass


def _own_grant(session: Session, customer_id: uuid.UUID, grant_id: object) -> Grant:
    key = v.identifier(grant_id)
    grant = session.get(Grant, key) if key is not None else None
    if grant is None or grant.customer_id != customer_id:
        raise NotFound("no such access")  # another customer's grant looks exactly like none
    return grant


def _expiry(value: Any, earliest: datetime, latest: datetime, problems: v.Problems) -> datetime:
    until = v.instant(value, "expires_at", problems)
    if until is not None and not earliest < until <= latest:
        problems.add("expires_at", f"must be after now and no later than {latest:%d %B %Y}")
    return until or latest


def _last_day(value: Any, now: datetime, end: datetime, zone: ZoneInfo, problems: v.Problems) -> datetime:
    """The end of `value` in `zone`; `end` itself when `value` is the day it falls on there, or none."""
    today, last = now.astimezone(zone).date(), end.astimezone(zone).date()
    if value is None or value == last:
        return end
    if not isinstance(value, date) or isinstance(value, datetime) or not today <= value < last:
        problems.add("last_day", f"must be a day from today to {last:%d %B %Y}")
        return end
    # The last second of that day where the customer lives, wherever UTC's day boundary falls (fold=1: the
    # later of two such seconds, where clocks go back at midnight).
    return datetime.combine(value, time(23, 59, 59, fold=1), zone).astimezone(UTC)
