"""business users: the people who manage a business in the portal, and their sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("email_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["businesses.id"],
            name=op.f("fk_business_users_business_id_businesses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_users")),
        sa.UniqueConstraint("email_index", name=op.f("uq_business_users_email_index")),
    )
    with op.batch_alter_table("business_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_business_users_business_id"), ["business_id"], unique=False)

    op.create_table(
        "business_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("business_user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_user_id"],
            ["business_users.id"],
            name=op.f("fk_business_sessions_business_user_id_business_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_business_sessions_token_hash")),
    )
    with op.batch_alter_table("business_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_business_sessions_business_user_id"), ["business_user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("business_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_sessions_business_user_id"))

    op.drop_table("business_sessions")
    with op.batch_alter_table("business_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_users_business_id"))

    op.drop_table("business_users")
