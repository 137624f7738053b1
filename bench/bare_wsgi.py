"""The load mix's baseline: a bare Flask app doing one primary-key read of a customer on the same database.

gunicorn -c python:vrm.serving.gunicorn_config bench.bare_wsgi:app
(VRM_DATABASE_URL and BENCH_CUSTOMER_ID from the environment)
"""

from __future__ import annotations

import os
import uuid

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from vrm.accounts.models import Customer
from vrm.db import make_engine, make_sessionmaker

sessions = make_sessionmaker(make_engine(os.environ["VRM_DATABASE_URL"]))
customer_id = uuid.UUID(os.environ["BENCH_CUSTOMER_ID"])
app = Flask("bare")


@app.get("/bare")
def bare() -> ResponseReturnValue:
    with sessions() as session:
        row = session.get(Customer, customer_id)
        assert row is not None
        return jsonify(id=str(row.id))


@app.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")
