"""The consent log: a hash chain and Merkle tree of canonical events that the database will not let anyone
change, that concurrent writers never fork, and whose exported copy reveals the first tampered event."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from tests.conftest import Database
from vrm.consent import log, merkle
from vrm.consent.canonical import canonical
from vrm.consent.log import FIRST_PREV_HASH, append, verify
from vrm.consent.models import LogEvent


def logged(session: Session) -> list[bytes]:
    return list(session.scalars(select(LogEvent.event).order_by(LogEvent.seq)))


def fill(session: Session, count: int) -> list[bytes]:
    for number in range(count):
        append(
            session,
            kind="consent.granted",
            actors={"customer": f"p{number}"},
            details={"scopes": ["profile"]},
        )
    return logged(session)


def test_events_are_canonical_numbered_and_chained(session: Session) -> None:
    events = fill(session, 3)
    fields = [json.loads(event) for event in events]
    assert [f["seq"] for f in fields] == [0, 1, 2]
    assert fields[0]["prev_hash"] == FIRST_PREV_HASH
    assert fields[2]["prev_hash"] == hashlib.sha256(events[1]).hexdigest()
    assert all(canonical(f) == event for f, event in zip(fields, events, strict=True))
    stored = session.scalars(select(LogEvent).order_by(LogEvent.seq)).all()
    assert [row.leaf_hash for row in stored] == [merkle.leaf_hash(event) for event in events]
    checked = verify(events)
    assert checked.intact and checked.events == 3
    assert checked.root == merkle.root(row.leaf_hash for row in stored)


def test_the_database_refuses_to_change_or_remove_an_event(database: Database) -> None:
    with database.sessions.begin() as session:
        fill(session, 2)
    for statement in (update(LogEvent).values(type="consent.withdrawn"), delete(LogEvent)):
        with pytest.raises(DatabaseError, match="append-only"), database.sessions.begin() as session:
            session.execute(statement)
    with database.sessions() as session:
        assert verify(logged(session)).events == 2


def tampered(events: list[bytes], how: str) -> list[bytes]:
    copy = list(events)
    if how == "changed":
        fields = json.loads(copy[4])
        fields["details"]["scopes"] = ["profile", "contact"]
        copy[4] = canonical(fields)
    elif how == "deleted":
        del copy[4]
    elif how == "reordered":
        copy[4], copy[5] = copy[5], copy[4]
    elif how == "reformatted":
        copy[4] = json.dumps(json.loads(copy[4]), indent=1).encode()
    return copy


@pytest.mark.parametrize("how", ["changed", "deleted", "reordered", "reformatted"])
def test_verification_names_the_first_tampered_event(session: Session, how: str) -> None:
    events = fill(session, 10)
    checked = verify(tampered(events, how))
    assert not checked.intact
    # A changed or reformatted event 4 is caught at 4 (its bytes) or at 5 (no longer chained to by 5).
    assert checked.first_bad_seq == (5 if how == "changed" else 4)
    assert checked.problem


def test_parallel_writers_never_fork_the_chain_or_skip_a_seq(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several processes write at once on PostgreSQL; SQLite has a single writer")
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for round_ in range(25):
                with database.sessions.begin() as session:
                    append(
                        session, kind="interaction.written", actors={"writer": number}, details={"n": round_}
                    )
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with database.sessions() as session:
        events = logged(session)
    checked = verify(events)
    assert checked.intact and checked.events == 200


def test_verifying_on_every_core_gives_the_answer_verifying_in_order_gives(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = fill(session, 1000)
    monkeypatch.setattr(log, "BLOCK", 64)  # many blocks, so joins and boundaries are exercised
    for at in (None, 0, 500, 640, 1000):
        assert verify(events, at=at, workers=2) == verify(events, at=at), at
    changed = json.loads(events[300])
    changed["actors"]["customer"] = "someone else"
    tampered = {
        "changed": [*events[:300], canonical(changed), *events[301:]],
        "dropped at a block's start": [*events[:640], *events[641:]],
        "reordered": [*events[:100], events[101], events[100], *events[102:]],
        "cut short": [*events[:777], events[777][:-3]],
    }
    for how, damaged in tampered.items():
        expected = verify(damaged, at=640)
        assert not expected.intact and verify(damaged, at=640, workers=2) == expected, how
