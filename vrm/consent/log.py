"""The consent log: the one writer of its events, and the check of an exported copy.

Each event is canonical JSON (RFC 8785, `vrm.consent.canonical`) of
`{"seq", "at", "type", "actors", "details", "prev_hash"}`: `seq` counts from 0 with no gap, `at` is UTC
(RFC 3339, microseconds, `Z`), and `prev_hash` is the lowercase hex SHA-256 of the previous event's bytes
(64 zeros for the first). The events are also the leaves of an RFC 9162 Merkle tree (`vrm.consent.merkle`),
leaf `seq` hashed as SHA-256(0x00 || event). Events never hold personal data in clear.

Appends are serialized, so concurrent writers never fork the chain or skip a `seq`: on PostgreSQL by a
transaction-scoped advisory lock; on SQLite by its single writer (a writer whose read went stale fails
and is retried by its caller), with the primary key on `seq` as the last line either way.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from vrm.consent import merkle
from vrm.consent.canonical import canonical, is_canonical
from vrm.consent.models import LogEvent
from vrm.db import utcnow

FIRST_PREV_HASH = "0" * 64
# Taken for the appending transaction only (pg_advisory_xact_lock); the number names this log's lock.
APPEND_LOCK = 0x7672_6D6C  # "vrml"
FIELDS = {"seq", "at", "type", "actors", "details", "prev_hash"}
VERIFY_BLOCK = 4096  # leaf hashes buffered by the verifier (a power of two keeps blocks whole)


class Appended(NamedTuple):
    seq: int
    event: bytes  # the canonical bytes, as logged


# Built once: constructing a statement costs about as much as running it.
LAST = select(LogEvent.seq, LogEvent.event).order_by(LogEvent.seq.desc()).limit(1)
INSERT = insert(LogEvent)


def append(
    session: Session,
    *,
    kind: str,
    actors: Mapping[str, Any],
    details: Mapping[str, Any],
    business_id: uuid.UUID | None = None,
) -> Appended:
    """Add an event of type `kind` at the end of the log, in the caller's transaction.

    Raises:
        ValueError: the actors or details hold a value canonical JSON cannot carry.
    """
    # Through the session's connection (same transaction): plain statements, no ORM unit of work.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": APPEND_LOCK})
    last = connection.execute(LAST).first()
    seq = 0 if last is None else last.seq + 1
    at = utcnow()
    event = canonical(
        {
            "seq": seq,
            "at": timestamp(at),
            "type": kind,
            "actors": dict(actors),
            "details": dict(details),
            "prev_hash": FIRST_PREV_HASH if last is None else hashlib.sha256(last.event).hexdigest(),
        }
    )
    connection.execute(
        INSERT,
        {
            "seq": seq,
            "type": kind,
            "at": at,
            "business_id": business_id,
            "customer": actors.get("customer") or details.get("customer"),
            "event": event,
            "leaf_hash": merkle.leaf_hash(event),
        },
    )
    return Appended(seq, event)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Verification:
    """What checking a run of events found: how many held, their tree's root, and the first that did not."""

    events: int
    root: bytes
    first_bad_seq: int | None = None
    problem: str | None = None
    root_at: bytes | None = None  # the root of the first `at` events, when asked for and that many held

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def verify(events: Iterable[bytes], *, at: int | None = None) -> Verification:
    """Check events given in log order from seq 0: each canonical, numbered in turn, chained to the one
    before. Stops at the first that is not, naming the seq it should have had. With `at`, also gives the
    root of the tree of the first `at` events (to compare with a signed checkpoint's)."""
    tree, prev_hash, root_at = merkle.Tree(), FIRST_PREV_HASH, merkle.EMPTY_ROOT if at == 0 else None
    leaves: list[bytes] = []  # added to the tree a block at a time, which is much faster than one by one
    for seq, event in enumerate(events):
        problem = event_problem(event, seq, prev_hash)
        if problem is not None:
            tree.extend(leaves)
            return Verification(seq, tree.root(), seq, problem, root_at)
        leaves.append(merkle.leaf_hash(event))
        if len(leaves) == VERIFY_BLOCK or seq + 1 == at:
            tree.extend(leaves)
            leaves.clear()
            if seq + 1 == at:
                root_at = tree.root()
        prev_hash = hashlib.sha256(event).hexdigest()
    tree.extend(leaves)
    return Verification(tree.size, tree.root(), root_at=root_at)


def event_problem(event: bytes, seq: int, prev_hash: str) -> str | None:
    """What is wrong with `event` as the log's event `seq` after one hashing to `prev_hash`, or None."""
    try:
        fields = orjson.loads(event)
    except orjson.JSONDecodeError:
        return "is not JSON"
    if not isinstance(fields, dict) or set(fields) != FIELDS:
        return f"does not hold exactly the fields {', '.join(sorted(FIELDS))}"
    if not is_canonical(event, fields):
        return "is not in canonical form (RFC 8785)"
    if fields["seq"] != seq:
        return f"has seq {fields['seq']!r}, expected {seq}: an event is missing, repeated or moved"
    if fields["prev_hash"] != prev_hash:
        return "does not chain to the event before it (changed, removed or moved)"
    return None
