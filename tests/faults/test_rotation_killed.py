"""The drill from the issue: kill `vrm keys rotate` half way, run it again; it completes, nothing is lost."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import Database
from tests.processes import VRM, run_vrm, vrm_env
from vrm.crypto.keyring import KeyRing
from vrm.vault.keys import open_vault
from vrm.vault.models import DataKey
from vrm.vault.profile import get_profile, update_profile

FIRST_BATCH = 300
ATTEMPTS = 4  # 300, 600, 1200, 2400 customers: each retry doubles the work to interrupt


def add_customers(database: Database, ring_file: Path, how_many: int) -> dict[uuid.UUID, str]:
    """Create customers through the services, each with a given name in their sealed profile."""
    ring = KeyRing.load(ring_file)
    names = {}
    with database.sessions.begin() as session:
        for _ in range(how_many):
            customer, vault = factories.customer(session, ring, password=None)
            names[customer.id] = f"Given {customer.id.hex[:8]}"
            update_profile(session, vault=vault, changes={"given_name": names[customer.id]})
    return names


def wrapped_under(database: Database, key_id: int) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(DataKey).where(DataKey.kek_id == key_id)) or 0


def total_data_keys(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(DataKey)) or 0


def kill_rotation_midway(env: dict[str, str], database: Database, target: int) -> bool:
    """Start `vrm keys rotate --batch-size 1`; SIGKILL it once some but not all keys are under `target`.

    Returns False when the rotation finished before it could be caught half way.
    """
    total = total_data_keys(database)
    process = subprocess.Popen(
        [str(VRM), "keys", "rotate", "--batch-size", "1"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if 0 < wrapped_under(database, target) < total:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                return True
            time.sleep(0.002)
        return False
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def assert_every_profile_opens(database: Database, ring: KeyRing, names: dict[uuid.UUID, str]) -> None:
    with database.sessions() as session:
        for customer_id, given_name in names.items():
            vault = open_vault(session, keyring=ring, customer_id=customer_id)
            assert get_profile(session, vault=vault).given_name == given_name


@pytest.mark.slow
def test_rotation_killed_half_way_resumes_on_the_next_run_and_loses_nothing(
    database: Database, tmp_path: Path
) -> None:
    env = vrm_env(tmp_path / "instance", database.url, VRM_KEYRING_FILE=str(tmp_path / "keyring.json"))
    ring_file = tmp_path / "keyring.json"
    assert run_vrm(env, "keys", "init").returncode == 0
    names: dict[uuid.UUID, str] = {}
    how_many = FIRST_BATCH
    for _attempt in range(ATTEMPTS):
        # A missed attempt leaves a completed rotation: the next one simply targets the following key.
        target = KeyRing.load(ring_file).primary + 1
        names |= add_customers(database, ring_file, how_many)
        if kill_rotation_midway(env, database, target):
            break
        how_many *= 2
    else:
        pytest.fail(f"`vrm keys rotate` always finished before it could be killed ({len(names)} customers)")

    total = len(names)
    assert total_data_keys(database) == total
    assert 0 < wrapped_under(database, target) < total, "the rotation was not interrupted half way"
    interrupted = KeyRing.load(ring_file)
    assert interrupted.primary == interrupted.rotating_to == target
    assert target in interrupted.keys

    resumed = run_vrm(env, "keys", "rotate")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    assert "Traceback" not in resumed.stderr

    assert wrapped_under(database, target) == total
    ring = KeyRing.load(ring_file)
    assert ring.rotating_to is None
    assert ring.primary == target
    assert set(ring.keys) == set(range(1, target + 1)), "resuming must not add another key"
    assert_every_profile_opens(database, ring, names)
