"""audit workspace: auditors' browser sessions, and their verification runs of the whole log

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditor_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("auditor_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["auditor_id"],
            ["auditors.id"],
            name=op.f("fk_auditor_sessions_auditor_id_auditors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditor_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auditor_sessions_token_hash")),
    )
    with op.batch_alter_table("auditor_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditor_sessions_auditor_id"), ["auditor_id"], unique=False)
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("auditor_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("first_bad_seq", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["auditor_id"],
            ["auditors.id"],
            name=op.f("fk_audit_verifications_auditor_id_auditors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )
    with op.batch_alter_table("audit_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_verifications_auditor_id"), ["auditor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_verifications_auditor_id"))
    op.drop_table("audit_verifications")
    with op.batch_alter_table("auditor_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditor_sessions_auditor_id"))
    op.drop_table("auditor_sessions")
