"""The contact policy over the worker's rules cache: a cached answer never outlives a change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tests import factories
from vrm.consent.grants import grant_access, withdraw_grant
from vrm.consent.policy import ContactQuestion, decide_contacts
from vrm.crypto.keyring import KeyRing
from vrm.vault.preferences import set_override, update_preferences


def test_a_cached_rule_gives_way_to_every_kind_of_change(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    grant = grant_access(
        session, customer_id=customer.id, business_id=shop.id, purpose="service", scopes="profile:read"
    )

    def answer() -> tuple[bool, str | None]:
        now = datetime.now(UTC)
        question = ContactQuestion(customer.id, "email", "marketing", now)
        decision = decide_contacts(
            session, keyring=keyring, business_id=shop.id, questions=[question], now=now
        )[0]
        return decision.allowed, decision.reason

    assert answer() == (False, "purpose_not_allowed")
    assert answer() == (False, "purpose_not_allowed")  # now from the cache
    update_preferences(session, vault=vault, changes={"contact": {"email": {"marketing": True}}})
    assert answer() == (True, None)  # the general change reached it
    set_override(
        session, vault=vault, business_id=shop.id, settings={"contact": {"email": {"marketing": False}}}
    )
    assert answer() == (False, "purpose_not_allowed")  # so did this business's own rule
    set_override(session, vault=vault, business_id=shop.id, settings={})
    assert answer() == (True, None)  # and its removal
    withdraw_grant(session, customer_id=customer.id, grant_id=grant.id)
    assert answer() == (False, "consent_withdrawn")
