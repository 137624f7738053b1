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
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from vrm.consent import merkle
from vrm.consent.canonical import ORJSON_OPTIONS, canonical, holds_float, is_canonical
from vrm.consent.models import LogEvent
from vrm.db import utcnow
from vrm.metrics import count_appended

FIRST_PREV_HASH = "0" * 64
# Taken for the appending transaction only (pg_advisory_xact_lock); the number names this log's lock.
APPEND_LOCK = 0x7672_6D6C  # "vrml"
FIELDS = {"seq", "at", "type", "actors", "details", "prev_hash"}
# Events checked at a time: a power of two, so a whole block is one subtree; big enough that sending one to
# a worker process costs little.
BLOCK = 16_384


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
    batch: _Batch | None = session.info.get(_BATCH)
    last = batch.last if batch is not None and batch.last is not None else _last(session)
    seq = 0 if last is None else last.seq + 1
    at = utcnow()
    event = encode_event(seq, at, kind, actors, details, None if last is None else last.event)
    row = {
        "seq": seq,
        "type": kind,
        "at": at,
        "business_id": business_id,
        "customer": actors.get("customer") or details.get("customer"),
        "event": event,
        "leaf_hash": merkle.leaf_hash(event),
    }
    count_appended(session, kind)
    if batch is None:
        session.connection().execute(INSERT, row)
        return Appended(seq, event)
    batch.rows.append(row)
    batch.last = Appended(seq, event)
    return batch.last


@dataclass
class _Batch:
    last: Appended | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


_BATCH = "vrm_log_batch"


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Within the block, this session's appends chain in memory and are written by one INSERT at its end.

    For bulk loads (`vrm demo --customers`): the log is locked at the first append, as usual, and the
    events are the same bytes one-by-one appends would write. Nothing is written if the block raises.
    """
    batch = session.info[_BATCH] = _Batch()
    try:
        yield
        if batch.rows:
            session.connection().execute(INSERT, batch.rows)
    finally:
        session.info.pop(_BATCH, None)


def _last(session: Session) -> Appended | None:
    """The log's last event, read under the append lock (held until the transaction ends)."""
    # Through the session's connection (same transaction): plain statements, no ORM unit of work.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": APPEND_LOCK})
    last = connection.execute(LAST).first()
    return None if last is None else Appended(last.seq, last.event)


def encode_event(
    seq: int,
    at: datetime,
    kind: str,
    actors: Mapping[str, Any],
    details: Mapping[str, Any],
    previous: bytes | None,
) -> bytes:
    """The canonical bytes of event `seq`, chained to the `previous` event's bytes (None for the first).

    Raises:
        ValueError: the actors or details hold a value canonical JSON cannot carry.
    """
    fields = {
        "seq": seq,
        "at": timestamp(at),
        "type": kind,
        "actors": dict(actors),
        "details": dict(details),
        "prev_hash": FIRST_PREV_HASH if previous is None else hashlib.sha256(previous).hexdigest(),
    }
    return canonical(fields)


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


def verify(events: Iterable[bytes], *, at: int | None = None, workers: int = 1) -> Verification:
    """Check events given in log order from seq 0: each canonical, numbered in turn, chained to the one
    before. Stops at the first that is not, naming the seq it should have had. With `at`, also gives the
    root of the tree of the first `at` events (to compare with a signed checkpoint's).

    Events are checked a block of BLOCK at a time, each block told its first seq and the hash it must chain
    to, so with `workers` > 1 worker processes check blocks side by side; a whole block comes back as the
    root of its subtree. Any number of workers gives the same answer.
    """
    tree, root_at = merkle.Tree(), merkle.EMPTY_ROOT if at == 0 else None
    for leaves, subtree, bad, problem in _checked_blocks(events, at, workers):
        if subtree is not None:
            tree.append_subtree(BLOCK, subtree)
        elif at is not None and tree.size < at <= tree.size + len(leaves):
            split = at - tree.size
            tree.extend(leaves[:split])
            root_at = tree.root()
            tree.extend(leaves[split:])
        else:
            tree.extend(leaves)
        if at is not None and tree.size == at and root_at is None:
            root_at = tree.root()
        if problem is not None:
            return Verification(tree.size, tree.root(), bad, problem, root_at)
    return Verification(tree.size, tree.root(), root_at=root_at)


_BlockResult = tuple[list[bytes], bytes | None, int | None, str | None]


def _checked_blocks(events: Iterable[bytes], at: int | None, workers: int) -> Iterator[_BlockResult]:
    """Each block's result, in order: checked here, or by `workers` processes a few blocks ahead."""
    tasks = _block_tasks(events, at)
    if workers <= 1:
        yield from (check_block(*task) for task in tasks)
        return
    pool = ProcessPoolExecutor(workers)
    try:
        pending: deque[Future[_BlockResult]] = deque()
        for task in tasks:
            pending.append(pool.submit(check_block, *task))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # a bad event ends the run: blocks not yet begun are dropped
        pool.shutdown(cancel_futures=True)


def _block_tasks(events: Iterable[bytes], at: int | None) -> Iterator[tuple[list[bytes], int, str, bool]]:
    """Blocks of events with their first seq, the hash they must chain to, and whether they may come back
    as one subtree root (not the block holding `at`: its root is taken inside the block)."""
    start, prev_hash, block = 0, FIRST_PREV_HASH, []
    for event in events:
        block.append(event)
        if len(block) == BLOCK:
            yield block, start, prev_hash, not (at is not None and start < at < start + BLOCK)
            start, prev_hash, block = start + BLOCK, hashlib.sha256(block[-1]).hexdigest(), []
    if block:
        yield block, start, prev_hash, False


def check_block(block: Sequence[bytes], start: int, prev_hash: str, whole: bool = False) -> _BlockResult:
    """A block's leaf hashes up to its first invalid event (with that event's seq and what is wrong), or
    the root of its subtree when it is `whole` and valid throughout."""
    leaves: list[bytes] = []
    for seq, event in enumerate(block, start):
        if not _plainly_valid(event, seq, prev_hash) and (problem := event_problem(event, seq, prev_hash)):
            return leaves, None, seq, problem
        leaves.append(hashlib.sha256(merkle.LEAF + event).digest())
        prev_hash = hashlib.sha256(event).hexdigest()
    if whole:
        return [], merkle.subtree_root(leaves), None, None
    return leaves, None, None, None


def _plainly_valid(event: bytes, seq: int, prev_hash: str) -> bool:
    """The verifier's fast path, for the events a log holds: ASCII, no floats, exactly as orjson writes
    them (orjson's encoding is JCS's for those). False sends the event to `event_problem`, which decides."""
    try:
        fields = orjson.loads(event)
    except orjson.JSONDecodeError:
        return False
    return (
        type(fields) is dict
        and fields.keys() == FIELDS
        and type(fields["seq"]) is int
        and fields["seq"] == seq
        and fields["prev_hash"] == prev_hash
        and type(fields["at"]) is str
        and type(fields["type"]) is str
        and event.isascii()
        and not holds_float(fields["actors"])
        and not holds_float(fields["details"])
        and orjson.dumps(fields, option=ORJSON_OPTIONS) == event
    )


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
