"""log checkpoints: the server's signed statements of the consent log's size and root, insert-only

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

REFUSAL = "signed checkpoints are append-only"


def upgrade() -> None:
    op.create_table(
        "log_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_log_checkpoints")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION log_checkpoints_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER log_checkpoints_insert_only BEFORE UPDATE OR DELETE ON log_checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION log_checkpoints_refuse()"
        )
        op.execute(
            "CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints "
            "FOR EACH STATEMENT EXECUTE FUNCTION log_checkpoints_refuse()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER log_checkpoints_no_{event.lower()} BEFORE {event} ON log_checkpoints "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER log_checkpoints_no_truncate ON log_checkpoints")
        op.execute("DROP TRIGGER log_checkpoints_insert_only ON log_checkpoints")
        op.execute("DROP FUNCTION log_checkpoints_refuse()")
    else:
        op.execute("DROP TRIGGER log_checkpoints_no_update")
        op.execute("DROP TRIGGER log_checkpoints_no_delete")
    op.drop_table("log_checkpoints")
