"""grants: when a grant's expiry was recorded in the consent log (consent.expired)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UNLOGGED = "expiry_logged_at IS NULL AND withdrawn_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("grants", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("expiry_logged_at", sa.DateTime(timezone=True), nullable=True))
    # Only the grants whose end is still to be logged, by when they end: what the expiry sweep reads.
    op.create_index(
        "ix_grants_unlogged_expiry",
        "grants",
        ["expires_at"],
        unique=False,
        sqlite_where=sa.text(UNLOGGED),
        postgresql_where=sa.text(UNLOGGED),
    )


def downgrade() -> None:
    op.drop_index("ix_grants_unlogged_expiry", table_name="grants")
    with op.batch_alter_table("grants", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("expiry_logged_at")
