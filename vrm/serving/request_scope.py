"""Per-request plumbing shared by the HTTP fronts: the runtime, and one database session per request."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from vrm.runtime import Runtime

EXTENSION = "vrm"


def install(app: Flask, runtime: Runtime) -> None:
    """Give each request one session: committed when the response succeeds, rolled back otherwise."""
    app.extensions[EXTENSION] = runtime

    @app.after_request
    def commit_on_success(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        # Error responses (handled exceptions included) never keep what the request flushed. A failing
        # commit raises here, inside the request, so the app's error handling answers it.
        if session is not None and session.in_transaction() and response.status_code < 400:
            session.commit()
        return response

    @app.teardown_request
    def close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()  # rolls back whatever was not committed


def runtime() -> Runtime:
    value: Runtime = current_app.extensions[EXTENSION]
    return value


def db_session() -> Session:
    """Return the request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    session: Session = g.db_session
    return session
