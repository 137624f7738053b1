"""A customer's opened vault: seals and opens field values, each bound to its exact place.

The associated data of every field is `customer id | table | column | row id`, so a ciphertext copied to
another column, row or customer fails to open. Values are typed before sealing: text as UTF-8 (the common
case, no JSON cost), anything else as compact JSON.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

import orjson

from vrm.crypto.derive import pseudonym
from vrm.crypto.envelope import Sealer
from vrm.errors import IntegrityError

AAD_LABEL = b"vrm/field/v1\x00"
TEXT, JSON = b"s", b"j"


class SealedRow(Protocol):
    __tablename__: str
    id: uuid.UUID


class CustomerVault:
    """Seal and open one customer's fields with their data key."""

    __slots__ = ("_log_key", "_prefix", "_sealer", "customer_id")

    def __init__(self, customer_id: uuid.UUID, sealer: Sealer, log_key: bytes | None = None) -> None:
        self.customer_id = customer_id
        self._sealer = sealer
        self._prefix = AAD_LABEL + customer_id.bytes
        self._log_key = log_key

    @property
    def log_id(self) -> str:
        """The customer's pseudonym in the consent log (`vrm.consent.events.pseudonym`)."""
        if self._log_key is None:
            raise RuntimeError("this vault was opened without its key ring's log pseudonym key")
        return pseudonym(self._log_key, self.customer_id)

    def _aad(self, table: str, column: str, row_id: uuid.UUID) -> bytes:
        return b"".join((self._prefix, table.encode(), b"\x00", column.encode(), b"\x00", row_id.bytes))

    def seal(self, table: str, column: str, row_id: uuid.UUID, value: Any) -> bytes | None:
        """Return the ciphertext of `value` for this place; None stays None (an absent value)."""
        if value is None:
            return None
        return self._sealer.seal(encode_value(value), self._aad(table, column, row_id))

    def open(self, table: str, column: str, row_id: uuid.UUID, blob: bytes | None) -> Any:
        """Return the value sealed at this place.

        Raises:
            IntegrityError: the ciphertext was altered or belongs to another place or customer.
        """
        if blob is None:
            return None
        return decode_value(self._sealer.open(blob, self._aad(table, column, row_id)))

    def seal_into(self, row: SealedRow, **values: Any) -> None:
        """Seal each keyword's value into the row's column of that name."""
        for column, value in values.items():
            setattr(row, column, self.seal(row.__tablename__, column, row.id, value))

    def open_from(self, row: SealedRow, columns: Iterable[str]) -> dict[str, Any]:
        """Open the named sealed columns of a row.

        Raises:
            IntegrityError: one of them fails its integrity check.
        """
        return {
            column: self.open(row.__tablename__, column, row.id, getattr(row, column)) for column in columns
        }


def encode_value(value: Any) -> bytes:
    """Type-tag a value: text as UTF-8 (no JSON cost for the common case), anything else as compact JSON."""
    if isinstance(value, str):
        return TEXT + value.encode()
    return JSON + json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# orjson reads the same compact JSON several times faster than the standard library; bulk reads (contact
# decisions over thousands of customers) spend most of their time here.


def decode_value(encoded: bytes) -> Any:
    """Raises: IntegrityError: the type tag is unknown."""
    kind, body = encoded[:1], encoded[1:]
    if kind == TEXT:
        return body.decode()
    if kind == JSON:
        return orjson.loads(body)
    raise IntegrityError("a sealed value has an unknown type tag")
