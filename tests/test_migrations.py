"""One linear chain of migrations that builds exactly the schema the models describe."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import String, Uuid, column, insert, inspect, select, table, text, update
from sqlalchemy.exc import DatabaseError

import vrm.models  # noqa: F401
from tests import factories
from tests.conftest import Database
from vrm import schema
from vrm.consent import merkle
from vrm.consent.canonical import canonical
from vrm.consent.grants import ended_grants, grant_access, withdraw_grant
from vrm.consent.models import ContactStanding, Grant, LogEvent
from vrm.crypto.keyring import KeyRing
from vrm.db import Base, UTCDateTime, utcnow
from vrm.oauth.pairwise import subject_for
from vrm.vault.models import Interaction, Journey


def test_upgrade_downgrade_upgrade_round_trips(database: Database) -> None:
    schema.downgrade(database.engine, "base")
    with database.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    schema.upgrade(database.engine)
    assert schema.current_revision(database.engine) == schema.head_revision()
    with database.engine.connect() as connection:
        assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_revisions_form_one_linear_chain(database: Database) -> None:
    script = ScriptDirectory.from_config(schema.alembic_config())
    assert len(script.get_heads()) == 1 and len(script.get_bases()) == 1


def test_database_from_a_newer_version_is_refused(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for action in (schema.require_head, schema.upgrade):
        try:
            action(database.engine)
        except schema.SchemaMismatch as error:
            assert "newer" in error.detail
        else:
            raise AssertionError(f"{action.__name__} accepted a schema from the future")


def test_empty_database_is_told_to_upgrade(database: Database) -> None:
    schema.downgrade(database.engine, "base")
    try:
        schema.require_head(database.engine)
    except schema.SchemaMismatch as error:
        assert "vrm db upgrade" in error.detail
    else:
        raise AssertionError("an empty database was accepted")


def test_relationships_made_before_the_contact_standing_get_their_rows(
    database: Database, keyring: KeyRing
) -> None:
    # The customer and business through today's services, before going back: their tables existed in 0007,
    # and the columns added since are dropped on the way down.
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, keyring)
        shop = factories.business(session)
    schema.downgrade(database.engine, "0007")
    with database.sessions.begin() as session:
        # A grant as stored then, with only the columns 0007 has (today's services also log it).
        now = utcnow()
        expires_at = now + timedelta(days=365)
        session.execute(
            insert(Grant.__table__).values(
                id=uuid.uuid4(),
                customer_id=customer.id,
                business_id=shop.id,
                purpose="service",
                requested_scopes="profile:read",
                scopes="profile:read",
                granted_at=now,
                expires_at=expires_at,
            )
        )
        sub = subject_for(session, keyring=keyring, business_id=shop.id, customer_id=customer.id)
    schema.upgrade(database.engine)
    with database.sessions() as session:
        row = session.scalars(select(ContactStanding)).one()
        assert (row.business_id, row.subject, row.customer_id) == (shop.id, sub, customer.id)
        assert row.consent_until == expires_at and row.rules is None  # sealed on first use


def test_events_logged_before_the_customer_column_get_it_from_what_they_say(database: Database) -> None:
    schema.downgrade(database.engine, "0011")
    events = [
        canonical({"seq": 0, "type": "consent.granted", "actors": {"customer": "p-granted"}, "details": {}}),
        canonical(
            {"seq": 1, "type": "data.read", "actors": {"business": "b"}, "details": {"customer": "p-read"}}
        ),
        canonical({"seq": 2, "type": "keys.rotated", "actors": {"operator": "vrm"}, "details": {}}),
    ]
    with database.engine.begin() as connection:
        for seq, event in enumerate(events):
            connection.execute(
                text(
                    "INSERT INTO consent_log (seq, type, at, event, leaf_hash) "
                    "VALUES (:seq, 'x', CURRENT_TIMESTAMP, :event, :leaf)"
                ),
                {"seq": seq, "event": event, "leaf": merkle.leaf_hash(event)},
            )
    schema.upgrade(database.engine)
    with database.sessions() as session:
        found = session.execute(select(LogEvent.seq, LogEvent.customer).order_by(LogEvent.seq)).all()
        assert [tuple(row) for row in found] == [(0, "p-granted"), (1, "p-read"), (2, None)]
        with pytest.raises(DatabaseError, match="append-only"):  # and the log is insert-only again
            session.execute(update(LogEvent).values(customer="someone"))


def test_grants_that_ended_before_their_reason_was_kept_get_it_from_the_log(
    database: Database, keyring: KeyRing
) -> None:
    with database.sessions.begin() as session:
        customer, _ = factories.customer(session, keyring)
        shop = factories.business(session)
        ask = {
            "customer_id": customer.id,
            "business_id": shop.id,
            "purpose": "service",
            "scopes": ["profile:read"],
        }
        replaced = grant_access(session, keyring=keyring, **ask)
        newer = grant_access(session, keyring=keyring, supersede=True, **ask)
        withdraw_grant(session, keyring=keyring, customer_id=customer.id, grant_id=newer.id)
        live = grant_access(session, keyring=keyring, **ask)
    schema.downgrade(database.engine, "0014")  # as the grants were kept before: no end_reason
    schema.upgrade(database.engine)
    with database.sessions() as session:
        reasons = {grant.id: grant.end_reason for grant in session.scalars(select(Grant))}
        assert reasons == {replaced.id: "replaced", newer.id: "withdrawn", live.id: None}
        assert [grant.id for grant in ended_grants(session, customer_id=customer.id)] == [newer.id]


def test_journeys_made_before_they_had_a_company_get_the_company_of_their_first_interaction(
    database: Database, keyring: KeyRing
) -> None:
    with database.sessions.begin() as session:  # made with today's columns, before going back
        customer, _ = factories.customer(session, keyring)
        shop, bank = factories.business(session), factories.business(session)
    schema.downgrade(database.engine, "0014")
    journeys = table(
        "journeys", column("id", Uuid), column("customer_id", Uuid), column("created_at", UTCDateTime)
    )
    interactions = table(
        "interactions",
        *(column(name, Uuid) for name in ("id", "customer_id", "business_id", "journey_id")),
        *(column(name, String) for name in ("channel", "direction", "recorded_by")),
        *(column(name, UTCDateTime) for name in ("occurred_at", "created_at")),
    )
    now = utcnow()
    mixed, empty, banking = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with database.sessions.begin() as session:
        session.execute(
            insert(journeys),
            [{"id": j, "customer_id": customer.id, "created_at": now} for j in (mixed, empty, banking)],
        )
        steps = [  # (business, journey, recorded by, days ago): an old import mixed two companies in one
            (shop.id, mixed, "business", 5),
            (bank.id, mixed, "business", 4),
            (shop.id, mixed, "customer", 3),
            (bank.id, banking, "customer", 2),
        ]
        ids = [uuid.uuid4() for _ in steps]
        session.execute(
            insert(interactions),
            [
                {
                    "id": ident,
                    "customer_id": customer.id,
                    "business_id": business,
                    "journey_id": journey,
                    "channel": "chat",
                    "direction": "inbound",
                    "recorded_by": by,
                    "occurred_at": now - timedelta(days=days),
                    "created_at": now,
                }
                for ident, (business, journey, by, days) in zip(ids, steps, strict=True)
            ],
        )
    schema.upgrade(database.engine)
    with database.sessions() as session:
        found = {row.id: row for row in session.scalars(select(Journey))}
        assert set(found) == {mixed, banking}  # the journey with nothing in it is gone
        assert (found[mixed].business_id, found[banking].business_id) == (shop.id, bank.id)
        assert {row.opened_by for row in found.values()} == {"customer"}
        kept = {row.id: (row.journey_id, row.shared) for row in session.scalars(select(Interaction))}
        assert kept == {
            ids[0]: (mixed, True),
            ids[1]: (None, True),  # the other company's interaction left the journey, and stays
            ids[2]: (mixed, False),  # the customer's own records are private until they share them
            ids[3]: (banking, False),
        }
