"""What an operator sees: request ids, one access line a request without secrets or personal data, metrics
behind a token, and readiness that follows the key ring."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import Database, production_settings
from tests.metrics import samples
from vrm.app import create_app
from vrm.config import Settings
from vrm.consent import log as consent_log
from vrm.crypto.keyring import KeyRing
from vrm.serving.logs import LOGCONFIG, RequestIdFilter

METRICS_TOKEN = "m" * 32


def make_app(database: Database, tmp_path: Path, **environ: str) -> Flask:
    ring_file = tmp_path / "keyring.json"
    if not ring_file.exists():
        KeyRing.generate("development").save(ring_file)
    return create_app(
        Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path), "VRM_DATABASE_URL": database.url, **environ})
    )


@pytest.fixture
def guarded(database: Database, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database, tmp_path, VRM_METRICS_TOKEN=METRICS_TOKEN)
    yield app
    app.extensions["vrm"].engine.dispose()


def scrape(client: FlaskClient) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.data
    return response.get_data(as_text=True)


def total(client: FlaskClient, name: str, **labels: str) -> float:
    """The sum of the samples called `name` that carry these labels (0 when none was counted yet)."""
    return sum(samples(scrape(client), name, **labels))


def test_a_safe_request_id_is_kept_and_anything_else_replaced(client: FlaskClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"}).headers["X-Request-ID"] == "lb-7f3a.1"
    )
    for hostile in ("a b", "x" * 65, "<script>", "id\u00e9"):
        answered = client.get("/healthz", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert answered != hostile and len(answered) == 32 and answered.isalnum()
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_the_access_line_names_the_route_never_the_path_query_or_address(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-reset-token-" + "q" * 20
    with caplog.at_level(logging.INFO, logger="vrm.access"):
        client.get(f"/reset/{secret}?email=ann@example.com", headers={"X-Request-ID": "trace-1"})
    lines = [record for record in caplog.records if record.name == "vrm.access"]
    assert len(lines) == 1
    record = lines[0]
    assert record.__dict__["route"] == "/reset/<token>" and record.__dict__["method"] == "GET"
    assert record.__dict__["status"] in (200, 302, 400, 404) and record.__dict__["duration_ms"] >= 0
    assert record.__dict__["request_id"] == "trace-1"
    everything = json.dumps(record.__dict__, default=str)
    assert secret not in everything and "ann@example.com" not in everything and "127.0.0.1" not in everything


def test_log_lines_are_json_objects_with_the_request_id(client: FlaskClient) -> None:
    formatter_config = dict(LOGCONFIG["formatters"]["json"])
    factory = formatter_config.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_config)
    handler = logging.Handler()
    lines: list[str] = []
    handler.emit = lambda record: lines.append(formatter.format(record))  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    access = logging.getLogger("vrm.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        client.get("/healthz", headers={"X-Request-ID": "trace-2"})
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    (line,) = lines
    parsed = json.loads(line)
    assert parsed["request_id"] == "trace-2" and parsed["route"] == "/healthz" and parsed["status"] == 200
    assert parsed["level"] == "INFO" and parsed["logger"] == "vrm.access" and "time" in parsed


def test_metrics_want_the_operators_token(guarded: Flask) -> None:
    client = guarded.test_client()
    for given in (None, "Bearer wrong", f"Bearer {METRICS_TOKEN}x", f"Basic {METRICS_TOKEN}"):
        response = client.get("/metrics", headers={"Authorization": given} if given else {})
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200 and "vrm_http_request_duration_seconds" in response.get_data(
        as_text=True
    )
    assert not response.headers.getlist("Set-Cookie")


def test_production_without_a_metrics_token_exposes_nothing(database: Database, tmp_path: Path) -> None:
    app = create_app(production_settings(database.url, tmp_path))
    try:
        assert app.test_client().get("/metrics").status_code == 404
    finally:
        app.extensions["vrm"].engine.dispose()


def test_a_metrics_token_short_enough_to_guess_is_refused(database: Database, tmp_path: Path) -> None:
    from vrm.errors import ConfigError

    with pytest.raises(ConfigError, match="VRM_METRICS_TOKEN"):
        Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path), "VRM_METRICS_TOKEN": "short"})


def test_requests_are_timed_under_their_route_template(guarded: Flask) -> None:
    client = guarded.test_client()
    name, route = "vrm_http_request_duration_seconds_count", "/reset/<token>"
    before = total(client, name, route=route, method="GET")
    client.get("/reset/some-token-value")
    client.get("/reset/another-token-value")
    assert total(client, name, route=route, method="GET") == before + 2
    text = scrape(client)
    assert "some-token-value" not in text and "another-token-value" not in text


def test_log_appends_count_when_committed_never_when_rolled_back(guarded: Flask, database: Database) -> None:
    client = guarded.test_client()
    before = total(client, "vrm_consent_log_appends_total", event="test.committed")
    with database.sessions() as session, session.begin():
        consent_log.append(session, kind="test.committed", actors={}, details={})
        consent_log.append(session, kind="test.committed", actors={}, details={})
    with database.sessions() as session:
        session.begin()
        consent_log.append(session, kind="test.rolled-back", actors={}, details={})
        session.rollback()
    assert total(client, "vrm_consent_log_appends_total", event="test.committed") == before + 2
    assert total(client, "vrm_consent_log_appends_total", event="test.rolled-back") == 0


def test_readyz_fails_when_the_key_ring_becomes_unreadable_or_foreign(
    client: FlaskClient, tmp_path: Path
) -> None:
    ring_file = tmp_path / "keyring.json"
    saved = ring_file.read_bytes()
    ring_file.unlink()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["detail"] == "the key ring cannot be read"
    assert str(tmp_path) not in response.get_data(as_text=True) and response.headers["Retry-After"]
    KeyRing.generate("development").save(ring_file)  # another installation's ring
    assert client.get("/readyz").status_code == 503
    ring_file.write_bytes(saved)
    assert client.get("/readyz").status_code == 200


def test_the_log_is_counted_through_the_business_events(guarded: Flask, database: Database) -> None:
    client = guarded.test_client()
    before = total(client, "vrm_consent_log_appends_total", event="consent.granted")
    ring = KeyRing.load(Path(guarded.extensions["vrm"].settings.keyring_file))
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, ring, password=None)
        factories.grant(session, ring, customer, factories.business(session, "tea-merchants"))
    assert total(client, "vrm_consent_log_appends_total", event="consent.granted") == before + 1
