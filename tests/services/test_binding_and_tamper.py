"""A stored ciphertext moved, swapped or altered in the database never opens as data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests import factories
from vrm.accounts.models import Customer
from vrm.crypto.keyring import KeyRing
from vrm.errors import IntegrityError
from vrm.vault.interactions import get_interaction
from vrm.vault.keys import open_vault
from vrm.vault.models import DataKey, Interaction, Profile
from vrm.vault.profile import get_profile, update_profile


def profile_row(session: Session, customer: Customer) -> Profile:
    return session.scalars(select(Profile).where(Profile.customer_id == customer.id)).one()


def two_customers(session: Session, keyring: KeyRing) -> tuple:  # type: ignore[type-arg]
    alice, alice_vault = factories.customer(session, keyring)
    bob, bob_vault = factories.customer(session, keyring)
    update_profile(session, vault=alice_vault, changes={"given_name": "Alice", "family_name": "Liddell"})
    update_profile(session, vault=bob_vault, changes={"given_name": "Bob", "family_name": "Builder"})
    return alice, alice_vault, bob, bob_vault


def write(session: Session, model: type, row_id: object, **values: object) -> None:
    """Change stored bytes behind the ORM's back, as an attacker with database access would."""
    session.execute(update(model).where(model.id == row_id).values(**values))  # type: ignore[attr-defined]
    session.expire_all()


def test_ciphertext_copied_to_another_customer_fails_to_open(session: Session, keyring: KeyRing) -> None:
    alice, _, bob, bob_vault = two_customers(session, keyring)
    write(session, Profile, profile_row(session, bob).id, given_name=profile_row(session, alice).given_name)
    with pytest.raises(IntegrityError):
        get_profile(session, vault=bob_vault)


def test_ciphertext_copied_to_another_column_fails_to_open(session: Session, keyring: KeyRing) -> None:
    alice, alice_vault, _, _ = two_customers(session, keyring)
    row = profile_row(session, alice)
    write(session, Profile, row.id, given_name=row.family_name)
    with pytest.raises(IntegrityError):
        get_profile(session, vault=alice_vault)


def test_ciphertexts_swapped_between_rows_fail_to_open(session: Session, keyring: KeyRing) -> None:
    _, vault = factories.customer(session, keyring)
    shop = factories.business(session)
    first = factories.interaction(session, vault, shop, subject="First")
    second = factories.interaction(session, vault, shop, subject="Second")
    subjects = dict(session.execute(select(Interaction.id, Interaction.subject)).all())
    write(session, Interaction, first.id, subject=subjects[second.id])
    write(session, Interaction, second.id, subject=subjects[first.id])
    for interaction in (first, second):
        with pytest.raises(IntegrityError):
            get_interaction(session, vault=vault, interaction_id=interaction.id)


def test_data_keys_swapped_between_customers_fail_to_open(session: Session, keyring: KeyRing) -> None:
    alice, _, bob, _ = two_customers(session, keyring)
    keys = dict(session.execute(select(DataKey.customer_id, DataKey.wrapped)).all())
    session.execute(update(DataKey).where(DataKey.customer_id == bob.id).values(wrapped=keys[alice.id]))
    with pytest.raises(IntegrityError):
        open_vault(session, keyring=keyring, customer_id=bob.id)


def flip(position: int) -> Callable[[bytes], bytes]:
    def change(blob: bytes) -> bytes:
        altered = bytearray(blob)
        altered[position % len(altered)] ^= 0x80
        return bytes(altered)

    return change


@pytest.mark.parametrize(
    "tamper",
    [
        flip(0),
        flip(3),
        flip(10),
        flip(-1),  # version, key id, nonce, tag
        lambda blob: blob[:-1],  # truncated
        lambda blob: blob + b"\x00",  # extended
        lambda blob: b"",  # emptied
    ],
    ids=["version", "key-id", "nonce", "tag", "truncated", "extended", "emptied"],
)
def test_tampered_field_is_an_integrity_error_never_data(
    session: Session, keyring: KeyRing, tamper: Callable[[bytes], bytes]
) -> None:
    alice, alice_vault, _, _ = two_customers(session, keyring)
    row = profile_row(session, alice)
    write(session, Profile, row.id, family_name=tamper(row.family_name))
    with pytest.raises(IntegrityError):
        get_profile(session, vault=alice_vault)


def test_tampered_wrapped_data_key_is_an_integrity_error(session: Session, keyring: KeyRing) -> None:
    alice, _, _, _ = two_customers(session, keyring)
    wrapped = session.scalar(select(DataKey.wrapped).where(DataKey.customer_id == alice.id))
    assert wrapped is not None
    session.execute(update(DataKey).where(DataKey.customer_id == alice.id).values(wrapped=flip(20)(wrapped)))
    with pytest.raises(IntegrityError):
        open_vault(session, keyring=keyring, customer_id=alice.id)
