"""The consent log: appends a second (each its own transaction, on SQLite) and offline verification speed,
each beside hashlib's raw SHA-256 rate over the same event bytes, measured in the same run."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bench.report import interleaved
from vrm import schema
from vrm.consent.log import append, verify
from vrm.consent.models import LogEvent
from vrm.db import make_engine, make_sessionmaker

APPENDS = 2_000  # each in its own transaction
VERIFIED = 50_000
APPEND_GOAL, VERIFY_GOAL = 2_000, 200_000  # events a second (issue 5)
DETAILS = {"scopes": ["profile:read", "contact:read"], "purpose": "service", "until": "2027-12-01"}


def _raw_sha256(events: list[bytes]) -> None:
    for event in events:
        hashlib.sha256(event).digest()


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'log.sqlite3'}")
        schema.upgrade(engine)
        sessions = make_sessionmaker(engine)
        start = time.perf_counter()
        for number in range(APPENDS):
            with sessions.begin() as session:
                append(
                    session, kind="consent.granted", actors={"customer": f"c{number:08d}"}, details=DETAILS
                )
        append_seconds = time.perf_counter() - start
        with sessions.begin() as session:
            for number in range(VERIFIED - APPENDS):
                append(session, kind="data.read", actors={"customer": f"c{number:08d}"}, details=DETAILS)
        with sessions() as session:
            events = list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))
        engine.dispose()
    hashed_appends = _timed(lambda: _raw_sha256(events[:APPENDS]))
    verify_seconds, hash_seconds = interleaved(lambda: verify(events), lambda: _raw_sha256(events), rounds=5)
    assert verify(events).intact
    append_rate, verify_rate = APPENDS / append_seconds, len(events) / verify_seconds
    return [
        f"consent log appends, each its own SQLite transaction: {append_rate:,.0f} events/s "
        f"(hashlib SHA-256 of the same bytes: {APPENDS / hashed_appends:,.0f} events/s)  "
        f"goal >= {APPEND_GOAL:,}/s: {'met' if append_rate >= APPEND_GOAL else 'MISSED'}",
        f"consent log offline verification of {len(events):,} events: {verify_rate:,.0f} events/s "
        f"(hashlib SHA-256 of the same bytes: {len(events) / hash_seconds:,.0f} events/s, "
        f"ratio {verify_seconds / hash_seconds:.1f}x)  "
        f"goal >= {VERIFY_GOAL:,}/s: {'met' if verify_rate >= VERIFY_GOAL else 'MISSED'}",
    ]


def _timed(job: Callable[[], object]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start
