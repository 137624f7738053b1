"""Per-request plumbing shared by the HTTP fronts: the runtime, and one database session per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session

from vrm.db import WRITES
from vrm.runtime import Runtime

EXTENSION = "vrm"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., Any])


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
    """Return the request's session, opened on first use.

    A request that may write (POST, PUT, PATCH, DELETE, unless its view is marked `reads_only`) begins
    with SQLite's write lock (vrm.db.write_transaction explains why): concurrent writers then wait their
    turn for up to busy_timeout instead of failing when another committed first. PostgreSQL is unaffected.
    """
    if "db_session" not in g:
        opened = runtime().sessions()
        if request.method not in SAFE_METHODS and not _reads_only():
            opened.connection(execution_options={WRITES: True})
        g.db_session = opened
    session: Session = g.db_session
    return session


def reads_only(view: View) -> View:
    """Mark a view that only reads although its method is not a safe one (contact decisions)."""
    view.vrm_reads_only = True  # type: ignore[attr-defined]
    return view


def _reads_only() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "vrm_reads_only", False))
