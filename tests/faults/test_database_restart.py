"""Drill: PostgreSQL restarts while a business writes through the API. While it is down, requests fail
cleanly (503 with Retry-After, never a 500); the app recovers by itself once it is back; no acknowledged
write is lost. The server is a private one this test starts, never the shared test server."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import Database
from tests.faults.drill import Writers, assert_nothing_lost_or_half_written, customer_token, retries_are_safe
from tests.processes import node, run_vrm, vrm_env
from tests.web.browser import free_port
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker

pytestmark = pytest.mark.slow
DOWN_FOR = 3.0  # seconds PostgreSQL stays down


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (initdb), run as the postgres user."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not binaries or os.geteuid() != 0:
            pytest.skip("needs PostgreSQL's server binaries and root (to run them as the postgres user)")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("needs the postgres system user")
        self.bin = Path(binaries[-1]).parent
        self.home = Path(tempfile.mkdtemp(prefix="vrm-pg-"))
        shutil.chown(self.home, "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres("initdb", "-D", str(self.home / "data"), "-A", "trust", "-U", "postgres")

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.home / "data"),
            "-o",
            options,
            "-l",
            str(self.home / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.home / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


def test_a_database_restart_answers_503_then_recovers_without_losing_a_write(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    env = vrm_env(tmp_path, postgres.url, VRM_API_RATE_LIMIT="1000000 per minute")
    assert run_vrm(env, "db", "upgrade").returncode == 0
    engine = make_engine(postgres.url)
    database = Database("postgresql", postgres.url, engine, make_sessionmaker(engine))
    try:
        with node(env, workers=2, threads=4) as served:
            _, token = customer_token(database, served.base)
            writers = Writers(served.base, token)
            writers.start(3)
            time.sleep(1)
            engine.dispose()
            postgres.stop()
            time.sleep(DOWN_FOR)
            assert requests.get(served.base + "/readyz", timeout=10).status_code == 503
            acknowledged_while_down = len(writers.acknowledged)
            postgres.start()
            deadline = time.monotonic() + 20
            while requests.get(served.base + "/readyz", timeout=10).status_code != 200:
                assert time.monotonic() < deadline, "the app did not recover by itself"
                time.sleep(0.2)
            time.sleep(1.5)  # writes go on after recovery
            writers.stop()
            print(
                f"drill: {sum(writers.statuses.values())} answers {dict(writers.statuses)}, "
                f"{len(writers.unanswered)} retried afterwards"
            )
            assert len(writers.acknowledged) > acknowledged_while_down  # writing again, unaided
            assert writers.statuses[503] > 0 and set(writers.statuses) <= {201, 503}, (
                writers.statuses,
                served.errors(),
            )
            assert all(value is not None and value.isdigit() for value in writers.retry_after)
            retries_are_safe(writers)
        assert_nothing_lost_or_half_written(database, writers)
    finally:
        engine.dispose()
