"""Import a `vrm-export/1` document as a new customer: all of it, or nothing (one transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from vrm import validation as v
from vrm.accounts.businesses import create_business, list_businesses
from vrm.accounts.customers import create_customer
from vrm.accounts.models import Customer
from vrm.crypto.keyring import KeyRing
from vrm.errors import ValidationError
from vrm.vault.export import FORMAT
from vrm.vault.interactions import add_interaction, record_feedback, update_interaction
from vrm.vault.journeys import start_journey
from vrm.vault.keys import open_vault
from vrm.vault.preferences import set_override, update_preferences
from vrm.vault.profile import update_profile
from vrm.vault.seal import CustomerVault

Progress = Callable[[int, int], None]


def import_vault(
    session: Session,
    *,
    keyring: KeyRing,
    document: Any,
    password: str | None = None,
    create_businesses: bool = False,
    on_progress: Progress = lambda done, total: None,
) -> Customer:
    """Create a customer from an export and fill their vault; the caller commits only if this returns.

    The document's consent records (`consents`, `receipts`, `access`) are left as they are: they are the
    records of the instance that wrote them, and the new account starts with no consent given.

    Raises:
        ValidationError: the document is not `vrm-export/1`, or a value in it is invalid (named by its path),
            or it names companies this instance does not know (unless `create_businesses`).
        Conflict: an account with the document's email exists.
    """
    document = v.require_object(document, "document")
    if document.get("format") != FORMAT:
        raise ValidationError({"format": f"must be {FORMAT}"})
    businesses = _businesses(session, document, create=create_businesses)
    account = v.require_object(document.get("account"), "account")
    customer = create_customer(session, keyring=keyring, email=_value(account, "email"), password=password)
    vault = open_vault(session, keyring=keyring, customer_id=customer.id)
    _profile_and_preferences(session, vault, document)
    for handle, settings in v.require_object(document.get("business_preferences") or {}).items():
        _under(
            f"business_preferences.{handle}",
            partial(set_override, session, vault=vault, business_id=businesses[handle], settings=settings),
        )
    journeys = _journeys(session, keyring, vault, document, businesses)
    _interactions(session, vault, document.get("interactions") or [], businesses, journeys, on_progress)
    return customer


def _profile_and_preferences(session: Session, vault: CustomerVault, document: Mapping[str, Any]) -> None:
    profile = v.require_object(document.get("profile"), "profile")
    preferences = dict(v.require_object(document.get("preferences"), "preferences"))
    # Documents from before the profile's language became the one preferred language carry it here.
    legacy_language = preferences.pop("preferred_language", None)
    _under("profile", lambda: update_profile(session, vault=vault, changes=profile))
    if legacy_language is not None and not profile.get("language"):
        _under(
            "preferences",
            lambda: update_profile(session, vault=vault, changes={"language": legacy_language}),
            rename={"language": "preferred_language"},
        )
    _under("preferences", lambda: update_preferences(session, vault=vault, changes=preferences))


def _businesses(session: Session, document: Mapping[str, Any], *, create: bool) -> dict[str, uuid.UUID]:
    """Map every company handle the document uses to this instance's company."""
    known = {business.name: business.id for business in list_businesses(session)}
    used = _handles(document)
    missing = sorted(used - set(known))
    if missing and not create:
        raise ValidationError(
            {
                "business": f"unknown on this instance: {', '.join(missing)} "
                "(register them, or import with --create-businesses)"
            }
        )
    for handle in missing:
        known[handle] = _under("business", partial(create_business, session, name=handle)).id
    return known


def _handles(document: Mapping[str, Any]) -> set[str]:
    """Every company handle the document names (a journey may name none).

    Raises:
        ValidationError: a handle that is not text (a list, an object, a number...), named by its path.
    """
    used = set(v.require_object(document.get("business_preferences") or {}, "business_preferences"))
    for section in ("interactions", "journeys"):
        items = document.get(section)
        for index, item in enumerate(items if isinstance(items, list) else []):
            handle = item.get("business") if isinstance(item, dict) else None
            if handle is None and (section == "journeys" or not isinstance(item, dict)):
                continue  # a journey takes its interactions' company; a bad item is reported in its step
            if not isinstance(handle, str):
                raise ValidationError({f"{section}[{index}].business": "must be a company handle"})
            used.add(handle)
    return used


def _journeys(
    session: Session,
    keyring: KeyRing,
    vault: CustomerVault,
    document: Mapping[str, Any],
    businesses: dict[str, uuid.UUID],
) -> dict[str, uuid.UUID]:
    """Recreate the journeys under new ids, each with its company; return old id -> new id.

    A journey of a document made before journeys had a company takes its interactions' company; one
    without any interaction is left out (there is no company to give it, and nothing to follow).
    """
    journeys = document.get("journeys") or []
    if not isinstance(journeys, list):
        raise ValidationError({"journeys": "must be a list"})
    seen = _companies_by_journey(document.get("interactions"))
    created = {}
    for index, journey in enumerate(journeys):
        item = v.require_object(journey, f"journeys[{index}]")
        handle = _company_of(item, seen.get(str(item.get("id")), set()), f"journeys[{index}]")
        if handle is None:
            continue
        new = _under(
            f"journeys[{index}]",
            partial(
                start_journey,
                session,
                keyring=keyring,
                vault=vault,
                business_id=businesses[handle],
                title=_value(item, "title"),
                reference=_value(item, "reference"),
                opened_by=_value(item, "opened_by") or "customer",
            ),
        )
        created[str(item.get("id"))] = new.id
    return created


def _companies_by_journey(interactions: Any) -> dict[str, set[str]]:
    """The company handles of each journey's interactions, by the document's journey id."""
    seen: dict[str, set[str]] = {}
    for item in interactions if isinstance(interactions, list) else []:
        if isinstance(item, dict) and item.get("journey_id") and isinstance(item.get("business"), str):
            seen.setdefault(str(item["journey_id"]), set()).add(item["business"])
    return seen


def _company_of(item: Mapping[str, Any], seen: set[str], path: str) -> str | None:
    """Raises: ValidationError: the journey names no company, and its interactions are with several."""
    named = item.get("business")
    if named is not None:
        if not isinstance(named, str):
            raise ValidationError({f"{path}.business": "must be a company handle"})
        return named
    if len(seen) > 1:
        raise ValidationError(
            {
                f"{path}.business": f"is missing, and its interactions are with several companies "
                f"({', '.join(sorted(seen))}): a journey follows one company"
            }
        )
    return next(iter(seen), None)


def _interactions(
    session: Session,
    vault: CustomerVault,
    items: Any,
    businesses: dict[str, uuid.UUID],
    journeys: dict[str, uuid.UUID],
    on_progress: Progress,
) -> None:
    if not isinstance(items, list):
        raise ValidationError({"interactions": "must be a list"})
    for index, raw in enumerate(items):
        item = v.require_object(raw, f"interactions[{index}]")
        _under(f"interactions[{index}]", partial(_interaction, session, vault, item, businesses, journeys))
        on_progress(index + 1, len(items))


def _interaction(
    session: Session,
    vault: CustomerVault,
    item: Mapping[str, Any],
    businesses: dict[str, uuid.UUID],
    journeys: dict[str, uuid.UUID],
) -> None:
    value = partial(_value, item)  # values of the document: the services check every one
    journey = value("journey_id")
    created = add_interaction(
        session,
        vault=vault,
        business_id=businesses[value("business")],
        channel=value("channel"),
        direction=value("direction"),
        occurred_at=value("occurred_at"),
        subject=value("subject"),
        summary=value("summary"),
        outcome=value("outcome"),
        # A journey id the document does not define matches no journey of the customer: reported as invalid.
        journey_id=journeys.get(str(journey), uuid.uuid4()) if journey else None,
        recorded_by=value("recorded_by") or "business",
        shared=value("shared"),  # absent from older documents: the customer's own then stay private
    )
    feedback = value("feedback")
    if feedback is not None:
        feedback = v.require_object(feedback, "feedback")
        record_feedback(
            session,
            vault=vault,
            interaction_id=created.id,
            rating=_value(feedback, "rating"),
            comment=_value(feedback, "comment"),
        )
    changes = {"customer_note": value("customer_note"), "hidden": bool(value("hidden"))}
    update_interaction(session, vault=vault, interaction_id=created.id, changes=changes)


def _value(mapping: Mapping[str, Any], key: str) -> Any:
    return mapping.get(key)


def _under(path: str, action: Callable[[], Any], rename: Mapping[str, str] | None = None) -> Any:
    """Run one step, reporting its field errors under their place in the document (`rename`: where a field
    of the service has another name in the document)."""
    try:
        return action()
    except ValidationError as error:
        raise ValidationError(
            {f"{path}.{(rename or {}).get(field, field)}": message for field, message in error.errors.items()}
        ) from None
