"""journeys with one business each, named by the business's own reference; interactions shared or private

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

What happens to the data already there (the migration sees only plaintext metadata, never sealed values):
- A journey's business becomes the business of its earliest interaction (by `occurred_at`, then id).
- An interaction of another business in the same journey (possible only through imports made before this
  revision) is detached from it: its `journey_id` becomes NULL; the interaction itself is kept.
- A journey with no interaction at all is deleted: it held a title only, and no page could reach it.
- Journeys made before this revision came from `vrm demo` or `vrm import`, never from a business through
  the API: they are marked `opened_by = 'customer'` and have no reference.
- Interactions the customer recorded become private (`shared = false`): privacy first; the customer may
  share each one. What businesses recorded stays shared, as it always is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FILL_BUSINESS = """
UPDATE journeys SET opened_by = 'customer', business_id = (
    SELECT i.business_id FROM interactions AS i WHERE i.journey_id = journeys.id
    ORDER BY i.occurred_at, i.id LIMIT 1
)
"""
DETACH_OTHERS = """
UPDATE interactions SET journey_id = NULL
WHERE journey_id IS NOT NULL
  AND business_id <> (SELECT j.business_id FROM journeys AS j WHERE j.id = interactions.journey_id)
"""
DELETE_EMPTY = "DELETE FROM journeys WHERE business_id IS NULL"
UNIQUE_REFERENCE = "uq_journeys_customer_id"


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("shared", sa.Boolean(), server_default=sa.true(), nullable=False))
    interactions = sa.table("interactions", sa.column("shared", sa.Boolean()), sa.column("recorded_by"))
    op.execute(interactions.update().where(interactions.c.recorded_by == "customer").values(shared=False))

    with op.batch_alter_table("journeys", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("business_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("reference", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("reference_index", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("opened_by", sa.String(length=8), nullable=True))
    for statement in (FILL_BUSINESS, DETACH_OTHERS, DELETE_EMPTY):
        op.execute(sa.text(statement))
    with _journey_links_kept(), op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.alter_column("business_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("opened_by", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_journeys_business_id_businesses"),
            "businesses",
            ["business_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(batch_op.f("ix_journeys_business_id"), ["business_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f(UNIQUE_REFERENCE), ["customer_id", "business_id", "reference_index"]
        )


def downgrade() -> None:
    with _journey_links_kept(), op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(UNIQUE_REFERENCE), type_="unique")
        batch_op.drop_index(batch_op.f("ix_journeys_business_id"))
        batch_op.drop_constraint(batch_op.f("fk_journeys_business_id_businesses"), type_="foreignkey")
        batch_op.drop_column("opened_by")
        batch_op.drop_column("reference_index")
        batch_op.drop_column("reference")
        batch_op.drop_column("business_id")
    with op.batch_alter_table("interactions", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("shared")


@contextmanager
def _journey_links_kept() -> Iterator[None]:
    """Put back every interaction's journey after SQLite rebuilt the journeys table.

    SQLite changes a column by copying the table and dropping the old one; with foreign keys on (they
    cannot be turned off inside the migration's transaction) that drop fires the interactions' ON DELETE
    SET NULL. PostgreSQL alters the table in place and needs none of this.
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute(
        "CREATE TEMPORARY TABLE kept_journey_links AS "
        "SELECT id, journey_id FROM interactions WHERE journey_id IS NOT NULL"
    )
    yield
    op.execute(
        "UPDATE interactions SET journey_id = "
        "(SELECT k.journey_id FROM kept_journey_links AS k WHERE k.id = interactions.id) "
        "WHERE id IN (SELECT id FROM kept_journey_links)"
    )
    op.execute("DROP TABLE kept_journey_links")
