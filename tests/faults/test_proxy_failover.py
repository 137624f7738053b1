"""The deployment in deploy/: two stateless app nodes behind Caddy with the shipped Caddyfile. A customer
signed in through the proxy stays signed in whichever node answers, /metrics is not public, every request
gets an id, and when one node stops the proxy sends everything to the other without an error."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import Database
from tests.metrics import samples
from tests.oauth.conftest import Browser
from tests.processes import Node, node, vrm_env, wait_until_ready
from tests.web.browser import free_port
from vrm.crypto.keyring import KeyRing

CADDYFILE = Path(__file__).parents[2] / "deploy" / "Caddyfile"
pytestmark = pytest.mark.slow


@contextmanager
def caddy(upstreams: list[Node], home: Path) -> Iterator[str]:
    """Caddy on a local port, configured by the shipped Caddyfile, in front of these nodes."""
    if shutil.which("caddy") is None:
        pytest.skip("caddy is not installed (apt-get install caddy; .ci/run installs it)")
    port = free_port()
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PATH": "/usr/bin:/bin",
        "VRM_SITE_ADDRESS": f"http://127.0.0.1:{port}",
        "VRM_UPSTREAMS": " ".join(n.base.removeprefix("http://") for n in upstreams),
    }
    process = subprocess.Popen(
        ["caddy", "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)  # through the proxy, to the nodes behind it
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


def answered_by(node_base: str, route: str) -> float:
    """How many requests for `route` this node answered (its own /metrics, as Prometheus would scrape)."""
    text = requests.get(node_base + "/metrics", timeout=5).text
    return sum(samples(text, "vrm_http_request_duration_seconds_count", route=route))


def test_two_nodes_behind_the_proxy_share_everything_and_survive_one_stopping(
    database: Database, tmp_path: Path
) -> None:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    env = vrm_env(tmp_path, database.url, VRM_PROXIES="1")
    with (
        node(env, workers=1) as first,
        node(env, workers=1) as second,
        caddy([first, second], tmp_path) as proxy,
    ):
        customer = Browser(proxy)
        customer.sign_up("behind.the.proxy@example.org")
        for _ in range(30):
            # A fresh connection each time, so the balancer chooses again; the session is in the database.
            page = customer.http.get(
                proxy + "/profile", allow_redirects=False, headers={"Connection": "close"}
            )
            assert page.status_code == 200, page.status_code
            request_id = page.headers["X-Request-ID"]
            assert len(request_id) == 36 and request_id.count("-") == 4  # set by the proxy for each request
        assert answered_by(first.base, "/profile") > 0 and answered_by(second.base, "/profile") > 0

        assert requests.get(proxy + "/metrics", timeout=5).status_code == 404  # scraped on the inside only

        assert first.stop() == 0  # a deploy or a scale-in: SIGTERM, requests in flight finish
        for _ in range(20):
            page = customer.http.get(
                proxy + "/profile", allow_redirects=False, headers={"Connection": "close"}
            )
            assert page.status_code == 200, page.status_code
    for stopped in (first, second):
        assert "behind.the.proxy@example.org" not in stopped.stderr and "Control socket" not in stopped.stderr
