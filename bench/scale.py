"""Latency as the data grows, on PostgreSQL: `make bench-scale` (python -m bench.scale).

The population grows to each size in turn (`vrm demo --customers N`: every customer with a consent, 10
interactions and 11 log events), and at each size the same five calls are timed in-process through the
app (Flask test client, real tokens): a customer read, the first page of the interaction timeline, a
keyset page of the consent log, one customer's receipts (the log by customer pseudonym) and a contact
decision batch of 100 questions. Every SELECT those calls run is EXPLAINed on the data of that size; any
sequential scan of a table that grows with the population is reported.

python -m bench.scale [--sizes 10000,100000,1000000] [--database-url URL]
Defaults: the sizes above, on postgresql://postgres@127.0.0.1:5432/vrm_scale (created if missing).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url

from bench.access import business_token, clients_by_business, customer_token, population_grants
from vrm import schema
from vrm.accounts.auditors import create_auditor
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine
from vrm.demo import load_demo
from vrm.oauth.models import Relationship
from vrm.population import customer_count, populate

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vrm_scale"
SIZES = (10_000, 100_000, 1_000_000)
SAMPLES = 200
SMALL = 10_000  # rows: below this a sequential scan is the planner's right choice
# Tables that grow with the population: a sequential scan of one is a query that will not scale.
GROWING = {
    "customers",
    "data_keys",
    "profiles",
    "preferences",
    "interactions",
    "grants",
    "relationships",
    "contact_standing",
    "consent_log",
    "oauth_tokens",
    "journeys",
    "preference_overrides",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--database-url", default=DEFAULT_URL)
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    ensure_database(arguments.database_url)
    folder = Path(tempfile.mkdtemp(prefix="vrm-scale-"))
    ring_file = Path("instance/bench-scale-keyring.json").absolute()  # kept as long as the data it sealed
    ring_file.parent.mkdir(exist_ok=True)
    if not ring_file.exists():
        KeyRing.generate("development").save(ring_file)
    settings = Settings.from_env(
        {
            "VRM_INSTANCE_DIR": str(folder),
            "VRM_DATABASE_URL": arguments.database_url,
            "VRM_KEYRING_FILE": str(ring_file),
            "VRM_API_RATE_LIMIT": "100000000 per minute",
            "VRM_DECISIONS_RATE_LIMIT": "100000000 per minute",
        }
    )
    engine = make_engine(arguments.database_url)
    schema.upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    runtime = app.extensions["vrm"]
    with runtime.sessions.begin() as session:
        load_demo(session, keyring=runtime.keyring)
    table: dict[str, dict[int, float]] = {}
    plans: dict[str, set[str]] = {}
    for size in sizes:
        grow(app, size)
        print(f"{size:,} customers: measuring", file=sys.stderr, flush=True)
        for name, (p50, p99, scans) in measure(app, runtime.engine).items():
            table.setdefault(name, {})[size] = p50
            plans.setdefault(name, set()).update(scans)
            print(f"  {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms", file=sys.stderr, flush=True)
    report(table, plans, sizes)


def ensure_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def grow(app: Flask, size: int) -> None:
    runtime = app.extensions["vrm"]
    with runtime.sessions() as session:
        missing = size - customer_count(session)
    if missing <= 0:
        return
    started, done = time.perf_counter(), [0]

    def progress(count: int) -> None:
        done[0] += count
        rate = done[0] / (time.perf_counter() - started)
        print(f"\r  growing to {size:,}: {done[0]:,}/{missing:,} ({rate:,.0f}/s)", end="", file=sys.stderr)

    populate(runtime.sessions, keyring=runtime.keyring, customers=size, interactions=10, progress=progress)
    print(file=sys.stderr)
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))  # as autovacuum would, soon after such growth


def measure(app: Flask, engine: Engine) -> dict[str, tuple[float, float, set[str]]]:
    client = app.test_client()
    calls = sample_calls(app)
    results = {}
    for name, make in calls.items():
        for _ in range(20):  # warm the pools and caches
            make(client)
        times = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            make(client)
            times.append((time.perf_counter() - started) * 1000)
        with captured(engine) as statements:
            make(client)
        assert statements, f"{name}: no query was seen to EXPLAIN"
        times.sort()
        results[name] = (
            statistics.median(times),
            times[int(len(times) * 0.99) - 1],
            scans(engine, statements),
        )
    return results


def sample_calls(app: Flask) -> dict[str, Callable[[FlaskClient], Any]]:
    """Tokens for 200 customers picked at random, each business's own client, an auditor; the calls."""
    runtime = app.extensions["vrm"]
    with runtime.sessions.begin() as session:
        clients = clients_by_business(session)
        businesses = list(clients)
        customers = []
        for grant in population_grants(session, 200, anywhere=True):
            token = customer_token(
                session, clients[grant.business_id], grant, "profile:read contact:read interactions:read"
            )
            subject = session.scalar(
                select(Relationship.subject).where(
                    Relationship.business_id == grant.business_id,
                    Relationship.customer_id == grant.customer_id,
                )
            )
            customers.append((token, subject, grant.business_id))
        business_tokens = {business: business_token(session, client) for business, client in clients.items()}
        subjects: dict[uuid.UUID, list[str]] = {}
        for business in businesses:
            subjects[business] = list(
                session.scalars(
                    select(Relationship.subject).where(Relationship.business_id == business).limit(5000)
                )
            )
        _, auditor_token = create_auditor(session, name=f"bench-{uuid.uuid4().hex[:8]}")
        log_size = session.scalar(text("SELECT count(*) FROM consent_log")) or 1

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def pick() -> tuple[str, str, uuid.UUID]:
        return random.choice(customers)

    def ok(response: Any) -> Any:
        assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
        return response

    def decisions(client: FlaskClient) -> Any:
        _, _, business = pick()
        items = [
            {"customer": subject, "channel": "email", "purpose": "service"}
            for subject in random.sample(subjects[business], min(100, len(subjects[business])))
        ]
        return ok(
            client.post(
                "/api/v1/contact-decisions", json={"items": items}, headers=bearer(business_tokens[business])
            )
        )

    def receipts(client: FlaskClient) -> Any:
        _, subject, business = pick()
        return ok(
            client.get(f"/api/v1/receipts?customer={subject}", headers=bearer(business_tokens[business]))
        )

    def log_page(client: FlaskClient) -> Any:
        start = random.randrange(max(1, log_size - 100))
        return ok(
            client.get(f"/api/v1/log/entries?start={start}&end={start + 50}", headers=bearer(auditor_token))
        )

    return {
        "customer read (GET /api/v1/customer)": lambda c: ok(
            c.get("/api/v1/customer", headers=bearer(pick()[0]))
        ),
        "interaction timeline, first page": lambda c: ok(
            c.get("/api/v1/customer/interactions", headers=bearer(pick()[0]))
        ),
        "consent log, keyset page of 50 (auditor)": log_page,
        "one customer's receipts (log by pseudonym)": receipts,
        "contact decisions, 100 questions": decisions,
    }


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def scans(engine: Engine, statements: list[tuple[str, Any]]) -> set[str]:
    """The growing tables, holding more than SMALL rows here, that any of these statements reads whole.

    A table of a few hundred rows (this run's tokens) is rightly read whole: the planner turns to its
    index as it grows, which is what the larger ones show.
    """
    found: set[str] = set()
    with engine.connect() as connection:
        rows = dict(
            connection.execute(text("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")).all()
        )
        for statement, parameters in statements:
            if "pg_advisory" in statement:
                continue
            cursor = connection.connection.cursor()
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0]
            found |= {
                node
                for node in seq_scans(
                    plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"]
                )
            }
        connection.rollback()
    return {table for table in found & GROWING if rows.get(table, 0) > SMALL}


def seq_scans(node: dict[str, Any]) -> Iterator[str]:
    if node.get("Node Type") == "Seq Scan":
        yield node.get("Relation Name", "?")
    for child in node.get("Plans", []):
        yield from seq_scans(child)


def report(table: dict[str, dict[int, float]], plans: dict[str, set[str]], sizes: list[int]) -> None:
    print("Latency as the data grows (PostgreSQL, in-process, p50 of 200 calls each)")
    header = " | ".join(f"p50 @ {size:,}" for size in sizes)
    print(f"| call | {header} | {sizes[-1]:,} / {sizes[0]:,} | query plans |")
    print("|---|" + "---|" * (len(sizes) + 2))
    for name, by_size in table.items():
        cells = " | ".join(f"{by_size[size]:.2f} ms" for size in sizes)
        ratio = by_size[sizes[-1]] / by_size[sizes[0]]
        plan = "indexes only" if not plans[name] else "SEQUENTIAL SCAN of " + ", ".join(sorted(plans[name]))
        print(f"| {name} | {cells} | {ratio:.2f}x | {plan} |")


if __name__ == "__main__":
    main()
