"""consent log: the customer's log pseudonym beside each event about one, indexed (receipts, auditors)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = ("consent_log_no_update", "consent_log_no_delete")


def upgrade() -> None:
    with op.batch_alter_table("consent_log", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("customer", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_consent_log_customer"), ["customer"], unique=False)
    # Events logged before this column name their customer in actors or details. The column repeats what
    # the event says (the event's bytes stay as they are); the insert-only guard steps aside for it alone.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE consent_log DISABLE TRIGGER consent_log_insert_only")
        op.execute(
            "UPDATE consent_log SET customer = COALESCE("
            "convert_from(event, 'UTF8')::json -> 'actors' ->> 'customer', "
            "convert_from(event, 'UTF8')::json -> 'details' ->> 'customer')"
        )
        op.execute("ALTER TABLE consent_log ENABLE TRIGGER consent_log_insert_only")
    else:
        op.execute("DROP TRIGGER consent_log_no_update")
        op.execute(
            "UPDATE consent_log SET customer = COALESCE("
            "json_extract(CAST(event AS TEXT), '$.actors.customer'), "
            "json_extract(CAST(event AS TEXT), '$.details.customer'))"
        )
        op.execute(
            "CREATE TRIGGER consent_log_no_update BEFORE UPDATE ON consent_log "
            "BEGIN SELECT RAISE(ABORT, 'the consent log is append-only'); END"
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_log", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_log_customer"))
        batch_op.drop_column("customer")
