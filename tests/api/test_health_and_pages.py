from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from tests import factories
from tests.conftest import Database
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.errors import KeyRingError, SchemaMismatch
from vrm.runtime import open_runtime


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    ring = KeyRing.generate("development")
    ring.save(tmp_path / "keyring.json")
    return Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path), "VRM_DATABASE_URL": database.url})


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    app = create_app(settings)
    yield app.test_client()
    app.extensions["vrm"].engine.dispose()


def test_healthz_answers_while_the_process_is_up(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_ready_with_a_reachable_current_database(client: FlaskClient) -> None:
    assert client.get("/readyz").json == {"status": "ready"}


def test_readyz_reports_a_schema_that_is_no_longer_current(client: FlaskClient, database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert "newer" in response.json["detail"]


def test_wrong_method_on_a_probe_is_problem_json(client: FlaskClient) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_home_page_lists_businesses_with_security_headers(client: FlaskClient, database: Database) -> None:
    with database.sessions.begin() as session:
        factories.business(session, "tea-merchants")
    response = client.get("/")
    assert response.status_code == 200 and b"Tea Merchants" in response.data
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_app_refuses_to_start_on_a_database_that_is_not_migrated(
    settings: Settings, database: Database
) -> None:
    from vrm import schema

    schema.downgrade(database.engine, "base")
    with pytest.raises(SchemaMismatch, match="vrm db upgrade"):
        create_app(settings)


def test_app_refuses_a_key_ring_other_than_the_databases(settings: Settings) -> None:
    open_runtime(settings).engine.dispose()  # binds the database to the first ring
    other = KeyRing.generate("development")
    with pytest.raises(KeyRingError, match="different key ring"):
        open_runtime(settings, keyring=other)


def test_unknown_page_is_a_friendly_html_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert b"There is nothing at this address." in response.data


def test_unknown_api_path_is_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.json["status"] == 404 and response.json["detail"]


def test_a_request_that_fails_keeps_none_of_its_writes(settings: Settings, database: Database) -> None:
    from vrm.accounts.businesses import create_business, list_businesses
    from vrm.errors import Conflict
    from vrm.serving.request_scope import db_session

    app = create_app(settings)

    def write_then(outcome: str) -> str:
        create_business(db_session(), name=f"written-before-{outcome}")
        if outcome == "conflict":
            raise Conflict("refused after writing")
        if outcome == "crash":
            raise RuntimeError("unexpected")
        return "ok"

    app.add_url_rule("/api/test/<outcome>", view_func=write_then, methods=["POST"])
    client = app.test_client()
    assert client.post("/api/test/conflict").status_code == 409
    assert client.post("/api/test/crash").status_code == 500
    assert client.post("/api/test/success").status_code == 200
    with database.sessions() as session:
        assert [b.name for b in list_businesses(session)] == ["written-before-success"]
    app.extensions["vrm"].engine.dispose()
