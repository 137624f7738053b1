"""The suite itself refuses to pass quietly when PostgreSQL was asked for and is not there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_unreachable_postgresql_fails_the_run_instead_of_skipping() -> None:
    environ = {**os.environ, "VRM_TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/absent"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_envelope.py"],
        cwd=Path(__file__).parent.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PostgreSQL is unreachable" in result.stdout + result.stderr
