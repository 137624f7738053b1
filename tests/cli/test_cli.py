"""The `vrm` command as operators run it: a real subprocess, a controlled environment, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import Database
from vrm.accounts.businesses import get_business
from vrm.accounts.customers import authenticate, login_email
from vrm.accounts.models import Business, Customer
from vrm.crypto.keyring import KeyRing
from vrm.demo import DEMO_EMAIL, DEMO_PASSWORD
from vrm.errors import IntegrityError
from vrm.vault.keys import open_vault
from vrm.vault.models import Profile
from vrm.vault.profile import get_profile, update_profile

VRM = Path(sys.executable).parent / "vrm"
PASSWORD = "a long and secret passphrase"
UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/none"


@dataclass
class Vrm:
    """Runs the installed `vrm` script with only the VRM_* variables a test chose."""

    tmp: Path
    database_url: str

    @property
    def ring(self) -> Path:
        return self.tmp / "keyring.json"

    def env(self, **overrides: str) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("VRM_")}
        env.update(
            VRM_INSTANCE_DIR=str(self.tmp / "instance"),
            VRM_DATABASE_URL=self.database_url,
            VRM_KEYRING_FILE=str(self.ring),
        )
        env.update(overrides)
        return env

    def __call__(self, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VRM), *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=60,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None, **env: str) -> str:
        result = self(*args, stdin=stdin, **env)
        assert result.returncode == 0, result.stderr
        return result.stdout


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Assert the command failed the way the contract says: one line on stderr, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture
def vrm(database: Database, tmp_path: Path) -> Vrm:
    """`vrm` on this test's own migrated database, with no key ring yet."""
    return Vrm(tmp_path, database.url)


@pytest.fixture
def ready(vrm: Vrm) -> Vrm:
    """`vrm` on a migrated database with a development key ring."""
    vrm.ok("keys", "init")
    return vrm


@pytest.fixture
def offline(tmp_path: Path) -> Vrm:
    """`vrm` for commands that never reach a database (or must fail to)."""
    return Vrm(tmp_path, f"sqlite:///{tmp_path / 'missing-dir' / 'nested' / 'vrm.sqlite3'}")


def count(database: Database, model: type[Customer] | type[Business]) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- help -------------------------------------------------------------------------------------------


def test_top_level_help_lists_every_command_group(offline: Vrm) -> None:
    listed = offline.ok("--help")
    commands = set(re.findall(r"^  (\S+)", listed.split("Commands:")[1], flags=re.MULTILINE))
    assert {"db", "demo", "serve", "customers", "businesses", "keys", "import"} <= commands


@pytest.mark.parametrize(
    "command",
    [
        "db",
        "db upgrade",
        "db current",
        "keys",
        "keys init",
        "keys rotate",
        "keys rewrap",
        "keys status",
        "keys retire",
        "customers",
        "customers create",
        "businesses",
        "businesses create",
        "demo",
        "serve",
        "import",
    ],
)
def test_every_command_answers_help(offline: Vrm, command: str) -> None:
    shown = offline.ok(*command.split(), "--help")
    assert shown.startswith(f"Usage: vrm {command}")


# --- keys init --------------------------------------------------------------------------------------


def test_keys_init_creates_an_owner_only_ring_and_warns_it_is_for_development(offline: Vrm) -> None:
    result = offline("keys", "init")
    assert result.returncode == 0, result.stderr
    assert offline.ring.stat().st_mode & 0o777 == 0o600
    assert "DEVELOPMENT" in result.stderr
    assert KeyRing.load(offline.ring).environment == "development"


def test_second_keys_init_refuses_to_overwrite_the_ring(offline: Vrm) -> None:
    offline.ok("keys", "init")
    before = offline.ring.read_bytes()
    assert_one_line_error(offline("keys", "init"), "already exists")
    assert offline.ring.read_bytes() == before


def test_keys_init_if_missing_leaves_an_existing_ring_alone(offline: Vrm) -> None:
    offline.ok("keys", "init")
    before = offline.ring.read_bytes()
    assert "already exists" in offline.ok("keys", "init", "--if-missing")
    assert offline.ring.read_bytes() == before


# --- customers and businesses ---------------------------------------------------------------------


def test_customer_created_from_stdin_password_can_sign_in(ready: Vrm, database: Database) -> None:
    result = ready(
        "customers", "create", "--email", "ana@example.org", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    created = re.search(r"customer ([0-9a-f-]{36}) created", result.stdout)
    assert created is not None
    with database.sessions() as session:
        customer = authenticate(
            session, keyring=KeyRing.load(ready.ring), email="ana@example.org", password=PASSWORD
        )
    assert customer.id == uuid.UUID(created.group(1))


def test_duplicate_customer_email_is_refused_in_one_line(ready: Vrm, database: Database) -> None:
    ready.ok("customers", "create", "--email", "twice@example.org")
    result = ready("customers", "create", "--email", "TWICE@example.org", "--password-stdin", stdin=PASSWORD)
    assert_one_line_error(result, "already exists")
    assert PASSWORD not in result.stdout + result.stderr
    assert count(database, Customer) == 1


@pytest.mark.parametrize(
    ("email", "password", "problem"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("short@example.org", "tiny-pw", "password"),
    ],
)
def test_invalid_customer_is_refused_in_one_line_naming_the_field(
    ready: Vrm, database: Database, email: str, password: str, problem: str
) -> None:
    result = ready("customers", "create", "--email", email, "--password-stdin", stdin=password + "\n")
    assert assert_one_line_error(result, problem).startswith(f"Error: {problem}")
    assert password not in result.stdout + result.stderr
    assert count(database, Customer) == 0


def test_business_is_created_under_its_handle(ready: Vrm, database: Database) -> None:
    assert "acme-telecom" in ready.ok(
        "businesses", "create", "acme-telecom", "--display-name", "Acme Telecom"
    )
    with database.sessions() as session:
        assert get_business(session, name="acme-telecom").display_name == "Acme Telecom"


def test_invalid_business_handle_is_refused_in_one_line(ready: Vrm, database: Database) -> None:
    assert_one_line_error(ready("businesses", "create", "Acme Telecom"), "name", "lower-case")
    assert count(database, Business) == 0


# --- demo -------------------------------------------------------------------------------------------


def test_demo_loads_once_and_prints_a_login_that_works(ready: Vrm, database: Database) -> None:
    first, second = ready.ok("demo"), ready.ok("demo")
    assert "demo data loaded" in first and "already loaded" in second
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in first
    assert count(database, Customer) == 1
    with database.sessions() as session:
        authenticate(session, keyring=KeyRing.load(ready.ring), email=DEMO_EMAIL, password=DEMO_PASSWORD)


def test_demo_under_production_env_stops_at_the_missing_secret(ready: Vrm, database: Database) -> None:
    assert_one_line_error(ready("demo", VRM_ENV="production"), "VRM_SECRET_KEY")
    assert count(database, Customer) == 0


def test_demo_refuses_a_fully_configured_production(vrm: Vrm, database: Database) -> None:
    production = {"VRM_ENV": "production", "VRM_SECRET_KEY": "s" * 48, "VRM_ISSUER": "https://vrm.example"}
    vrm.ok("keys", "init", **production)
    assert_one_line_error(vrm("demo", **production), "development only")
    assert count(database, Customer) == 0


# --- faults -----------------------------------------------------------------------------------------


def test_missing_key_ring_is_named_in_one_line(vrm: Vrm) -> None:
    assert_one_line_error(vrm("keys", "status"), str(vrm.ring), "does not exist", "vrm keys init")


def test_key_ring_readable_by_others_is_refused(ready: Vrm) -> None:
    ready.ring.chmod(0o644)
    assert_one_line_error(ready("keys", "status"), "readable by other users", "chmod 600")


def test_damaged_key_ring_is_refused(vrm: Vrm) -> None:
    vrm.ring.write_text('{"format": "vrm-keyring/1", "keys": [garbage')
    vrm.ring.chmod(0o600)
    assert_one_line_error(vrm("keys", "status"), "damaged")


def test_another_key_ring_than_the_database_was_sealed_with_is_refused(ready: Vrm) -> None:
    ready.ok("customers", "create", "--email", "sealed@example.org")
    other = ready.tmp / "other-keyring.json"
    ready.ok("keys", "init", VRM_KEYRING_FILE=str(other))
    assert_one_line_error(ready("keys", "status", VRM_KEYRING_FILE=str(other)), "different key ring")


@pytest.mark.parametrize("command", ["db upgrade", "keys status"])
def test_schema_from_a_newer_version_is_refused(ready: Vrm, database: Database, command: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    assert_one_line_error(ready(*command.split()), "9999_future", "newer")
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "9999_future"


@pytest.mark.parametrize("command", ["db upgrade", "db current", "keys status"])
def test_unreachable_postgresql_is_reported_in_one_line(offline: Vrm, command: str) -> None:
    offline.ok("keys", "init")
    result = offline(*command.split(), VRM_DATABASE_URL=UNREACHABLE_POSTGRES)
    assert_one_line_error(result, "cannot use the database")


@pytest.mark.parametrize("command", ["db current", "keys status", "demo"])
def test_sqlite_file_in_a_missing_directory_is_reported_in_one_line(offline: Vrm, command: str) -> None:
    offline.ok("keys", "init")
    assert_one_line_error(offline(*command.split()), "cannot use the database")


@pytest.mark.parametrize("args", [["keys", "rotate", "--batch-size", "0"], ["keys", "retire", "notanumber"]])
def test_invalid_arguments_exit_2_with_usage(offline: Vrm, args: list[str]) -> None:
    result = offline(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"Usage: vrm {' '.join(args[:2])}")
    assert "Traceback" not in result.stderr


def _flipped(blob: bytes | None, position: int) -> bytes:
    assert blob is not None
    changed = bytearray(blob)
    changed[position] ^= 0x01
    return bytes(changed)


def _flip_profile_given_name(session: Session, customer: Customer) -> None:
    row = Profile.customer_id == customer.id
    blob = session.scalars(select(Profile.given_name).where(row)).one()
    session.execute(update(Profile).where(row).values(given_name=_flipped(blob, len(blob or b"") // 2)))


def _flip_customer_email(session: Session, customer: Customer) -> None:
    row = Customer.id == customer.id
    blob = session.scalars(select(Customer.email).where(row)).one()
    session.execute(update(Customer).where(row).values(email=_flipped(blob, -1)))


def _open_given_name(session: Session, ring: KeyRing, customer: Customer) -> object:
    return get_profile(session, vault=open_vault(session, keyring=ring, customer_id=customer.id)).given_name


def _open_login_email(session: Session, ring: KeyRing, customer: Customer) -> object:
    fresh = session.get_one(Customer, customer.id)
    return login_email(open_vault(session, keyring=ring, customer_id=customer.id), fresh)


@pytest.mark.parametrize(
    ("corrupt", "read", "sealed"),
    [
        (_flip_profile_given_name, _open_given_name, "Ada"),
        (_flip_customer_email, _open_login_email, "ada@example.org"),
    ],
    ids=["profiles.given_name", "customers.email"],
)
def test_one_flipped_byte_in_a_sealed_column_raises_integrity_error(
    database: Database,
    corrupt: Callable[[Session, Customer], None],
    read: Callable[[Session, KeyRing, Customer], object],
    sealed: str,
) -> None:
    ring = KeyRing.generate("development")
    with database.sessions.begin() as session:
        customer, vault = factories.customer(session, ring, email="ada@example.org", password=None)
        update_profile(session, vault=vault, changes={"given_name": "Ada"})
    with database.sessions() as session:
        assert read(session, ring, customer) == sealed
    with database.sessions.begin() as session:
        corrupt(session, customer)
    with database.sessions() as session, pytest.raises(IntegrityError):
        read(session, ring, customer)


# --- key rotation and retirement --------------------------------------------------------------------


@pytest.fixture
def rotated(ready: Vrm) -> Vrm:
    """Two customers, then one completed rotation from key 1 to key 2."""
    for name in ("one", "two"):
        ready.ok("customers", "create", "--email", f"{name}@example.org")
    assert "key 2 is primary; 2 data key(s) re-wrapped" in ready.ok("keys", "rotate")
    return ready


def test_rotation_makes_a_new_primary_and_leaves_nothing_under_the_old_key(rotated: Vrm) -> None:
    status = rotated.ok("keys", "status")
    assert "key 2: wraps 2 data key(s)  [primary]" in status
    assert "key 1: wraps 0 data key(s)  [can be retired]" in status
    assert "unfinished" not in status


def test_old_key_retired_after_rotation_is_gone_and_data_still_opens(
    rotated: Vrm, database: Database
) -> None:
    rotated.ok("keys", "retire", "1")
    assert "key 1:" not in rotated.ok("keys", "status")
    ring = KeyRing.load(rotated.ring)
    assert set(ring.keys) == {2}
    with database.sessions() as session:
        customers = session.scalars(select(Customer)).all()
        emails = {login_email(open_vault(session, keyring=ring, customer_id=c.id), c) for c in customers}
    assert emails == {"one@example.org", "two@example.org"}


def test_primary_key_cannot_be_retired(rotated: Vrm) -> None:
    assert_one_line_error(rotated("keys", "retire", "2"), "key 2", "primary")
    assert set(KeyRing.load(rotated.ring).keys) == {1, 2}


# --- import -----------------------------------------------------------------------------------------


def test_import_creates_the_customer_from_an_export_file(
    ready: Vrm, database: Database, tmp_path: Path
) -> None:
    ready.ok("businesses", "create", "tea-merchants")
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            {
                "format": "vrm-export/1",
                "account": {"email": "moved@example.org"},
                "profile": {"given_name": "Mo"},
                "preferences": {},
                "interactions": [
                    {
                        "business": "tea-merchants",
                        "channel": "chat",
                        "direction": "inbound",
                        "occurred_at": "2026-02-01T09:00:00+00:00",
                        "subject": "Where is my tea?",
                    }
                ],
            }
        )
    )
    out = ready.ok("import", str(export), "--password-stdin", stdin="a long imported passphrase\n")
    assert out.startswith("customer ") and out.strip().endswith(" imported")
    with database.sessions() as session:
        assert authenticate(
            session,
            keyring=KeyRing.load(ready.ring),
            email="moved@example.org",
            password="a long imported passphrase",
        )


def test_import_refuses_a_broken_file_in_one_line(ready: Vrm, database: Database, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_one_line_error(ready("import", str(broken)), "is not a JSON document")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps(
            {
                "format": "vrm-export/1",
                "account": {"email": "x@example.org"},
                "profile": {"birth_date": "soon"},
                "preferences": {},
            }
        )
    )
    assert_one_line_error(ready("import", str(wrong)), "profile.birth_date")
    assert count(database, Customer) == 0
