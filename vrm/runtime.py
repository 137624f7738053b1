"""What a running process holds: settings, engine, session factory and the loaded key ring."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vrm import schema
from vrm.config import Settings
from vrm.crypto.keyring import KeyRing
from vrm.db import make_engine, make_sessionmaker
from vrm.vault.keys import bind_keyring


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: KeyRing


def open_runtime(
    settings: Settings, *, engine: Engine | None = None, keyring: KeyRing | None = None
) -> Runtime:
    """Connect to the database and load the key ring, refusing anything unsafe or mismatched.

    Raises:
        ConfigError: a development key ring in production.
        KeyRingError: the ring is missing, unreadable, or not the one this database was sealed with.
        SchemaMismatch: the schema is not at this version's head.
    """
    engine = engine or make_engine(settings.database_url)
    ring = keyring or KeyRing.load(settings.keyring_file)
    ring.require_production_ready(production=settings.is_production)
    schema.require_head(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        bind_keyring(session, keyring=ring)
    return Runtime(settings=settings, engine=engine, sessions=sessions, keyring=ring)
