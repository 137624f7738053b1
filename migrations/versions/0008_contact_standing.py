"""contact standing: what each business may do with each customer now, kept current by the database

One row per relationship, read by bulk contact decisions in one indexed query. Triggers keep it current in
the same transaction as every change it depends on, whichever code path makes the change:
- a new relationship gets its row, with the consent already given;
- a grant given, changed or withdrawn updates `consent_until` (the latest expiry among live grants);
- a change to the contact part of the general preferences, or to the business's override, clears the
  sealed `rules` and bumps `version`; the policy reseals them from the vault on their next use.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _live_until(row: str) -> str:
    return (
        "(SELECT MAX(expires_at) FROM grants WHERE withdrawn_at IS NULL "
        f"AND customer_id = {row}.customer_id AND business_id = {row}.business_id)"
    )


def _consent(row: str) -> str:
    return (
        f"UPDATE contact_standing SET consent_until = {_live_until(row)} "
        f"WHERE customer_id = {row}.customer_id AND business_id = {row}.business_id"
    )


def _stale(where: str) -> str:
    return f"UPDATE contact_standing SET rules = NULL, version = version + 1 WHERE {where}"


_OVERRIDE = "customer_id = {row}.customer_id AND business_id = {row}.business_id"

# name: (event, table, the statement it runs)
TRIGGERS = {
    "contact_standing_new_relationship": (
        "INSERT",
        "relationships",
        "INSERT INTO contact_standing (business_id, subject, customer_id, consent_until, version) "
        f"VALUES (NEW.business_id, NEW.subject, NEW.customer_id, {_live_until('NEW')}, 0)",
    ),
    "contact_standing_grant_given": ("INSERT", "grants", _consent("NEW")),
    "contact_standing_grant_changed": ("UPDATE OF expires_at, withdrawn_at", "grants", _consent("NEW")),
    "contact_standing_preferences_changed": (
        "UPDATE OF contact, quiet_hours, frequency_caps",
        "preferences",
        _stale("customer_id = NEW.customer_id"),
    ),
    "contact_standing_override_added": (
        "INSERT",
        "preference_overrides",
        _stale(_OVERRIDE.format(row="NEW")),
    ),
    "contact_standing_override_changed": (
        "UPDATE",
        "preference_overrides",
        _stale(_OVERRIDE.format(row="NEW")),
    ),
    "contact_standing_override_removed": (
        "DELETE",
        "preference_overrides",
        _stale(_OVERRIDE.format(row="OLD")),
    ),
}


def upgrade() -> None:
    op.create_table(
        "contact_standing",
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("consent_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rules", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id", "subject"],
            ["relationships.business_id", "relationships.subject"],
            name=op.f("fk_contact_standing_business_id_relationships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_contact_standing_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("business_id", "subject", name=op.f("pk_contact_standing")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("contact_standing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_standing_customer_id"), ["customer_id"], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (when, table, statement) in TRIGGERS.items():
        if postgres:
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {statement}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {when} ON {table} FOR EACH ROW BEGIN {statement}; END")
    # Relationships made before this revision: their rows, with consent as it stands and rules to be sealed.
    op.execute(
        "INSERT INTO contact_standing (business_id, subject, customer_id, consent_until, version) "
        f"SELECT r.business_id, r.subject, r.customer_id, {_live_until('r')}, 0 FROM relationships r"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (_, table, _) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION {name}()")
    with op.batch_alter_table("contact_standing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_standing_customer_id"))
    op.drop_table("contact_standing")
