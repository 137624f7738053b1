"""When the database cannot be reached, every front answers 503 with Retry-After, never a 500."""

from __future__ import annotations

import dataclasses

from flask import Flask

from tests.web.conftest import post_form
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
