"""Serve one of the two apps the API benchmark compares, under identical gunicorn settings.

python -m bench.serve vault|bare PORT FOLDER [WORKER_CLASS]
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from gunicorn.app.base import BaseApplication
from sqlalchemy import select

from vrm.accounts.models import Customer
from vrm.app import create_app
from vrm.config import Settings
from vrm.db import make_engine, make_sessionmaker
from vrm.runtime import open_runtime


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an app built in this process (both apps are built the same way, then forked)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


OPTIONS = {"workers": 2, "threads": 4, "worker_class": "gthread", "accesslog": None, "timeout": 30}


def settings(folder: str) -> Settings:
    return Settings.from_env(
        {
            # Several processes share their rate-limit counts through Redis, as in production.
            "VRM_REDIS_URL": os.environ.get("BENCH_REDIS_URL", ""),
            "VRM_INSTANCE_DIR": folder,
            "VRM_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            # Measure the work, not the limiter's refusals.
            "VRM_API_RATE_LIMIT": "100000000 per minute",
            "VRM_DECISIONS_RATE_LIMIT": "100000000 per minute",
        }
    )


def bare_app(database_url: str, customer_id: uuid.UUID | None = None) -> Flask:
    """The baseline: a Flask endpoint doing one primary-key read on the same database (of the one customer
    there, unless told which)."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    if customer_id is None:
        with sessions() as session:
            customer_id = session.scalars(select(Customer.id)).one()
    app = Flask("bare")

    @app.get("/api/v1/customer")
    def customer() -> object:
        with sessions() as session:
            row = session.get(Customer, customer_id)
            assert row is not None
            return jsonify(id=str(row.id))

    app.extensions["engine"] = engine
    return app


def main() -> None:
    which, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    worker_class = sys.argv[4] if len(sys.argv) > 4 else OPTIONS["worker_class"]
    if which == "vault":
        runtime = open_runtime(settings(folder))
        app = create_app(runtime.settings, runtime=runtime)
        engine = runtime.engine
    else:
        app = bare_app(settings(folder).database_url)
        engine = app.extensions["engine"]
    options = {
        **OPTIONS,
        "worker_class": worker_class,
        "bind": f"127.0.0.1:{port}",
        "post_fork": lambda _s, _w: engine.dispose(close=False),
    }
    Server(app, options).run()


if __name__ == "__main__":
    main()
