"""The business's copies of consent receipts: every consent a customer gave it, changed or withdrew, as the
signed receipt the customer got (`vrm.consent.receipts`). Asked with a client credentials token, so the
copy of a withdrawal can be fetched after the customer's tokens stopped working."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from vrm import validation as v
from vrm.api.bearer import current_bearer, requires
from vrm.consent.receipts import business_receipts
from vrm.errors import ValidationError
from vrm.serving.request_scope import db_session, runtime

receipts_api = Blueprint("receipts_api", __name__, url_prefix="/api/v1")


@receipts_api.get("/receipts")
@requires(customer=False)
def receipts() -> Response:
    subject = request.args.get("customer", "")
    if not 0 < len(subject) <= 64 or not v.is_text(subject):
        raise ValidationError({"customer": "must be the customer's id as this API gave it"})
    found = business_receipts(
        db_session(),
        keyring=runtime().keyring,
        issuer=runtime().settings.issuer,
        business_id=current_bearer().client.business_id,
        subject=subject,
    )
    response = jsonify(receipts=[{"seq": r.seq, "receipt": r.jws, "content": r.payload} for r in found])
    response.headers["Cache-Control"] = "no-store"
    return response
