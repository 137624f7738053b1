"""The consent log for auditors: signed checkpoints, entries and proofs (`/api/v1/log`), and the public key
that checks them (`/.well-known/vrm-log-key`). Auditors call with their token; nothing here holds personal
data in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from vrm.accounts.auditors import auditor_for_token
from vrm.accounts.models import Auditor
from vrm.api.problems import problem
from vrm.consent.checkpoints import (
    consistency,
    inclusion,
    latest,
    log_size,
    public_keys,
    sign_checkpoint,
)
from vrm.consent.models import LogEvent
from vrm.db import utcnow, write_transaction
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session, runtime

log_api = Blueprint("log_api", __name__, url_prefix="/api/v1/log")
log_key = Blueprint("log_key", __name__)
F = TypeVar("F", bound=Callable[..., Any])
MAX_ENTRIES = 1000
# An auditor asking for a checkpoint gets one at most this old, unless the log has not grown since.
FRESH_FOR = timedelta(minutes=1)


@log_key.get("/.well-known/vrm-log-key")
def public_key() -> Response:
    response = jsonify(public_keys(runtime().keyring))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def auditor_only(view: F) -> F:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if _auditor() is None:
            refused = problem(401, "Unauthorized", "send an auditor's token: Authorization: Bearer <token>")
            refused.headers["WWW-Authenticate"] = 'Bearer realm="vrm-log"'
            return refused
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def auditor_key() -> str:
    """The rate-limit key of a request: its auditor when the token is live, else its address."""
    auditor = _auditor()
    return f"auditor:{auditor.id}" if auditor is not None else f"address:{get_remote_address()}"


def _auditor() -> Auditor | None:
    """The request's auditor, looked up once per request (the rate limiter asks first)."""
    if "auditor" not in g:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        g.auditor = auditor_for_token(db_session(), token.strip()) if scheme.lower() == "bearer" else None
    found: Auditor | None = g.auditor
    return found


@log_api.get("/checkpoint")
@auditor_only
def checkpoint() -> Response:
    """The latest signed checkpoint, signed afresh when the log has grown and the latest is a minute old."""
    session = db_session()
    signed = latest(session)
    grown = signed is None or signed.fields["tree_size"] < log_size(session)
    if grown and (signed is None or utcnow() - signed.signed_at >= FRESH_FOR):
        session.commit()  # end the read; sign in a transaction that holds the write lock from its start
        with write_transaction(runtime().sessions) as signing:
            signed = sign_checkpoint(signing, keyring=runtime().keyring, origin=runtime().settings.issuer)
    assert signed is not None
    return _private(jsonify(signed.document()))


@log_api.get("/entries")
@auditor_only
def entries() -> Response:
    """Events start..end-1 (at most 1000), each as its exact canonical text."""
    start, end = _number("start"), _number("end")
    if not start < end <= start + MAX_ENTRIES:
        raise ValidationError({"end": f"must be after start, by at most {MAX_ENTRIES}"})
    rows = db_session().execute(
        select(LogEvent.seq, LogEvent.event)
        .where(LogEvent.seq >= start, LogEvent.seq < end)
        .order_by(LogEvent.seq)
    )
    found = [{"seq": seq, "event": event.decode("utf-8")} for seq, event in rows]
    return _private(jsonify(entries=found, start=start, end=start + len(found)))


@log_api.get("/proof/inclusion")
@auditor_only
def inclusion_proof() -> Response:
    seq, size = _number("seq"), _number("size")
    proof = inclusion(db_session(), seq=seq, size=size)
    leaf = db_session().scalar(select(LogEvent.leaf_hash).where(LogEvent.seq == seq))
    assert leaf is not None  # inclusion() checked seq < size <= the log's size
    return _private(
        jsonify(seq=seq, tree_size=size, leaf_hash=leaf.hex(), proof=[node.hex() for node in proof])
    )


@log_api.get("/proof/consistency")
@auditor_only
def consistency_proof() -> Response:
    old, new = _number("from"), _number("to")
    proof = consistency(db_session(), old=old, new=new)
    return _private(jsonify({"from": old, "to": new, "proof": [node.hex() for node in proof]}))


def _number(name: str) -> int:
    value = request.args.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValidationError({name: "must be a whole number (0 or more)"})
    return int(value)


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
