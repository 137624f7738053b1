"""Contact and sharing preferences: the rules every business must follow, and per-business overrides."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.consent import events
from vrm.db import utcnow
from vrm.errors import NotFound
from vrm.vault.models import BusinessOverride
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.rows import business_exists, only_row
from vrm.vault.seal import CustomerVault
from vrm.vault.vocabulary import CHANNELS, DATA_CATEGORIES, FREQUENCY_PERIODS, PURPOSES

FIELDS = ("contact", "quiet_hours", "frequency_caps", "preferred_channel", "data_sharing")
OVERRIDE_FIELDS = ("contact", "quiet_hours", "frequency_caps", "data_sharing")
MAX_CAP = 1000
CHUNK = 500  # ids per IN (...) query


def default_contact() -> dict[str, dict[str, bool]]:
    """Service messages on every channel but social; nothing else until the customer says yes."""
    return {
        channel: {purpose: purpose == "service" and channel != "social" for purpose in PURPOSES}
        for channel in CHANNELS
    }


def complete_contact(stored: Mapping[str, Any] | None) -> dict[str, dict[str, bool]]:
    """Every channel and purpose of stored contact rules: one stored before a channel or purpose existed
    lacks it, and a customer who never said yes to something has not allowed it."""
    stored = stored or {}
    return {
        channel: {purpose: bool((stored.get(channel) or {}).get(purpose, False)) for purpose in PURPOSES}
        for channel in CHANNELS
    }


@dataclass(frozen=True)
class Preferences:
    contact: dict[str, dict[str, bool]]
    quiet_hours: dict[str, str] | None
    frequency_caps: dict[str, dict[str, Any]]
    preferred_channel: str | None
    data_sharing: dict[str, bool]

    @classmethod
    def defaults(cls) -> Preferences:
        return cls(
            contact=default_contact(),
            quiet_hours=None,
            frequency_caps={},
            preferred_channel=None,
            data_sharing=dict.fromkeys(DATA_CATEGORIES, True),
        )

    def with_override(self, override: Mapping[str, Any]) -> Preferences:
        """Return these preferences as they apply to one business, its override taking precedence."""
        merged = asdict(self)
        for name, value in override.items():
            if isinstance(value, dict) and isinstance(merged.get(name), dict):
                merged[name] = _deep_merge(merged[name], value)
            else:
                merged[name] = copy.deepcopy(value)
        return Preferences(**merged)


def create_preferences(session: Session, *, vault: CustomerVault) -> Preferences:
    """Start a customer's preferences at the defaults (added, for the caller to flush)."""
    row = PreferencesRow(id=uuid.uuid4(), customer_id=vault.customer_id)
    preferences = Preferences.defaults()
    vault.seal_into(row, **asdict(preferences))
    session.add(row)
    return preferences


def get_preferences(session: Session, *, vault: CustomerVault) -> Preferences:
    """Raises: IntegrityError: a stored field was tampered with."""
    return _opened(vault, only_row(session, PreferencesRow, vault))


def _opened(vault: CustomerVault, row: PreferencesRow) -> Preferences:
    stored = vault.open_from(row, FIELDS)
    return Preferences(**{**stored, "contact": complete_contact(stored["contact"])})


def update_preferences(session: Session, *, vault: CustomerVault, changes: Mapping[str, Any]) -> Preferences:
    """Apply changes; `contact`, `frequency_caps` and `data_sharing` merge into what is stored.

    Raises:
        ValidationError: naming each field that is unknown or invalid.
    """
    problems = v.Problems()
    v.reject_unknown(changes, FIELDS, problems)
    clean = _clean_all(changes, problems, FIELDS)
    problems.check()
    row = only_row(session, PreferencesRow, vault)
    current = asdict(_opened(vault, row))
    updated = {
        name: _deep_merge(current[name], value) if name in _MERGED and value is not None else value
        for name, value in clean.items()
    }
    vault.seal_into(row, **updated)
    row.saved_at = utcnow()
    session.flush()
    if changed := [name for name, value in updated.items() if value != current[name]]:
        events.preferences_changed(session, vault=vault, parts=changed)
    return Preferences(**{**current, **updated})


def preferences_saved(session: Session, *, vault: CustomerVault) -> bool:
    """Whether the customer ever saved their general preferences (or they are still the defaults)."""
    return only_row(session, PreferencesRow, vault).saved_at is not None


def legacy_language(session: Session, *, vault: CustomerVault) -> str | None:
    """The preferred language the customer chose here before the profile's language became the one place
    for it (None once they saved one in their profile). Sealed values cannot be moved by a migration: the
    profile reads this until then.

    Raises:
        IntegrityError: the stored value was tampered with.
    """
    row = only_row(session, PreferencesRow, vault)
    language: str | None = vault.open_from(row, ["preferred_language"])["preferred_language"]
    return language


def forget_legacy_language(session: Session, *, vault: CustomerVault) -> None:
    """Drop the legacy preferred language: the profile now holds the customer's choice (for the caller to
    flush)."""
    only_row(session, PreferencesRow, vault).preferred_language = None


def get_override(session: Session, *, vault: CustomerVault, business_id: uuid.UUID) -> dict[str, Any]:
    """Return the customer's override for one business ({} when none)."""
    row = _override_row(session, vault, business_id)
    return {} if row is None else dict(vault.open_from(row, ["settings"])["settings"])


def list_overrides(session: Session, *, vault: CustomerVault) -> dict[uuid.UUID, dict[str, Any]]:
    rows = session.scalars(select(BusinessOverride).where(BusinessOverride.customer_id == vault.customer_id))
    return {row.business_id: vault.open_from(row, ["settings"])["settings"] for row in rows}


def set_override(
    session: Session, *, vault: CustomerVault, business_id: uuid.UUID, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """Replace the customer's override for one business; an empty one removes it. The consent log records
    which parts the override now sets (none: removed).

    Raises:
        NotFound: no such business.
        ValidationError: naming each invalid field.
    """
    business = v.identifier(business_id)
    if business is None or not business_exists(session, business):
        raise NotFound("no such business")
    problems = v.Problems()
    v.reject_unknown(settings, OVERRIDE_FIELDS, problems)
    clean = {
        name: value
        for name, value in _clean_all(settings, problems, OVERRIDE_FIELDS).items()
        if value is not None
    }
    problems.check()
    row = _override_row(session, vault, business)
    if not clean:
        if row is not None:
            session.delete(row)
            session.flush()
            events.preferences_changed(session, vault=vault, parts=[], business_id=business)
        return {}
    if row is None:
        row = BusinessOverride(id=uuid.uuid4(), customer_id=vault.customer_id, business_id=business)
        session.add(row)
    vault.seal_into(row, settings=clean)
    session.flush()
    events.preferences_changed(session, vault=vault, parts=clean, business_id=business)
    return clean


def preferences_for_business(
    session: Session, *, vault: CustomerVault, business_id: uuid.UUID
) -> Preferences:
    """Return the preferences that apply to one business: general ones with its override applied."""
    return get_preferences(session, vault=vault).with_override(
        get_override(session, vault=vault, business_id=business_id)
    )


@dataclass(frozen=True)
class ContactRules:
    """The part of the preferences that decides a contact, as it applies to one business."""

    contact: dict[str, dict[str, bool]]
    quiet_hours: dict[str, str] | None
    frequency_caps: dict[str, dict[str, Any]]


CONTACT_FIELDS = ("contact", "quiet_hours", "frequency_caps")


def contact_rules(
    session: Session, *, vaults: Mapping[uuid.UUID, CustomerVault], business_id: uuid.UUID
) -> dict[uuid.UUID, ContactRules]:
    """Many customers' contact rules for one business, with a few queries (for bulk contact decisions).

    Raises:
        IntegrityError: a stored field was tampered with.
    """
    ids = list(vaults)
    rules: dict[uuid.UUID, ContactRules] = {}
    table, override_table = PreferencesRow.__tablename__, BusinessOverride.__tablename__
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # Plain rows, not ORM objects: thousands of customers per call, and nothing here is written.
        overrides = {
            customer: (row_id, settings)
            for customer, row_id, settings in session.execute(
                select(BusinessOverride.customer_id, BusinessOverride.id, BusinessOverride.settings).where(
                    BusinessOverride.business_id == business_id, BusinessOverride.customer_id.in_(chunk)
                )
            )
        }
        rows = session.execute(
            select(
                PreferencesRow.customer_id,
                PreferencesRow.id,
                PreferencesRow.contact,
                PreferencesRow.quiet_hours,
                PreferencesRow.frequency_caps,
            ).where(PreferencesRow.customer_id.in_(chunk))
        )
        for customer, row_id, *blobs in rows:
            vault = vaults[customer]
            opened = {
                name: vault.open(table, name, row_id, blob)
                for name, blob in zip(CONTACT_FIELDS, blobs, strict=True)
            }
            # Not completed with every channel (a fifth of a batch's time when all rules are resealed):
            # decisions read only what is allowed, and a channel or purpose stored rules lack is not.
            opened["contact"] = opened["contact"] or {}
            if customer in overrides:
                override_id, blob = overrides[customer]
                settings = vault.open(override_table, "settings", override_id, blob)
                opened = {
                    name: _apply(opened[name], settings[name]) if name in settings else opened[name]
                    for name in CONTACT_FIELDS
                }
            rules[customer] = ContactRules(**opened)
    return rules


def _apply(general: Any, override: Any) -> Any:
    if isinstance(general, dict) and isinstance(override, dict):
        return _deep_merge(general, override)
    return override


# --- checks ---------------------------------------------------------------------------------------

_MERGED = ("contact", "frequency_caps", "data_sharing")


def _clean_all(values: Mapping[str, Any], problems: v.Problems, allowed: tuple[str, ...]) -> dict[str, Any]:
    checks: dict[str, Callable[[Any, v.Problems], Any]] = {
        "contact": _contact,
        "quiet_hours": _quiet_hours,
        "frequency_caps": _caps,
        "data_sharing": lambda value, problems: _flags(value, "data_sharing", problems, DATA_CATEGORIES),
        "preferred_channel": _preferred_channel,
    }
    return {name: checks[name](value, problems) for name, value in values.items() if name in allowed}


def _preferred_channel(value: Any, problems: v.Problems) -> str | None:
    return None if value is None else v.choice(value, "preferred_channel", problems, CHANNELS)


def _contact(value: Any, problems: v.Problems) -> dict[str, dict[str, bool]]:
    if not isinstance(value, dict):
        problems.add("contact", "must map channels to purposes to true/false")
        return {}
    clean: dict[str, dict[str, bool]] = {}
    for channel, purposes in value.items():
        if v.choice(channel, f"contact.{channel}", problems, CHANNELS) is not None:
            clean[channel] = _flags(purposes, f"contact.{channel}", problems, PURPOSES)
    return clean


def _flags(value: Any, field: str, problems: v.Problems, names: tuple[str, ...]) -> dict[str, bool]:
    """Check a map of known names to true/false, e.g. purposes of one channel, or data categories."""
    if not isinstance(value, dict):
        problems.add(field, "must map names to true/false")
        return {}
    clean = {}
    for name, allowed in value.items():
        where = f"{field}.{name}"
        if v.choice(name, where, problems, names) is not None:
            flag = v.boolean(allowed, where, problems)
            if flag is not None:
                clean[name] = flag
    return clean


def _quiet_hours(value: Any, problems: v.Problems) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add("quiet_hours", "must be an object with start, end and time_zone")
        return None
    v.reject_unknown(value, ("start", "end", "time_zone"), problems, "quiet_hours.")
    start = v.clock_time(value.get("start"), "quiet_hours.start", problems)
    end = v.clock_time(value.get("end"), "quiet_hours.end", problems)
    zone = v.time_zone(value.get("time_zone"), "quiet_hours.time_zone", problems)
    if start is not None and start == end:
        problems.add("quiet_hours.end", "must differ from the start")
    if start is None or end is None or zone is None:
        return None
    return {"start": start, "end": end, "time_zone": zone}


def _caps(value: Any, problems: v.Problems) -> dict[str, dict[str, Any] | None]:
    """Caps per channel (`{"limit": 2, "period": "week"}`); null removes a channel's cap."""
    if not isinstance(value, dict):
        problems.add("frequency_caps", "must map channels to {limit, period}")
        return {}
    clean: dict[str, dict[str, Any] | None] = {}
    for channel, cap in value.items():
        where = f"frequency_caps.{channel}"
        if v.choice(channel, where, problems, CHANNELS) is None:
            continue
        if cap is None:
            clean[channel] = None
            continue
        if not isinstance(cap, dict):
            problems.add(where, "must be {limit, period} or null")
            continue
        limit = v.integer(cap.get("limit"), f"{where}.limit", problems, low=1, high=MAX_CAP)
        period = v.choice(cap.get("period"), f"{where}.period", problems, FREQUENCY_PERIODS)
        if limit is not None and period is not None:
            clean[channel] = {"limit": limit, "period": period}
    return clean


def _deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _override_row(session: Session, vault: CustomerVault, business_id: uuid.UUID) -> BusinessOverride | None:
    return session.scalar(
        select(BusinessOverride).where(
            BusinessOverride.customer_id == vault.customer_id, BusinessOverride.business_id == business_id
        )
    )
