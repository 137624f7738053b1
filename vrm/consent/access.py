"""What companies read of a customer's data, as the consent log recorded it: each read with the application
that made it and the consent it was made under, whose signed receipt the customer holds.

Reads are the log's `data.read` events under the customer's log pseudonym (written by
`vrm.consent.grants.record_read`, at most once a minute for the same categories). A page reads its own
events and the few consent events of the same company before them, each a range of the index on
(customer, type, business_id, seq); never the customer's whole log, and no receipt is signed: a read names
its consent by the seq of the consent-log event that receipt records.
"""

from __future__ import annotations

import bisect
import heapq
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from vrm.accounts.businesses import HANDLE
from vrm.accounts.models import Business
from vrm.consent import events
from vrm.consent.models import Grant, LogEvent
from vrm.consent.scopes import categories_read
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound
from vrm.oauth.models import OAuthClient

PAGE = 50
BATCH = 1_000  # reads fetched at a time when every one is wanted (the export)
NO_CONNECTION = "no such connection"  # for an unknown company and one never given access alike
TERMS = (events.GRANTED, events.CHANGED)  # the consent events whose receipts state what a grant covers


@dataclass(frozen=True)
class Consent:
    """A grant's terms from one consent event on: what the receipt of that event (its `seq`) states."""

    seq: int
    kind: str  # consent.granted or consent.changed
    at: datetime
    categories: frozenset[str]
    expires_at: datetime


@dataclass(frozen=True)
class Read:
    """One read the consent log recorded."""

    seq: int
    at: datetime
    business_id: uuid.UUID
    grant_id: uuid.UUID
    categories: frozenset[str]
    client_id: str
    application: str | None  # the OAuth client's name; None once that client is deleted
    consent: Consent | None  # the consent in force when it was read; None where the log holds none
    covered: bool  # within that consent: its categories, before its end, not after a withdrawal


@dataclass(frozen=True)
class ReadsPage:
    reads: list[Read]  # newest first
    older: int | None  # the `before_seq` of the next page (older reads); None on the last page


@dataclass(frozen=True)
class Company:
    """A company the customer gave access to, now or before, with every grant they gave it."""

    business: Business
    grants: list[Grant]  # newest first

    def ended_at(self, now: datetime) -> datetime | None:
        """When its last access ended; None while a grant is live."""
        if any(grant.is_live(now) for grant in self.grants):
            return None
        return max(grant.withdrawn_at or grant.expires_at for grant in self.grants)


def connected_company(session: Session, *, customer_id: uuid.UUID, handle: str) -> Company:
    """The company with this handle, if the customer ever gave it access.

    Raises:
        NotFound: no such company, or one the customer never gave access to (the two look alike).
    """
    # Only a well-formed handle is looked up: anything else (a NUL byte...) names no company either.
    business = (
        session.scalar(select(Business).where(Business.name == handle)) if HANDLE.match(handle) else None
    )
    if business is None:
        raise NotFound(NO_CONNECTION)
    grants = list(
        session.scalars(
            select(Grant)
            .where(Grant.customer_id == customer_id, Grant.business_id == business.id)
            .order_by(Grant.granted_at.desc(), Grant.id)
        )
    )
    if not grants:
        raise NotFound(NO_CONNECTION)
    return Company(business, grants)


def reads_of(
    session: Session,
    *,
    keyring: KeyRing,
    customer_id: uuid.UUID,
    business_id: uuid.UUID,
    before_seq: int | None = None,
    limit: int = PAGE,
) -> ReadsPage:
    """The company's reads of the customer's data older than `before_seq` (all when None), newest first,
    at most `limit`: a keyset page, so reads logged meanwhile never shift the pages after the first."""
    pseudonym = events.log_id(keyring, customer_id)
    statement = _READS.where(LogEvent.customer == pseudonym, LogEvent.business_id == business_id)
    if before_seq is not None:
        statement = statement.where(LogEvent.seq < before_seq)
    rows = session.execute(statement.order_by(LogEvent.seq.desc()).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    if not rows:
        return ReadsPage([], None)
    consents = _CONSENTS.where(
        LogEvent.customer == pseudonym, LogEvent.business_id == business_id, LogEvent.seq < rows[0].seq
    )
    terms = _Terms(session.execute(consents.order_by(LogEvent.seq)))
    return ReadsPage(_reads(session, rows, terms), rows[-1].seq if more else None)


def read_counts(session: Session, *, keyring: KeyRing, customer_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """How many reads the log holds of the customer's data, by company."""
    rows = session.execute(
        select(LogEvent.business_id, func.count())
        .where(LogEvent.customer == events.log_id(keyring, customer_id), LogEvent.type == events.READ)
        .group_by(LogEvent.business_id)
    )
    return {business_id: count for business_id, count in rows if business_id is not None}


def every_read(
    session: Session, *, keyring: KeyRing, customer_id: uuid.UUID, batch: int = BATCH
) -> Iterator[Read]:
    """Every read of the customer's data by every company they gave access to, oldest first.

    Each company's reads come `batch` at a time along the index, merged in log order: however many there
    are, no query sorts them all.
    """
    pseudonym = events.log_id(keyring, customer_id)
    companies = session.scalars(select(Grant.business_id).where(Grant.customer_id == customer_id).distinct())
    terms = _Terms(session.execute(_CONSENTS.where(LogEvent.customer == pseudonym).order_by(LogEvent.seq)))
    streams = [_company_reads(session, pseudonym, business, terms, batch) for business in companies.all()]
    return heapq.merge(*streams, key=lambda read: read.seq)


def _company_reads(
    session: Session, pseudonym: str, business_id: uuid.UUID, terms: _Terms, batch: int
) -> Iterator[Read]:
    after = -1
    while True:
        rows = session.execute(
            _READS.where(
                LogEvent.customer == pseudonym, LogEvent.business_id == business_id, LogEvent.seq > after
            )
            .order_by(LogEvent.seq)
            .limit(batch)
        ).all()
        yield from _reads(session, rows, terms)
        if len(rows) < batch:
            return
        after = rows[-1].seq


class _Terms:
    """Each grant's consent events in log order, to tell which consent was in force at any point."""

    def __init__(self, rows: Iterable[Row[int, bytes]]) -> None:
        self._seqs: dict[str, list[int]] = {}
        self._consents: dict[str, list[Consent | None]] = {}  # None: withdrawn there
        for seq, event in rows:  # in log order
            fields = orjson.loads(event)
            grant = fields["details"]["grant"]
            self._seqs.setdefault(grant, []).append(seq)
            consent = _consent(seq, fields) if fields["type"] in TERMS else None
            self._consents.setdefault(grant, []).append(consent)

    def before(self, grant: str, seq: int) -> tuple[Consent | None, bool]:
        """The grant's newest consent logged before `seq`, and whether it had been withdrawn by then."""
        earlier = self._consents.get(grant, [])[: bisect.bisect_left(self._seqs.get(grant, []), seq)]
        given = [consent for consent in earlier if consent is not None]
        return (given[-1] if given else None), bool(earlier) and earlier[-1] is None


def _reads(session: Session, rows: Sequence[Row[int, datetime, bytes]], terms: _Terms) -> list[Read]:
    parsed = [(row, orjson.loads(row.event)) for row in rows]
    clients = {fields["actors"]["client"] for _, fields in parsed}
    applications = select(OAuthClient.client_id, OAuthClient.name).where(OAuthClient.client_id.in_(clients))
    names = {client_id: name for client_id, name in session.execute(applications)}
    found = []
    for row, fields in parsed:
        details, client = fields["details"], fields["actors"]["client"]
        categories = frozenset(details["categories"])
        consent, withdrawn = terms.before(details["grant"], row.seq)
        covered = (
            consent is not None
            and not withdrawn
            and categories <= consent.categories
            and row.at <= consent.expires_at
        )
        found.append(
            Read(
                seq=row.seq,
                at=row.at,
                business_id=uuid.UUID(fields["actors"]["business"]),
                grant_id=uuid.UUID(details["grant"]),
                categories=categories,
                client_id=client,
                application=names.get(client),
                consent=consent,
                covered=covered,
            )
        )
    return found


def _consent(seq: int, fields: dict[str, Any]) -> Consent:
    details = fields["details"]
    return Consent(
        seq=seq,
        kind=fields["type"],
        at=datetime.fromisoformat(fields["at"]),
        categories=frozenset(categories_read(set(details["scopes"]))),
        expires_at=datetime.fromisoformat(details["expires_at"]),
    )


_READS = select(LogEvent.seq, LogEvent.at, LogEvent.event).where(LogEvent.type == events.READ)
_CONSENTS = select(LogEvent.seq, LogEvent.event).where(LogEvent.type.in_((*TERMS, events.WITHDRAWN)))
