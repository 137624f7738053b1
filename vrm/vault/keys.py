"""Customers' data keys: creation, opening, re-wrapping on key rotation, and what each key version wraps."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from vrm.consent import events
from vrm.crypto.envelope import Sealer, key_id_of, new_key
from vrm.crypto.keyring import KeyRing
from vrm.db import utcnow
from vrm.errors import KeyRingError, NotFound
from vrm.vault.models import DataKey, KeyRingBinding
from vrm.vault.seal import CustomerVault

WRAP_LABEL = b"vrm/data-key/v1\x00"


CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit


def _wrap_aad(customer_id: uuid.UUID, generation: int) -> bytes:
    # Binds a wrapped key to its customer, so swapping two customers' data keys fails to open.
    return WRAP_LABEL + customer_id.bytes + struct.pack(">I", generation)


def bind_keyring(session: Session, *, keyring: KeyRing) -> None:
    """Record the ring's fingerprint on first use; afterwards refuse any other ring.

    Raises:
        KeyRingError: the database was sealed with a different key ring.
    """
    binding = session.get(KeyRingBinding, 1)
    if binding is None:
        session.add(KeyRingBinding(id=1, fingerprint=keyring.fingerprint))
        session.flush()
    elif binding.fingerprint != keyring.fingerprint:
        raise KeyRingError(
            "VRM_KEYRING_FILE holds a different key ring from the one this database was sealed with"
        )


def create_data_key(session: Session, *, keyring: KeyRing, customer_id: uuid.UUID) -> CustomerVault:
    """Give a new customer a random data key, wrapped under the primary key, and return their vault.

    The key row is only added to the session: it is flushed with the customer row it belongs to.
    """
    data_key = new_key()
    wrapped = keyring.wrap(data_key, _wrap_aad(customer_id, 1))
    session.add(DataKey(customer_id=customer_id, generation=1, kek_id=key_id_of(wrapped), wrapped=wrapped))
    return CustomerVault(customer_id, Sealer(1, data_key), keyring.log_pseudonym_key)


def open_vault(session: Session, *, keyring: KeyRing, customer_id: uuid.UUID) -> CustomerVault:
    """Unwrap a customer's data key and return their vault.

    Raises:
        NotFound: the customer has no data key (never existed, or erased).
        KeyRingError: the key version that wraps it is not in the ring.
        IntegrityError: the wrapped key was altered or moved.
    """
    row = session.execute(
        select(DataKey.generation, DataKey.wrapped)
        .where(DataKey.customer_id == customer_id)
        .order_by(DataKey.generation.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound("this customer has no vault")
    generation, wrapped = row
    return vault_of(keyring, customer_id, generation, wrapped)


def vault_of(keyring: KeyRing, customer_id: uuid.UUID, generation: int, wrapped: bytes) -> CustomerVault:
    """Open a vault from its wrapped data key as stored (read in bulk by the caller).

    Raises: KeyRingError, IntegrityError: as `open_vault`."""
    data_key = keyring.unwrap(wrapped, _wrap_aad(customer_id, generation))
    return CustomerVault(customer_id, Sealer(generation, data_key), keyring.log_pseudonym_key)


def open_vaults(
    session: Session, *, keyring: KeyRing, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, CustomerVault]:
    """Unwrap many customers' data keys with a few queries; customers without a vault are left out.

    Raises:
        KeyRingError, IntegrityError: as `open_vault`.
    """
    wanted = list(dict.fromkeys(customer_ids))
    latest: dict[uuid.UUID, tuple[int, bytes]] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(DataKey.customer_id, DataKey.generation, DataKey.wrapped).where(
                DataKey.customer_id.in_(wanted[start : start + CHUNK])
            )
        )
        for customer_id, generation, wrapped in rows:
            if customer_id not in latest or generation > latest[customer_id][0]:
                latest[customer_id] = (generation, wrapped)
    return {
        customer_id: vault_of(keyring, customer_id, generation, wrapped)
        for customer_id, (generation, wrapped) in latest.items()
    }


def destroy_data_keys(session: Session, *, customer_id: uuid.UUID) -> int:
    """Delete a customer's data keys: every field sealed with them becomes unreadable for good."""
    keys = session.scalars(select(DataKey).where(DataKey.customer_id == customer_id)).all()
    for key in keys:
        session.delete(key)
    session.flush()
    return len(keys)


def count_by_key_version(session: Session) -> dict[int, int]:
    """Return how many data keys each key-encryption key version still wraps."""
    rows = session.execute(select(DataKey.kek_id, func.count()).group_by(DataKey.kek_id))
    return {int(kek_id): int(count) for kek_id, count in rows}


@dataclass(frozen=True)
class RewrapReport:
    target: int
    rewrapped: int


def rewrap_data_keys(
    sessions: sessionmaker[Session],
    *,
    keyring: KeyRing,
    batch_size: int = 500,
    on_batch: Callable[[int, int], None] = lambda done, total: None,
) -> RewrapReport:
    """Re-wrap every data key not yet under the primary key, committing batch by batch.

    Fields are never re-encrypted: only the 65-byte wrapped keys change. Each batch commits on its own,
    so an interrupted run loses nothing and the next run carries on where it stopped.

    Raises:
        KeyRingError: a data key is wrapped by a version the ring no longer holds.
    """
    keyring.refresh()
    with sessions() as session:
        total = session.scalar(select(func.count()).where(DataKey.kek_id != keyring.primary)) or 0
    done = 0
    on_batch(done, total)
    while True:
        # The ring may change under a long run (another rotation): always aim at its current primary.
        keyring.refresh()
        with sessions.begin() as session:
            count = _rewrap_batch(session, keyring, batch_size)
        if not count:
            return RewrapReport(target=keyring.primary, rewrapped=done)
        done += count
        on_batch(done, max(total, done))


def _rewrap_batch(session: Session, keyring: KeyRing, batch_size: int) -> int:
    """Re-wrap up to `batch_size` data keys that are not under the primary key; return how many."""
    batch = session.execute(
        select(DataKey.customer_id, DataKey.generation, DataKey.kek_id, DataKey.wrapped)
        .where(DataKey.kek_id != keyring.primary)
        .order_by(DataKey.customer_id, DataKey.generation)
        .limit(batch_size)
    ).all()
    for customer_id, generation, kek_id, wrapped in batch:
        aad = _wrap_aad(customer_id, generation)
        rewrapped = keyring.wrap(keyring.unwrap(wrapped, aad), aad)
        session.execute(
            update(DataKey)
            .where(
                DataKey.customer_id == customer_id, DataKey.generation == generation, DataKey.kek_id == kek_id
            )
            # Record the version named in the new ciphertext itself, so the label never lies.
            .values(kek_id=key_id_of(rewrapped), wrapped=rewrapped, rewrapped_at=utcnow())
        )
    return len(batch)


def rotate_keys(
    sessions: sessionmaker[Session],
    *,
    keyring: KeyRing,
    batch_size: int = 500,
    on_batch: Callable[[int, int], None] = lambda done, total: None,
) -> tuple[RewrapReport, bool]:
    """Add a new primary key and re-wrap every data key under it; resume an unfinished rotation instead.

    The new key is written to the ring file before any data key uses it, so a crash at any point leaves
    every data key openable. Returns the report and whether an earlier rotation was resumed.
    """
    with keyring.editing():
        resumed = keyring.rotating_to is not None
        if not resumed:
            keyring.add_primary()
    report = rewrap_data_keys(sessions, keyring=keyring, batch_size=batch_size, on_batch=on_batch)
    with sessions.begin() as session:
        events.key_rotated(session, primary=report.target, rewrapped=report.rewrapped, resumed=resumed)
    with keyring.editing():
        keyring.rotating_to = None
    return report, resumed


def retire_key(session: Session, *, keyring: KeyRing, key_id: int) -> None:
    """Remove a key version from the ring once no data key depends on it; the consent log records it when
    the caller commits.

    Raises:
        KeyRingError: a rotation is unfinished, the key still wraps data keys, or it is the primary.
    """
    with keyring.editing():
        if keyring.rotating_to is not None:
            raise KeyRingError("a key rotation is unfinished; run `vrm keys rotate` to complete it first")
        if key_id == keyring.primary:
            # Checked before counting: advising `vrm keys rewrap` could never free the primary key.
            raise KeyRingError(f"key {key_id} is the primary key and cannot be retired")
        still_wrapped = count_by_key_version(session).get(key_id, 0)
        if still_wrapped:
            raise KeyRingError(
                f"key {key_id} still wraps {still_wrapped} data key(s); "
                "run `vrm keys rewrap` before retiring it"
            )
        events.key_retired(session, key_id=key_id)  # in the caller's transaction, committed after
        keyring.retire(key_id)
