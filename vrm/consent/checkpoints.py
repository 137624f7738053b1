"""Signed checkpoints of the consent log, and the proofs that tie an event, or an older checkpoint, to one.

A checkpoint is the canonical JSON (RFC 8785) of `{"origin", "tree_size", "root_hash", "at"}`: the log's
name (the server's issuer URL), how many events it covered, the RFC 9162 Merkle root over them (lowercase
hex), and when it was signed. The server signs exactly those bytes with Ed25519 (RFC 8032); the public key
is published at `/.well-known/vrm-log-key` as a JWK set. An auditor who keeps one checkpoint can ask for a
consistency proof to any later one: the log may only have grown, never changed. `docs/consent-log.md`
says how to check all of it without this code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from vrm.consent import merkle
from vrm.consent.canonical import canonical
from vrm.consent.log import timestamp
from vrm.consent.models import LogCheckpoint, LogEvent
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow, write_transaction
from vrm.errors import NotFound, ValidationError

FIELDS = {"origin", "tree_size", "root_hash", "at"}
LEAVES_PER_READ = 10_000


class CheckpointError(Exception):
    """A checkpoint that is malformed, or whose signature does not verify under the key given."""


class Checkpoint(NamedTuple):
    body: bytes  # canonical JSON, exactly as signed
    signature: bytes
    key_id: str

    @property
    def fields(self) -> dict[str, Any]:
        loaded: dict[str, Any] = orjson.loads(self.body)
        return loaded

    @property
    def signed_at(self) -> datetime:
        return datetime.fromisoformat(self.fields["at"])

    def document(self) -> dict[str, Any]:
        """The checkpoint as served and saved: its fields, the signing key's id, the signature."""
        return {"checkpoint": self.fields, "key_id": self.key_id, "signature": b64url(self.signature)}


def key_id(public_key: Ed25519PublicKey) -> str:
    """A public key's id: the first 8 bytes of the SHA-256 of its raw form, in hex."""
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def public_keys(keyring: KeyRing) -> dict[str, Any]:
    """The JWK set (RFC 7517, RFC 8037) an auditor checks checkpoints and receipts with."""
    public = keyring.log_signing_key.public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(raw),
        "kid": key_id(public),
        "alg": "Ed25519",  # RFC 9864
        "use": "sig",
    }
    return {"keys": [jwk]}


def log_size(session: Session) -> int:
    last = session.connection().execute(select(func.max(LogEvent.seq))).scalar()
    return 0 if last is None else int(last) + 1


def latest(session: Session) -> Checkpoint | None:
    row = session.connection().execute(_LATEST).first()
    return None if row is None else Checkpoint(row.body, row.signature, row.key_id)


def sign_checkpoint(session: Session, *, keyring: KeyRing, origin: str) -> Checkpoint:
    """A signed checkpoint of the log as it is now; the latest one if the log has not grown since.

    Only the events since the latest checkpoint are hashed: the tree grows on from the frontier stored with
    it. Two signers at once sign the same state; the first stored is kept and both return a valid one.
    """
    connection = session.connection()
    previous = connection.execute(_LATEST).first()
    size = log_size(session)
    if previous is not None and previous.tree_size >= size:
        return Checkpoint(previous.body, previous.signature, previous.key_id)
    tree = merkle.Tree.resumed(previous.frontier) if previous is not None else merkle.Tree()
    for chunk in _leaf_chunks(session, tree.size, size):
        tree.extend(chunk)
    now = utcnow()
    root = tree.root()
    body = canonical({"origin": origin, "tree_size": size, "root_hash": root.hex(), "at": timestamp(now)})
    signing_key: Ed25519PrivateKey = keyring.log_signing_key
    signed = Checkpoint(body, signing_key.sign(body), key_id(signing_key.public_key()))
    values = {
        "tree_size": size,
        "at": now,
        "root_hash": root,
        "frontier": tree.frontier(),
        "body": body,
        "signature": signed.signature,
        "key_id": signed.key_id,
    }
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(insert(LogCheckpoint).values(values).on_conflict_do_nothing())
    stored = connection.execute(_AT_SIZE, {"size": size}).one()
    return Checkpoint(stored.body, stored.signature, stored.key_id)


def checkpoint_covering(
    sessions: sessionmaker[Session], *, keyring: KeyRing, origin: str, seq: int
) -> Checkpoint:
    """A signed checkpoint that covers event `seq`: the latest, or a new one when the latest is older."""
    with sessions() as session:
        found = latest(session)
    if found is not None and found.fields["tree_size"] > seq:
        return found
    with write_transaction(sessions) as session:
        return sign_checkpoint(session, keyring=keyring, origin=origin)


def checkpoint_age(session: Session) -> tuple[int, datetime] | None:
    """The latest checkpoint's tree size and signing time, or None before the first."""
    row = (
        session.connection()
        .execute(
            select(LogCheckpoint.tree_size, LogCheckpoint.at)
            .order_by(LogCheckpoint.tree_size.desc())
            .limit(1)
        )
        .first()
    )
    return None if row is None else (row.tree_size, row.at)


def inclusion(session: Session, *, seq: int, size: int) -> list[bytes]:
    """The audit path of event `seq` in the tree of the first `size` events (RFC 9162 2.1.3).

    Raises:
        ValidationError: `seq` is not an event of that tree.
        NotFound: the log does not hold `size` events yet.
    """
    if not 0 <= seq < size:
        raise ValidationError({"seq": f"must be an event of the tree: 0 to {max(size - 1, 0)}"})
    return merkle.inclusion_proof(seq, _leaves(session, size))


def consistency(session: Session, *, old: int, new: int) -> list[bytes]:
    """The proof that the tree of `old` events is the beginning of the tree of `new` (RFC 9162 2.1.4).

    Raises:
        ValidationError: not 0 < old <= new.
        NotFound: the log does not hold `new` events yet.
    """
    if not 0 < old <= new:
        raise ValidationError({"from": "must be at least 1 and at most to"})
    return merkle.consistency_proof(old, _leaves(session, new))


def verify_checkpoint(document: Any, keys: Any) -> dict[str, Any]:
    """Check a checkpoint document (as `Checkpoint.document` makes) against a JWK or JWK set; return its
    fields.

    Raises:
        CheckpointError: saying what is wrong: its shape, its key, or its signature.
    """
    if not isinstance(document, Mapping) or set(document) != {"checkpoint", "key_id", "signature"}:
        raise CheckpointError("is not a checkpoint: expected checkpoint, key_id and signature")
    fields = document["checkpoint"]
    if not isinstance(fields, Mapping) or set(fields) != FIELDS:
        raise CheckpointError(f"holds other fields than {', '.join(sorted(FIELDS))}")
    size, root = fields["tree_size"], fields["root_hash"]
    if type(size) is not int or size < 0 or not isinstance(root, str) or len(root) != 64:
        raise CheckpointError("has no valid tree_size and root_hash")
    try:
        body = canonical(dict(fields))
        signature = _unb64(document["signature"])
        _public_key(keys, document["key_id"]).verify(signature, body)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise CheckpointError(f"does not verify: {error or 'the signature does not match'}") from None
    return dict(fields)


def _public_key(keys: Any, wanted: Any) -> Ed25519PublicKey:
    candidates = keys.get("keys") if isinstance(keys, Mapping) and "keys" in keys else [keys]
    for jwk in candidates if isinstance(candidates, list) else []:
        if isinstance(jwk, Mapping) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            public = Ed25519PublicKey.from_public_bytes(_unb64(jwk.get("x")))
            if key_id(public) == wanted:
                return public
    raise ValueError(f"no Ed25519 key with id {wanted!r} among the keys given")


def _leaves(session: Session, size: int) -> list[bytes]:
    if size > log_size(session):
        raise NotFound(f"the log holds fewer than {size} events")
    return [leaf for chunk in _leaf_chunks(session, 0, size) for leaf in chunk]


def _leaf_chunks(session: Session, start: int, end: int) -> Iterator[list[bytes]]:
    """Leaf hashes of events start..end-1, in order, a keyset page at a time."""
    connection = session.connection()
    while start < end:
        stop = min(start + LEAVES_PER_READ, end)
        chunk = list(connection.execute(_LEAVES, {"start": start, "stop": stop}).scalars())
        if len(chunk) != stop - start:
            raise NotFound(f"the log lacks events between {start} and {stop - 1}")
        yield chunk
        start = stop


def b64url(raw: bytes) -> str:
    """base64url without padding (RFC 7515 section 2), as JWKs, JWS and checkpoints carry bytes."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64url text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        raise ValueError("not base64url") from None
    if b64url(raw) != text:  # one encoding per value: no unused bits set, no padding, no stray characters
        raise ValueError("not canonical base64url")
    return raw


_LATEST = (
    select(
        LogCheckpoint.tree_size,
        LogCheckpoint.frontier,
        LogCheckpoint.body,
        LogCheckpoint.signature,
        LogCheckpoint.key_id,
    )
    .order_by(LogCheckpoint.tree_size.desc())
    .limit(1)
)
_AT_SIZE = select(LogCheckpoint.body, LogCheckpoint.signature, LogCheckpoint.key_id).where(
    LogCheckpoint.tree_size == bindparam("size")
)
_LEAVES = (
    select(LogEvent.leaf_hash)
    .where(LogEvent.seq >= bindparam("start"))
    .where(LogEvent.seq < bindparam("stop"))
    .order_by(LogEvent.seq)
)
