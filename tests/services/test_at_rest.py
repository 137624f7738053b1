"""Nothing a customer told the vault is readable from the database's raw bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from tests import factories
from tests.conftest import Database
from vrm.crypto.keyring import KeyRing
from vrm.db import Base
from vrm.vault.interactions import record_feedback, update_interaction
from vrm.vault.preferences import set_override, update_preferences
from vrm.vault.profile import update_profile

# Distinctive values, none of which can occur by chance in hex UUIDs, timestamps or ciphertext.
SECRETS = {
    "email": "zyxwquokka@mailbox.example",
    "given_name": "Quillonwy",
    "family_name": "Zarkovitsky",
    "phone": "+442079460123",
    "street": "Plumtree Gardens",
    "attribute": "vip-quasar-member",
    "journey": "Kettle exploded Tuesday",
    "reference": "CASE-Wombatlike-77",
    "subject": "Wrong tariff Xylophone",
    "summary": "Agent Thistlewood promised",
    "outcome": "Voucher Ozymandias issued",
    "comment": "Marvellously Pernickety",
    "note": "Remember Quetzalcoatl",
    "time_zone": "Pacific/Chatham",
    "language": "haw-US",
}


def seed(database: Database, keyring: KeyRing) -> None:
    with database.sessions.begin() as session:
        _, vault = factories.customer(
            session, keyring, email=SECRETS["email"], password="a long passphrase here"
        )
        shop = factories.business(session, "plain-business")
        update_profile(
            session,
            vault=vault,
            changes={
                "given_name": SECRETS["given_name"],
                "family_name": SECRETS["family_name"],
                "phones": [{"number": SECRETS["phone"]}],
                "language": SECRETS["language"],
                "time_zone": SECRETS["time_zone"],
                "birth_date": "1977-07-07",
                "addresses": [{"lines": [SECRETS["street"]], "locality": "Leeds", "country": "GB"}],
                "attributes": {"tier": SECRETS["attribute"]},
            },
        )
        update_preferences(
            session,
            vault=vault,
            changes={"quiet_hours": {"start": "20:00", "end": "09:00", "time_zone": SECRETS["time_zone"]}},
        )
        set_override(
            session,
            vault=vault,
            business_id=shop.id,
            settings={"quiet_hours": {"start": "19:00", "end": "09:00", "time_zone": SECRETS["time_zone"]}},
        )
        journey = factories.journey(
            session, keyring, vault, shop, title=SECRETS["journey"], reference=SECRETS["reference"]
        )
        interaction = factories.interaction(
            session,
            vault,
            shop,
            subject=SECRETS["subject"],
            summary=SECRETS["summary"],
            outcome=SECRETS["outcome"],
            journey_id=journey.id,
            occurred_at=datetime.now(UTC) - timedelta(hours=1),
        )
        record_feedback(
            session, vault=vault, interaction_id=interaction.id, rating=4, comment=SECRETS["comment"]
        )
        update_interaction(
            session, vault=vault, interaction_id=interaction.id, changes={"customer_note": SECRETS["note"]}
        )


def raw_contents(database: Database) -> bytes:
    if database.file is not None:
        database.engine.dispose()  # all connections closed: the WAL is checkpointed into the file
        files = [database.file, *database.file.parent.glob(database.file.name + "-*")]
        return b"".join(path.read_bytes() for path in files)
    dumped = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dumped += [value if isinstance(value, bytes) else str(value).encode() for value in row]
    return b"\n".join(dumped)


def sealed_email(database: Database) -> bytes:
    with database.engine.connect() as connection:
        return bytes(connection.execute(text("SELECT email FROM customers")).scalar_one())


def test_no_personal_value_is_stored_in_clear(database: Database, keyring: KeyRing) -> None:
    seed(database, keyring)
    ciphertext = sealed_email(database)
    contents = raw_contents(database)
    # The dump really holds the tables: plaintext metadata and sealed binary columns alike.
    assert b"plain-business" in contents and ciphertext in contents
    for name, value in SECRETS.items():
        for form in {value, value.lower(), value.upper()}:
            assert form.encode() not in contents, f"{name} found in clear"
            assert form.encode("utf-16-le") not in contents, f"{name} found in clear (UTF-16)"


def test_every_table_is_covered_by_the_dump(database: Database, keyring: KeyRing) -> None:
    seed(database, keyring)
    with database.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
        for table in (
            "customers",
            "profiles",
            "preferences",
            "preference_overrides",
            "journeys",
            "interactions",
        ):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
