"""The business API's request and response shapes (marshmallow): only at the edge, no database here."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from vrm.vault.interactions import LIMITS
from vrm.vault.vocabulary import CHANNELS, DIRECTIONS


class NewInteraction(Schema):
    """An interaction a business records into the customer's history."""

    class Meta:
        unknown = RAISE

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    subject = fields.String(required=True, validate=validate.Length(min=1, max=LIMITS["subject"]))
    summary = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=LIMITS["summary"])
    )
    outcome = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=LIMITS["outcome"])
    )
    journey_id = fields.UUID(load_default=None, allow_none=True)


def field_errors(error: ValidationError) -> dict[str, str]:
    """marshmallow's nested messages as one line per field, the way every service names its problems."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    flat: dict[str, str] = {}
    for name, value in messages.items():
        flat[str(name)] = " ".join(value) if isinstance(value, list) else str(value)
    return flat
