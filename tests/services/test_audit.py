"""The auditor's view of the log: filtered keyset pages and exports, per-business reports that show any
read beyond a grant, and verification of the whole log in resumable steps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from vrm.accounts.auditors import create_auditor
from vrm.consent import audit, merkle
from vrm.consent.log import append
from vrm.consent.models import LogEvent
from vrm.errors import ValidationError

SHOP = "5f0c7f0e-8a4b-4d47-9a35-5b8f0f1b2c3d"
PSEUDONYM = "A" * 31 + "x"


def read(session: Session, number: int, categories: list[str], grant: str = "g1") -> None:
    append(
        session,
        kind="data.read",
        actors={"business": SHOP, "client": "vrm_app"},
        details={
            "customer": PSEUDONYM,
            "grant": grant,
            "token": str(uuid.uuid4()),
            "categories": categories,
            "n": number,
        },
        business_id=uuid.UUID(SHOP),
    )


def test_filtered_pages_walk_the_log_newest_first(session: Session) -> None:
    for number in range(120):
        read(session, number, ["profile"] if number % 2 else ["contact"])
    append(session, kind="keys.rotated", actors={"operator": "vrm"}, details={"primary": 2})
    everything, _ = audit.parse_filters(session, {})
    first = audit.search(session, everything)
    assert [e.seq for e in first.events] == list(range(120, 70, -1)) and first.next_before == 71
    contact = audit.Filters(category="contact")
    pages, before = [], None
    while True:
        page = audit.search(session, contact, before=before)
        pages.append([e.seq for e in page.events])
        if page.next_before is None:
            break
        before = page.next_before
    assert [seq for page in pages for seq in page] == list(range(118, -1, -2))  # every even seq, once
    assert [len(page) for page in pages] == [50, 10]
    reads_only = audit.Filters(kind="data.read", customer=PSEUDONYM)
    assert [e.seq for e in audit.export(session, reads_only)] == list(range(120))  # oldest first, all of them


def test_time_ranges_and_bad_filters(session: Session) -> None:
    read(session, 0, ["profile"])
    today = datetime.now(UTC).date()
    filters, _ = audit.parse_filters(session, {"since": today.isoformat(), "until": today.isoformat()})
    assert len(audit.search(session, filters).events) == 1
    filters, _ = audit.parse_filters(session, {"since": (today + timedelta(days=1)).isoformat()})
    assert audit.search(session, filters).events == []
    with pytest.raises(ValidationError) as refused:
        audit.parse_filters(
            session,
            {"business": "no-such-shop", "type": "x", "category": "y", "customer": "z", "since": "May"},
        )
    assert set(refused.value.errors) == {"business", "type", "category", "customer", "since"}


def test_a_csv_cell_is_never_a_formula() -> None:
    fields = {
        "at": "2026-12-01T00:00:00.000000Z",
        "type": "data.read",
        "actors": {"business": "=HYPERLINK(1)", "client": "+1"},
        "details": {"customer": "-abc", "categories": ["profile"]},
    }
    row = audit.csv_row(audit.Logged(3, "", fields))
    assert row[3:6] == ["'=HYPERLINK(1)", "'+1", "'-abc"] and row[0] == "3"


def test_the_report_shows_reads_beyond_a_grant_or_after_its_end(session: Session) -> None:
    shop = factories.business(session, "northwind-energy")
    business = str(shop.id)
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def log(kind: str, details: dict[str, object]) -> None:
        actors = {"business": business, "client": "vrm_app"}
        if kind.startswith("consent."):
            actors = {"business": business, "customer": PSEUDONYM}
        append(session, kind=kind, actors=actors, details=details, business_id=shop.id)

    log(
        "consent.granted",
        {"grant": "g1", "scopes": ["profile:read"], "expires_at": later, "purpose": "service"},
    )
    log("data.read", {"grant": "g1", "customer": PSEUDONYM, "token": "t", "categories": ["profile"]})
    log(
        "data.read",
        {"grant": "g1", "customer": PSEUDONYM, "token": "t", "categories": ["contact", "profile"]},
    )
    log("consent.withdrawn", {"grant": "g1", "reason": "withdrawn", "withdrawn_at": later})
    log("data.read", {"grant": "g1", "customer": PSEUDONYM, "token": "t", "categories": ["profile"]})
    log("data.read", {"grant": "g9", "customer": PSEUDONYM, "token": "t", "categories": ["profile"]})
    log(
        "consent.granted",
        {"grant": "g2", "scopes": ["contact:read"], "expires_at": later, "purpose": "service"},
    )
    denied = [{"reason": "quiet_hours", "channel": "sms", "purpose": "service", "count": 7, "customers": []}]
    log("contact.decided", {"questions": 10, "allowed": [], "denied": denied})
    report = audit.business_report(session, business_id=shop.id)
    assert report.outside_scope == [2] and report.after_end == [4] and report.unknown_grant == [5]
    assert report.reads == {"profile": 4, "contact": 1} and report.withdrawals == 1
    assert report.active(datetime.now(UTC)) == ["g2"] and report.expired(
        datetime.now(UTC) + timedelta(days=31)
    ) == ["g2"]
    assert report.denied == {"quiet_hours": 7} and report.decisions == 10


def test_verification_runs_in_steps_and_finds_a_changed_event(database: Database) -> None:
    with database.sessions.begin() as session:
        for number in range(120):
            read(session, number, ["profile"])
        auditor, _ = create_auditor(session, name="acme-audit")
        run = audit.start_verification(session, auditor_id=auditor.id)
        steps = 0
        while run.finished_at is None:
            audit.verify_step(session, run, step=50)
            steps += 1
        leaves = list(session.scalars(select(LogEvent.leaf_hash).order_by(LogEvent.seq)))
        assert steps == 3 and run.first_bad_seq is None and run.root_hash == merkle.root(leaves)

    with database.engine.begin() as connection:  # what only someone who owns the database could do
        if database.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE consent_log DISABLE TRIGGER consent_log_insert_only"))
            changed = "convert_to(replace(convert_from(event, 'UTF8'), '\"profile\"', '\"contact\"'), 'UTF8')"
        else:
            connection.execute(text("DROP TRIGGER consent_log_no_update"))
            changed = "CAST(replace(CAST(event AS TEXT), '\"profile\"', '\"contact\"') AS BLOB)"
        connection.execute(text(f"UPDATE consent_log SET event = {changed} WHERE seq = 64"))
    with database.sessions.begin() as session:
        run = audit.start_verification(session, auditor_id=auditor.id)
        while run.finished_at is None:
            audit.verify_step(session, run, step=50)
        assert run.first_bad_seq == 65 and "chain" in (run.problem or "")
