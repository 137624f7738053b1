"""Serve the app with gunicorn (threaded workers), the same server the Docker image runs."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, *, host: str, port: int, workers: int, threads: int, on_fork: Any) -> None:
    """Run gunicorn; `on_fork` runs in each worker (pooled connections must not cross a fork)."""
    Server(
        app,
        {
            "post_fork": lambda _server, _worker: on_fork(),
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "graceful_timeout": 20,
            "timeout": 30,
        },
    ).run()
