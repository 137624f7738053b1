"""A realistic mix of traffic against gunicorn on PostgreSQL, configured as in production.

The app runs exactly as the Docker image runs it (gunicorn with vrm.serving.gunicorn_config: 2 workers x 4
threads, JSON logs, metrics, rate limits in Redis) on a population of customers. Six load generators (wrk,
one per kind of traffic, all at once) play:
  customers browsing the web pages (signed in), businesses reading customers with their tokens, reading
  timelines, recording interactions, asking 1,000-question contact decision batches, and an auditor paging
  the consent log.
The same six generators then drive a bare Flask endpoint (one primary-key read on the same database) under
the same gunicorn configuration. Reported per kind: req/s, p50 and p99, and p50 against the bare endpoint's
under the same mix; and the largest resident memory of any app worker, sampled all through the run.

python -m bench.load [--customers N] [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.access import business_token, clients_by_business, customer_token, population_grants
from bench.api import free_port
from vrm import schema
from vrm.accounts.auditors import create_auditor
from vrm.consent.models import Grant
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker
from vrm.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo
from vrm.oauth.models import Relationship
from vrm.population import populate

DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/vrm_load"
REDIS = "redis://127.0.0.1:6379/13"
MEMORY_GOAL_MB = 150
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass(frozen=True)
class Kind:
    name: str
    connections: int
    script: str  # wrk Lua: sets `request`


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=20)
    arguments = parser.parse_args()
    for line in run(customers=arguments.customers, seconds=arguments.seconds):
        print(line, flush=True)


def run(customers: int = 10_000, seconds: int = 20) -> list[str]:
    if shutil.which("wrk") is None:
        return ["load mix: skipped, wrk is not installed (apt-get install wrk)"]
    try:
        recreate_database(DATABASE)
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).flushdb()
    except Exception as error:  # PostgreSQL or Redis missing: say so, measure nothing
        return [f"load mix: skipped, PostgreSQL or Redis is not reachable ({type(error).__name__})"]
    with tempfile.TemporaryDirectory() as folder:
        env = environment(Path(folder))
        print(f"load mix: preparing {customers:,} customers on PostgreSQL", file=sys.stderr, flush=True)
        world = prepare(Path(folder), customers)
        scripts = Path(folder)
        vault = serve(env, "vrm.wsgi:app", log=Path(folder) / "vault.log")
        try:
            cookie = sign_in(vault.base)
            kinds = mix(world, cookie, scripts)
            peak = RssPeak(vault.process.pid)
            with peak:
                vault_results = drive(vault.base, kinds, seconds)
        finally:
            vault.stop()
        refusals = refused_by_route(Path(folder) / "vault.log")
        bare = serve({**env, "BENCH_CUSTOMER_ID": world["customer_id"]}, "bench.bare_wsgi:app")
        try:
            bare_kinds = [Kind(k.name, k.connections, bare_script(scripts)) for k in kinds]
            bare_results = drive(bare.base, bare_kinds, seconds)
        finally:
            bare.stop()
    return [*report(kinds, vault_results, bare_results, peak.megabytes, customers, seconds), *refusals]


def refused_by_route(log: Path) -> list[str]:
    """Every answer of 400 or more in the app's own access log, counted by route and status."""
    counts: dict[tuple[str, int], int] = {}
    for line in log.read_text().splitlines():
        if '"vrm.access"' in line:
            entry = json.loads(line)
            if entry["status"] >= 400:
                key = (f"{entry['method']} {entry['route']}", entry["status"])
                counts[key] = counts.get(key, 0) + 1
    return [
        f"  answered {status} to {route}: {count} times" for (route, status), count in sorted(counts.items())
    ]


def recreate_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VRM_", "PROMETHEUS"))}
    return {
        **env,
        "VRM_INSTANCE_DIR": str(folder),
        "VRM_DATABASE_URL": DATABASE,
        "VRM_KEYRING_FILE": str(folder / "keyring.json"),
        "VRM_REDIS_URL": REDIS,
        "VRM_API_RATE_LIMIT": "100000000 per minute",  # measure the work, not the limiter's refusals
        "VRM_DECISIONS_RATE_LIMIT": "100000000 per minute",
        "WEB_CONCURRENCY": "2",
        "VRM_THREADS": "4",
    }


def prepare(folder: Path, customers: int) -> dict[str, object]:
    """A population, tokens for 200 of its customers, a business's own token, auditors."""
    ring = KeyRing.generate("development")
    ring.save(folder / "keyring.json")
    engine = make_engine(DATABASE)
    schema.upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        load_demo(session, keyring=ring)
    populate(sessions, keyring=ring, customers=customers, interactions=10)
    with sessions.begin() as session:
        clients = clients_by_business(session)
        scope = "profile:read contact:read interactions:read interactions:write"
        tokens = [
            customer_token(session, clients[grant.business_id], grant, scope)
            for grant in population_grants(session, 200)
        ]
        business = next(iter(clients))
        own_token = business_token(session, clients[business])
        subjects = list(
            session.scalars(
                select(Relationship.subject).where(Relationship.business_id == business).limit(1000)
            )
        )
        # Several auditors: each may make 600 calls a minute to the log API, more than one generator asks.
        auditors = [create_auditor(session, name=f"load-audit-{n}")[1] for n in range(8)]
        customer_id = str(session.scalars(select(Grant.customer_id).limit(1)).one())
        log_size = session.scalar(text("SELECT count(*) FROM consent_log")) or 1
    engine.dispose()
    return {
        "tokens": tokens,
        "business_token": own_token,
        "subjects": subjects,
        "auditors": auditors,
        "customer_id": customer_id,
        "log_size": log_size,
    }


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def serve(env: dict[str, str], application: str, log: Path | None = None) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:vrm.serving.gunicorn_config", application],
        env={**env, "VRM_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        # The app's JSON log (one line a request), read afterwards for what went wrong, if anything.
        stderr=log.open("w") if log is not None else subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code in (200, 404):
                return Server(base, process)
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{application} did not start")


def sign_in(base: str) -> str:
    """The demo customer's session cookie, as a browser holds it."""
    browser = requests.Session()
    match = CSRF.search(browser.get(base + "/signin").text)
    assert match
    answer = browser.post(
        base + "/signin",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": match.group(1)},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def lua_list(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(value) for value in values) + "}"


def script(folder: Path, name: str, body: str) -> str:
    path = folder / f"{name}.lua"
    path.write_text("math.randomseed(os.time())\n" + body)
    return str(path)


def mix(world: dict[str, object], cookie: str, folder: Path) -> list[Kind]:
    tokens = lua_list(world["tokens"])  # type: ignore[arg-type]
    auditors = lua_list(world["auditors"])  # type: ignore[arg-type]
    questions = json.dumps(
        {
            "items": [
                {"customer": subject, "channel": "email", "purpose": "marketing" if i % 3 else "service"}
                for i, subject in enumerate(world["subjects"])  # type: ignore[arg-type]
            ]
        }
    )
    interaction = json.dumps(
        {
            "channel": "chat",
            "direction": "inbound",
            "occurred_at": "2026-11-30T10:00:00Z",
            "subject": "Load test",
            "summary": "Asked about a bill.",
        }
    )
    pick = (
        f"local tokens = {tokens}\n"
        "local function bearer() return 'Bearer ' .. tokens[math.random(#tokens)] end\n"
    )
    return [
        Kind(
            "customers browsing the web pages",
            2,
            script(
                folder,
                "ui",
                f"""
local pages = {{"/history", "/profile", "/preferences", "/connections", "/receipts"}}
local cookie = {json.dumps(cookie)}
request = function() return wrk.format("GET", pages[math.random(#pages)], {{Cookie = cookie}}) end
""",
            ),
        ),
        Kind(
            "GET /api/v1/customer",
            4,
            script(
                folder,
                "customer",
                pick
                + """
request = function() return wrk.format("GET", "/api/v1/customer", {Authorization = bearer()}) end
""",
            ),
        ),
        Kind(
            "GET /api/v1/customer/interactions",
            2,
            script(
                folder,
                "timeline",
                pick
                + """
request = function() return wrk.format("GET", "/api/v1/customer/interactions", {Authorization = bearer()}) end
""",
            ),
        ),
        Kind(
            "POST /api/v1/customer/interactions",
            1,
            script(
                folder,
                "record",
                pick
                + f"""
request = function()
  return wrk.format("POST", "/api/v1/customer/interactions",
    {{Authorization = bearer(), ["Content-Type"] = "application/json"}}, {json.dumps(interaction)})
end
""",
            ),
        ),
        Kind(
            "POST /api/v1/contact-decisions (1,000 questions)",
            1,
            script(
                folder,
                "decisions",
                f"""
request = function()
  return wrk.format("POST", "/api/v1/contact-decisions",
    {{Authorization = "Bearer {world["business_token"]}", ["Content-Type"] = "application/json"}},
    {json.dumps(questions)})
end
""",
            ),
        ),
        Kind(
            "GET /api/v1/log/entries (auditor, 50 a page)",
            1,
            script(
                folder,
                "audit",
                f"""
local auditors = {auditors}
request = function()
  local start = math.random({max(1, int(str(world["log_size"])) - 60)})
  return wrk.format("GET", "/api/v1/log/entries?start=" .. start .. "&end=" .. (start + 50),
    {{Authorization = "Bearer " .. auditors[math.random(#auditors)]}})
end
""",
            ),
        ),
    ]


def bare_script(folder: Path) -> str:
    return script(folder, "bare", 'request = function() return wrk.format("GET", "/api/v1/customer") end\n')


@dataclass(frozen=True)
class Result:
    rate: float
    p50: float
    p99: float
    errors: int


def drive(base: str, kinds: list[Kind], seconds: int) -> list[Result]:
    """Run one wrk per kind, all at once; each kind's rate and latency percentiles in ms."""
    runs = [
        subprocess.Popen(
            ["wrk", "-t1", f"-c{kind.connections}", f"-d{seconds}s", "--latency", "-s", kind.script, base],
            stdout=subprocess.PIPE,
            text=True,
        )
        for kind in kinds
    ]
    return [parse(run.communicate(timeout=seconds + 60)[0]) for run in runs]


def parse(out: str) -> Result:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50, p99 = (re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)\b", out) for q in ("50.000", "99.000"))
    if p50 is None:  # wrk prints "50%" with --latency
        p50, p99 = (re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)\b", out) for q in ("50", "99"))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rate and p50 and p99, out
    return Result(float(rate.group(1)), ms(p50), ms(p99), int(errors.group(1)) if errors else 0)


def ms(match: re.Match[str]) -> float:
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


class RssPeak:
    """The largest resident set size of any worker of this gunicorn master, sampled every 0.2 s."""

    def __init__(self, master: int) -> None:
        self.master, self.megabytes, self._stop = master, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            try:
                children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
                for pid in children:
                    status = Path(f"/proc/{pid}/status").read_text()
                    rss = re.search(r"VmRSS:\s+(\d+) kB", status)
                    if rss:
                        self.megabytes = max(self.megabytes, int(rss.group(1)) / 1024)
            except OSError:
                continue  # a worker being replaced


def report(
    kinds: list[Kind], vault: list[Result], bare: list[Result], peak: float, customers: int, seconds: int
) -> list[str]:
    lines = [
        f"Load mix on PostgreSQL ({customers:,} customers), gunicorn 2 workers x 4 threads as in production, "
        f"six wrk generators at once for {seconds} s; bare = one primary-key read, same settings and mix",
        "| traffic | connections | req/s | p50 | p99 | bare p50 | p50 / bare | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, ours, base in zip(kinds, vault, bare, strict=True):
        lines.append(
            f"| {kind.name} | {kind.connections} | {ours.rate:,.0f} | {ours.p50:.1f} ms | "
            f"{ours.p99:.1f} ms | {base.p50:.1f} ms | {ours.p50 / base.p50:.1f}x | {ours.errors} |"
        )
    total, bare_total = sum(r.rate for r in vault), sum(r.rate for r in bare)
    lines.append(
        f"all traffic: {total:,.0f} req/s, {total / bare_total:.0%} of the bare endpoint's "
        f"{bare_total:,.0f} req/s"
    )
    verdict = "met" if peak < MEMORY_GOAL_MB else "MISSED"
    lines.append(
        f"largest resident memory of an app worker during the run: {peak:.0f} MB "
        f"(goal < {MEMORY_GOAL_MB} MB: {verdict})"
    )
    return lines


if __name__ == "__main__":
    main()
