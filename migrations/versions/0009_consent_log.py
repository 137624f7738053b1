"""consent log: the insert-only table of canonical events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

REFUSAL = "the consent log is append-only"


def upgrade() -> None:
    op.create_table(
        "consent_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_log")),
    )
    with op.batch_alter_table("consent_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_log_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_log_type"), ["type"], unique=False)
    # The database itself refuses to change or remove an event, whoever asks.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION consent_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER consent_log_insert_only BEFORE UPDATE OR DELETE ON consent_log "
            "FOR EACH ROW EXECUTE FUNCTION consent_log_refuse()"
        )
        op.execute(
            "CREATE TRIGGER consent_log_no_truncate BEFORE TRUNCATE ON consent_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION consent_log_refuse()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER consent_log_no_{event.lower()} BEFORE {event} ON consent_log "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_log_no_truncate ON consent_log")
        op.execute("DROP TRIGGER consent_log_insert_only ON consent_log")
        op.execute("DROP FUNCTION consent_log_refuse()")
    else:
        op.execute("DROP TRIGGER consent_log_no_update")
        op.execute("DROP TRIGGER consent_log_no_delete")
    with op.batch_alter_table("consent_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_log_type"))
        batch_op.drop_index(batch_op.f("ix_consent_log_business_id"))
        batch_op.drop_index(batch_op.f("ix_consent_log_at"))
    op.drop_table("consent_log")
