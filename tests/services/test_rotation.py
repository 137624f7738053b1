"""Key rotation re-wraps data keys without touching fields; old keys retire only when nothing needs them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import Database
from vrm.crypto.keyring import KeyRing
from vrm.errors import KeyRingError
from vrm.vault.keys import count_by_key_version, open_vault, retire_key, rewrap_data_keys, rotate_keys
from vrm.vault.models import Profile
from vrm.vault.profile import get_profile, update_profile

CUSTOMERS = 12


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    ring = KeyRing.generate("development")
    ring.save(tmp_path / "keyring.json")
    return ring


def seed(database: Database, ring: KeyRing) -> dict:  # type: ignore[type-arg]
    names = {}
    with database.sessions.begin() as session:
        for number in range(CUSTOMERS):
            customer, vault = factories.customer(session, ring)
            update_profile(session, vault=vault, changes={"given_name": f"Person {number}"})
            names[customer.id] = f"Person {number}"
    return names


def assert_all_open(database: Database, ring: KeyRing, names: dict) -> None:  # type: ignore[type-arg]
    with database.sessions() as session:
        for customer_id, name in names.items():
            assert (
                get_profile(
                    session, vault=open_vault(session, keyring=ring, customer_id=customer_id)
                ).given_name
                == name
            )


def sealed_fields(database: Database) -> list[bytes]:
    with database.sessions() as session:
        return list(session.scalars(select(Profile.given_name).order_by(Profile.id)))


def test_rotate_twice_retire_the_oldest_and_everything_still_opens(database: Database, ring: KeyRing) -> None:
    names = seed(database, ring)
    fields_before = sealed_fields(database)
    rotate_keys(database.sessions, keyring=ring, batch_size=5)
    rotate_keys(database.sessions, keyring=ring, batch_size=5)
    with database.sessions() as session:
        assert count_by_key_version(session) == {3: CUSTOMERS}
        retire_key(session, keyring=ring, key_id=1)
        retire_key(session, keyring=ring, key_id=2)
    reloaded = KeyRing.load(ring.path)  # type: ignore[arg-type]
    assert set(reloaded.keys) == {3} and reloaded.primary == 3 and reloaded.rotating_to is None
    assert_all_open(database, reloaded, names)
    assert sealed_fields(database) == fields_before  # fields were not re-encrypted


def test_key_still_wrapping_data_keys_cannot_be_retired(database: Database, ring: KeyRing) -> None:
    seed(database, ring)
    ring.add_primary()
    ring.rotating_to = None
    ring.save()
    with database.sessions() as session, pytest.raises(KeyRingError, match=f"still wraps {CUSTOMERS}"):
        retire_key(session, keyring=ring, key_id=1)
    assert 1 in KeyRing.load(ring.path).keys  # type: ignore[arg-type]


def test_retiring_during_an_unfinished_rotation_is_refused(database: Database, ring: KeyRing) -> None:
    ring.add_primary()
    ring.save()
    with database.sessions() as session, pytest.raises(KeyRingError, match="unfinished"):
        retire_key(session, keyring=ring, key_id=1)


def test_interrupted_rotation_resumes_without_adding_another_key(database: Database, ring: KeyRing) -> None:
    names = seed(database, ring)

    def crash_after_first_batch(done: int, total: int) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_keys(database.sessions, keyring=ring, batch_size=4, on_batch=crash_after_first_batch)
    on_disk = KeyRing.load(ring.path)  # type: ignore[arg-type]
    assert on_disk.rotating_to == 2
    with database.sessions() as session:
        assert count_by_key_version(session) == {1: CUSTOMERS - 4, 2: 4}
    assert_all_open(database, on_disk, names)  # mid-rotation, every vault still opens
    report, resumed = rotate_keys(database.sessions, keyring=on_disk, batch_size=4)
    assert resumed and report.target == 2 and report.rewrapped == CUSTOMERS - 4
    assert set(on_disk.keys) == {1, 2} and on_disk.rotating_to is None
    assert_all_open(database, on_disk, names)


def test_rewrap_catches_data_keys_made_under_an_old_key(database: Database, ring: KeyRing) -> None:
    names = seed(database, ring)
    rotate_keys(database.sessions, keyring=ring)
    stale = KeyRing.load(ring.path)  # type: ignore[arg-type]
    stale.primary = 1  # a process that has not noticed the rotation yet
    names.update(seed(database, stale))
    with database.sessions() as session:
        assert count_by_key_version(session) == {1: CUSTOMERS, 2: CUSTOMERS}
    report = rewrap_data_keys(database.sessions, keyring=ring)
    assert report.rewrapped == CUSTOMERS
    assert_all_open(database, ring, names)


def test_another_key_ring_is_refused_by_the_database(database: Database, ring: KeyRing) -> None:
    from vrm.vault.keys import bind_keyring

    with database.sessions.begin() as session:
        bind_keyring(session, keyring=ring)
    with database.sessions() as session, pytest.raises(KeyRingError, match="different key ring"):
        bind_keyring(session, keyring=KeyRing.generate("development"))


def test_rewrap_follows_a_rotation_made_while_it_runs(database: Database, ring: KeyRing) -> None:
    names = seed(database, ring)
    other_process = KeyRing.load(ring.path)  # type: ignore[arg-type]  # loaded before this rotation

    def rotate_elsewhere_after_first_batch(done: int, total: int) -> None:
        if done and len(other_process.keys) == 1:
            with other_process.editing():  # starts from the file: adds key 3, never a second "key 2"
                other_process.add_primary()

    with ring.editing():
        ring.add_primary()
    report = rewrap_data_keys(
        database.sessions, keyring=ring, batch_size=3, on_batch=rotate_elsewhere_after_first_batch
    )
    assert report.target == 3 and set(other_process.keys) == {1, 2, 3}
    with database.sessions() as session:
        assert count_by_key_version(session) == {3: CUSTOMERS}
    assert_all_open(database, KeyRing.load(ring.path), names)  # type: ignore[arg-type]


def test_concurrent_edits_of_the_ring_never_lose_a_key(tmp_path: Path) -> None:
    first = KeyRing.generate("development")
    first.save(tmp_path / "keyring.json")
    second = KeyRing.load(tmp_path / "keyring.json")  # stale from now on
    inside = threading.Event()

    def slow_rotation() -> None:
        with first.editing():
            first.add_primary()
            inside.set()
            time.sleep(0.3)  # holds the lock while the other edit starts

    thread = threading.Thread(target=slow_rotation)
    thread.start()
    assert inside.wait(5)
    with second.editing():  # waits for the lock, then starts from the file the first edit saved
        second.add_primary()
    thread.join()
    on_disk = KeyRing.load(tmp_path / "keyring.json")
    assert set(on_disk.keys) == {1, 2, 3} and on_disk.keys[2] == first.keys[2]
