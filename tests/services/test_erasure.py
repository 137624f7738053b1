"""Crypto-shredding: an erased customer's data cannot be read again, backups included once keys retire."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import Database
from vrm.accounts.customers import erase_customer
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker
from vrm.errors import KeyRingError, NotFound
from vrm.models import Customer, DataKey, Interaction, Journey, Preferences, Profile
from vrm.vault.keys import open_vault, retire_key, rotate_keys
from vrm.vault.profile import get_profile, update_profile


def test_erasure_removes_the_data_key_and_every_row(database: Database, keyring: KeyRing) -> None:
    with database.sessions.begin() as session:
        gone, gone_vault = factories.customer(session, keyring)
        kept, kept_vault = factories.customer(session, keyring)
        shop = factories.business(session)
        for vault in (gone_vault, kept_vault):
            journey = factories.journey(session, keyring, vault, shop, reference="CASE-1")
            factories.interaction(session, vault, shop, journey_id=journey.id)
    with database.sessions.begin() as session:
        erase_customer(session, keyring=keyring, customer_id=gone.id)
    with database.sessions() as session:
        for model in (Customer, DataKey, Profile, Preferences, Journey, Interaction):
            owner = model.id if model is Customer else model.customer_id  # type: ignore[attr-defined]
            assert session.scalar(select(func.count()).where(owner == gone.id)) == 0, model.__name__
            assert session.scalar(select(func.count()).where(owner == kept.id)) == 1, model.__name__
        with pytest.raises(NotFound):
            open_vault(session, keyring=keyring, customer_id=gone.id)


def test_backup_taken_before_erasure_is_unreadable_once_the_old_key_is_retired(tmp_path: Path) -> None:
    """SQLite only: the backup is a copy of the database file."""
    ring = KeyRing.generate("development")
    ring.save(tmp_path / "keyring.json")
    live_engine = make_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    from vrm import schema

    schema.upgrade(live_engine)
    live = make_sessionmaker(live_engine)
    with live.begin() as session:
        customer, vault = factories.customer(session, ring)
        update_profile(session, vault=vault, changes={"given_name": "Erased Person"})
    live_engine.dispose()
    shutil.copy(tmp_path / "live.sqlite3", tmp_path / "backup.sqlite3")

    with live() as session:
        wrapped = session.scalar(select(DataKey.wrapped))
    assert wrapped is not None
    with live.begin() as session:
        erase_customer(session, keyring=ring, customer_id=customer.id)
    live_engine.dispose()
    live_files = b"".join(path.read_bytes() for path in tmp_path.glob("live.sqlite3*"))
    assert wrapped not in live_files  # secure_delete overwrote it; only old backups still hold it
    backup = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'backup.sqlite3'}"))
    with backup() as session:  # before the key is retired, the backup still opens: the procedure matters
        restored = open_vault(session, keyring=ring, customer_id=customer.id)
        assert get_profile(session, vault=restored).given_name == "Erased Person"

    rotate_keys(live, keyring=ring)
    with live() as session:
        retire_key(session, keyring=ring, key_id=1)
    with backup() as session, pytest.raises(KeyRingError, match="does not hold key 1"):
        open_vault(session, keyring=KeyRing.load(tmp_path / "keyring.json"), customer_id=customer.id)
