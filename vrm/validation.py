"""Field checks shared by the domain services; each failure names the field it is about."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from vrm import zones
from vrm.errors import ValidationError

LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")
COUNTRY = re.compile(r"[A-Za-z]{2}")
CLOCK_SKEW = timedelta(days=1)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
IN_THE_FUTURE = "must not be in the future"


class Problems:
    """Collect every field error of one input, then raise them together."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self) -> None:
        """Raises: ValidationError: when any error was collected."""
        if self.errors:
            raise ValidationError(self.errors)


def require_object(values: Any, field: str = "input") -> Mapping[str, Any]:
    """Raises: ValidationError: the input is not an object (a JSON array, a string, null...)."""
    if not isinstance(values, Mapping):
        raise ValidationError({field: "must be an object"})
    return values


def is_text(value: Any) -> bool:
    """Whether a value is a string that can be stored and looked up: UTF-8 encodable (no lone surrogates)
    and without NUL, which PostgreSQL text cannot hold (a query with one fails instead of finding nothing)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def identifier(value: Any) -> uuid.UUID | None:
    """Return the UUID a value names (a UUID or its text), or None when it names none."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def reference(value: Any, field: str, problems: Problems) -> uuid.UUID | None:
    found = identifier(value)
    if found is None:
        problems.add(field, "must be an identifier (UUID)")
    return found


def reject_unknown(
    values: Mapping[str, Any], allowed: Iterable[str], problems: Problems, prefix: str = ""
) -> None:
    require_object(values, prefix.rstrip(".") or "input")
    allowed_set = set(allowed)
    for key in values:
        if key not in allowed_set:
            name = key if is_text(key) and key.strip() else ascii(key)
            problems.add(f"{prefix}{name}", "is not a known field")


def text(
    value: Any, field: str, problems: Problems, *, max_length: int, required: bool = False
) -> str | None:
    """Return trimmed text, None for blank optional text; reports missing, non-text or too long values."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(field, "is required")
        return None
    if not is_text(value):
        problems.add(field, "must be text, without NUL characters")
        return None
    trimmed: str = value.strip()
    if len(trimmed) > max_length:
        problems.add(field, f"must be at most {max_length} characters")
        return None
    return trimmed


def email(value: Any, field: str, problems: Problems) -> str | None:
    """Return the normalized address (domain lower-cased, IDNA-checked), or report why it is not one."""
    if not is_text(value) or not value.strip():
        problems.add(field, "must be an email address")
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        problems.add(field, f"is not a valid email address ({exc})")
        return None


def canonical_email(address: str) -> str:
    """Return the form `email` stores for an address (IDNA domains decoded), or the input if it is not one."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except (EmailNotValidError, UnicodeError):
        return address


def phone(value: Any, field: str, problems: Problems, *, region: str | None = None) -> str | None:
    """Return the number in E.164 form; numbers without a country code need `region`."""
    if not is_text(value) or not value.strip():
        problems.add(field, "must be a phone number")
        return None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        problems.add(field, "is not a phone number (use the international form, e.g. +44 20 7946 0958)")
        return None
    if not phonenumbers.is_valid_number(parsed):
        problems.add(field, "is not a valid phone number")
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def choice(value: Any, field: str, problems: Problems, allowed: Iterable[str]) -> str | None:
    options = tuple(allowed)
    if value not in options:
        problems.add(field, f"must be one of: {', '.join(options)}")
        return None
    return str(value)


def time_zone(value: Any, field: str, problems: Problems) -> str | None:
    """Return a time zone the tz database knows now (an old alias too: a stored one stays valid)."""
    # Membership in the known list, not a file lookup: names such as "Europe" or "../x" never reach disk.
    if not isinstance(value, str) or value not in zones.known_zones():
        problems.add(field, "must be an IANA time zone such as Europe/Paris")
        return None
    return value


def language_tag(value: Any, field: str, problems: Problems) -> str | None:
    """Return a BCP 47 tag in its usual case (`en`, `en-GB`, `zh-Hant-TW`)."""
    if not isinstance(value, str) or not LANGUAGE_TAG.fullmatch(value.strip()):
        problems.add(field, "must be a language tag such as en or en-GB")
        return None
    head, *rest = value.strip().replace("_", "-").split("-")
    return "-".join([head.lower(), *(part.upper() if len(part) == 2 else part.title() for part in rest)])


def country(value: Any, field: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or not COUNTRY.fullmatch(value):
        problems.add(field, "must be a two-letter ISO 3166 country code such as FR")
        return None
    return value.upper()


def clock_time(value: Any, field: str, problems: Problems) -> str | None:
    """Return a time of day as HH:MM."""
    if isinstance(value, str):
        try:
            return time.fromisoformat(value).strftime("%H:%M")
        except ValueError:
            pass
    problems.add(field, "must be a time of day as HH:MM")
    return None


def birth_date(value: Any, field: str, problems: Problems) -> str | None:
    """Return an ISO date that is in the past and no earlier than 1900."""
    parsed = None
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
    elif isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    if parsed is None:
        problems.add(field, "must be a date as YYYY-MM-DD")
        return None
    if not EARLIEST.date() <= parsed <= datetime.now(UTC).date():
        problems.add(field, "must be a date between 1900-01-01 and today")
        return None
    return parsed.isoformat()


def instant(value: Any, field: str, problems: Problems) -> datetime | None:
    """Return an aware UTC datetime from 1900 on, from a datetime or RFC 3339 text."""
    parsed = None
    if isinstance(value, datetime):
        parsed = value
    elif is_text(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    try:
        if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None or parsed < EARLIEST:
            raise ValueError
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: offsets that push year 1 below the minimum
        problems.add(field, "must be a date and time from 1900 on, with a time zone (RFC 3339)")
        return None


def moment(value: Any, field: str, problems: Problems) -> datetime | None:
    """Return when something happened: like `instant`, and no later than a day from now (clock skew)."""
    parsed = instant(value, field, problems)
    if parsed is not None and parsed - datetime.now(UTC) > CLOCK_SKEW:
        problems.add(field, IN_THE_FUTURE)
        return None
    return parsed


def integer(value: Any, field: str, problems: Problems, *, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(field, f"must be a whole number from {low} to {high}")
        return None
    return value


def boolean(value: Any, field: str, problems: Problems) -> bool | None:
    if not isinstance(value, bool):
        problems.add(field, "must be true or false")
        return None
    return value
