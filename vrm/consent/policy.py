"""The one place that decides what a business may see of a customer: a live grant's scopes, narrowed by the
customer's current data-sharing choices for that business. The API filters through it; the UI explains it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent.grants import CHUNK, live_grants
from vrm.consent.models import Grant
from vrm.consent.rules_cache import RULES
from vrm.consent.scopes import categories_read
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.vault.interactions import sent_counts
from vrm.vault.keys import open_vaults
from vrm.vault.models import BusinessOverride
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.preferences import ContactRules, contact_rules, preferences_for_business
from vrm.vault.seal import CustomerVault


@dataclass(frozen=True)
class Disclosure:
    """What one grant lets its business read now, and what the customer's sharing choices hold back."""

    grant: Grant
    business: Business
    readable: frozenset[str]
    withheld: frozenset[str]


def disclosure(session: Session, *, vault: CustomerVault, grant: Grant) -> Disclosure:
    """Decide which data categories the grant's business may read at this moment."""
    business = session.get(Business, grant.business_id)
    assert business is not None  # grants cascade with their business
    granted = categories_read(grant.scope_set) if grant.is_live(utcnow()) else set()
    sharing = preferences_for_business(session, vault=vault, business_id=grant.business_id).data_sharing
    shared = {category for category in granted if sharing.get(category, False)}
    return Disclosure(grant, business, frozenset(shared), frozenset(granted - shared))


def disclosures(session: Session, *, vault: CustomerVault) -> list[Disclosure]:
    """Every live grant of the customer with what it discloses now."""
    return [
        disclosure(session, vault=vault, grant=grant)
        for grant in live_grants(session, customer_id=vault.customer_id)
    ]


def audience(session: Session, *, vault: CustomerVault) -> dict[str, list[str]]:
    """For each data category, the names of the businesses that may read it now (each named once)."""
    readers: dict[str, list[str]] = defaultdict(list)
    for seen in disclosures(session, vault=vault):
        for category in seen.readable:
            if seen.business.display_name not in readers[category]:
                readers[category].append(seen.business.display_name)
    return dict(readers)


def readable_by_token(
    *, grant: Grant, token_scopes: frozenset[str], data_sharing: dict[str, bool]
) -> frozenset[str]:
    """The categories a request may read now: the live grant's, the token's, and the customer's choices
    (`data_sharing` as they apply to the grant's business)."""
    if not grant.is_live(utcnow()):
        return frozenset()
    wanted = categories_read(grant.scope_set & token_scopes)
    return frozenset(category for category in wanted if data_sharing.get(category, False))


# --- contact decisions ------------------------------------------------------------------------------

PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
REASONS = (
    "no_relationship",
    "consent_withdrawn",
    "channel_not_allowed",
    "purpose_not_allowed",
    "quiet_hours",
    "frequency_cap",
)


@dataclass(frozen=True)
class ContactQuestion:
    """May the business contact this customer (None: unknown to it) on a channel, for a purpose, then?"""

    customer_id: uuid.UUID | None
    channel: str
    purpose: str
    at: datetime


@dataclass(frozen=True)
class ContactDecision:
    allowed: bool
    reason: str | None = None


ALLOWED = ContactDecision(True)


def decide_contacts(
    session: Session,
    *,
    keyring: KeyRing,
    business_id: uuid.UUID,
    questions: Sequence[ContactQuestion],
    now: datetime,
) -> list[ContactDecision]:
    """Decide every question, in order, from the customers' rules as they are at this moment.

    A deny always carries its reason: no_relationship, consent_withdrawn, channel_not_allowed,
    purpose_not_allowed, quiet_hours or frequency_cap (checked in that order). Frequency caps count the
    business's outbound interactions in the rolling day, week or month before `now`.
    """
    known = {q.customer_id for q in questions if q.customer_id is not None}
    rules = _rules_of_consenting(session, keyring=keyring, business_id=business_id, customer_ids=known)
    capped = {
        customer
        for q in questions
        if (customer := q.customer_id) in rules and rules[customer].frequency_caps.get(q.channel)
    }
    counts = (
        sent_counts(
            session,
            business_id=business_id,
            customer_ids=capped,
            since={period: now - length for period, length in PERIODS.items()},
        )
        if capped
        else {}
    )
    return [_decide(q, rules.get(q.customer_id) if q.customer_id else None, counts) for q in questions]


def _rules_of_consenting(
    session: Session, *, keyring: KeyRing, business_id: uuid.UUID, customer_ids: set[uuid.UUID]
) -> dict[uuid.UUID, ContactRules]:
    """The contact rules of those customers who have a live grant to the business: from the worker's
    cache when their stored version is unchanged, opened from the vault otherwise."""
    stamps = _consenting_stamps(session, business_id=business_id, customer_ids=customer_ids)
    rules: dict[uuid.UUID, ContactRules] = {}
    missing = []
    for customer, stamp in stamps.items():
        cached = RULES.get((customer, business_id), stamp)
        if cached is None:
            missing.append(customer)
        else:
            rules[customer] = cached
    opened = contact_rules(
        session, vaults=open_vaults(session, keyring=keyring, customer_ids=missing), business_id=business_id
    )
    for customer, found in opened.items():
        RULES.put((customer, business_id), stamps[customer], found)
    return {**rules, **opened}


def _consenting_stamps(
    session: Session, *, business_id: uuid.UUID, customer_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[datetime, datetime | None]]:
    """For each customer with a live grant to the business: when their rules for it last changed."""
    now, wanted = utcnow(), list(customer_ids)
    stamps: dict[uuid.UUID, tuple[datetime, datetime | None]] = {}
    live = select(Grant.id).where(
        Grant.customer_id == PreferencesRow.customer_id,
        Grant.business_id == business_id,
        Grant.live_at(now),
    )
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(PreferencesRow.customer_id, PreferencesRow.updated_at, BusinessOverride.updated_at)
            .outerjoin(
                BusinessOverride,
                (BusinessOverride.customer_id == PreferencesRow.customer_id)
                & (BusinessOverride.business_id == business_id),
            )
            .where(PreferencesRow.customer_id.in_(wanted[start : start + CHUNK]), live.exists())
        )
        stamps.update({customer: (general, override) for customer, general, override in rows})
    return stamps


def _decide(
    question: ContactQuestion, rules: ContactRules | None, counts: dict[tuple[uuid.UUID, str], dict[str, int]]
) -> ContactDecision:
    if question.customer_id is None:
        return ContactDecision(False, "no_relationship")
    if rules is None:
        return ContactDecision(False, "consent_withdrawn")
    purposes = rules.contact.get(question.channel, {})
    if not any(purposes.values()):
        return ContactDecision(False, "channel_not_allowed")
    if not purposes.get(question.purpose, False):
        return ContactDecision(False, "purpose_not_allowed")
    if rules.quiet_window and _is_quiet(rules.quiet_window, question.at):
        return ContactDecision(False, "quiet_hours")
    cap = rules.frequency_caps.get(question.channel)
    if cap and counts.get((question.customer_id, question.channel), {}).get(cap["period"], 0) >= cap["limit"]:
        return ContactDecision(False, "frequency_cap")
    return ALLOWED


def _is_quiet(window: tuple[time, time, ZoneInfo], at: datetime) -> bool:
    start, end, zone = window
    local = at.astimezone(zone).time()
    return start <= local < end if start < end else local >= start or local < end
