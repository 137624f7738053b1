"""profiles.time_zone (sealed): the customer's time zone; preferences.saved_at and
customers.next_steps_closed_at: the "Next steps" after sign-up

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("preferences", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("customers", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("next_steps_closed_at", sa.DateTime(timezone=True), nullable=True))
    # The steps guide new customers; accounts opened before them are past their first visit already.
    op.execute("UPDATE customers SET next_steps_closed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("next_steps_closed_at")
    with op.batch_alter_table("preferences", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("saved_at")
    with op.batch_alter_table("profiles", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("time_zone")
