"""The deployment's PostgreSQL roles (deploy/postgres/10-app-role.sh): migrations run as the owner, and the
app runs on a role that may read and write rows but not change the schema. Everything the app does works
with that role; what it must not do, it cannot."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from tests import factories
from tests.conftest import PG_URL
from tests.web.conftest import post_form, sign_up
from vrm import schema
from vrm.app import create_app
from vrm.config import Settings
from vrm.consent.events import key_retired
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker

SCRIPT = Path(__file__).parents[1] / "deploy" / "postgres" / "10-app-role.sh"


def role_sql(role: str, schema_name: str) -> str:
    """The script's SQL, for this test's role and schema (roles are the whole cluster's)."""
    sql = re.search(r"<<EOSQL\n(.*?)\nEOSQL", SCRIPT.read_text(), re.DOTALL)
    assert sql, "the script's SQL is between <<EOSQL and EOSQL"
    return (
        sql.group(1)
        .replace("${VRM_APP_DB_PASSWORD}", uuid.uuid4().hex)
        .replace("${POSTGRES_USER}", make_url(PG_URL or "").username or "postgres")
        .replace("${POSTGRES_DB}", make_url(PG_URL or "").database or "test")
        .replace("SCHEMA public", f'SCHEMA "{schema_name}"')
        .replace("vrm_app", role)
    )


@pytest.fixture
def app_url() -> Iterator[str]:
    if PG_URL is None:
        pytest.skip("PostgreSQL roles: set VRM_TEST_DATABASE_URL (CI does)")
    name, role = f"test_{uuid.uuid4().hex[:12]}", f"vrm_app_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
        connection.exec_driver_sql(role_sql(role, name))
    owner_url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name}"})
    owner = make_engine(owner_url.render_as_string(hide_password=False))
    schema.upgrade(owner)  # as the `migrate` service does
    owner.dispose()
    yield owner_url.set(username=role).render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        connection.execute(text(f'DROP OWNED BY "{role}"'))
        connection.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def test_the_app_runs_on_a_role_that_cannot_change_the_schema(app_url: str, tmp_path: Path) -> None:
    KeyRing.generate("development").save(tmp_path / "keyring.json")
    app = create_app(Settings.from_env({"VRM_INSTANCE_DIR": str(tmp_path), "VRM_DATABASE_URL": app_url}))
    runtime = app.extensions["vrm"]
    try:
        client = app.test_client()
        assert client.get("/readyz").status_code == 200
        assert sign_up(client, "least.privilege@example.org").status_code == 302
        assert post_form(client, "/profile", {"given_name": "Ada"}).status_code == 302
        with runtime.sessions.begin() as session:  # consents, the log, deletions
            customer, _ = factories.customer(session, runtime.keyring)
            factories.grant(session, runtime.keyring, customer, factories.business(session, "roles-energy"))
            key_retired(session, key_id=1)
            session.delete(customer)
        engine = make_engine(app_url)
        sessions = make_sessionmaker(engine)
        for forbidden in (
            "CREATE TABLE intruder (id integer)",
            "ALTER TABLE customers ADD COLUMN intruder integer",
            "DROP TABLE consent_log",
            "UPDATE consent_log SET type = 'rewritten'",
        ):
            with sessions() as session, pytest.raises(ProgrammingError):
                session.execute(text(forbidden))
        engine.dispose()
    finally:
        runtime.engine.dispose()
