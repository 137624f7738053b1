"""The customer's profile: names, emails, phones, postal addresses, preferred language, region format
(locale), time zone, birth date and free-form attributes.

The profile's `language` is the customer's one preferred language. Before it was, the preferences held one
too; a customer who chose one there and has not saved a language in their profile since still has it,
read from there (`vrm.vault.preferences.legacy_language`) until they save their profile's language."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from vrm import validation as v
from vrm import zones
from vrm.vault.models import Profile as ProfileRow
from vrm.vault.preferences import forget_legacy_language, legacy_language
from vrm.vault.rows import only_row
from vrm.vault.seal import CustomerVault

TEXT_FIELDS = {"given_name": 100, "family_name": 100, "display_name": 200}
FIELDS = (
    *TEXT_FIELDS,
    "emails",
    "phones",
    "addresses",
    "language",
    "locale",
    "time_zone",
    "birth_date",
    "attributes",
)
MAX_ITEMS = 20
MAX_ATTRIBUTES = 50


@dataclass(frozen=True)
class Profile:
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    language: str | None = None  # BCP 47: the customer's preferred language
    locale: str | None = None  # BCP 47 with a region: how dates and numbers are written (en-GB)
    time_zone: str | None = None  # IANA; None: not chosen yet (times show in UTC)
    birth_date: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def primary_email(self) -> str | None:
        return next((e["address"] for e in self.emails if e.get("primary")), None)


def create_profile(
    session: Session, *, vault: CustomerVault, email: str, time_zone: object = None
) -> Profile:
    """Start a customer's profile with their sign-up email as primary and the time zone their browser
    reported, under its current name; one the tz database does not know is left out, never an error
    (added, for the caller to flush)."""
    row = ProfileRow(id=uuid.uuid4(), customer_id=vault.customer_id)
    zone = zones.current_name(time_zone) if isinstance(time_zone, str) else None
    profile = Profile(emails=[{"address": email, "label": "", "primary": True}], time_zone=zone)
    vault.seal_into(row, emails=profile.emails, time_zone=zone)
    session.add(row)
    return profile


def get_profile(session: Session, *, vault: CustomerVault) -> Profile:
    """Open the customer's profile.

    Raises:
        IntegrityError: a stored field was tampered with.
    """
    profile = _to_profile(vault, only_row(session, ProfileRow, vault))
    if profile.language is None:
        return replace(profile, language=legacy_language(session, vault=vault))
    return profile


def get_time_zone(session: Session, *, vault: CustomerVault) -> str | None:
    """Open only the customer's time zone (every page they read shows times in it).

    Raises:
        IntegrityError: the stored value was tampered with.
    """
    zone: str | None = vault.open_from(only_row(session, ProfileRow, vault), ["time_zone"])["time_zone"]
    return zone


def update_profile(session: Session, *, vault: CustomerVault, changes: Mapping[str, Any]) -> Profile:
    """Replace the given fields of the profile (others unchanged) after checking every one.

    Raises:
        ValidationError: naming each field that is unknown or invalid.
    """
    problems = v.Problems()
    v.reject_unknown(changes, FIELDS, problems)
    current = get_profile(session, vault=vault)
    region = _region_of(changes.get("locale", current.locale))
    clean = {name: _clean(name, value, problems, region) for name, value in changes.items() if name in FIELDS}
    problems.check()
    row = only_row(session, ProfileRow, vault)
    vault.seal_into(row, **clean)
    if "language" in clean:
        # The customer chose here (or chose none): a language once set in the preferences no longer applies.
        forget_legacy_language(session, vault=vault)
    session.flush()
    return get_profile(session, vault=vault)


def _to_profile(vault: CustomerVault, row: ProfileRow) -> Profile:
    values = {name: value for name, value in vault.open_from(row, FIELDS).items() if value is not None}
    return Profile(**values)


def _clean(name: str, value: Any, problems: v.Problems, region: str | None) -> Any:
    if name in TEXT_FIELDS:
        return v.text(value, name, problems, max_length=TEXT_FIELDS[name])
    if value is None or value == "":
        return [] if name in ("emails", "phones", "addresses") else {} if name == "attributes" else None
    if name == "emails":
        return _entries(
            value,
            name,
            problems,
            lambda item, f: {"address": v.email(item.get("address"), f"{f}.address", problems)},
        )
    if name == "phones":
        return _entries(
            value,
            name,
            problems,
            lambda item, f: {"number": v.phone(item.get("number"), f"{f}.number", problems, region=region)},
        )
    if name == "addresses":
        return _entries(value, name, problems, lambda item, f: _address(item, f, problems))
    if name in ("language", "locale"):
        return v.language_tag(value, name, problems)
    if name == "time_zone":
        return v.time_zone(value, name, problems)
    if name == "birth_date":
        return v.birth_date(value, name, problems)
    return _attributes(value, problems)


def _entries(value: Any, name: str, problems: v.Problems, clean_item: Any) -> list[dict[str, Any]]:
    """Check a list of labelled items of which exactly one is primary (the first, if none is marked)."""
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        problems.add(name, f"must be a list of at most {MAX_ITEMS} entries")
        return []
    entries = []
    for index, item in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            problems.add(where, "must be an object")
            continue
        entry = clean_item(item, where)
        entry["label"] = v.text(item.get("label"), f"{where}.label", problems, max_length=40) or ""
        entry["primary"] = v.boolean(item.get("primary", False), f"{where}.primary", problems) or False
        entries.append(entry)
    primaries = sum(entry["primary"] for entry in entries)
    if primaries > 1:
        problems.add(name, "only one entry can be primary")
    elif entries and primaries == 0:
        entries[0]["primary"] = True
    return entries


def _address(item: Mapping[str, Any], where: str, problems: v.Problems) -> dict[str, Any]:
    lines = item.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= 4:
        problems.add(f"{where}.lines", "must be a list of 1 to 4 address lines")
        lines = []
    return {
        "lines": [
            v.text(line, f"{where}.lines[{i}]", problems, max_length=200, required=True)
            for i, line in enumerate(lines)
        ],
        "locality": v.text(
            item.get("locality"), f"{where}.locality", problems, max_length=100, required=True
        ),
        "region": v.text(item.get("region"), f"{where}.region", problems, max_length=100),
        "postal_code": v.text(item.get("postal_code"), f"{where}.postal_code", problems, max_length=20),
        "country": v.country(item.get("country"), f"{where}.country", problems),
    }


def _attributes(value: Any, problems: v.Problems) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_ATTRIBUTES:
        problems.add("attributes", f"must be an object of at most {MAX_ATTRIBUTES} text values")
        return {}
    clean: dict[str, str] = {}
    for key, item in value.items():
        name = v.text(key, "attributes", problems, max_length=64, required=True)
        text = v.text(item, f"attributes.{key}", problems, max_length=1000)
        if name is not None and text is not None:
            clean[name] = text
    return clean


def _region_of(locale: Any) -> str | None:
    """Return the country part of a locale (`en-GB` -> `GB`), the default region for national numbers."""
    if isinstance(locale, str):
        parts = locale.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[-1]) == 2:
            return parts[-1].upper()
    return None
