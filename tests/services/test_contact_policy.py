"""Contact decisions from the contact standing: every change a decision depends on reaches the very next
decision, whatever code path made it, and the rules stored for next time are sealed and never stale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from vrm.consent import standing
from vrm.consent.grants import change_grant, withdraw_grant
from vrm.consent.models import ContactStanding
from vrm.consent.policy import ContactQuestion, decide_contacts
from vrm.consent.standing import standings
from vrm.crypto.envelope import key_id_of
from vrm.crypto.keyring import KeyRing
from vrm.errors import IntegrityError
from vrm.oauth.pairwise import subject_for
from vrm.vault.interactions import update_interaction
from vrm.vault.keys import retire_key, rotate_keys
from vrm.vault.models import Preferences as PreferencesRow
from vrm.vault.preferences import set_override, update_preferences
from vrm.vault.rows import only_row


def ask(
    session: Session,
    keyring: KeyRing,
    business_id: object,
    sub: str,
    channel: str = "email",
    purpose: str = "marketing",
) -> tuple:
    now = datetime.now(UTC)
    question = ContactQuestion(sub, channel, purpose, now)
    decision = decide_contacts(
        session, keyring=keyring, business_id=business_id, questions=[question], now=now
    ).answers[0]
    return decision.allowed, decision.reason


def stored(session: Session, sub: str) -> ContactStanding:
    row = session.scalars(select(ContactStanding).where(ContactStanding.subject == sub)).one()
    session.refresh(row)
    return row


def test_every_kind_of_change_reaches_the_next_decision(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    grant = factories.grant(session, keyring, customer, shop)
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)

    assert ask(session, keyring, shop.id, sub) == (False, "purpose_not_allowed")
    assert stored(session, sub).rules is not None  # sealed for next time
    assert ask(session, keyring, shop.id, sub) == (False, "purpose_not_allowed")  # now from the stored rules
    update_preferences(session, vault=vault, changes={"contact": {"email": {"marketing": True}}})
    assert stored(session, sub).rules is None  # the database cleared them in the same transaction
    assert ask(session, keyring, shop.id, sub) == (True, None)
    set_override(
        session, vault=vault, business_id=shop.id, settings={"contact": {"email": {"marketing": False}}}
    )
    assert ask(session, keyring, shop.id, sub) == (False, "purpose_not_allowed")  # this business's own rule
    set_override(session, vault=vault, business_id=shop.id, settings={})
    assert ask(session, keyring, shop.id, sub) == (True, None)  # and its removal
    withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=grant.id)
    assert ask(session, keyring, shop.id, sub) == (False, "consent_withdrawn")
    factories.grant(session, keyring, customer, shop)
    assert ask(session, keyring, shop.id, sub) == (True, None)  # granted again


def test_an_unrelated_preference_change_keeps_the_stored_rules(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    factories.grant(session, keyring, customer, shop)
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    ask(session, keyring, shop.id, sub)
    version = stored(session, sub).version
    update_preferences(session, vault=vault, changes={"preferred_channel": "sms"})
    assert stored(session, sub).version == version and stored(session, sub).rules is not None


def test_a_grant_that_ends_today_stops_contact_once_it_has_ended(session: Session, keyring: KeyRing) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    update_preferences(session, vault=vault, changes={"contact": {"email": {"marketing": True}}})
    grant = factories.grant(session, keyring, customer, shop)
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    change_grant(
        session,
        keyring=keyring,
        customer_id=customer.id,
        grant_id=grant.id,
        scopes=["profile:read"],
        last_day=date.today(),
    )
    assert stored(session, sub).consent_until == grant.expires_at
    assert ask(session, keyring, shop.id, sub) == (True, None)
    session.execute(update(ContactStanding).values(consent_until=datetime(2020, 1, 1, tzinfo=UTC)))
    assert ask(session, keyring, shop.id, sub) == (False, "consent_withdrawn")


def test_another_business_and_an_unknown_id_learn_nothing(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    shop, other = factories.business(session), factories.business(session)
    factories.grant(session, keyring, customer, shop)
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    assert ask(session, keyring, other.id, sub) == (False, "no_relationship")
    assert ask(session, keyring, shop.id, "not-an-id-it-was-given") == (False, "no_relationship")


def test_rules_resealed_from_a_read_that_a_change_overtook_are_not_stored(
    session: Session, keyring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    factories.grant(session, keyring, customer, shop)
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    opened_then = standing.contact_rules

    def overtaken(*args: Any, **kwargs: Any) -> Any:
        rules = opened_then(*args, **kwargs)  # the batch has read the rules; now the customer changes them
        update_preferences(session, vault=vault, changes={"contact": {"email": {"marketing": True}}})
        return rules

    monkeypatch.setattr(standing, "contact_rules", overtaken)
    assert ask(session, keyring, shop.id, sub) == (False, "purpose_not_allowed")  # as read
    assert stored(session, sub).rules is None  # but not stored over the change
    monkeypatch.undo()
    assert ask(session, keyring, shop.id, sub) == (True, None)


def test_stored_rules_are_bound_to_their_business(session: Session, keyring: KeyRing) -> None:
    customer, _ = factories.customer(session, keyring)
    shop, other = factories.business(session), factories.business(session)
    subs = {}
    for business in (shop, other):
        factories.grant(session, keyring, customer, business)
        subs[business.id] = subject_for(
            session, keyring=keyring, business_id=business.id, customer_id=customer.id
        )
        ask(session, keyring, business.id, subs[business.id])
    # Copy one business's sealed rules onto the other's row: they must not open there.
    copied = stored(session, subs[shop.id]).rules
    session.execute(
        update(ContactStanding).where(ContactStanding.business_id == other.id).values(rules=copied)
    )
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError):
        list(standings(session, keyring=keyring, business_id=other.id, subjects=[subs[other.id]], now=now))


def test_rules_sealed_under_a_retired_key_are_resealed_under_the_primary(
    database: Database, tmp_path: Path
) -> None:
    ring = KeyRing.generate("development")
    ring.save(tmp_path / "keyring.json")
    with database.sessions.begin() as session:
        customer, vault = factories.customer(session, ring)
        shop = factories.business(session)
        update_preferences(session, vault=vault, changes={"contact": {"email": {"marketing": True}}})
        factories.grant(session, ring, customer, shop)
        sub = subject_for(session, keyring=ring, business_id=shop.id, customer_id=customer.id)
        assert ask(session, ring, shop.id, sub) == (True, None)
        assert key_id_of(stored(session, sub).rules) == 1
    rotate_keys(database.sessions, keyring=ring)
    with database.sessions.begin() as session:
        retire_key(session, keyring=ring, key_id=1)
    with database.sessions.begin() as session:
        assert ask(session, ring, shop.id, sub) == (True, None)  # no error: opened from the vault again
        assert key_id_of(stored(session, sub).rules) == 2


def test_a_contact_the_customer_recorded_and_keeps_private_does_not_count_towards_a_cap(
    session: Session, keyring: KeyRing
) -> None:
    customer, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    factories.grant(session, keyring, customer, shop)
    sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    caps = {"email": {"limit": 1, "period": "week"}}
    update_preferences(
        session, vault=vault, changes={"contact": {"email": {"marketing": True}}, "frequency_caps": caps}
    )
    own = factories.interaction(session, vault, shop, direction="outbound", recorded_by="customer")
    assert ask(session, keyring, shop.id, sub) == (True, None)  # a deny would tell the business of it
    update_interaction(session, vault=vault, interaction_id=own.id, changes={"shared": True})
    assert ask(session, keyring, shop.id, sub) == (False, "frequency_cap")


def test_the_web_channel_is_decided_for_customers_from_before_and_after_it_existed(
    session: Session, keyring: KeyRing
) -> None:
    shop = factories.business(session)
    old, old_vault = factories.customer(session, keyring)
    # Rules as stored before the web channel: no "web" key at all.
    old_rules = {c: {"service": c != "social", "marketing": False} for c in ("email", "sms", "social")}
    old_vault.seal_into(only_row(session, PreferencesRow, old_vault), contact=old_rules)
    new, _ = factories.customer(session, keyring)
    subs = {}
    for customer in (old, new):
        factories.grant(session, keyring, customer, shop)
        subs[customer.id] = subject_for(
            session, keyring=keyring, business_id=shop.id, customer_id=customer.id
        )
    assert ask(session, keyring, shop.id, subs[old.id], "web", "service") == (False, "channel_not_allowed")
    assert ask(session, keyring, shop.id, subs[new.id], "web", "service") == (True, None)
    assert ask(session, keyring, shop.id, subs[new.id], "web", "marketing") == (False, "purpose_not_allowed")
    update_preferences(session, vault=old_vault, changes={"contact": {"web": {"marketing": True}}})
    assert ask(session, keyring, shop.id, subs[old.id], "web", "marketing") == (True, None)
    assert ask(session, keyring, shop.id, subs[old.id], "email", "service") == (True, None)  # kept
