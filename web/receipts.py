"""Consent receipts: the customer's signed record of every consent they gave, changed or withdrew, each
downloadable with the proof that it is in the consent log."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template
from flask_login import login_required

from vrm.consent.checkpoints import checkpoint_covering
from vrm.consent.receipts import customer_receipts, receipt_bundle
from vrm.serving.request_scope import db_session, runtime
from web import words
from web.login import signed_in

receipts = Blueprint("receipts", __name__, url_prefix="/receipts")


@receipts.get("")
@login_required  # type: ignore[untyped-decorator]
def overview() -> str:
    found = customer_receipts(
        db_session(),
        keyring=runtime().keyring,
        issuer=runtime().settings.issuer,
        customer_id=signed_in().customer_id,
    )
    return render_template("receipts.html", receipts=found, words=words)


@receipts.get("/<int:seq>.json")
@login_required  # type: ignore[untyped-decorator]
def download(seq: int) -> Response:
    """The receipt with its log proof, as a file anyone can check with the published key."""
    settings, keyring = runtime().settings, runtime().keyring
    checkpoint = checkpoint_covering(runtime().sessions, keyring=keyring, origin=settings.issuer, seq=seq)
    bundle = receipt_bundle(
        db_session(),
        keyring=keyring,
        issuer=settings.issuer,
        customer_id=signed_in().customer_id,
        seq=seq,
        checkpoint=checkpoint.document(),
    )
    return Response(
        json.dumps(bundle, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="consent-receipt-{seq}.json"',
            "Cache-Control": "no-store",
        },
    )
