"""The business API's request and response shapes (marshmallow): only at the edge, no database here."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from vrm.consent.policy import REASONS
from vrm.vault.interactions import LIMITS
from vrm.vault.journeys import OPENERS, REFERENCE_LIMIT, TITLE_LIMIT
from vrm.vault.vocabulary import CHANNELS, DIRECTIONS, PURPOSES

REFERENCE = {
    "description": "Your own reference for the journey, such as a ticket or case number: 1 to 100 printable "
    "characters (NFC-normalized, trimmed). Yours alone: another business's same reference is another journey",
    "example": "CASE-1234",
}


class JourneyReference(Schema):
    """The journey an interaction continues, by your reference: opened on first use, continued after."""

    class Meta:
        unknown = RAISE

    reference = fields.String(
        required=True, validate=validate.Length(min=1, max=REFERENCE_LIMIT), metadata=REFERENCE
    )
    title = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=TITLE_LIMIT),
        metadata={"description": "The title of a journey opened now (an existing one keeps its own)"},
    )


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
    journey_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "A journey of yours with this customer (give this or `journey`)"},
    )
    journey = fields.Nested(JourneyReference, load_default=None, allow_none=True)

    @validates_schema
    def one_journey(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("journey_id") is not None and data.get("journey") is not None:
            raise ValidationError("give journey_id or journey, not both", "journey")


class NewJourney(Schema):
    """A journey a business opens with the customer."""

    class Meta:
        unknown = RAISE

    title = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=TITLE_LIMIT)
    )
    reference = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=REFERENCE_LIMIT),
        metadata={
            **REFERENCE,
            "description": REFERENCE["description"] + ". An existing reference answers "
            "200 with its journey, title unchanged",
        },
    )


def field_errors(error: ValidationError) -> dict[str, str]:
    """marshmallow's nested messages as one line per field (`journey.reference`), the way every service
    names its problems."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return _flat(messages, "")


def _flat(messages: dict[Any, Any], prefix: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in messages.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return flat


# --- response shapes (documented in the OpenAPI document; the views build the same dictionaries) --------


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Validation failed"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(required=True, metadata={"example": "some fields are invalid"})
    code = fields.String(metadata={"example": "validation_failed"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "field: problem"}
    )


class Email(Schema):
    address = fields.Email(required=True)
    label = fields.String(required=True)
    primary = fields.Boolean(required=True)


class Phone(Schema):
    number = fields.String(required=True, metadata={"description": "E.164", "example": "+442079460958"})
    label = fields.String(required=True)
    primary = fields.Boolean(required=True)


class Address(Schema):
    lines = fields.List(fields.String(), required=True)
    locality = fields.String(required=True)
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2"})
    label = fields.String(required=True)
    primary = fields.Boolean(required=True)


class Customer(Schema):
    """What the customer lets this business see now. A field the customer withholds is absent."""

    sub = fields.String(
        required=True, metadata={"description": "The customer's pairwise id for this business"}
    )
    given_name = fields.String(allow_none=True, metadata={"description": "profile:read"})
    family_name = fields.String(allow_none=True, metadata={"description": "profile:read"})
    display_name = fields.String(allow_none=True, metadata={"description": "profile:read"})
    language = fields.String(
        allow_none=True, metadata={"description": "profile:read; BCP 47: the customer's preferred language"}
    )
    locale = fields.String(
        allow_none=True,
        metadata={"description": "profile:read; BCP 47 with a region: how dates and numbers are written"},
    )
    time_zone = fields.String(
        allow_none=True,
        metadata={
            "description": "profile:read; the customer's IANA time zone (null: not chosen)",
            "example": "Pacific/Auckland",
        },
    )
    emails = fields.List(fields.Nested(Email), metadata={"description": "contact:read"})
    phones = fields.List(fields.Nested(Phone), metadata={"description": "contact:read"})
    addresses = fields.List(fields.Nested(Address), metadata={"description": "contact:read"})


class QuietHours(Schema):
    start = fields.String(required=True, metadata={"example": "21:00"})
    end = fields.String(required=True, metadata={"example": "08:00"})
    time_zone = fields.String(required=True, metadata={"example": "Europe/Paris"})


class Cap(Schema):
    limit = fields.Integer(required=True, metadata={"example": 2})
    period = fields.String(required=True, validate=validate.OneOf(("day", "week", "month")))


class CustomerPreferences(Schema):
    """What this business may do: every channel x purpose, quiet hours, caps, what the customer prefers."""

    sub = fields.String(required=True)
    contact = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CHANNELS)),
        values=fields.Dict(keys=fields.String(validate=validate.OneOf(PURPOSES)), values=fields.Boolean()),
        required=True,
    )
    quiet_hours = fields.Nested(QuietHours, allow_none=True, required=True)
    frequency_caps = fields.Dict(keys=fields.String(), values=fields.Nested(Cap), required=True)
    preferred_channel = fields.String(allow_none=True, required=True)
    preferred_language = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "BCP 47: the customer's preferred language, the same as their profile's"},
    )


class Feedback(Schema):
    rating = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = fields.String(allow_none=True)


class InteractionOut(Schema):
    id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    subject = fields.String(required=True, allow_none=True)
    summary = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True, allow_none=True)
    journey_id = fields.UUID(required=True, allow_none=True)
    recorded_by = fields.String(required=True)
    feedback = fields.Nested(Feedback, allow_none=True, metadata={"description": "only with feedback:read"})


class InteractionPage(Schema):
    items = fields.List(fields.Nested(InteractionOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class JourneyOut(Schema):
    id = fields.UUID(required=True)
    title = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The customer's to change; null when there is none, or (opening an existing "
            "journey again) when you may not read the customer's history"
        },
    )
    reference = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Yours; null for a journey the customer opened"},
    )
    opened_by = fields.String(required=True, validate=validate.OneOf(OPENERS))
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class JourneyPage(Schema):
    items = fields.List(fields.Nested(JourneyOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class JourneyThread(JourneyOut):
    """A journey and its thread: your interactions in it that the customer lets you see, oldest first."""

    interactions = fields.List(fields.Nested(InteractionOut), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "The next 50 interactions (`?cursor=`)"}
    )


class ContactQuestion(Schema):
    customer = fields.String(required=True, validate=validate.Length(1, 64))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    at = fields.AwareDateTime(metadata={"description": "when the contact would happen (default: now)"})


class ContactQuestions(Schema):
    items = fields.List(fields.Nested(ContactQuestion), required=True, validate=validate.Length(1, 10_000))


class ContactDecision(Schema):
    customer = fields.String(required=True)
    allowed = fields.Boolean(required=True)
    reason = fields.String(
        validate=validate.OneOf(REASONS), metadata={"description": "present on every deny"}
    )


class ContactDecisions(Schema):
    decisions = fields.List(fields.Nested(ContactDecision), required=True)


class ReceiptCopy(Schema):
    seq = fields.Integer(required=True, metadata={"description": "the consent-log event the receipt records"})
    receipt = fields.String(
        required=True,
        metadata={
            "description": "compact JWS (Ed25519) the customer got; check it with "
            "the key at /.well-known/vrm-log-key"
        },
    )
    content = fields.Dict(required=True, metadata={"description": "the receipt's payload, as signed"})


class Receipts(Schema):
    receipts = fields.List(fields.Nested(ReceiptCopy), required=True)
