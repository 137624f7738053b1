"""consent log: one index for a customer's events by type, company and order (reads lists, receipts)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = ["customer", "type", "business_id", "seq"]


def upgrade() -> None:
    # A customer's reads by one company, a page at a time, newest first; their consent events of one kind;
    # their reads counted by company: each a range of this index, however long the log. It begins with the
    # customer, so it serves every lookup the index on `customer` alone served, which it replaces (one index
    # fewer to write on every append). Built over the whole log: the upgrade runs with the app stopped.
    op.create_index("ix_consent_log_customer_type_business_seq", "consent_log", COLUMNS, unique=False)
    op.drop_index("ix_consent_log_customer", table_name="consent_log")


def downgrade() -> None:
    op.create_index("ix_consent_log_customer", "consent_log", ["customer"], unique=False)
    op.drop_index("ix_consent_log_customer_type_business_seq", table_name="consent_log")
