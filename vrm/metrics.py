"""Prometheus metrics: request latency, token issuance, contact decisions and consent log appends.

Labels are route templates, methods, statuses, grant types, answers and event types: a bounded set that
never carries a path, an id or anything else about a person. Under gunicorn each worker writes its samples
to files in PROMETHEUS_MULTIPROC_DIR (set by the gunicorn configuration before any worker starts, since
prometheus_client reads it at import), and a scrape of any worker adds up all of them; without it (one
process: tests, the CLI) the process's own registry answers.
"""

from __future__ import annotations

import os
from collections import Counter as Tally

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from sqlalchemy import event
from sqlalchemy.orm import Session

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds. Most API calls take 1-10 ms; a 10,000-question contact batch 100-400 ms.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "vrm_http_request_duration_seconds",
    "Time to answer a request, by route template, method and status.",
    ("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
)
TOKENS_ISSUED = Counter(
    "vrm_oauth_tokens_issued_total", "Access tokens issued, by grant type.", ("grant_type",)
)
CONTACT_DECISIONS = Counter(
    "vrm_contact_decisions_total", "Contact questions answered, by answer.", ("answer",)
)
LOG_APPENDS = Counter(
    "vrm_consent_log_appends_total", "Events committed to the consent log, by event type.", ("event",)
)

_PENDING_APPENDS = "vrm_pending_log_appends"


def count_appended(session: Session, kind: str) -> None:
    """Count a log event once its transaction commits: a rolled back append never happened."""
    pending: Tally[str] = session.info.setdefault(_PENDING_APPENDS, Tally())
    pending[kind] += 1


@event.listens_for(Session, "after_commit")
def _appends_committed(session: Session) -> None:
    pending: Tally[str] | None = session.info.pop(_PENDING_APPENDS, None)
    for kind, count in (pending or {}).items():
        LOG_APPENDS.labels(kind).inc(count)


@event.listens_for(Session, "after_rollback")
def _appends_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_APPENDS, None)


def exposition() -> bytes:
    """The text format Prometheus scrapes: every worker's samples under gunicorn, this process's otherwise."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
