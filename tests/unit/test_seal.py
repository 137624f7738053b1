from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vrm.crypto.envelope import Sealer, new_key
from vrm.errors import IntegrityError
from vrm.vault.seal import CustomerVault

CUSTOMER = uuid.uuid4()
ROW = uuid.uuid4()
VAULT = CustomerVault(CUSTOMER, Sealer(1, new_key()))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)


@given(st.text())
def test_any_unicode_text_round_trips(value: str) -> None:
    assert (
        VAULT.open("profiles", "given_name", ROW, VAULT.seal("profiles", "given_name", ROW, value)) == value
    )


@given(json_values)
def test_any_json_value_round_trips(value: Any) -> None:
    assert (
        VAULT.open("profiles", "attributes", ROW, VAULT.seal("profiles", "attributes", ROW, value)) == value
    )


def test_absent_value_stays_absent() -> None:
    assert VAULT.seal("profiles", "locale", ROW, None) is None
    assert VAULT.open("profiles", "locale", ROW, None) is None


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [
        ("profiles", "family_name", ROW),  # another column
        ("journeys", "given_name", ROW),  # another table
        ("profiles", "given_name", uuid.uuid4()),  # another row
    ],
)
def test_ciphertext_opens_only_in_its_own_place(table: str, column: str, row: uuid.UUID) -> None:
    blob = VAULT.seal("profiles", "given_name", ROW, "Ada")
    with pytest.raises(IntegrityError):
        VAULT.open(table, column, row, blob)


def test_ciphertext_of_one_customer_fails_for_another_even_with_the_same_key() -> None:
    key = new_key()
    mine, theirs = CustomerVault(uuid.uuid4(), Sealer(1, key)), CustomerVault(uuid.uuid4(), Sealer(1, key))
    with pytest.raises(IntegrityError):
        theirs.open("profiles", "given_name", ROW, mine.seal("profiles", "given_name", ROW, "Ada"))
