"""Per-request plumbing shared by the HTTP fronts: the runtime, and one database session per request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from vrm.runtime import Runtime

EXTENSION = "vrm"


def install(app: Flask, runtime: Runtime) -> None:
    app.extensions[EXTENSION] = runtime

    @app.teardown_request
    def close_session(error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return
        # The request owns the one commit; an exception anywhere rolls everything back.
        try:
            if error is None and session.in_transaction():
                session.commit()
        finally:
            session.close()


def runtime() -> Runtime:
    value: Runtime = current_app.extensions[EXTENSION]
    return value


def db_session() -> Session:
    """Return the request's session, opened on first use and committed when the request succeeds."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    session: Session = g.db_session
    return session
