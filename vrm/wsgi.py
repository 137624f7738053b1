"""WSGI entry point for gunicorn: `gunicorn vrm.wsgi:app`."""

from __future__ import annotations

from vrm.app import create_app
from vrm.config import Settings

app = create_app(Settings.from_env())
