"""Alembic environment: runs against the connection or URL handed in by `vrm.schema`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import vrm.models  # noqa: F401  (registers every table on the metadata)
from vrm.db import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `vrm db upgrade` (vrm.schema), which hands in a connection")
run(connection)
