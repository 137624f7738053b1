"""`vrm serve`: gunicorn as the Docker image runs it; metrics add up across workers, logs are JSON lines."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

VRM = Path(sys.executable).parent / "vrm"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("vrm serve did not become ready in 30 s")


@pytest.mark.slow
def test_serve_sums_metrics_across_workers_logs_json_and_stops_gracefully(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("VRM_", "PROMETHEUS"))}
    env["VRM_INSTANCE_DIR"] = str(tmp_path / "instance")
    for command in (["db", "upgrade"], ["keys", "init"]):
        subprocess.run([str(VRM), *command], env=env, check=True, capture_output=True, timeout=60)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(VRM), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_ready(base, process)
        for number in range(40):  # a new connection each: both workers take some
            answer = requests.get(base + "/healthz", headers={"X-Request-ID": f"probe-{number}"}, timeout=5)
            assert answer.headers["X-Request-ID"] == f"probe-{number}"
        requests.get(base + "/reset/a-secret-reset-token", timeout=5)
        for _ in range(4):  # whichever worker answers the scrape reports every worker's requests
            text = requests.get(base + "/metrics", timeout=5).text
            healthz = [
                found.value
                for family in text_string_to_metric_families(text)
                for found in family.samples
                if found.name == "vrm_http_request_duration_seconds_count"
                and found.labels["route"] == "/healthz"
            ]
            assert healthz == [40.0]
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [record for record in records if record["logger"] == "vrm.access"]
    assert {f"probe-{number}" for number in range(40)} <= {record["request_id"] for record in access}
    assert any(record["route"] == "/reset/<token>" for record in access)
    assert "a-secret-reset-token" not in stderr
    assert any(record["logger"] == "gunicorn.error" for record in records)  # gunicorn's own lines, as JSON
    plain = [line for line in stderr.splitlines() if line and not line.startswith("{")]
    assert all(line.startswith("warning: this is a DEVELOPMENT key ring") for line in plain), plain
