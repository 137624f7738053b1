"""Declarative base, reusable column types, and engine/session construction for SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from sqlalchemy import (
    CursorResult,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    Update,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


uuid_pk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True, default=uuid.uuid4)]
created_at = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
timestamp = Annotated[datetime, mapped_column(UTCDateTime)]
# A value sealed by the vault: AES-256-GCM ciphertext with its header; never plaintext.
sealed = Annotated[bytes, mapped_column(LargeBinary)]
short_str = Annotated[str, mapped_column(String(64))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


WRITES = "vrm_writes"  # execution option: begin SQLite transactions with the write lock (write_transaction)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings VRM vault relies on."""
    # Bound values (password hashes, blind indexes, ciphertext) never appear in error messages or logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, memory=":memory:" in url or url.rstrip("/") == "sqlite:")
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # Overwrite deleted content with zeros, so erased ciphertext does not linger in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writes = connection.get_execution_options().get(WRITES, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def write_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a transaction, committed on leaving, that holds SQLite's write lock from its start.

    SQLite's usual deferred transaction takes the lock at its first write; if another connection committed
    after this transaction first read, that write fails at once rather than waiting. Taking the lock up front
    waits for it instead (busy_timeout). PostgreSQL needs nothing of the kind: its writers wait on locks.
    """
    with sessions() as session, session.begin():
        session.connection(execution_options={WRITES: True})
        yield session


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def claimed(session: Session, statement: Update) -> bool:
    """Run a conditional UPDATE; True when it changed a row (this request won the race for it)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return bool(cast(CursorResult[Any], result).rowcount)
