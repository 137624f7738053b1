"""The consent log: appends a second (each its own transaction, on SQLite) and offline verification speed,
each beside hashlib's raw SHA-256 rate over the same event bytes, measured in the same run."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bench.report import interleaved
from vrm import schema
from vrm.cli_log import events_in
from vrm.consent.log import append, encode_event, verify
from vrm.consent.models import LogEvent
from vrm.db import make_engine, make_sessionmaker, utcnow

APPENDS = 2_000  # each in its own transaction
VERIFIED = 500_000  # the goal speaks of a million; half shows the rate without a long set-up
APPEND_GOAL, VERIFY_GOAL = 2_000, 200_000  # events a second (issue 5)
# Shaped as a business's read is logged (vrm.consent.events.data_read): ids, a pseudonym, categories.
ACTORS = {"business": "5f0c7f0e-8a4b-4d47-9a35-5b8f0f1b2c3d", "client": "vrm_0123456789abcdefghij"}
DETAILS = {
    "customer": "Qm9vdGhfZXhhbXBsZV9wc2V1ZG9ueW0x",
    "grant": "0b7e2d9a-3c41-4f5e-8d6a-1f2e3d4c5b6a",
    "token": "9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a",
    "categories": ["contact", "profile"],
}


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
                append(session, kind="data.read", actors=ACTORS, details={**DETAILS, "n": number})
        append_seconds = time.perf_counter() - start
        with sessions() as session:
            events = list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))
        engine.dispose()
        # The rest of the export as the log would hold it, chained by the writer's own encoder (appending
        # them through the database too would only make the benchmark slower to set up).
        now = utcnow()
        for number in range(APPENDS, VERIFIED):
            events.append(
                encode_event(number, now, "data.read", ACTORS, {**DETAILS, "n": number}, events[-1])
            )
        export = Path(folder) / "log.jsonl"
        export.write_bytes(b"".join(event + b"\n" for event in events))  # as `vrm log export` writes it

        def verify_export() -> None:  # what `vrm log verify FILE` does
            with export.open("rb") as lines:
                assert verify(events_in(lines), workers=os.cpu_count() or 1).intact

        hashed_appends = _timed(lambda: _raw_sha256(events[:APPENDS]))
        verify_seconds, hash_seconds = interleaved(
            verify_export, lambda: _raw_sha256(events), rounds=3, warmup=1
        )
    append_rate, verify_rate = APPENDS / append_seconds, len(events) / verify_seconds
    return [
        f"consent log appends, each its own SQLite transaction: {append_rate:,.0f} events/s "
        f"(hashlib SHA-256 of the same bytes: {APPENDS / hashed_appends:,.0f} events/s)  "
        f"goal >= {APPEND_GOAL:,}/s: {'met' if append_rate >= APPEND_GOAL else 'MISSED'}",
        f"consent log offline verification of an exported file of {len(events):,} events: "
        f"{verify_rate:,.0f} events/s "
        f"(hashlib SHA-256 of the same bytes: {len(events) / hash_seconds:,.0f} events/s, "
        f"ratio {verify_seconds / hash_seconds:.1f}x)  "
        f"goal >= {VERIFY_GOAL:,}/s: {'met' if verify_rate >= VERIFY_GOAL else 'MISSED'}",
    ]


def _timed(job: Callable[[], object]) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start
