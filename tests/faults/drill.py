"""What the fault drills share: a business writing into a customer's history through the real API from
several threads, and the checks that nothing acknowledged was lost and nothing was half-written."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from tests.conftest import Database
from tests.oauth.conftest import Browser, register
from tests.oauth.test_authorization_code import authorize
from vrm.consent import log as consent_log
from vrm.consent.models import Grant, LogEvent
from vrm.vault.models import Interaction


def customer_token(database: Database, base: str, business: str = "drill-energy") -> tuple[Browser, str]:
    """A customer signed up through `base` who let a business record interactions; the business's token."""
    registered = register(database, business)
    browser = Browser(base)
    browser.sign_up(f"drill.{uuid.uuid4().hex[:8]}@example.org")
    _, token = authorize(base, browser, registered, "interactions:read interactions:write")
    return browser, str(token["access_token"])


@dataclass
class Writers:
    """Threads posting interactions, each under its own Idempotency-Key, until stopped."""

    base: str
    token: str
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key -> interaction id
    unanswered: list[str] = field(default_factory=list)  # keys whose request got no answer
    statuses: Counter[int] = field(default_factory=Counter)
    retry_after: list[str | None] = field(default_factory=list)  # on every 503
    _bodies: dict[str, dict[str, str]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, key: str, http: requests.Session | None = None) -> requests.Response:
        """Post the interaction `key` names; the same key always sends the same body, as a retry must."""
        with self._lock:
            body = self._bodies.setdefault(
                key,
                {
                    "channel": "chat",
                    "direction": "inbound",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "subject": f"Drill {key}",
                },
            )
        return (http or requests.Session()).post(
            self.base + "/api/v1/customer/interactions",
            json=body,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
            timeout=30,
        )

    def _run(self) -> None:
        http = requests.Session()
        while not self._stop.is_set():
            key = uuid.uuid4().hex
            try:
                answer = self.post(key, http)
            except requests.RequestException:
                with self._lock:
                    self.unanswered.append(key)
                http = requests.Session()
                continue
            with self._lock:
                self.statuses[answer.status_code] += 1
                if answer.status_code == 201:
                    self.acknowledged[key] = answer.json()["id"]
                elif answer.status_code == 503:
                    self.retry_after.append(answer.headers.get("Retry-After"))
                    self.unanswered.append(key)

    def start(self, how_many: int) -> None:
        for _ in range(how_many):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


def assert_nothing_lost_or_half_written(database: Database, writers: Writers) -> None:
    """Every acknowledged write is there; the log is whole, without a gap or a fork; every record that
    should have logged an event did, in the same transaction."""
    with database.sessions() as session:
        stored = {str(i) for i in session.scalars(select(Interaction.id))}
        events = list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))
        seqs = list(session.scalars(select(LogEvent.seq).order_by(LogEvent.seq)))
        recorded = session.scalar(
            select(func.count()).select_from(LogEvent).where(LogEvent.type == "interaction.recorded")
        )
        granted = session.scalar(
            select(func.count()).select_from(LogEvent).where(LogEvent.type == "consent.granted")
        )
        grants = session.scalar(select(func.count()).select_from(Grant))
    missing = set(writers.acknowledged.values()) - stored
    assert not missing, f"{len(missing)} acknowledged interactions are gone"
    assert seqs == list(range(len(seqs))), "the log has a gap"
    verification = consent_log.verify(events)
    assert verification.intact, verification
    assert recorded == len(stored), "an interaction without its log event, or an event without its record"
    assert granted == grants


def retries_are_safe(writers: Writers) -> None:
    """A request that got no answer is sent again with its key: it lands once (201) or is found (200)."""
    for key in writers.unanswered[:50]:
        again = writers.post(key)
        assert again.status_code in (200, 201), (again.status_code, again.text)
