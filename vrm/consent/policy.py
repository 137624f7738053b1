"""The one place that decides what a business may see of a customer: a live grant's scopes, narrowed by the
customer's current data-sharing choices for that business. The API filters through it; the UI explains it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from vrm.accounts.models import Business
from vrm.consent.grants import live_grants
from vrm.consent.models import Grant, GrantTerms
from vrm.consent.scopes import categories_read
from vrm.consent.standing import Rules, customer_uuid, sent_counts, standings
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.vault.preferences import preferences_for_business
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
    *, grant: GrantTerms, token_scopes: frozenset[str], data_sharing: dict[str, bool]
) -> frozenset[str]:
    """The categories a request may read now: the live grant's, the token's, and the customer's choices
    (`data_sharing` as they apply to the grant's business)."""
    if not grant.is_live(utcnow()):
        return frozenset()
    wanted = categories_read(grant.scope_set & token_scopes)
    return frozenset(category for category in wanted if data_sharing.get(category, False))


# --- contact decisions ------------------------------------------------------------------------------

REASONS = (
    "no_relationship",
    "consent_withdrawn",
    "channel_not_allowed",
    "purpose_not_allowed",
    "quiet_hours",
    "frequency_cap",
)


class ContactQuestion(NamedTuple):
    """May the business contact this customer (its pairwise id for them) on a channel, for a purpose, then?"""

    customer: str
    channel: str
    purpose: str
    at: datetime


class ContactDecision(NamedTuple):
    allowed: bool
    reason: str | None = None


# Shared answers: a batch of 10,000 allocates none.
ALLOWED = ContactDecision(True)
NO_RELATIONSHIP, CONSENT_WITHDRAWN, CHANNEL_NOT_ALLOWED, PURPOSE_NOT_ALLOWED, QUIET_HOURS, FREQUENCY_CAP = (
    ContactDecision(False, reason) for reason in REASONS
)


class ContactDecisions(NamedTuple):
    answers: list[ContactDecision]  # in the order of the questions
    denied: dict[str, uuid.UUID]  # pairwise id -> customer id, of each known customer denied at least once


def decide_contacts(
    session: Session,
    *,
    keyring: KeyRing,
    business_id: uuid.UUID,
    questions: Sequence[ContactQuestion],
    now: datetime,
) -> ContactDecisions:
    """Decide every question, in order, from the customers' rules and consent as they are at this moment.

    A deny always carries its reason: no_relationship, consent_withdrawn, channel_not_allowed,
    purpose_not_allowed, quiet_hours or frequency_cap (checked in that order). Frequency caps count the
    business's outbound interactions in the rolling day, week or month before `now`.
    """
    first: dict[str, int] = {}  # each customer's first question, and the rare repeats apart
    repeats: dict[str, list[int]] = {}
    for index, question in enumerate(questions):
        if first.setdefault(question.customer, index) != index:
            repeats.setdefault(question.customer, []).append(index)
    subjects = list(first)
    counts = sent_counts(session, business_id=business_id, subjects=subjects, now=now)
    decisions = [NO_RELATIONSHIP] * len(questions)
    denied: dict[str, uuid.UUID] = {}
    for subject, customer, rules in standings(
        session, keyring=keyring, business_id=business_id, subjects=subjects, now=now
    ):
        index = first[subject]
        decision = decisions[index] = _decide(questions[index], rules, counts)
        refused = not decision.allowed
        for index in repeats.get(subject, ()) if repeats else ():
            decision = decisions[index] = _decide(questions[index], rules, counts)
            refused = refused or not decision.allowed
        if refused:
            denied[subject] = customer_uuid(customer)
    return ContactDecisions(decisions, denied)


def _decide(
    question: ContactQuestion, rules: Rules | None, counts: dict[tuple[str, str], tuple[int, ...]]
) -> ContactDecision:
    if rules is None:
        return CONSENT_WITHDRAWN
    purposes = rules.allowed.get(question.channel)
    if not purposes:
        return CHANNEL_NOT_ALLOWED
    if question.purpose not in purposes:
        return PURPOSE_NOT_ALLOWED
    if rules.quiet and _is_quiet(rules.quiet, question.at):
        return QUIET_HOURS
    cap = rules.caps.get(question.channel)
    if cap and (sent := counts.get((question.customer, question.channel))) and sent[cap[1]] >= cap[0]:
        return FREQUENCY_CAP
    return ALLOWED


def _is_quiet(window: list[Any], at: datetime) -> bool:
    start, end, zone = window
    minute = _local_minute(at, zone)
    return bool(start <= minute < end if start < end else minute >= start or minute < end)


@lru_cache(maxsize=4096)
def _local_minute(at: datetime, zone: str) -> int:
    """Minute of the day at `at` in `zone`; cached, as a batch mostly asks about one moment in few zones."""
    local = at.astimezone(ZoneInfo(zone))
    return local.hour * 60 + local.minute
