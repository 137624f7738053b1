"""Shared fixtures. Every database test runs on SQLite and, when VRM_TEST_DATABASE_URL is set, on PostgreSQL.

Each test's session lives in an outer transaction that is rolled back afterwards (SQLAlchemy's "join an
external transaction" recipe). Tests that need committed data across connections or processes use
`database`, a fresh migrated database of their own (a new SQLite file, or a new PostgreSQL schema).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from vrm import schema
from vrm.app import create_app
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker

PG_URL = os.environ.get("VRM_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the run, never skip, when PostgreSQL was asked for and cannot be reached."""
    if not PG_URL:
        print("VRM_TEST_DATABASE_URL is not set: database tests run on SQLite only")
        return
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect ends the run with its reason
        pytest.exit(f"VRM_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}", returncode=3)


@dataclass
class Database:
    """A migrated database of a test's own: its URL, engine and session factory."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    file: Path | None = None  # the SQLite file, for tests that read its raw bytes


def _create_database(backend: str, tmp_path: Path) -> tuple[Database, str | None]:
    if backend == "sqlite":
        file = tmp_path / "vrm.sqlite3"
        url = f"sqlite:///{file}"
        engine = make_engine(url)
        schema.upgrade(engine)
        return Database(backend, url, engine, make_sessionmaker(engine), file), None
    assert PG_URL is not None
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name}"})
    url_text = url.render_as_string(hide_password=False)
    engine = make_engine(url_text)
    schema.upgrade(engine)
    return Database(backend, url_text, engine, make_sessionmaker(engine)), name


def _drop_database(database: Database, pg_schema: str | None) -> None:
    database.engine.dispose()
    if pg_schema is not None and PG_URL is not None:
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{pg_schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def shared_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    database, pg_schema = _create_database(request.param, tmp_path_factory.mktemp(request.param))
    yield database
    _drop_database(database, pg_schema)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh migrated database for this test alone, where commits are real."""
    database, pg_schema = _create_database(request.param, tmp_path)
    yield database
    _drop_database(database, pg_schema)


@pytest.fixture
def session(shared_database: Database) -> Iterator[Session]:
    """A session whose every change, commits included, is rolled back after the test."""
    connection = shared_database.engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def keyring() -> KeyRing:
    return KeyRing.generate("development")


def production_settings(database_url: str, folder: Path, **extra: str) -> Settings:
    """Settings as production demands them, with a production key ring of the test's own in `folder`."""
    KeyRing.generate("production").save(folder / "keyring.json")
    return Settings.from_env(
        {
            "VRM_ENV": "production",
            "VRM_INSTANCE_DIR": str(folder),
            "VRM_DATABASE_URL": database_url,
            "VRM_SECRET_KEY": "s" * 48,
            "VRM_KEYRING_FILE": str(folder / "keyring.json"),
            "VRM_ISSUER": "https://vault.example.com",
            **extra,
        }
    )


@pytest.fixture
def app(database: Database, tmp_path: Path) -> Iterator[Flask]:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    settings = Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path), "VRM_DATABASE_URL": database.url})
    app = create_app(settings)
    yield app
    app.extensions["vrm"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def one_minute_window() -> None:
    """Start a rate-limit test where the rest of it fits in the current one-minute window.

    Limits count in windows aligned to the minute, and the sliding-window counter weighs the previous
    window's hits by how much of the current one is left: hits split across a boundary can let one more
    request through than the limit. Seen once in CI; waiting out the last half minute rules it out.
    """
    left = 60 - time.time() % 60
    if left < 30:
        time.sleep(left + 0.1)
