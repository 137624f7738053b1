"""When the database cannot be reached, every front answers 503 with Retry-After, never a 500."""

from __future__ import annotations

import dataclasses

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tests.web.conftest import post_form
from vrm.accounts.models import Customer
from vrm.db import make_engine, make_sessionmaker

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"


def test_an_unreachable_database_is_a_retryable_503(app: Flask) -> None:
    runtime = app.extensions["vrm"]
    app.extensions["vrm"] = dataclasses.replace(runtime, sessions=make_sessionmaker(make_engine(UNREACHABLE)))
    http = app.test_client()
    api = http.get("/api/v1/customer", headers={"Authorization": "Bearer anything"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "2"
    assert api.headers["Content-Type"] == "application/problem+json" and "retry" in api.get_json()["detail"]
    signing_in = post_form(http, "/signin", {"email": "a@example.org", "password": "x" * 12})
    assert (
        signing_in.status_code == 503 and int(signing_in.headers["Retry-After"]) >= 2
    )  # the limiter may say later
    assert "Nothing was changed" in signing_in.get_data(as_text=True)


class CommitLost(Session):
    """A session whose connection is lost at the commit, after the view has done its work."""

    def commit(self) -> None:
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection unexpectedly"))


def test_a_database_lost_at_the_commit_is_a_retryable_503_too(app: Flask) -> None:
    runtime = app.extensions["vrm"]
    failing = sessionmaker(bind=runtime.engine, class_=CommitLost, expire_on_commit=False)
    app.extensions["vrm"] = dataclasses.replace(runtime, sessions=failing)
    http = app.test_client()
    signing_up = post_form(
        http, "/signup", {"email": "lost@example.org", "password": "p" * 12, "confirm": "p" * 12}
    )
    assert signing_up.status_code == 503 and int(signing_up.headers["Retry-After"]) >= 2
    assert "Nothing was changed" in signing_up.get_data(as_text=True)
    app.extensions["vrm"] = runtime
    with runtime.sessions() as session:  # and nothing was: the sign-up was never committed
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
