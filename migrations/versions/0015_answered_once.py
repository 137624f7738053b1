"""consent answered once: the answers given to authorization requests, and why a grant ended early

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

`authorization_answers` lets each consent form count once (`vrm.oauth.answers`). `grants.end_reason` tells a
grant the customer withdrew from one their newer consent replaced; for grants that ended before it, the
reason comes from the consent log's `consent.withdrawn` event (details.reason), which always recorded it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEXED = ("answered_at", "customer_id")


def upgrade() -> None:
    op.create_table(
        "authorization_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.LargeBinary(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_authorization_answers_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_answers")),
        sa.UniqueConstraint("request_digest", name=op.f("uq_authorization_answers_request_digest")),
    )
    with op.batch_alter_table("authorization_answers", schema=None) as batch_op:
        for column in INDEXED:
            batch_op.create_index(batch_op.f(f"ix_authorization_answers_{column}"), [column], unique=False)

    with op.batch_alter_table("grants", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=16), nullable=True))
    op.execute(f"UPDATE grants SET end_reason = 'replaced' WHERE id IN ({_replaced_grants()})")
    op.execute(
        "UPDATE grants SET end_reason = 'withdrawn' WHERE withdrawn_at IS NOT NULL AND end_reason IS NULL"
    )


def _replaced_grants() -> str:
    """The ids of the grants whose consent.withdrawn event says a newer consent replaced them, in the form
    the grants table stores ids (a native uuid on PostgreSQL, 32 hex digits on SQLite)."""
    if op.get_bind().dialect.name == "postgresql":
        details = "(convert_from(event, 'UTF8')::json -> 'details')"
        grant, reason = f"({details} ->> 'grant')::uuid", f"{details} ->> 'reason'"
    else:
        grant = "replace(json_extract(CAST(event AS TEXT), '$.details.grant'), '-', '')"
        reason = "json_extract(CAST(event AS TEXT), '$.details.reason')"
    return f"SELECT {grant} FROM consent_log WHERE type = 'consent.withdrawn' AND {reason} = 'replaced'"


def downgrade() -> None:
    with op.batch_alter_table("grants", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("end_reason")
    with op.batch_alter_table("authorization_answers", schema=None) as batch_op:
        for column in INDEXED:
            batch_op.drop_index(batch_op.f(f"ix_authorization_answers_{column}"))
    op.drop_table("authorization_answers")
