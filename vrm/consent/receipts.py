"""Consent receipts: the customer's signed record of each consent given, changed or withdrawn, and the
business's copy of it.

A receipt is a compact JWS (RFC 7515) signed with the log's Ed25519 key (`"alg": "Ed25519"`, RFC 9864),
whose payload follows ISO/IEC TS 27560 and the Kantara Consent Receipt: receipt id, times, the controller
(the business), the purpose, the data categories, the duration, how to withdraw, the customer's pairwise
id for that business, and the `seq` of the consent-log event it records. It is rendered from that event,
which never changes, and Ed25519 signs deterministically: the same event always gives the same receipt,
so nothing but the log needs storing. Downloaded, a receipt comes with its event, a signed checkpoint and
the event's inclusion proof: with the published key alone, anyone can check that the receipt is genuine
and that the consent it records is in the log (`verify_receipt`, `vrm receipts verify`).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent import events, merkle
from vrm.consent.checkpoints import CheckpointError, b64url, inclusion, public_keys, verify_checkpoint
from vrm.consent.log import timestamp
from vrm.consent.models import Grant, LogEvent
from vrm.consent.scopes import categories_read
from vrm.crypto.keyring import KeyRing
from vrm.errors import NotFound
from vrm.oauth.models import Relationship

TYPES = (events.GRANTED, events.CHANGED, events.WITHDRAWN)
STATES = {events.GRANTED: "given", events.CHANGED: "changed", events.WITHDRAWN: "withdrawn"}
VERSION = "vrm-receipt/1"
ALGORITHM = "Ed25519"  # RFC 9864's fully specified name for EdDSA over Ed25519
TYPE = "vrm-receipt+jws"
RECEIPTS = uuid.UUID("6f1c0a52-29a4-4c2b-9d0e-7a3c5b1e8f21")  # namespace of receipt ids (UUIDv5)


class ReceiptError(Exception):
    """A receipt that is malformed, not signed by the key given, or not backed by its log proof."""


class Receipt(NamedTuple):
    seq: int
    jws: str
    payload: dict[str, Any]


def customer_receipts(
    session: Session, *, keyring: KeyRing, issuer: str, customer_id: uuid.UUID
) -> list[Receipt]:
    """The customer's receipts, newest first."""
    rows = session.execute(_RECORDS.where(LogEvent.customer == events.log_id(keyring, customer_id)))
    signer = _Signer.of(keyring)
    return [_receipt(session, signer, issuer, customer_id, seq, event) for seq, event in rows]


def business_receipts(
    session: Session, *, keyring: KeyRing, issuer: str, business_id: uuid.UUID, subject: str
) -> list[Receipt]:
    """The business's copies of the receipts of the customer it knows under `subject`, newest first.

    Raises:
        NotFound: the business knows no customer under that id.
    """
    customer_id = session.scalar(
        select(Relationship.customer_id).where(
            Relationship.business_id == business_id, Relationship.subject == subject
        )
    )
    if customer_id is None:
        raise NotFound("no customer of this business has that id")
    pseudonym = events.log_id(keyring, customer_id)
    rows = session.execute(
        _RECORDS.where(LogEvent.customer == pseudonym, LogEvent.business_id == business_id)
    )
    signer = _Signer.of(keyring)
    return [_receipt(session, signer, issuer, customer_id, seq, event) for seq, event in rows]


def receipt_bundle(
    session: Session, *, keyring: KeyRing, issuer: str, customer_id: uuid.UUID, seq: int, checkpoint: Any
) -> dict[str, Any]:
    """One of the customer's receipts with the proof that its event is in the log: the event's exact
    text, the signed `checkpoint` (a document covering `seq`), and the event's inclusion proof in it.

    Raises:
        NotFound: no receipt of this customer has that seq.
    """
    row = session.execute(
        _RECORDS.where(LogEvent.seq == seq, LogEvent.customer == events.log_id(keyring, customer_id))
    ).first()
    if row is None:
        raise NotFound("no such receipt")
    receipt = _receipt(session, _Signer.of(keyring), issuer, customer_id, row.seq, row.event)
    size = checkpoint["checkpoint"]["tree_size"]
    proof = inclusion(session, seq=seq, size=size)
    return {
        "receipt": receipt.jws,
        "event": row.event.decode("utf-8"),
        "checkpoint": checkpoint,
        "inclusion": {"seq": seq, "tree_size": size, "proof": [node.hex() for node in proof]},
    }


def verify_receipt(document: Any, keys: Any) -> dict[str, Any]:
    """Check a receipt, bare (its compact JWS) or as downloaded (with its log proof); return its payload.

    Raises:
        ReceiptError: saying what does not hold.
    """
    bundle = document if isinstance(document, Mapping) else None
    token = bundle.get("receipt") if bundle is not None else document
    if not isinstance(token, str):
        raise ReceiptError("is not a receipt: expected a compact JWS, or a document with one under receipt")
    payload = _open(token, keys)
    if bundle is not None:
        _check_in_log(bundle, payload, keys)
    return payload


class _Signer(NamedTuple):
    """The JWS header and private key every receipt of one call is signed with (made once per call)."""

    header: dict[str, str]
    key: OKPKey

    @classmethod
    def of(cls, keyring: KeyRing) -> _Signer:
        public = public_keys(keyring)["keys"][0]
        raw = keyring.log_signing_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key = OKPKey.import_key({**public, "d": b64url(raw)})
        return cls({"alg": ALGORITHM, "kid": public["kid"], "typ": TYPE}, key)


def _receipt(
    session: Session, signer: _Signer, issuer: str, customer_id: uuid.UUID, seq: int, event: bytes
) -> Receipt:
    fields = orjson.loads(event)
    details = fields["details"]
    grant = session.get(Grant, uuid.UUID(details["grant"]))
    business = session.get(Business, uuid.UUID(fields["actors"]["business"]))
    if grant is None or business is None:  # both go only with the customer's whole account
        raise NotFound("the consent this receipt records is gone")
    subject = session.scalar(
        select(Relationship.subject).where(
            Relationship.business_id == business.id, Relationship.customer_id == customer_id
        )
    )
    scopes = details.get("scopes") or sorted(grant.scopes.split())
    consent: dict[str, Any] = {
        "state": STATES[fields["type"]],
        "grant_id": str(grant.id),
        "purposes": [grant.purpose],
        "data_categories": sorted(categories_read(set(scopes))),
        "scopes": scopes,
        "granted_at": timestamp(grant.granted_at),
        "expires_at": details.get("expires_at") or timestamp(grant.expires_at),
        "duration_days": (grant.expires_at - grant.granted_at).days,
    }
    if fields["type"] == events.WITHDRAWN:
        consent["withdrawn_at"] = details["withdrawn_at"]
        consent["withdrawal_reason"] = details["reason"]
    payload = {
        "version": VERSION,
        "receipt_id": str(uuid.uuid5(RECEIPTS, f"{issuer}#{seq}")),
        "iss": issuer,
        "iat": int(datetime.fromisoformat(fields["at"]).timestamp()),
        "issued_at": fields["at"],
        "log": {"seq": seq, "event_type": fields["type"]},
        "controller": {"id": str(business.id), "name": business.display_name, "url": business.website},
        "principal": {"pairwise_id": subject},
        "consent": consent,
        "withdrawal": {
            "how": "Withdraw at any time: in your VRM vault, open Connections and choose Withdraw.",
            "url": f"{issuer}/connections",
        },
    }
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return Receipt(
        seq, jws.serialize_compact(signer.header, body, signer.key, algorithms=[ALGORITHM]), payload
    )


def _open(token: str, keys: Any) -> dict[str, Any]:
    candidates = keys.get("keys") if isinstance(keys, Mapping) and "keys" in keys else [keys]
    if not isinstance(candidates, list):
        raise ReceiptError("cannot be checked: the key given is not a JWK or JWK set")
    try:
        encoded = token.split(".")[0]
        header = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        [jwk] = [
            key for key in candidates if isinstance(key, Mapping) and key.get("kid") == header.get("kid")
        ]
        opened = jws.deserialize_compact(token, OKPKey.import_key(dict(jwk)), algorithms=[ALGORITHM])
        payload = orjson.loads(opened.payload)
    except (ValueError, TypeError, KeyError, JoseError, orjson.JSONDecodeError) as error:
        raise ReceiptError(f"does not verify: {error or type(error).__name__}") from None
    if (
        opened.headers().get("typ") != TYPE
        or not isinstance(payload, dict)
        or payload.get("version") != VERSION
    ):
        raise ReceiptError(f"is not a {VERSION} receipt")
    return payload


def _check_in_log(bundle: Mapping[str, Any], payload: Mapping[str, Any], keys: Any) -> None:
    """The receipt's event is in the log the server signed: the event says what the receipt says, and its
    inclusion proof leads to the signed checkpoint's root."""
    try:
        checkpoint = verify_checkpoint(bundle.get("checkpoint"), keys)
        event = bundle["event"].encode("utf-8")
        fields = orjson.loads(event)
        proof = bundle["inclusion"]
        seq, size = payload["log"]["seq"], checkpoint["tree_size"]
        path = [bytes.fromhex(node) for node in proof["proof"]]
    except CheckpointError as error:
        raise ReceiptError(f"comes with a checkpoint that {error}") from None
    except (KeyError, TypeError, AttributeError, ValueError, orjson.JSONDecodeError):
        raise ReceiptError(
            "comes with an incomplete log proof: expected event, checkpoint and inclusion"
        ) from None
    said = (fields.get("seq"), fields.get("type"), fields.get("details", {}).get("grant"))
    if said != (seq, payload["log"]["event_type"], payload["consent"]["grant_id"]):
        raise ReceiptError(
            f"does not match its event: the receipt is for seq {seq}, the event says otherwise"
        )
    root = bytes.fromhex(checkpoint["root_hash"])
    if proof.get("tree_size") != size or not merkle.verify_inclusion(
        seq, size, merkle.leaf_hash(event), path, root
    ):
        raise ReceiptError(
            f"is not in the log: the inclusion proof of seq {seq} does not lead to the signed root"
        )


_RECORDS = select(LogEvent.seq, LogEvent.event).where(LogEvent.type.in_(TYPES)).order_by(LogEvent.seq.desc())
