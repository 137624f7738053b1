"""The database schema's version: upgrade to head, and refuse to run on a schema that is not head."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from vrm.errors import SchemaMismatch


def alembic_config() -> Config:
    """Alembic's configuration: only where the revisions are; the connection is always handed in."""
    config = Config()
    config.set_main_option("script_location", str(Path(str(files("vrm.migrations")))))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, in one transaction per run.

    Raises:
        SchemaMismatch: the database is at a revision this version does not know (it is newer).
    """
    check_known(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def check_known(engine: Engine) -> None:
    """Raises: SchemaMismatch: the database was migrated by a newer version of VRM vault."""
    current = current_revision(engine)
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaMismatch(
            f"the database schema ({current}) is newer than this version of VRM vault knows; "
            "upgrade VRM vault before using this database"
        )


def require_head(engine: Engine) -> None:
    """Raises: SchemaMismatch: the schema is newer than this code, or needs `vrm db upgrade`."""
    check_known(engine)
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "is empty" if current is None else f"is at {current}, not {head}"
        raise SchemaMismatch(f"the database schema {state}; run `vrm db upgrade`")
