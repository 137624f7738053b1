"""GET /api/v1/customer under gunicorn and a load generator (wrk), against a bare Flask endpoint doing one
primary-key read under the same gunicorn settings, measured alternately in the same run."""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bench.serve import settings
from vrm import schema
from vrm.accounts.businesses import create_business
from vrm.accounts.customers import create_customer
from vrm.consent.grants import grant_access
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker
from vrm.oauth.clients import create_client
from vrm.oauth.pairwise import subject_for
from vrm.oauth.tokens import issue_tokens
from vrm.vault.keys import open_vault
from vrm.vault.profile import update_profile

TOKEN = "bench-access-token"
GOAL = 0.5  # the API's throughput as a share of the bare endpoint's (issue 4)
SECONDS, CONNECTIONS, ROUNDS = 4, 16, 7
PROFILE = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "emails": [{"address": "ada@example.org"}],
    "phones": [{"number": "+44 20 7946 0958"}],
    "language": "en",
    "locale": "en-GB",
}


def _prepare(folder: str) -> None:
    ring = KeyRing.generate("development")
    ring.save(Path(folder) / "keyring.json")
    engine = make_engine(settings(folder).database_url)
    schema.upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        customer = create_customer(session, keyring=ring, email="ada@example.org")
        update_profile(
            session, vault=open_vault(session, keyring=ring, customer_id=customer.id), changes=PROFILE
        )
        shop = create_business(session, name="bench-energy")
        client, _ = create_client(
            session, business_id=shop.id, name="Bench", redirect_uris=["https://b.example/cb"]
        )
        grant = grant_access(
            session,
            keyring=ring,
            customer_id=customer.id,
            business_id=shop.id,
            purpose="service",
            scopes="profile:read contact:read",
        )
        subject_for(session, keyring=ring, business_id=shop.id, customer_id=customer.id)
        issue_tokens(
            session,
            client=client,
            scope=grant.scopes,
            access_token=TOKEN,
            customer_id=customer.id,
            grant=grant,
        )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(which: str, folder: str, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """Serve `which` (bench.serve) on a free port; return the process and the port once it listens."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", which, str(port), folder, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server, port
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"the {which} server did not start")


def load(url: str, *, token: str, connections: int, seconds: int, script: Path | None = None) -> float:
    """Requests per second wrk sustains against `url` (every answer must be a 2xx)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(
        [*command, *(["-s", str(script)] if script else []), url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"the endpoint answered errors under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def _use_redis() -> str:
    """Count rate limits in Redis, as a deployment of several processes must, when one is at hand."""
    url = os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        os.environ["BENCH_REDIS_URL"] = ""
        return "in each process (no Redis)"
    return "in Redis"


def run() -> list[str]:
    if shutil.which("wrk") is None:
        return ["GET /api/v1/customer under load: skipped, wrk is not installed (apt-get install wrk)"]
    counted = _use_redis()
    with tempfile.TemporaryDirectory() as folder:
        _prepare(folder)
        servers = {which: start(which, folder) for which in ("vault", "bare")}
        try:
            rates: dict[str, list[float]] = {"vault": [], "bare": []}
            for _ in range(ROUNDS):
                for which, (_, port) in servers.items():
                    url = f"http://127.0.0.1:{port}/api/v1/customer"
                    rates[which].append(load(url, token=TOKEN, connections=CONNECTIONS, seconds=SECONDS))
        finally:
            for server, _ in servers.values():
                server.terminate()
                server.wait(10)
    vault, bare = statistics.median(rates["vault"]), statistics.median(rates["bare"])
    # The median of each round's ratio: a round measures both back to back, so drift on this shared
    # machine hits both alike, where a ratio of medians would mix rounds.
    share = statistics.median(v / b for v, b in zip(rates["vault"], rates["bare"], strict=True))
    return [
        f"GET /api/v1/customer under gunicorn (2 workers x 4 threads, wrk {CONNECTIONS} connections, "
        f"rate limits counted {counted}): "
        f"{vault:,.0f} req/s (baseline, a bare Flask primary-key read: {bare:,.0f} req/s; "
        f"median of {ROUNDS} paired rounds: {share:.0%} of it)  "
        f"goal >= {GOAL:.0%}: {'met' if share >= GOAL else 'MISSED'}"
    ]
