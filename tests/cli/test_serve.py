"""`vrm serve`: gunicorn as the Docker image runs it; metrics add up across workers, logs are JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.metrics import samples
from tests.processes import node, run_vrm, vrm_env


def scraped(base: str, name: str, **labels: str) -> list[float]:
    text = requests.get(base + "/metrics", timeout=5).text  # development: open without a token
    return samples(text, name, **labels)


@pytest.mark.slow
def test_serve_sums_metrics_across_workers_logs_json_and_stops_gracefully(tmp_path: Path) -> None:
    env = vrm_env(tmp_path / "instance")
    for command in (["db", "upgrade"], ["keys", "init"]):
        assert run_vrm(env, *command).returncode == 0
    with node(env, workers=2) as served:
        for number in range(40):  # a new connection each: both workers take some
            answer = requests.get(
                served.base + "/healthz", headers={"X-Request-ID": f"probe-{number}"}, timeout=5
            )
            assert answer.headers["X-Request-ID"] == f"probe-{number}"
        requests.get(served.base + "/reset/a-secret-reset-token", timeout=5)
        for _ in range(4):  # whichever worker answers the scrape reports every worker's requests
            count = "vrm_http_request_duration_seconds_count"
            assert scraped(served.base, count, route="/healthz") == [40.0]
        assert served.stop() == 0  # SIGTERM: graceful
    records = [json.loads(line) for line in served.stderr.splitlines() if line.startswith("{")]
    access = [record for record in records if record["logger"] == "vrm.access"]
    assert {f"probe-{number}" for number in range(40)} <= {record["request_id"] for record in access}
    assert any(record["route"] == "/reset/<token>" for record in access)
    assert "a-secret-reset-token" not in served.stderr
    assert any(record["logger"] == "gunicorn.error" for record in records)  # gunicorn's own lines, as JSON
    plain = [line for line in served.stderr.splitlines() if line and not line.startswith("{")]
    assert all(line.startswith("warning: this is a DEVELOPMENT key ring") for line in plain), plain
