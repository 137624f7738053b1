"""What the consent log records: one function per kind of event, each called in the transaction of the
change it records, so a change and its event are committed together or not at all.

No event holds personal data in clear. A customer appears under their log pseudonym (`log_id`: a keyed
HMAC of their id, `KeyRing.log_pseudonym_key`), never by name, email or a business's pairwise id, so
erasing a customer leaves the log as it is, pointing nowhere. Businesses appear by id, OAuth clients by
their public client id, grants, tokens and interactions by their random ids. `docs/consent-log.md` lists
every type with its fields.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from vrm.consent.log import Appended, append, timestamp
from vrm.consent.models import Grant, GrantTerms
from vrm.crypto.derive import pseudonym
from vrm.crypto.keyring import KeyRing
from vrm.vault.seal import CustomerVault

if TYPE_CHECKING:  # the policy reads grants, which record events: a cycle at import time only
    from vrm.consent.policy import ContactDecision, ContactQuestion

GRANTED, CHANGED, WITHDRAWN = "consent.granted", "consent.changed", "consent.withdrawn"
EXPIRED = "consent.expired"
READ, RECORDED, DECIDED = "data.read", "interaction.recorded", "contact.decided"
PREFERENCES, EXPORTED, ERASED = "preferences.changed", "data.exported", "account.erased"
KEY_ROTATED, KEY_RETIRED = "keys.rotated", "keys.retired"
JOURNEY_OPENED = "journey.opened"
TYPES = (
    GRANTED,
    CHANGED,
    WITHDRAWN,
    EXPIRED,
    READ,
    RECORDED,
    JOURNEY_OPENED,
    DECIDED,
    PREFERENCES,
    EXPORTED,
    ERASED,
    KEY_ROTATED,
    KEY_RETIRED,
)


def log_id(keyring: KeyRing, customer_id: uuid.UUID) -> str:
    return pseudonym(keyring.log_pseudonym_key, customer_id)


def consent_granted(session: Session, *, keyring: KeyRing, grant: Grant, client_id: str | None) -> Appended:
    """The customer let a business (through one of its clients, when asked over OAuth) see categories."""
    details = {
        **_terms(grant),
        "purpose": grant.purpose,
        "requested_scopes": sorted(grant.requested_scopes.split()),
        "granted_at": timestamp(grant.granted_at),
    }
    client = {"client": client_id} if client_id is not None else {}
    return _of_grant(session, keyring, grant, GRANTED, details, **client)


def consent_changed(session: Session, *, keyring: KeyRing, grant: Grant) -> Appended:
    """The customer narrowed what a grant covers, or ended it sooner."""
    return _of_grant(session, keyring, grant, CHANGED, _terms(grant))


def consent_withdrawn(session: Session, *, keyring: KeyRing, grant: Grant, reason: str) -> Appended:
    """A grant ended before its time: `withdrawn` by the customer, or `replaced` by a newer consent."""
    assert grant.withdrawn_at is not None
    details = {"grant": str(grant.id), "reason": reason, "withdrawn_at": timestamp(grant.withdrawn_at)}
    return _of_grant(session, keyring, grant, WITHDRAWN, details)


def consent_expired(session: Session, *, keyring: KeyRing, grant: Grant) -> Appended:
    """A grant ran to its end (recorded by the sweep after the moment, `record_expirations`)."""
    details = {"grant": str(grant.id), "expires_at": timestamp(grant.expires_at)}
    return _of_grant(session, keyring, grant, EXPIRED, details)


def data_read(
    session: Session,
    *,
    keyring: KeyRing,
    grant: GrantTerms,
    client_id: str,
    token_id: uuid.UUID,
    categories: Iterable[str],
) -> Appended:
    """A business read these categories of a customer's data under a grant, with one access token."""
    actors = {"business": str(grant.business_id), "client": client_id}
    details = {
        "customer": log_id(keyring, grant.customer_id),
        "grant": str(grant.id),
        "token": str(token_id),
        "categories": sorted(categories),
    }
    return append(session, kind=READ, actors=actors, details=details, business_id=grant.business_id)


def interaction_recorded(
    session: Session,
    *,
    vault: CustomerVault,
    grant_id: uuid.UUID,
    business_id: uuid.UUID,
    client_id: str,
    interaction_id: uuid.UUID,
    channel: str,
    direction: str,
) -> Appended:
    """A business wrote an interaction into the customer's history (what it was about stays sealed)."""
    details = {
        "customer": vault.log_id,
        "grant": str(grant_id),
        "interaction": str(interaction_id),
        "channel": channel,
        "direction": direction,
    }
    actors = {"business": str(business_id), "client": client_id}
    return append(session, kind=RECORDED, actors=actors, details=details, business_id=business_id)


def journey_opened(
    session: Session,
    *,
    vault: CustomerVault,
    grant_id: uuid.UUID,
    business_id: uuid.UUID,
    client_id: str,
    journey_id: uuid.UUID,
) -> Appended:
    """A business opened a journey with the customer (its title and reference stay sealed in the vault)."""
    details = {"customer": vault.log_id, "grant": str(grant_id), "journey": str(journey_id)}
    actors = {"business": str(business_id), "client": client_id}
    return append(session, kind=JOURNEY_OPENED, actors=actors, details=details, business_id=business_id)


def contact_decided(
    session: Session,
    *,
    keyring: KeyRing,
    business_id: uuid.UUID,
    client_id: str,
    questions: Sequence[ContactQuestion],
    decisions: Sequence[ContactDecision],
    customers: Mapping[str, uuid.UUID],
) -> Appended:
    """One batch of contact decisions: every deny, by reason, channel and purpose, with the customers
    denied; the allowed ones counted by channel and purpose. `customers` maps the pairwise ids of denied
    customers to their ids (an unknown id is denied as no_relationship and has no customer to name)."""
    allowed: Counter[tuple[str, str]] = Counter()
    denied: dict[tuple[str, str, str], list[str | None]] = {}
    names: dict[str, str] = {}
    for question, (is_allowed, reason) in zip(questions, decisions, strict=True):
        if is_allowed:
            allowed[question.channel, question.purpose] += 1
            continue
        assert reason is not None
        customer = customers.get(question.customer)
        if customer is not None and question.customer not in names:
            names[question.customer] = log_id(keyring, customer)
        group = denied.setdefault((reason, question.channel, question.purpose), [])
        group.append(names.get(question.customer))
    details: dict[str, Any] = {
        "questions": len(questions),
        "allowed": [
            {"channel": channel, "purpose": purpose, "count": count}
            for (channel, purpose), count in sorted(allowed.items())
        ],
        "denied": [
            {
                "reason": reason,
                "channel": channel,
                "purpose": purpose,
                "count": len(group),
                "customers": [name for name in group if name is not None],
            }
            for (reason, channel, purpose), group in sorted(denied.items())
        ],
    }
    actors = {"business": str(business_id), "client": client_id}
    return append(session, kind=DECIDED, actors=actors, details=details, business_id=business_id)


def preferences_changed(
    session: Session, *, vault: CustomerVault, parts: Iterable[str], business_id: uuid.UUID | None = None
) -> Appended:
    """The customer changed these parts of their preferences: general ones, or their rules for one business
    (which parts, never their values)."""
    details: dict[str, Any] = {"parts": sorted(parts)}
    if business_id is not None:
        details["business"] = str(business_id)
    return append(
        session, kind=PREFERENCES, actors={"customer": vault.log_id}, details=details, business_id=business_id
    )


def data_exported(session: Session, *, vault: CustomerVault) -> Appended:
    """The customer downloaded everything their vault holds."""
    return append(session, kind=EXPORTED, actors={"customer": vault.log_id}, details={})


def account_erased(session: Session, *, keyring: KeyRing, customer_id: uuid.UUID) -> Appended:
    """The customer's account was erased (crypto-shredded); their pseudonym now leads nowhere."""
    return append(session, kind=ERASED, actors={"customer": log_id(keyring, customer_id)}, details={})


def key_rotated(session: Session, *, primary: int, rewrapped: int, resumed: bool) -> Appended:
    details = {"primary": primary, "rewrapped": rewrapped, "resumed": resumed}
    return append(session, kind=KEY_ROTATED, actors={"operator": "vrm keys rotate"}, details=details)


def key_retired(session: Session, *, key_id: int) -> Appended:
    return append(session, kind=KEY_RETIRED, actors={"operator": "vrm keys retire"}, details={"key": key_id})


def _of_grant(
    session: Session,
    keyring: KeyRing,
    grant: Grant,
    kind: str,
    details: Mapping[str, Any],
    **more_actors: str,
) -> Appended:
    """An event about a consent: its customer (by log pseudonym) and business are the actors."""
    actors = {
        "customer": log_id(keyring, grant.customer_id),
        "business": str(grant.business_id),
        **more_actors,
    }
    return append(session, kind=kind, actors=actors, details=details, business_id=grant.business_id)


def _terms(grant: Grant) -> dict[str, Any]:
    return {
        "grant": str(grant.id),
        "scopes": sorted(grant.scopes.split()),
        "expires_at": timestamp(grant.expires_at),
    }
