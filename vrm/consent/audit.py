"""The auditor's view of the consent log: filtered search with keyset pages, per-business reports, and
verification of the whole log in steps an auditor can watch.

Everything here reads the log's events, which hold no personal data in clear: an auditor sees customers
only as log pseudonyms.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent import events, merkle
from vrm.consent.checkpoints import log_size
from vrm.consent.log import FIRST_PREV_HASH, check_block, timestamp
from vrm.consent.models import AuditVerification, LogEvent
from vrm.consent.scopes import categories_read
from vrm.db import utcnow
from vrm.errors import NotFound, ValidationError
from vrm.vault.vocabulary import DATA_CATEGORIES

PAGE = 50
SCAN_LIMIT = 5_000  # events read for one page when only the category filter narrows them
READ_BATCH = 1_000
VERIFY_STEP = 50_000  # events checked per step of a verification run


class Filters(NamedTuple):
    business: uuid.UUID | None = None
    kind: str | None = None
    category: str | None = None
    customer: str | None = None  # a log pseudonym
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def query(self) -> dict[str, str]:
        """The filters as the search form's fields, to carry them from page to page and into exports."""
        values = {
            "type": self.kind,
            "category": self.category,
            "customer": self.customer,
            "since": self.since.date().isoformat() if self.since else None,
            "until": (self.until - timedelta(days=1)).date().isoformat() if self.until else None,
        }
        return {name: value for name, value in values.items() if value}


class Logged(NamedTuple):
    seq: int
    text: str  # the event's exact canonical text
    fields: dict[str, Any]

    @property
    def categories(self) -> set[str]:
        return categories_of(self.fields)


class Page(NamedTuple):
    events: list[Logged]
    next_before: int | None  # the seq to continue from (older events), or None at the start of the log
    scanned: int


def parse_filters(session: Session, args: Mapping[str, str]) -> tuple[Filters, str | None]:
    """The filters in a search form's fields, and the business handle they name.

    Raises:
        ValidationError: naming each field that is not a known business, type, category or date.
    """
    problems: dict[str, str] = {}
    handle = (args.get("business") or "").strip() or None
    business = None
    if handle is not None:
        business = session.scalar(select(Business.id).where(Business.name == handle))
        if business is None:
            problems["business"] = "names no business (use its handle, e.g. northwind-energy)"
    kind = args.get("type") or None
    if kind is not None and kind not in events.TYPES:
        problems["type"] = "is not an event type of the log"
    category = args.get("category") or None
    if category is not None and category not in DATA_CATEGORIES:
        problems["category"] = "is not a data category"
    customer = (args.get("customer") or "").strip() or None
    if customer is not None and len(customer) != 32:
        problems["customer"] = "must be a customer's log pseudonym (32 characters)"
    since, until = _day(args, "since", problems), _day(args, "until", problems)
    if problems:
        raise ValidationError(problems)
    end = until + timedelta(days=1) if until is not None else None
    return Filters(business, kind, category, customer, since, end), handle


def search(session: Session, filters: Filters, *, before: int | None = None, limit: int = PAGE) -> Page:
    """The newest events matching `filters` older than `before`, up to `limit`; a page narrowed by
    category alone stops after SCAN_LIMIT events and says where to go on."""
    found: list[Logged] = []
    scanned, last = 0, before
    for logged in _matching(session, filters, before):
        scanned, last = scanned + 1, logged.seq
        if filters.category is None or filters.category in logged.categories:
            found.append(logged)
            if len(found) == limit:
                break
        if scanned >= SCAN_LIMIT:
            break
    done = len(found) < limit and scanned < SCAN_LIMIT
    return Page(found, None if done or last == 0 else last, scanned)


def export(session: Session, filters: Filters) -> Iterator[Logged]:
    """Every event matching `filters`, oldest first, read a keyset page at a time."""
    after = -1
    while True:
        rows = session.execute(
            _filtered(filters).where(LogEvent.seq > after).order_by(LogEvent.seq).limit(READ_BATCH)
        ).all()
        for seq, event in rows:
            logged = Logged(seq, event.decode("utf-8"), orjson.loads(event))
            if filters.category is None or filters.category in logged.categories:
                yield logged
        if len(rows) < READ_BATCH:
            return
        after = rows[-1].seq


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("seq", "at", "type", "business", "client", "customer", "categories", "details")


def csv_row(logged: Logged) -> list[str]:
    """An event as a CSV row. A cell a spreadsheet would read as a formula (a pseudonym may start with
    '-') is prefixed with a quote, as OWASP advises against CSV injection."""
    fields = logged.fields
    actors, details = fields["actors"], fields["details"]
    cells = [
        str(logged.seq),
        fields["at"],
        fields["type"],
        actors.get("business", ""),
        actors.get("client", ""),
        actors.get("customer") or details.get("customer", ""),
        " ".join(sorted(logged.categories)),
        orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode(),
    ]
    return ["'" + cell if cell[:1] in FORMULA_STARTS else cell for cell in cells]


def categories_of(fields: Mapping[str, Any]) -> set[str]:
    """The data categories an event speaks of: read, granted, or the rules changed for."""
    details = fields.get("details", {})
    named = set(details.get("categories", ())) | categories_read(set(details.get("scopes", ())))
    if fields.get("type") in (events.RECORDED, events.JOURNEY_OPENED):
        named.add("interactions")
    return named & set(DATA_CATEGORIES)


@dataclass
class GrantSeen:
    customer: str
    scopes: set[str]
    expires_at: str
    withdrawn: bool = False


@dataclass
class Report:
    """What a business did with the consent it was given, from the log alone."""

    business: str
    events: int = 0
    grants: dict[str, GrantSeen] = field(default_factory=dict)
    withdrawals: int = 0
    expirations: int = 0
    reads: Counter[str] = field(default_factory=Counter)
    interactions: int = 0
    journeys: int = 0
    denied: Counter[str] = field(default_factory=Counter)
    decisions: int = 0
    outside_scope: list[int] = field(default_factory=list)  # seqs of reads beyond what a grant allowed
    after_end: list[int] = field(default_factory=list)  # seqs of reads under a grant withdrawn or expired
    unknown_grant: list[int] = field(default_factory=list)  # seqs of reads under a grant the log never saw

    def active(self, now: datetime) -> list[str]:
        at = timestamp(now)
        return [g for g, seen in self.grants.items() if not seen.withdrawn and seen.expires_at > at]

    def expired(self, now: datetime) -> list[str]:
        at = timestamp(now)
        return [g for g, seen in self.grants.items() if not seen.withdrawn and seen.expires_at <= at]


def business_report(session: Session, *, business_id: uuid.UUID) -> Report:
    """Replay the business's events in order: grants and their changes, reads against what each grant
    allowed at that moment, withdrawals, contact decisions denied.

    Raises:
        NotFound: no such business.
    """
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound("no such business")
    report = Report(business.display_name)
    after = -1
    while True:
        rows = session.execute(
            select(LogEvent.seq, LogEvent.event)
            .where(LogEvent.business_id == business_id, LogEvent.seq > after)
            .order_by(LogEvent.seq)
            .limit(READ_BATCH)
        ).all()
        for seq, event in rows:
            _replay(report, seq, orjson.loads(event))
        if len(rows) < READ_BATCH:
            return report
        after = rows[-1].seq


def _replay(report: Report, seq: int, fields: dict[str, Any]) -> None:
    kind, details = fields["type"], fields["details"]
    report.events += 1
    if kind == events.GRANTED:
        report.grants[details["grant"]] = GrantSeen(
            fields["actors"]["customer"], set(details["scopes"]), details["expires_at"]
        )
    elif kind == events.CHANGED and (seen := report.grants.get(details["grant"])):
        seen.scopes, seen.expires_at = set(details["scopes"]), details["expires_at"]
    elif kind == events.WITHDRAWN and (seen := report.grants.get(details["grant"])):
        seen.withdrawn = True
        report.withdrawals += 1
    elif kind == events.EXPIRED:
        report.expirations += 1
    elif kind == events.READ:
        report.reads.update(details["categories"])
        seen = report.grants.get(details["grant"])
        if seen is None:
            report.unknown_grant.append(seq)
        else:
            if not set(details["categories"]) <= categories_read(seen.scopes):
                report.outside_scope.append(seq)
            if seen.withdrawn or fields["at"] >= seen.expires_at:
                report.after_end.append(seq)
    elif kind == events.RECORDED:
        report.interactions += 1
    elif kind == events.JOURNEY_OPENED:
        report.journeys += 1
    elif kind == events.DECIDED:
        report.decisions += details["questions"]
        for group in details["denied"]:
            report.denied[group["reason"]] += group["count"]


def start_verification(session: Session, *, auditor_id: uuid.UUID) -> AuditVerification:
    run = AuditVerification(
        id=uuid.uuid4(),
        auditor_id=auditor_id,
        started_at=utcnow(),
        next_seq=0,
        prev_hash=FIRST_PREV_HASH,
        frontier=b"",
        total=log_size(session),
    )
    session.add(run)
    session.flush()
    return run


def verify_step(session: Session, run: AuditVerification, *, step: int = VERIFY_STEP) -> None:
    """Check the next `step` events of a run (up to the size the log had when it started), carrying the
    chain and the tree from the step before; finish it at the end or at the first bad event."""
    if run.finished_at is not None:
        return
    tree, seq = merkle.Tree.resumed(run.frontier), run.next_seq
    end = min(run.total, seq + step)
    found = list(
        session.scalars(
            select(LogEvent.event).where(LogEvent.seq >= seq, LogEvent.seq < end).order_by(LogEvent.seq)
        )
    )
    leaves, _, bad, problem = check_block(found, seq, run.prev_hash)
    tree.extend(leaves)
    prev_hash = hashlib.sha256(found[len(leaves) - 1]).hexdigest() if leaves else run.prev_hash
    seq += len(leaves)
    if bad is not None:
        run.first_bad_seq, run.problem = bad, problem
    elif seq < end:  # rows ran out before the size the log had
        run.first_bad_seq, run.problem = seq, "is missing: the log holds fewer events than when the run began"
    run.next_seq, run.prev_hash, run.frontier = seq, prev_hash, tree.frontier()
    if run.first_bad_seq is not None or seq >= run.total:
        run.finished_at, run.root_hash = utcnow(), tree.root()
    session.flush()


def _matching(session: Session, filters: Filters, before: int | None) -> Iterator[Logged]:
    while True:
        statement = _filtered(filters).order_by(LogEvent.seq.desc()).limit(READ_BATCH)
        if before is not None:
            statement = statement.where(LogEvent.seq < before)
        rows = session.execute(statement).all()
        for seq, event in rows:
            yield Logged(seq, event.decode("utf-8"), orjson.loads(event))
        if len(rows) < READ_BATCH:
            return
        before = rows[-1].seq


def _filtered(filters: Filters) -> Select[int, bytes]:
    statement = select(LogEvent.seq, LogEvent.event)
    if filters.business is not None:
        statement = statement.where(LogEvent.business_id == filters.business)
    if filters.kind is not None:
        statement = statement.where(LogEvent.type == filters.kind)
    if filters.customer is not None:
        statement = statement.where(LogEvent.customer == filters.customer)
    if filters.since is not None:
        statement = statement.where(LogEvent.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(LogEvent.at < filters.until)
    return statement


def _day(args: Mapping[str, str], name: str, problems: dict[str, str]) -> datetime | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(0), UTC)
    except ValueError:
        problems[name] = "must be a date: YYYY-MM-DD"
        return None
