"""Signed checkpoints: the server's Ed25519-signed word on the log's size and root, grown from the last one,
and the inclusion and consistency proofs an auditor checks against them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from tests.conftest import Database
from vrm.consent import merkle
from vrm.consent.checkpoints import (
    CheckpointError,
    consistency,
    inclusion,
    public_keys,
    sign_checkpoint,
    verify_checkpoint,
)
from vrm.consent.log import append
from vrm.consent.models import LogCheckpoint, LogEvent
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound, ValidationError

ORIGIN = "https://vault.example"


def grow(session: Session, count: int) -> list[bytes]:
    for number in range(count):
        append(session, kind="data.read", actors={"business": "b"}, details={"n": number})
    return list(session.scalars(select(LogEvent.leaf_hash).order_by(LogEvent.seq)))


def test_a_checkpoint_signs_the_logs_size_and_root(session: Session, keyring: KeyRing) -> None:
    leaves = grow(session, 1000)
    signed = sign_checkpoint(session, keyring=keyring, origin=ORIGIN)
    fields = verify_checkpoint(json.loads(json.dumps(signed.document())), public_keys(keyring))
    assert fields["origin"] == ORIGIN and fields["tree_size"] == 1000
    assert fields["root_hash"] == merkle.root(leaves).hex()
    assert sign_checkpoint(session, keyring=keyring, origin=ORIGIN) == signed  # the log has not grown


def test_the_next_checkpoint_grows_from_the_last_and_is_consistent_with_it(
    session: Session, keyring: KeyRing
) -> None:
    grow(session, 1000)
    first = sign_checkpoint(session, keyring=keyring, origin=ORIGIN).fields
    leaves = grow(session, 37)
    second = sign_checkpoint(session, keyring=keyring, origin=ORIGIN).fields
    assert second["tree_size"] == 1037 and second["root_hash"] == merkle.root(leaves).hex()
    proof = consistency(session, old=1000, new=1037)
    old_root, new_root = bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"])
    assert merkle.verify_consistency(1000, 1037, old_root, new_root, proof)
    assert not merkle.verify_consistency(1000, 1037, new_root, old_root, proof)


def test_every_event_of_a_thousand_is_proven_in_the_signed_tree(session: Session, keyring: KeyRing) -> None:
    leaves = grow(session, 1000)
    root = bytes.fromhex(sign_checkpoint(session, keyring=keyring, origin=ORIGIN).fields["root_hash"])
    for seq in range(1000):
        proof = inclusion(session, seq=seq, size=1000)
        assert merkle.verify_inclusion(seq, 1000, leaves[seq], proof, root), seq
    proof = inclusion(session, seq=500, size=1000)
    bent = [proof[0][:5] + bytes([proof[0][5] ^ 1]) + proof[0][6:], *proof[1:]]
    assert not merkle.verify_inclusion(500, 1000, leaves[500], bent, root)


def test_proofs_of_what_the_log_does_not_hold_are_refused(session: Session) -> None:
    grow(session, 10)
    with pytest.raises(NotFound):
        inclusion(session, seq=3, size=11)
    with pytest.raises(ValidationError):
        inclusion(session, seq=10, size=10)
    with pytest.raises(ValidationError):
        consistency(session, old=0, new=5)
    with pytest.raises(NotFound):
        consistency(session, old=5, new=11)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["checkpoint"].update(tree_size=d["checkpoint"]["tree_size"] - 1),  # hide the tail
        lambda d: d["checkpoint"].update(root_hash="0" * 64),
        lambda d: d.update(signature=d["signature"][:-2] + ("AA" if d["signature"][-2:] != "AA" else "AB")),
        lambda d: d.update(key_id="0000000000000000"),
        lambda d: d["checkpoint"].update(extra=1),
        lambda d: d.pop("signature"),
    ],
)
def test_an_altered_checkpoint_does_not_verify(session: Session, keyring: KeyRing, tamper: object) -> None:
    grow(session, 5)
    document = sign_checkpoint(session, keyring=keyring, origin=ORIGIN).document()
    tamper(document)  # type: ignore[operator]
    with pytest.raises(CheckpointError):
        verify_checkpoint(document, public_keys(keyring))


def test_another_servers_key_does_not_verify_it(session: Session, keyring: KeyRing) -> None:
    grow(session, 5)
    document = sign_checkpoint(session, keyring=keyring, origin=ORIGIN).document()
    with pytest.raises(CheckpointError, match="no Ed25519 key"):
        verify_checkpoint(document, public_keys(KeyRing.generate("development")))
    single = public_keys(keyring)["keys"][0]
    assert verify_checkpoint(document, single)["tree_size"] == 5  # a lone JWK does as well as the set


def test_the_database_refuses_to_change_a_signed_checkpoint(database: Database, keyring: KeyRing) -> None:
    with database.sessions.begin() as session:
        grow(session, 3)
        sign_checkpoint(session, keyring=keyring, origin=ORIGIN)
    for statement in (update(LogCheckpoint).values(tree_size=2), delete(LogCheckpoint)):
        with pytest.raises(DatabaseError, match="append-only"), database.sessions.begin() as session:
            session.execute(statement)
